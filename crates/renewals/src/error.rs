//! Errors of renewals.

use platform_core::ErrorCode;
use platform_core::error::HasErrorCode;

/// What can go wrong with renewals.
#[derive(Debug, thiserror::Error)]
pub enum RenewalsError {
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
    /// The renewal is not in a state that allows this.
    #[error("{0}")]
    Conflict(String),
    /// Another domain's outcome, with its own code (a catalog `NOT_FOUND` stays `NOT_FOUND`).
    #[error(transparent)]
    Passed(#[from] platform_core::error::Passed),
    /// Anything else.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for RenewalsError {
    fn from(err: sea_orm::DbErr) -> Self {
        RenewalsError::Unexpected(anyhow::Error::new(err).context("renewals database"))
    }
}

platform_core::pass_through!(
    RenewalsError::Passed <- catalog::CatalogError,
    members::MembersError,
    entitlements::EntitlementsError,
    orders::OrdersError,
    notify::NotifyError,
);

impl HasErrorCode for RenewalsError {
    fn code(&self) -> ErrorCode {
        match self {
            RenewalsError::Invalid { .. } => ErrorCode::BadUserInput,
            RenewalsError::NotFound { .. } => ErrorCode::NotFound,
            RenewalsError::Conflict(_) => ErrorCode::Conflict,
            RenewalsError::Passed(err) => err.code(),
            RenewalsError::Unexpected(_) => ErrorCode::Internal,
        }
    }
}
