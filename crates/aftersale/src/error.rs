//! Errors of the after-sale flows: the domain's own, with their codes.

use platform_core::ErrorCode;
use platform_core::error::HasErrorCode;

/// What can go wrong after the sale.
#[derive(Debug, thiserror::Error)]
pub enum AfterSaleError {
    /// From orders (bad lines or amounts, not found, a conflict).
    #[error(transparent)]
    Orders(#[from] orders::OrdersError),
    /// From entitlements.
    #[error(transparent)]
    Entitlements(#[from] entitlements::EntitlementsError),
    /// From renewals (a renewal being charged right now).
    #[error(transparent)]
    Renewals(#[from] renewals::RenewalsError),
    /// Another domain's outcome, with its own code (a catalog `NOT_FOUND` stays `NOT_FOUND`).
    #[error(transparent)]
    Passed(#[from] platform_core::error::Passed),
    /// Anything else.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for AfterSaleError {
    fn from(err: sea_orm::DbErr) -> Self {
        AfterSaleError::Unexpected(anyhow::Error::new(err).context("after-sale database"))
    }
}

platform_core::pass_through!(AfterSaleError::Passed <- notify::NotifyError, members::MembersError);

impl HasErrorCode for AfterSaleError {
    fn code(&self) -> ErrorCode {
        match self {
            AfterSaleError::Orders(err) => err.code(),
            AfterSaleError::Entitlements(err) => err.code(),
            AfterSaleError::Renewals(err) => err.code(),
            AfterSaleError::Passed(err) => err.code(),
            AfterSaleError::Unexpected(_) => ErrorCode::Internal,
        }
    }
}
