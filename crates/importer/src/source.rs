//! Reading an export: decoding (UTF-8 or Big5/CP950) as a stream, the header checked against the kind's
//! columns, and records with their line numbers. A malformed file stops here with the line named.

use crate::{Encoding, ImportError};
use std::collections::HashMap;
use std::io::Read;

/// One column a kind knows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Column {
    /// The name in the export's header, exactly as in seed 004.
    pub name: &'static str,
    /// Whether the header must have it.
    pub required: bool,
}

/// A required column.
pub(crate) const fn required(name: &'static str) -> Column {
    Column { name, required: true }
}

/// An optional column (read when present, a default otherwise).
pub(crate) const fn optional(name: &'static str) -> Column {
    Column { name, required: false }
}

/// A CSV export being read.
pub(crate) struct Source<R: Read> {
    reader: csv::Reader<encoding_rs_io::DecodeReaderBytes<R, Vec<u8>>>,
    header: Header,
    record: csv::StringRecord,
    encoding: Encoding,
}

/// Where each known column sits in the file.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    names: Vec<String>,
    index: HashMap<&'static str, usize>,
}

impl Header {
    /// The header as read, for the rejects file.
    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }
}

/// One record of the file.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    /// Its line number in the file (the header is line 1).
    pub line: u64,
    /// Its fields as read.
    pub fields: csv::StringRecord,
}

impl<R: Read> Source<R> {
    /// Opens `input`, decoding it as `encoding`, and checks its header against `columns`.
    pub(crate) fn open(input: R, encoding: Encoding, columns: &[Column]) -> Result<Self, ImportError> {
        let decoder = encoding_rs_io::DecodeReaderBytesBuilder::new()
            .encoding(Some(encoding.decoder()))
            .bom_override(true)
            .build(input);
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(false).from_reader(decoder);
        let mut first = csv::StringRecord::new();
        if !reader.read_record(&mut first).map_err(|e| read_error(e, encoding))? {
            return Err(ImportError::Malformed { line: 1, message: "the file is empty: no header".into() });
        }
        check_decoded(&first, 1, encoding)?;
        let header = Header::parse(&first, columns)?;
        Ok(Source { reader, header, record: csv::StringRecord::new(), encoding })
    }

    /// The checked header.
    pub(crate) fn header(&self) -> &Header {
        &self.header
    }

    /// The next record, `None` at the end of the file.
    pub(crate) fn next_record(&mut self) -> Result<Option<Record>, ImportError> {
        let encoding = self.encoding;
        if !self.reader.read_record(&mut self.record).map_err(|e| read_error(e, encoding))? {
            return Ok(None);
        }
        let line = self.record.position().map_or(0, |p| p.line());
        check_decoded(&self.record, line, encoding)?;
        Ok(Some(Record { line, fields: self.record.clone() }))
    }

    /// Bytes read so far (of the encoded input), for progress.
    pub(crate) fn bytes_read(&self) -> u64 {
        self.reader.position().byte()
    }
}

impl Header {
    fn parse(first: &csv::StringRecord, columns: &[Column]) -> Result<Header, ImportError> {
        let names: Vec<String> = first.iter().map(|n| n.trim().to_owned()).collect();
        let mut index = HashMap::new();
        for (at, name) in names.iter().enumerate() {
            let Some(column) = columns.iter().find(|c| c.name.eq_ignore_ascii_case(name)) else {
                return Err(ImportError::Malformed {
                    line: 1,
                    message: format!(
                        "unknown column {name:?} in the header; this kind reads {}",
                        columns.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
                    ),
                });
            };
            if index.insert(column.name, at).is_some() {
                return Err(ImportError::Malformed {
                    line: 1,
                    message: format!("column {} appears twice in the header", column.name),
                });
            }
        }
        let missing: Vec<&str> =
            columns.iter().filter(|c| c.required && !index.contains_key(c.name)).map(|c| c.name).collect();
        if !missing.is_empty() {
            return Err(ImportError::Malformed {
                line: 1,
                message: format!("the header lacks the required column(s) {}", missing.join(", ")),
            });
        }
        Ok(Header { names, index })
    }

    /// The trimmed value of `column` in `record`; `None` when the column is absent or the value empty.
    pub(crate) fn get<'r>(&self, record: &'r Record, column: &str) -> Option<&'r str> {
        let at = *self.index.get(column)?;
        record.fields.get(at).map(str::trim).filter(|v| !v.is_empty())
    }
}

/// Decoding never fails (bad bytes become U+FFFD), so a replacement character means the bytes were not in
/// the declared encoding.
fn check_decoded(record: &csv::StringRecord, line: u64, encoding: Encoding) -> Result<(), ImportError> {
    if record.iter().any(|f| f.contains('\u{FFFD}')) {
        let hint = match encoding {
            Encoding::Utf8 => "; a Big5/CP950 export needs --encoding big5",
            Encoding::Big5 => "; a UTF-8 export needs --encoding utf-8",
        };
        return Err(ImportError::Malformed {
            line,
            message: format!("bytes that are not valid {}{hint}", encoding.label()),
        });
    }
    Ok(())
}

fn read_error(err: csv::Error, encoding: Encoding) -> ImportError {
    let line = err.position().map_or(0, |p| p.line());
    match err.into_kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => ImportError::Malformed {
            line,
            message: format!(
                "{len} field(s) where the header has {expected_len} (a truncated or broken line?)"
            ),
        },
        csv::ErrorKind::Io(err) => ImportError::Io(err),
        csv::ErrorKind::Utf8 { .. } => {
            ImportError::Malformed { line, message: format!("bytes that are not valid {}", encoding.label()) }
        }
        other => ImportError::Malformed { line, message: format!("{other:?}") },
    }
}
