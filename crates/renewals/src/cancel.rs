//! **R20, cancelling a subscription at the end of its term** (seed 000 tasks 9–10, 解約): the renewal stops —
//! the charge run never charges it — and the access already paid lasts to its due date. The reason is one of
//! a fixed list, with the payer's or operator's words beside it; an event and an e-mail confirm it.
//! Cancelling a cancelled renewal answers it as it is. (An IMMEDIATE cancellation, with the unused part
//! revoked and refunded, is the after-sale issue's next part.)

use crate::change::finish;
use crate::service::{Renewal, find_renewal};
use crate::store::status_of;
use crate::{RenewalStatus, RenewalsError};
use chrono::{DateTime, Utc};
use platform_core::db::begin_write;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait, IntoActiveModel};
use serde_json::json;

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

/// Cancels renewal `id` at the end of its term, for `reason` (with `note`, required for OTHER).
pub async fn at_term_end(
    db: &DatabaseConnection,
    id: i64,
    reason: CancelReason,
    note: Option<&str>,
    settings: &platform_core::settings::RenewalSettings,
    at: DateTime<Utc>,
) -> Result<Renewal, RenewalsError> {
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
    let txn = begin_write(db).await?;
    let row = crate::entity::renewal::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| RenewalsError::NotFound { field: "renewalId", message: format!("no renewal {id}") })?;
    let status = status_of(&row)?;
    if status == RenewalStatus::Stopped && row.cancel_reason.is_some() {
        txn.rollback().await?;
        return find_renewal(db, id).await?.ok_or_else(|| anyhow::anyhow!("renewal {id} vanished").into());
    }
    // A failed renewal is cancelled too (it would only be retried).
    if !matches!(status, RenewalStatus::Pending | RenewalStatus::Failed) {
        return Err(RenewalsError::Conflict(format!(
            "renewal {id} is {status:?}; only pending or failed renewals cancel"
        )));
    }
    crate::service::ensure_idle(&txn, &row).await?;
    let access_until = row.deduct_date;
    let mut next = row.into_active_model();
    next.renew_status = Set(i16::from(RenewalStatus::Stopped.code()));
    next.cancel_reason = Set(Some(reason.as_str().to_owned()));
    next.cancel_note = Set(note.map(str::to_owned));
    next.next_retry_on = Set(None);
    next.updated_at = Set(at);
    let cancelled = next.update(&txn).await?;
    let extra = json!({ "reason": reason.as_str(), "note": note, "effective": "END_OF_TERM", "renewsNoMoreAfter": access_until });
    finish(txn, db, "renewal.cancelled", "CANCEL", cancelled, extra, settings, at).await
}
