//! Errors of the catalog.

use platform_core::ErrorCode;
use platform_core::error::HasErrorCode;

/// What can go wrong in the catalog.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A catalog definition breaks a rule (demo or admin input).
    #[error("{field}: {message}")]
    Invalid {
        /// The offending field.
        field: &'static str,
        /// Why.
        message: String,
    },
    /// Anything else: a database failure, a bug.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for CatalogError {
    fn from(err: sea_orm::DbErr) -> Self {
        CatalogError::Unexpected(anyhow::Error::new(err).context("catalog database"))
    }
}

impl HasErrorCode for CatalogError {
    fn code(&self) -> ErrorCode {
        match self {
            CatalogError::Invalid { .. } => ErrorCode::BadUserInput,
            CatalogError::Unexpected(_) => ErrorCode::Internal,
        }
    }
}
