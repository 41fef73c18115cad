//! A member's account: unique, case-insensitive, trimmed.

use std::fmt;

/// Longest account accepted (an e-mail address at most 254 characters).
const MAX_LEN: usize = 254;

/// A member account in its canonical form: trimmed and lower-cased, so that `Sun1229@Gmail.com ` and
/// `sun1229@gmail.com` are the same member.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Account(String);

/// Why a string is not an account.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// Nothing but whitespace.
    #[error("account: must not be empty")]
    Empty,
    /// Longer than 254 characters.
    #[error("account: must be at most {MAX_LEN} characters")]
    TooLong,
    /// Contains whitespace or control characters inside.
    #[error("account: must not contain spaces or control characters")]
    InvalidCharacter,
}

impl Account {
    /// Parses and canonicalises an account.
    pub fn parse(raw: &str) -> Result<Account, AccountError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(AccountError::Empty);
        }
        if trimmed.chars().count() > MAX_LEN {
            return Err(AccountError::TooLong);
        }
        if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(AccountError::InvalidCharacter);
        }
        Ok(Account(trimmed.to_lowercase()))
    }

    /// The canonical form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_trimmed_and_case_insensitive() {
        assert_eq!(
            Account::parse(" Sun1229@Gmail.com\t").unwrap(),
            Account::parse("sun1229@gmail.com").unwrap()
        );
        assert_eq!(Account::parse("   "), Err(AccountError::Empty));
        assert_eq!(Account::parse("a b"), Err(AccountError::InvalidCharacter));
        assert_eq!(Account::parse(&"a".repeat(255)), Err(AccountError::TooLong));
        assert!(Account::parse(&"a".repeat(254)).is_ok());
    }
}
