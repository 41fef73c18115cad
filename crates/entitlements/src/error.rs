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
    /// Another domain's outcome, with its own code (a catalog `NOT_FOUND` stays `NOT_FOUND`).
    #[error(transparent)]
    Passed(#[from] platform_core::error::Passed),
    /// Anything else.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for EntitlementsError {
    fn from(err: sea_orm::DbErr) -> Self {
        EntitlementsError::Unexpected(anyhow::Error::new(err).context("entitlements database"))
    }
}

platform_core::pass_through!(EntitlementsError::Passed <- catalog::CatalogError, orders::OrdersError);

impl HasErrorCode for EntitlementsError {
    fn code(&self) -> ErrorCode {
        match self {
            EntitlementsError::Invalid { .. } => ErrorCode::BadUserInput,
            EntitlementsError::NotFound { .. } => ErrorCode::NotFound,
            EntitlementsError::Conflict(_) => ErrorCode::Conflict,
            EntitlementsError::Members(err) => err.code(),
            EntitlementsError::Passed(err) => err.code(),
            EntitlementsError::Unexpected(_) => ErrorCode::Internal,
        }
    }
}
