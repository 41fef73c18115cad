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

/// Another domain's error passed through unchanged: its message and its code reach the client as that
/// domain gave them (a catalog `NOT_FOUND` met while creating an order stays `NOT_FOUND`), and its
/// unexpected errors stay `INTERNAL` with their cause chain for the log. A domain keeps one variant of
/// this type for every domain it calls instead of turning their outcomes into its own `INTERNAL`.
#[derive(Debug)]
pub struct Passed {
    code: ErrorCode,
    error: Box<dyn std::error::Error + Send + Sync>,
}

impl Passed {
    /// Passes `err` through.
    pub fn new<E: HasErrorCode + Send + Sync + 'static>(err: E) -> Self {
        Passed { code: err.code(), error: Box::new(err) }
    }
}

impl fmt::Display for Passed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for Passed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

impl HasErrorCode for Passed {
    fn code(&self) -> ErrorCode {
        self.code
    }
}

/// `From` each of the other domains' errors into `$target::$variant(Passed)`:
/// `pass_through!(RenewalsError::Passed <- catalog::CatalogError, orders::OrdersError);`.
#[macro_export]
macro_rules! pass_through {
    ($target:ident :: $variant:ident <- $($source:ty),+ $(,)?) => {$(
        impl From<$source> for $target {
            fn from(err: $source) -> Self {
                $target::$variant($crate::error::Passed::new(err))
            }
        }
    )+};
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

    #[derive(Debug, thiserror::Error)]
    enum Inner {
        #[error("item: no item X")]
        NotFound,
        #[error(transparent)]
        Unexpected(#[from] anyhow::Error),
    }

    impl HasErrorCode for Inner {
        fn code(&self) -> ErrorCode {
            match self {
                Inner::NotFound => ErrorCode::NotFound,
                Inner::Unexpected(_) => ErrorCode::Internal,
            }
        }
    }

    #[test]
    fn a_passed_error_keeps_its_code_message_and_causes() {
        let passed = Passed::new(Inner::NotFound);
        assert_eq!((passed.code(), passed.to_string().as_str()), (ErrorCode::NotFound, "item: no item X"));

        let cause = anyhow::anyhow!("connection reset").context("catalog database");
        let passed = Passed::new(Inner::Unexpected(cause));
        assert_eq!(passed.code(), ErrorCode::Internal);
        assert_eq!(passed.to_string(), "catalog database");
        let source = std::error::Error::source(&passed).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("connection reset"));
    }
}
