//! Errors of the orders domain.

use members::MembersError;
use platform_core::ErrorCode;
use platform_core::error::HasErrorCode;

/// What can go wrong with orders and payments.
#[derive(Debug, thiserror::Error)]
pub enum OrdersError {
    /// The input breaks a rule; `field` names it (`lines[1].amount`, `invoice.vat`).
    #[error("{field}: {message}")]
    Invalid {
        /// The offending field.
        field: String,
        /// Why.
        message: String,
    },
    /// Something the input names does not exist.
    #[error("{field}: {message}")]
    NotFound {
        /// The field naming it.
        field: String,
        /// What is missing.
        message: String,
    },
    /// The request contradicts what is stored.
    #[error("{field}: {message}")]
    Conflict {
        /// The field in conflict.
        field: String,
        /// Why.
        message: String,
    },
    /// From the members domain (payer, member, access).
    #[error(transparent)]
    Members(#[from] MembersError),
    /// Another domain's outcome, with its own code (a catalog `NOT_FOUND` stays `NOT_FOUND`).
    #[error(transparent)]
    Passed(#[from] platform_core::error::Passed),
    /// Anything else.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl OrdersError {
    /// An invalid-input error.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        OrdersError::Invalid { field: field.into(), message: message.into() }
    }

    /// A not-found error.
    pub fn not_found(field: impl Into<String>, message: impl Into<String>) -> Self {
        OrdersError::NotFound { field: field.into(), message: message.into() }
    }

    /// A conflict.
    pub fn conflict(field: impl Into<String>, message: impl Into<String>) -> Self {
        OrdersError::Conflict { field: field.into(), message: message.into() }
    }
}

impl From<sea_orm::DbErr> for OrdersError {
    fn from(err: sea_orm::DbErr) -> Self {
        OrdersError::Unexpected(anyhow::Error::new(err).context("orders database"))
    }
}

platform_core::pass_through!(OrdersError::Passed <- catalog::CatalogError);

impl HasErrorCode for OrdersError {
    fn code(&self) -> ErrorCode {
        match self {
            OrdersError::Invalid { .. } => ErrorCode::BadUserInput,
            OrdersError::NotFound { .. } => ErrorCode::NotFound,
            OrdersError::Conflict { .. } => ErrorCode::Conflict,
            OrdersError::Members(err) => err.code(),
            OrdersError::Passed(err) => err.code(),
            OrdersError::Unexpected(_) => ErrorCode::Internal,
        }
    }
}
