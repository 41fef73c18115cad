//! Errors of the entitlements domain.

use platform_core::ErrorCode;
use platform_core::error::HasErrorCode;

/// What can go wrong with entitlements.
#[derive(Debug, thiserror::Error)]
pub enum EntitlementsError {
    /// The input breaks a rule.
    #[error("{field}: {message}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// Why.
        message: String,
    },
    /// Something named does not exist.
    #[error("{field}: {message}")]
    NotFound {
        /// The field.
        field: &'static str,
        /// What is missing.
        message: String,
    },
    /// The entitlement is not in a state that allows this.
    #[error("{0}")]
    Conflict(String),
    /// From the members domain (access).
    #[error(transparent)]
    Members(#[from] members::MembersError),
    /// Anything else.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for EntitlementsError {
    fn from(err: sea_orm::DbErr) -> Self {
        EntitlementsError::Unexpected(anyhow::Error::new(err).context("entitlements database"))
    }
}

impl From<catalog::CatalogError> for EntitlementsError {
    fn from(err: catalog::CatalogError) -> Self {
        EntitlementsError::Unexpected(anyhow::Error::new(err).context("reading the catalog"))
    }
}

impl From<orders::OrdersError> for EntitlementsError {
    fn from(err: orders::OrdersError) -> Self {
        EntitlementsError::Unexpected(anyhow::Error::new(err).context("reading orders"))
    }
}

impl HasErrorCode for EntitlementsError {
    fn code(&self) -> ErrorCode {
        match self {
            EntitlementsError::Invalid { .. } => ErrorCode::BadUserInput,
            EntitlementsError::NotFound { .. } => ErrorCode::NotFound,
            EntitlementsError::Conflict(_) => ErrorCode::Conflict,
            EntitlementsError::Members(err) => err.code(),
            EntitlementsError::Unexpected(_) => ErrorCode::Internal,
        }
    }
}
