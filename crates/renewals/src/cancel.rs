//! **R20, cancelling a subscription at the end of its term** (seed 000 tasks 9–10, 解約): the renewal stops —
//! the charge run never charges it — and the access already paid lasts to its due date. The reason is one of
//! a fixed list, with the payer's or operator's words beside it; an event and an e-mail confirm it.
//! Cancelling a cancelled renewal answers it as it is. An IMMEDIATE cancellation (admins) stops it in the
//! after-sale flow's transaction, which takes the current term back and refunds its unused part.

use crate::RenewalsError;
use crate::service::Renewal;
use chrono::{DateTime, Utc};
use members::Principal;
use platform_core::RenewalId;
use platform_core::db::begin_write;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait};

/// Why a subscription is cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelReason {
    /// Too expensive.
    Price,
    /// Not reading / using it.
    NotUsing,
    /// The content.
    Content,
    /// Delivery problems.
    Delivery,
    /// Moving away.
    Moving,
    /// A payment problem (a charge not recognised).
    Payment,
    /// Something else (say what in the note).
    Other,
}

impl CancelReason {
    /// Every reason.
    pub const ALL: [CancelReason; 7] = [
        CancelReason::Price,
        CancelReason::NotUsing,
        CancelReason::Content,
        CancelReason::Delivery,
        CancelReason::Moving,
        CancelReason::Payment,
        CancelReason::Other,
    ];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            CancelReason::Price => "PRICE",
            CancelReason::NotUsing => "NOT_USING",
            CancelReason::Content => "CONTENT",
            CancelReason::Delivery => "DELIVERY",
            CancelReason::Moving => "MOVING",
            CancelReason::Payment => "PAYMENT",
            CancelReason::Other => "OTHER",
        }
    }
}

/// Cancels renewal `id` (`caller` may act on it) at the end of its term, for `reason` (with `note`,
/// required for OTHER).
pub async fn at_term_end(
    db: &DatabaseConnection,
    caller: &Principal,
    id: RenewalId,
    reason: CancelReason,
    note: Option<&str>,
    settings: &platform_core::settings::RenewalSettings,
    at: DateTime<Utc>,
) -> Result<Renewal, RenewalsError> {
    let txn = begin_write(db).await?;
    crate::access::require(&txn, caller, id).await?;
    at_term_end_in(&txn, id, reason, note, settings, at).await?;
    txn.commit().await?;
    crate::change::found(db, id).await
}

/// [`at_term_end`] in the caller's transaction: the batch change with one request; `false` when it was
/// cancelled before (nothing written).
pub async fn at_term_end_in(
    txn: &impl ConnectionTrait,
    id: RenewalId,
    reason: CancelReason,
    note: Option<&str>,
    settings: &platform_core::settings::RenewalSettings,
    at: DateTime<Utc>,
) -> Result<bool, RenewalsError> {
    let change = crate::many::Change::Cancel { reason, note: note.map(str::to_owned), immediate: false };
    let mut answers = crate::many::change_many(txn, &[(id, change)], settings, at).await?;
    match answers.pop() {
        Some(Ok(crate::many::Done::Changed)) => Ok(true),
        Some(Ok(crate::many::Done::AsItWas)) | None => Ok(false),
        Some(Err(err)) => Err(err),
    }
}

/// An IMMEDIATE cancellation as the renewal sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Immediate {
    /// The renewal.
    pub renewal_id: RenewalId,
    /// The order that paid its current term (the after-sale flow takes it back and refunds its unused part).
    pub term_order_no: Option<String>,
    /// It was cancelled before: nothing was written.
    pub already: bool,
}

/// **IMMEDIATE** (admins): stops renewal `id` now in the caller's transaction `txn`, with its event and
/// e-mail; the after-sale flow revokes and refunds the current term in the same transaction.
pub async fn immediately(
    txn: &impl ConnectionTrait,
    id: RenewalId,
    reason: CancelReason,
    note: Option<&str>,
    settings: &platform_core::settings::RenewalSettings,
    at: DateTime<Utc>,
) -> Result<Immediate, RenewalsError> {
    let term_order_no = crate::entity::renewal::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| RenewalsError::NotFound { field: "renewalId", message: format!("no renewal {id}") })?
        .origin_order_no;
    let change = crate::many::Change::Cancel { reason, note: note.map(str::to_owned), immediate: true };
    let already = match crate::many::change_many(txn, &[(id, change)], settings, at).await?.pop() {
        Some(Ok(crate::many::Done::Changed)) => false,
        Some(Ok(crate::many::Done::AsItWas)) | None => true,
        Some(Err(err)) => return Err(err),
    };
    Ok(Immediate { renewal_id: id, term_order_no, already })
}

pub(crate) fn checked_note(reason: CancelReason, note: Option<&str>) -> Result<Option<&str>, RenewalsError> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 500 || n.chars().any(|c| c.is_control() && c != '\n')) {
        return Err(RenewalsError::Invalid {
            field: "note",
            message: "at most 500 characters, no control characters".into(),
        });
    }
    if reason == CancelReason::Other && note.is_none() {
        return Err(RenewalsError::Invalid {
            field: "note",
            message: "say why when the reason is OTHER".into(),
        });
    }
    Ok(note)
}
