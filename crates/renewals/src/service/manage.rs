//! Stopping a renewal and changing its card, each refused while a charge is open.

use super::{Renewal, find_renewal, to_renewal};
use crate::entity::renewal;
use crate::store::{event, status_of};
use crate::{RenewalStatus, RenewalsError};
use chrono::{DateTime, Utc};
use members::Principal;
use platform_core::RenewalId;
use platform_core::db::begin_write;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, IntoActiveModel};
use serde_json::json;

/// Stops a pending or failed renewal (status 0) that `caller` may act on; `renewal.stopped`.
pub async fn stop_renewal(
    db: &DatabaseConnection,
    caller: &Principal,
    id: RenewalId,
    at: DateTime<Utc>,
) -> Result<Renewal, RenewalsError> {
    let txn = begin_write(db).await?;
    let row = crate::access::require(&txn, caller, id).await?;
    ensure_idle(&txn, &row).await?;
    let status = status_of(&row)?;
    if status == RenewalStatus::Stopped {
        drop(txn);
        return find_renewal(db, id).await?.ok_or_else(|| anyhow::anyhow!("renewal vanished").into());
    }
    if !matches!(status, RenewalStatus::Pending | RenewalStatus::Failed) {
        return Err(RenewalsError::Conflict(format!(
            "renewal {id} is {status:?}; only pending or failed renewals stop"
        )));
    }
    let mut next = row.into_active_model();
    next.renew_status = Set(i16::from(RenewalStatus::Stopped.code()));
    next.updated_at = Set(at);
    let stopped = next.update(&txn).await?;
    event(&txn, "renewal.stopped", &stopped, json!({}), at).await?;
    let renewal = to_renewal(&txn, stopped).await?;
    txn.commit().await?;
    Ok(renewal)
}

/// Replaces the card of a pending or failed renewal that `caller` may act on: a new gateway token and, optionally, its last 4 digits.
/// `renewal.payment_updated` (without the token).
pub async fn update_payment(
    db: &DatabaseConnection,
    caller: &Principal,
    id: RenewalId,
    payment_token: &str,
    card_last4: Option<&str>,
    at: DateTime<Utc>,
) -> Result<Renewal, RenewalsError> {
    let token = payment_token.trim();
    if token.is_empty() || token.len() > 256 || token.chars().any(char::is_control) {
        return Err(RenewalsError::Invalid {
            field: "paymentToken",
            message: "must be 1-256 characters, without control characters".into(),
        });
    }
    check_card(card_last4)?;
    let txn = begin_write(db).await?;
    let row = crate::access::require(&txn, caller, id).await?;
    ensure_idle(&txn, &row).await?;
    let status = status_of(&row)?;
    if !matches!(status, RenewalStatus::Pending | RenewalStatus::Failed) {
        return Err(RenewalsError::Conflict(format!(
            "renewal {id} is {status:?}; only pending or failed renewals take a new card"
        )));
    }
    let mut next = row.into_active_model();
    next.payment_token = Set(Some(platform_core::tokens::Token::new(token)));
    next.payment_card = Set(card_last4.map(str::to_owned));
    next.updated_at = Set(at);
    let updated = next.update(&txn).await?;
    event(&txn, "renewal.payment_updated", &updated, json!({ "paymentCard": updated.payment_card }), at)
        .await?;
    let renewal = to_renewal(&txn, updated).await?;
    txn.commit().await?;
    Ok(renewal)
}

/// Refuses to touch a renewal while a charge of it is under way or its answer is not settled yet.
pub(crate) async fn ensure_idle(
    db: &impl ConnectionTrait,
    row: &renewal::Model,
) -> Result<(), RenewalsError> {
    let leased = row.lease_until.is_some_and(|until| until > Utc::now());
    if leased || crate::store::open_intent(db, row.id).await?.is_some() {
        return Err(RenewalsError::Conflict(format!(
            "renewal {} is being charged right now; try again in a few minutes",
            row.id
        )));
    }
    Ok(())
}

pub(super) fn check_card(card_last4: Option<&str>) -> Result<(), RenewalsError> {
    match card_last4 {
        Some(card) if card.len() != 4 || !card.chars().all(|c| c.is_ascii_digit()) => {
            Err(RenewalsError::Invalid {
                field: "cardLast4",
                message: "must be the last 4 digits of the card".into(),
            })
        }
        _ => Ok(()),
    }
}
