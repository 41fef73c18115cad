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
    /// No such product, item or promotion (`field: why`).
    #[error("{0}")]
    NotFound(String),
    /// The change does not fit the catalog as it stands (`field: why`).
    #[error("{0}")]
    Conflict(String),
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
            CatalogError::NotFound(_) => ErrorCode::NotFound,
            CatalogError::Conflict(_) => ErrorCode::Conflict,
            CatalogError::Unexpected(_) => ErrorCode::Internal,
        }
    }
}
