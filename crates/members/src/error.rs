//! Errors of the members domain.

use crate::access::AccessError;
use crate::account::AccountError;
use platform_core::ErrorCode;
use platform_core::error::HasErrorCode;

/// What can go wrong with members and customers.
#[derive(Debug, thiserror::Error)]
pub enum MembersError {
    /// The input breaks a rule; `field` names it as the API does (`email`, `nineOneMemberInfo.email`).
    #[error("{field}: {message}")]
    Invalid {
        /// The offending field.
        field: String,
        /// Why.
        message: String,
    },
    /// The member or customer named does not exist.
    #[error("{what} {key} does not exist")]
    NotFound {
        /// `member` or `customer`.
        what: &'static str,
        /// The key that was looked up.
        key: String,
    },
    /// The request contradicts what is stored (an account or uuid that belongs to another member).
    #[error("{field}: {message}")]
    Conflict {
        /// The field in conflict.
        field: &'static str,
        /// Why.
        message: String,
    },
    /// The caller may not do this.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// Anything else: a database failure, a bug.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl MembersError {
    /// An invalid-input error.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        MembersError::Invalid { field: field.into(), message: message.into() }
    }
}

impl From<sea_orm::DbErr> for MembersError {
    fn from(err: sea_orm::DbErr) -> Self {
        MembersError::Unexpected(anyhow::Error::new(err).context("members database"))
    }
}

impl From<AccountError> for MembersError {
    fn from(err: AccountError) -> Self {
        // AccountError's message already starts with "account: ".
        let message = err.to_string();
        let message = message.strip_prefix("account: ").unwrap_or(&message).to_owned();
        MembersError::Invalid { field: "account".to_owned(), message }
    }
}

impl HasErrorCode for MembersError {
    fn code(&self) -> ErrorCode {
        match self {
            MembersError::Invalid { .. } => ErrorCode::BadUserInput,
            MembersError::NotFound { .. } => ErrorCode::NotFound,
            MembersError::Conflict { .. } => ErrorCode::Conflict,
            MembersError::Access(err) => err.code(),
            MembersError::Unexpected(_) => ErrorCode::Internal,
        }
    }
}
