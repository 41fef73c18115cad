//! The rejects file: `line,reason,<the export's own columns…>`, one row per refused row (or part of a
//! row), written as UTF-8 whatever the input's encoding. It is created at the first reject, so a clean
//! import leaves no file behind.
//!
//! The file holds personal data and goes to operators, who open it in a spreadsheet (SPEC §3), so:
//! - it is created readable by its owner only (0600), also when it replaces an older file;
//! - no card number or secret reaches it: a column named like a token, secret or password is emptied, a
//!   card-number column and any cell that is a card number (13–19 digits passing the Luhn check, in
//!   whatever column it strayed into) keep only the last 4 digits;
//! - a cell a spreadsheet would evaluate (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) is
//!   prefixed with `'`, as OWASP's CSV-injection advice has it.

use std::io::Write;
use std::path::{Path, PathBuf};

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
                Target::File(path) => Box::new(std::io::BufWriter::new(create_private(path)?)),
                Target::Memory(buffer) => Box::new(MemorySink(buffer.clone())),
            };
            let mut writer = csv::Writer::from_writer(sink);
            let mut head = vec!["line".to_owned(), "reason".to_owned()];
            head.extend(self.header.iter().map(|name| neutralised(name)));
            writer.write_record(&head)?;
            self.writer = Some(writer);
        }
        if let Some(writer) = &mut self.writer {
            let mut row = vec![line.to_string(), neutralised(reason)];
            row.extend(fields.iter().enumerate().map(|(at, cell)| {
                let column = self.header.get(at).map(String::as_str).unwrap_or_default();
                neutralised(&redacted(column, cell))
            }));
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

/// Creates (or truncates) `path` readable and writable by its owner only.
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    // `mode` applies to new files only: an older rejects file keeps its mode unless set here.
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    Ok(file)
}

/// What of `cell` (in `column`) may be written: secrets dropped, card numbers cut to their last 4 digits.
fn redacted(column: &str, cell: &str) -> String {
    let name = column.to_ascii_uppercase();
    if ["TOKEN", "SECRET", "PASSWORD", "CVV", "CVC"].iter().any(|word| name.contains(word)) {
        return String::new();
    }
    let card_column = ["CARD_NUMBER", "CARD_NO", "CREDIT_CARD"].iter().any(|word| name.contains(word));
    if card_column || looks_like_card_number(cell) {
        let digits: Vec<char> = cell.chars().filter(char::is_ascii_digit).collect();
        let last4: String = digits[digits.len().saturating_sub(4)..].iter().collect();
        return if digits.len() > 4 { format!("****{last4}") } else { last4 };
    }
    cell.to_owned()
}

/// 13–19 digits (spaces and dashes allowed between them) that pass the Luhn check.
fn looks_like_card_number(cell: &str) -> bool {
    if !cell.chars().all(|c| c.is_ascii_digit() || c == ' ' || c == '-') {
        return false;
    }
    let digits: Vec<u32> = cell.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(at, &d)| if at % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d })
        .sum();
    sum.is_multiple_of(10)
}

/// `text`, with a leading `'` when a spreadsheet would read it as a formula.
fn neutralised(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards_are_cut_to_their_last_4_and_secrets_dropped() {
        assert_eq!(redacted("CREDIT_CARD_NUMBER", "4311-9522-2222-2222"), "****2222");
        assert_eq!(redacted("CREDIT_CARD_NUMBER", "570224"), "****0224");
        assert_eq!(redacted("PAYMENT_TOKEN", "tok_ok_secret"), "");
        assert_eq!(redacted("SH_MOBILE", "4111 1111 1111 1111"), "****1111", "a stray card number");
        assert_eq!(redacted("SH_MOBILE", "0910588882"), "0910588882");
        assert_eq!(redacted("GC_ORDER_NUMBER", "4111111111111112"), "4111111111111112", "fails Luhn");
    }

    #[test]
    fn spreadsheet_formulas_are_neutralised() {
        for formula in ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert!(neutralised(formula).starts_with('\''), "{formula:?}");
        }
        assert_eq!(neutralised("郭小明"), "郭小明");
        assert_eq!(neutralised("a=b"), "a=b");
    }
}
