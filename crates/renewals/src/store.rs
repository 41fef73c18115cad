//! The bottom layer of renewals: statements on the `renewals` and `renewal_charges` rows that every other
//! module shares — the stored status, the events of a renewal, the charge intents and their statuses.
//! Imports nothing from the rest of the crate but its entities and types.

use crate::entity::{charge, renewal};
use crate::{RenewalStatus, RenewalsError};
use chrono::{DateTime, Utc};
use platform_core::events::{self, NewEvent};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use std::collections::HashMap;

/// The status of a charge intent (`renewal_charges.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IntentStatus {
    /// Written before the gateway is called.
    Pending,
    /// The gateway's answer was lost; the reconciler asks it.
    Unknown,
    /// Charged.
    Approved,
    /// Refused.
    Declined,
    /// A temporary failure: nothing was charged.
    Error,
}

impl IntentStatus {
    /// The stored code.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            IntentStatus::Pending => "PENDING",
            IntentStatus::Unknown => "UNKNOWN",
            IntentStatus::Approved => "APPROVED",
            IntentStatus::Declined => "DECLINED",
            IntentStatus::Error => "ERROR",
        }
    }

    /// From the stored code.
    pub(crate) fn parse(raw: &str) -> Option<IntentStatus> {
        [Self::Pending, Self::Unknown, Self::Approved, Self::Declined, Self::Error]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// The status of a stored renewal. The column's CHECK keeps it to the seed codes 0–5; a code outside them
/// is corrupt data and an error, never silently PENDING (which would have it charged).
pub(crate) fn status_of(row: &renewal::Model) -> Result<RenewalStatus, RenewalsError> {
    stored_status(row.id, row.renew_status)
}

fn stored_status(id: i64, code: i16) -> Result<RenewalStatus, RenewalsError> {
    u8::try_from(code).ok().and_then(RenewalStatus::from_code).ok_or_else(|| {
        RenewalsError::Unexpected(anyhow::anyhow!("renewal {id} has the unknown status code {code}"))
    })
}

/// The stored code of `status`.
pub(crate) fn code(status: RenewalStatus) -> i16 {
    i16::from(status.code())
}

/// `value` as the JSON text of a column (a receiver, an invoice).
pub(crate) fn json<T: serde::Serialize>(value: T) -> Result<platform_core::json::JsonText<T>, RenewalsError> {
    Ok(platform_core::json::JsonText::new(value).map_err(anyhow::Error::new)?)
}

/// One renewal per creation key.
pub(crate) const CREATION_KEY: platform_core::db::UniqueKey =
    platform_core::db::UniqueKey { name: "ux_renewals_creation_key", columns: "renewals.creation_key" };

/// A second renewal with the same creation key is refused (unique index): `CONFLICT`.
pub(crate) fn key_taken(err: sea_orm::DbErr, key: Option<&str>) -> RenewalsError {
    match key {
        Some(key) if CREATION_KEY.violated_by(&err) => {
            RenewalsError::Conflict(format!("the renewal {key} exists already"))
        }
        _ => err.into(),
    }
}

/// Appends a renewal event (see [`event_of`]).
pub(crate) async fn event(
    db: &impl ConnectionTrait,
    event_type: &'static str,
    row: &renewal::Model,
    extra: serde_json::Value,
    at: DateTime<Utc>,
) -> Result<(), RenewalsError> {
    events::append(db, event_of(event_type, row, extra), at).await?;
    Ok(())
}

/// A renewal event: the renewal's id, plan, products, status and deduct date, plus `extra`.
pub(crate) fn event_of(event_type: &'static str, row: &renewal::Model, extra: serde_json::Value) -> NewEvent {
    let mut payload = json!({ "renewalId": row.id, "promotionCode": row.promotion_code, "productCodes": row.product_codes.to_string(),
                              "renewStatus": row.renew_status, "deductDate": row.deduct_date });
    if let (Some(target), Some(extra)) = (payload.as_object_mut(), extra.as_object()) {
        target.extend(extra.clone());
    }
    NewEvent { event_type, subject: format!("renewal:{}", row.id), payload }
}

/// The PENDING charge intent of `attempt`: its idempotency key `renewal-<id>-<attempt>` is what the
/// gateway charges at most once.
pub(crate) fn new_intent(
    renewal_id: i64,
    attempt: i32,
    order_no: &str,
    amount: platform_core::Money,
    at: DateTime<Utc>,
) -> charge::ActiveModel {
    charge::ActiveModel {
        renewal_id: Set(renewal_id),
        attempt: Set(attempt),
        idempotency_key: Set(format!("renewal-{renewal_id}-{attempt}")),
        order_no: Set(order_no.to_owned()),
        amount: Set(amount),
        status: Set(IntentStatus::Pending.as_str().to_owned()),
        created_at: Set(at),
        ..Default::default()
    }
}

/// The renewal's intent still waiting for an answer (PENDING or UNKNOWN), if any.
pub(crate) async fn open_intent(
    db: &impl ConnectionTrait,
    renewal_id: i64,
) -> Result<Option<charge::Model>, RenewalsError> {
    Ok(open_intents(db, &[renewal_id]).await?.remove(&renewal_id))
}

/// The open intent (PENDING or UNKNOWN) of each of `renewal_ids` that has one, by renewal id.
pub(crate) async fn open_intents(
    db: &impl ConnectionTrait,
    renewal_ids: &[i64],
) -> Result<HashMap<i64, charge::Model>, RenewalsError> {
    let mut open = HashMap::new();
    for chunk in renewal_ids.chunks(500) {
        let rows = charge::Entity::find()
            .filter(charge::Column::RenewalId.is_in(chunk.iter().copied()))
            .filter(
                charge::Column::Status
                    .is_in([IntentStatus::Pending.as_str(), IntentStatus::Unknown.as_str()]),
            )
            .order_by_asc(charge::Column::Attempt)
            .all(db)
            .await?;
        // The latest attempt wins.
        open.extend(rows.into_iter().map(|c| (c.renewal_id, c)));
    }
    Ok(open)
}

/// Marks intent `id` as `status` (still open or closed), with the gateway's reason when given.
pub(crate) async fn mark_intent(
    db: &impl ConnectionTrait,
    id: i64,
    status: IntentStatus,
    reason: Option<&str>,
) -> Result<(), RenewalsError> {
    charge::Entity::update_many()
        .col_expr(charge::Column::Status, Expr::value(status.as_str()))
        .col_expr(charge::Column::Reason, Expr::value(reason.map(clip)))
        .filter(charge::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Closes intent `id` as `status` with the gateway's transaction id or reason.
pub(crate) async fn close_intent(
    db: &impl ConnectionTrait,
    id: i64,
    status: IntentStatus,
    transaction_id: Option<&str>,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), RenewalsError> {
    charge::Entity::update_many()
        .col_expr(charge::Column::Status, Expr::value(status.as_str()))
        .col_expr(charge::Column::TransactionId, Expr::value(transaction_id.map(str::to_owned)))
        .col_expr(charge::Column::Reason, Expr::value(reason.map(clip)))
        .col_expr(charge::Column::SettledAt, Expr::value(Some(at)))
        .filter(charge::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// A reason as stored: at most 300 characters.
pub(crate) fn clip(reason: &str) -> String {
    reason.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r6_stored_codes_map_to_statuses_and_an_unknown_code_is_an_error() {
        for code in 0..=5 {
            assert_eq!(stored_status(1, code).unwrap().code(), u8::try_from(code).unwrap());
        }
        for code in [-1, 6, 99] {
            let err = stored_status(7, code).unwrap_err();
            assert!(err.to_string().contains("unknown status code"), "{err}");
            assert_eq!(platform_core::error::HasErrorCode::code(&err), platform_core::ErrorCode::Internal);
        }
    }
}
