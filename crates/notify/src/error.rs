//! Errors of webhooks.

use platform_core::ErrorCode;
use platform_core::error::HasErrorCode;

/// What can go wrong with webhooks.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The input breaks a rule.
    #[error("{field}: {message}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// Why.
        message: String,
    },
    /// Something named does not exist.
    #[error("{what} {key} does not exist")]
    NotFound {
        /// `delivery` or `endpoint`.
        what: &'static str,
        /// Its id.
        key: String,
    },
    /// Anything else.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for NotifyError {
    fn from(err: sea_orm::DbErr) -> Self {
        NotifyError::Unexpected(anyhow::Error::new(err).context("webhooks database"))
    }
}

impl HasErrorCode for NotifyError {
    fn code(&self) -> ErrorCode {
        match self {
            NotifyError::Invalid { .. } => ErrorCode::BadUserInput,
            NotifyError::NotFound { .. } => ErrorCode::NotFound,
            NotifyError::Unexpected(_) => ErrorCode::Internal,
        }
    }
}
