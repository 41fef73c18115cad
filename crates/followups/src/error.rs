//! Errors of the follow-up queue.

use platform_core::ErrorCode;
use platform_core::error::HasErrorCode;

/// What can go wrong with a follow-up.
#[derive(Debug, thiserror::Error)]
pub enum FollowUpError {
    /// The input breaks a rule; `field` names it.
    #[error("{field}: {message}")]
    Invalid {
        /// The offending field.
        field: &'static str,
        /// Why.
        message: String,
    },
    /// No such follow-up.
    #[error("id: no follow-up {0}")]
    NotFound(i64),
    /// The change does not fit where the follow-up stands (a note on a resolved one, resolving twice).
    #[error("status: the follow-up is {status}; {message}")]
    Conflict {
        /// Where it stands.
        status: &'static str,
        /// What was refused.
        message: String,
    },
    /// Anything else.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl FollowUpError {
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        FollowUpError::Invalid { field, message: message.into() }
    }
}

impl From<sea_orm::DbErr> for FollowUpError {
    fn from(err: sea_orm::DbErr) -> Self {
        FollowUpError::Unexpected(anyhow::Error::new(err).context("follow-ups database"))
    }
}

impl HasErrorCode for FollowUpError {
    fn code(&self) -> ErrorCode {
        match self {
            FollowUpError::Invalid { .. } => ErrorCode::BadUserInput,
            FollowUpError::NotFound(_) => ErrorCode::NotFound,
            FollowUpError::Conflict { .. } => ErrorCode::Conflict,
            FollowUpError::Unexpected(_) => ErrorCode::Internal,
        }
    }
}
