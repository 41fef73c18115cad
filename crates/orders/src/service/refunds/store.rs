//! The refunds' rows: what is left of a payment, the order locked while it is decided, intents read and
//! marked, channel refunds recorded.

use super::{Refund, RefundStatus};
use crate::OrdersError;
use crate::entity::{order, payment, refund};
use crate::model::PaymentResult;
use chrono::{DateTime, Utc};
use platform_core::Money;
use platform_core::events::{self, NewEvent};
use sea_orm::ActiveEnum;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;

/// The row of order `order_no`, locked for the rest of the transaction on PostgreSQL (SQLite's write
/// transaction already excludes others).
pub(crate) async fn locked_order(
    txn: &impl ConnectionTrait,
    order_no: &str,
) -> Result<order::Model, OrdersError> {
    let mut query = order::Entity::find().filter(order::Column::OrderNo.eq(order_no));
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    query.one(txn).await?.ok_or_else(|| OrdersError::not_found("orderNo", format!("no order {order_no}")))
}

/// The paid payment of paid order `order_id` and what is left of it to refund (refunds settled or not,
/// except declined ones, count against it).
pub(crate) async fn left_to_refund(
    txn: &impl ConnectionTrait,
    order_id: i64,
) -> Result<(payment::Model, Money), OrdersError> {
    let paid = payment::Entity::find()
        .filter(payment::Column::OrderId.eq(order_id))
        .filter(payment::Column::Status.eq(PaymentResult::Paid))
        .order_by_asc(payment::Column::Id)
        .one(txn)
        .await?
        .ok_or_else(|| anyhow::anyhow!("paid order {order_id} has no paid payment"))?;
    let taken: i64 = refund::Entity::find()
        .filter(refund::Column::OrderId.eq(order_id))
        .filter(refund::Column::Status.ne(RefundStatus::Declined.as_str()))
        .all(txn)
        .await?
        .iter()
        .map(|r| r.amount.amount())
        .sum();
    // Negative when more was refunded than paid (never by us; a refund the gateway reported).
    let left = Money::new(paid.amount.amount() - taken);
    Ok((paid, left))
}

/// The refunds of order `order_no`, oldest first.
pub async fn refunds_of(db: &impl ConnectionTrait, order_no: &str) -> Result<Vec<Refund>, OrdersError> {
    let Some(id) = order::Entity::find()
        .select_only()
        .column(order::Column::Id)
        .filter(order::Column::OrderNo.eq(order_no))
        .into_tuple::<i64>()
        .one(db)
        .await?
    else {
        return Ok(Vec::new());
    };
    let rows = refund::Entity::find()
        .filter(refund::Column::OrderId.eq(id))
        .order_by_asc(refund::Column::Id)
        .all(db)
        .await?;
    rows.into_iter().map(|row| refund_from(row, order_no.to_owned())).collect()
}

pub(super) async fn find_intent(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<refund::Model>, OrdersError> {
    Ok(refund::Entity::find().filter(refund::Column::IdempotencyKey.eq(key)).one(db).await?)
}

pub(super) async fn mark(
    db: &impl ConnectionTrait,
    intent: refund::Model,
    status: RefundStatus,
) -> Result<refund::Model, OrdersError> {
    let mut row: refund::ActiveModel = intent.into();
    row.status = Set(status.as_str().to_owned());
    Ok(row.update(db).await?)
}

pub(super) fn refund_from(row: refund::Model, order_no: String) -> Result<Refund, OrdersError> {
    Ok(Refund {
        status: RefundStatus::parse(&row.status)?,
        idempotency_key: row.idempotency_key,
        order_no,
        amount: row.amount,
        reason: row.reason,
        refund_id: row.refund_id,
        decline_reason: row.decline_reason,
        created_at: row.created_at,
        settled_at: row.settled_at,
    })
}

/// Records a refund the channel made itself (APP, 91APP: the store gives the money back; seed 004), settled
/// as it is written, with its `payment.refunded` event: the gateway is never asked.
pub(crate) async fn record_channel_refund(
    txn: &impl ConnectionTrait,
    order: &order::Model,
    transaction_id: String,
    key: &str,
    amount: Money,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<(), OrdersError> {
    refund::ActiveModel {
        order_id: Set(order.id),
        idempotency_key: Set(key.to_owned()),
        transaction_id: Set(transaction_id),
        amount: Set(amount),
        reason: Set(reason.to_owned()),
        status: Set(RefundStatus::Refunded.as_str().to_owned()),
        created_at: Set(at),
        settled_at: Set(Some(at)),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let order_no = order.order_no.clone().unwrap_or_default();
    let event = NewEvent {
        event_type: "payment.refunded",
        subject: format!("order:{order_no}"),
        payload: json!({ "orderNo": order_no, "amount": amount, "idempotencyKey": key, "refundId": null,
                         "reason": reason, "byChannel": order.source.to_value() }),
    };
    events::append(txn, event, at).await?;
    Ok(())
}
