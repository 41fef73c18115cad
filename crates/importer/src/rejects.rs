//! The rejects file: `line,reason,<the export's own columns…>`, one row per refused row (or part of a
//! row), written as UTF-8 whatever the input's encoding. It is created at the first reject, so a clean
//! import leaves no file behind.

use std::io::Write;
use std::path::PathBuf;

/// Where refused rows go.
pub struct Rejects {
    target: Target,
    header: Vec<String>,
    writer: Option<csv::Writer<Box<dyn Write + Send>>>,
}

enum Target {
    File(PathBuf),
    Memory(std::sync::Arc<std::sync::Mutex<Vec<u8>>>),
}

impl Rejects {
    /// Rejects written to `path` (created or truncated at the first reject).
    pub fn to_file(path: impl Into<PathBuf>) -> Rejects {
        Rejects { target: Target::File(path.into()), header: Vec::new(), writer: None }
    }

    /// Rejects kept in memory; read them with [`Rejects::memory_contents`].
    pub fn in_memory() -> Rejects {
        Rejects { target: Target::Memory(Default::default()), header: Vec::new(), writer: None }
    }

    /// The rejects written so far, for `in_memory` ones (empty otherwise).
    pub fn memory_contents(&self) -> String {
        match &self.target {
            Target::Memory(buffer) => {
                String::from_utf8_lossy(&buffer.lock().map(|b| b.clone()).unwrap_or_default()).into_owned()
            }
            Target::File(_) => String::new(),
        }
    }

    pub(crate) fn start(&mut self, header: &[String]) {
        self.header = header.to_vec();
    }

    pub(crate) fn write(
        &mut self,
        line: u64,
        reason: &str,
        fields: &csv::StringRecord,
    ) -> std::io::Result<()> {
        if self.writer.is_none() {
            let sink: Box<dyn Write + Send> = match &self.target {
                Target::File(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
                Target::Memory(buffer) => Box::new(MemorySink(buffer.clone())),
            };
            let mut writer = csv::Writer::from_writer(sink);
            let mut head = vec!["line".to_owned(), "reason".to_owned()];
            head.extend(self.header.iter().cloned());
            writer.write_record(&head)?;
            self.writer = Some(writer);
        }
        if let Some(writer) = &mut self.writer {
            let mut row = vec![line.to_string(), reason.to_owned()];
            row.extend(fields.iter().map(str::to_owned));
            writer.write_record(&row)?;
        }
        Ok(())
    }

    pub(crate) fn finish(&mut self) -> std::io::Result<()> {
        if let Some(writer) = &mut self.writer {
            writer.flush()?;
        }
        Ok(())
    }
}

struct MemorySink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Write for MemorySink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("rejects buffer poisoned"))?.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
