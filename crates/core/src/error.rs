//! The error-code table of the API contract (SPEC §4).
//!
//! Each domain has its own `thiserror` enum of business outcomes and implements [`HasErrorCode`]; the API
//! maps the code into `extensions.code`. An unexpected error is always `INTERNAL` with a generic message.

use std::fmt;

/// The codes a client can see in `extensions.code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The input is malformed or breaks a rule; the message names the field.
    BadUserInput,
    /// The thing asked for does not exist.
    NotFound,
    /// No valid credentials.
    Unauthenticated,
    /// Valid credentials, but not allowed.
    Forbidden,
    /// The request conflicts with the current state (duplicate, already done differently).
    Conflict,
    /// Something failed on our side; details are in the server log only.
    Internal,
}

impl ErrorCode {
    /// The wire form, e.g. `BAD_USER_INPUT`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::Internal => "INTERNAL",
        }
    }

    /// Every code, for documentation and tests.
    pub const ALL: [ErrorCode; 6] = [
        ErrorCode::BadUserInput,
        ErrorCode::NotFound,
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::Conflict,
        ErrorCode::Internal,
    ];
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A domain error that knows its API code. `Internal` errors must not leak their message to clients.
pub trait HasErrorCode: std::error::Error {
    /// The code the client sees.
    fn code(&self) -> ErrorCode;
}

/// A shared error (a DataLoader's, given to every key of its batch) keeps its code.
impl<E: HasErrorCode> HasErrorCode for std::sync::Arc<E> {
    fn code(&self) -> ErrorCode {
        (**self).code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_codes_match_the_contract() {
        let wire: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            wire,
            ["BAD_USER_INPUT", "NOT_FOUND", "UNAUTHENTICATED", "FORBIDDEN", "CONFLICT", "INTERNAL"]
        );
    }
}
