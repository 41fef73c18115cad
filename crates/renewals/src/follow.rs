//! **R19/R20 → R5:** after a cancellation, return or suspension moved entitlements, in the same transaction:
//! the renewals of the holders whose entitlements changed move their deduct dates to what R5 now gives, and the
//! renewals a cancelled order opened (R7) stop — nothing is charged for an order that was given back.

use crate::entity::renewal;
use crate::service::{ensure_idle, holder_deduct_date, move_deduct_date};
use crate::store::{event, status_of};
use crate::{RenewalStatus, RenewalsError};
use chrono::{DateTime, Utc};
use entitlements::DueChange;
use platform_core::RenewalId;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter,
};
use serde_json::json;

const LIVE: [RenewalStatus; 2] = [RenewalStatus::Pending, RenewalStatus::Failed];

fn live_codes() -> Vec<i16> {
    LIVE.iter().map(|s| i16::from(s.code())).collect()
}

/// Moves the deduct dates of the live renewals covering what `changed` moved; the number moved. A renewal
/// being charged right now keeps its date (its next cycle follows R5).
pub async fn follow_due_changes(
    txn: &impl ConnectionTrait,
    changed: &[DueChange],
    at: DateTime<Utc>,
) -> Result<u32, RenewalsError> {
    let mut moved = 0;
    for change in changed {
        let mut query = renewal::Entity::find().filter(renewal::Column::RenewStatus.is_in(live_codes()));
        query = match (change.holder_customer_id, change.holder_member_id) {
            (Some(customer), _) => query.filter(renewal::Column::CustomerId.eq(customer)),
            (None, Some(member)) => query.filter(renewal::Column::MemberId.eq(member)),
            (None, None) => continue,
        };
        for row in query.all(txn).await? {
            if !row.product_codes.contains(&change.product_code) {
                continue;
            }
            if ensure_idle(txn, &row).await.is_err() {
                continue;
            }
            let Some(deduct) = holder_deduct_date(txn, &row).await? else { continue };
            if deduct != row.deduct_date {
                move_deduct_date(txn, row, deduct, at).await?;
                moved += 1;
            }
        }
    }
    Ok(moved)
}

/// Stops the live renewals order `order_no` opened, because it was cancelled; their ids. A renewal being
/// charged right now is a CONFLICT (the whole cancellation is tried again later).
pub async fn stop_opened_by(
    txn: &impl ConnectionTrait,
    order_no: &str,
    at: DateTime<Utc>,
) -> Result<Vec<RenewalId>, RenewalsError> {
    let rows = renewal::Entity::find()
        .filter(renewal::Column::OriginOrderNo.eq(order_no))
        .filter(renewal::Column::RenewStatus.is_in(live_codes()))
        .all(txn)
        .await?;
    let mut stopped = Vec::with_capacity(rows.len());
    for row in rows {
        status_of(&row)?;
        ensure_idle(txn, &row).await?;
        let mut next = row.into_active_model();
        next.renew_status = Set(i16::from(RenewalStatus::Stopped.code()));
        next.cancel_reason = Set(Some(crate::cancel::CancelReason::Other.as_str().to_owned()));
        next.cancel_note = Set(Some(format!("order {order_no} was cancelled")));
        next.next_retry_on = Set(None);
        next.updated_at = Set(at);
        let row = next.update(txn).await?;
        let extra = json!({ "reason": "OTHER", "note": row.cancel_note, "effective": "IMMEDIATE", "orderNo": order_no });
        event(txn, "renewal.cancelled", &row, extra, at).await?;
        stopped.push(RenewalId(row.id));
    }
    Ok(stopped)
}
