//! Order transfer to the ERP (R21, seed 004 付款成功後流程): an order paid and with its entitlements computed
//! becomes ready once (`order.ready`, the ERP's T02 trigger, with what the ERP needs of the order); the
//! ERP confirms it with its own order number (`order.confirmed`, the EC's 訂單已成立); orders ready but not
//! confirmed in time are listed for the operators.

use super::append;
use super::create::paid_payload;
use super::load::{find_order, find_orders};
use super::refunds::locked_order;
use crate::OrdersError;
use crate::entity::order;
use crate::model::{Order, PaymentStatus};
use chrono::{DateTime, Utc};
use platform_core::db::begin_write;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;

/// Longest ERP order number.
const MAX_ERP_ORDER_NO: usize = 40;

/// Marks the paid orders among `order_nos` ready for the ERP, each once: the ones that were not ready yet
/// get `ready_at` and an `order.ready` event, in one transaction. Returns the orders marked now.
pub async fn mark_ready(
    db: &DatabaseConnection,
    order_nos: &[&str],
    at: DateTime<Utc>,
) -> Result<Vec<String>, OrdersError> {
    if order_nos.is_empty() {
        return Ok(Vec::new());
    }
    // The R3 sweep asks for every paid order of the week every minute: a read finds the few not ready yet,
    // and only they take a write transaction.
    let waiting: Vec<Option<String>> = order::Entity::find()
        .select_only()
        .column(order::Column::OrderNo)
        .filter(order::Column::OrderNo.is_in(order_nos.iter().copied()))
        .filter(order::Column::PaymentStatus.eq(PaymentStatus::Paid))
        .filter(order::Column::CancelledAt.is_null())
        .filter(order::Column::ReadyAt.is_null())
        .into_tuple()
        .all(db)
        .await?;
    if waiting.is_empty() {
        return Ok(Vec::new());
    }
    let txn = begin_write(db).await?;
    let marked: Vec<String> = order::Entity::update_many()
        .col_expr(order::Column::ReadyAt, Expr::value(at))
        .col_expr(order::Column::UpdatedAt, Expr::value(at))
        .filter(order::Column::OrderNo.is_in(order_nos.iter().copied()))
        .filter(order::Column::PaymentStatus.eq(PaymentStatus::Paid))
        .filter(order::Column::CancelledAt.is_null())
        .filter(order::Column::ReadyAt.is_null())
        .exec_with_returning(&txn)
        .await?
        .into_iter()
        .filter_map(|row| row.order_no)
        .collect();
    let refs: Vec<&str> = marked.iter().map(String::as_str).collect();
    let orders = find_orders(&txn, &refs).await?;
    for order_no in &marked {
        if let Some(order) = orders.get(order_no) {
            append(&txn, "order.ready", order_no, ready_payload(order), at).await?;
        }
    }
    txn.commit().await?;
    Ok(marked)
}

/// What the ERP gets with `order.ready`: the paid order's lines and amounts, its payer and receiver.
fn ready_payload(order: &Order) -> serde_json::Value {
    let mut payload = paid_payload(order, order.payments.first().map(|p| p.transaction_id.as_str()));
    payload["source"] = json!(sea_orm::ActiveEnum::to_value(&order.source));
    payload["sourceCode"] = json!(order.source_code);
    payload["shippingFee"] = json!(order.shipping_fee.amount());
    payload["receiver"] = json!({
        "name": order.receiver.name, "phone": order.receiver.phone, "mobile": order.receiver.mobile,
        "email": order.receiver.email, "address": order.receiver.address,
    });
    payload["paidAt"] = json!(order.paid_at);
    payload
}

/// The ERP confirms the transfer of ready order `order_no` under its number `erp_order_no`: the order
/// keeps it and `order.confirmed` is emitted. The same confirmation again answers the order as it is
/// (nothing written); another number for the same order, or the number of another order, is `CONFLICT`; an
/// order not ready yet is `CONFLICT`.
pub async fn confirm_erp_transfer(
    db: &DatabaseConnection,
    order_no: &str,
    erp_order_no: &str,
    at: DateTime<Utc>,
) -> Result<Order, OrdersError> {
    let erp_order_no = erp_order_no.trim();
    if erp_order_no.is_empty() || erp_order_no.chars().count() > MAX_ERP_ORDER_NO {
        return Err(OrdersError::invalid("erpOrderNo", format!("must be 1–{MAX_ERP_ORDER_NO} characters")));
    }
    members::validate::text("erpOrderNo", erp_order_no, MAX_ERP_ORDER_NO)?;
    let txn = begin_write(db).await?;
    let row = locked_order(&txn, order_no).await?;
    if let Some(existing) = row.erp_order_no.as_deref() {
        txn.rollback().await?;
        if existing == erp_order_no {
            return loaded(db, order_no).await;
        }
        return Err(OrdersError::conflict(
            "erpOrderNo",
            format!("order {order_no} was confirmed by the ERP as {existing}, not {erp_order_no}"),
        ));
    }
    if row.cancelled_at.is_some() {
        txn.rollback().await?;
        return Err(OrdersError::conflict("orderNo", format!("order {order_no} is cancelled")));
    }
    if row.ready_at.is_none() {
        txn.rollback().await?;
        return Err(OrdersError::conflict(
            "orderNo",
            format!("order {order_no} is not ready for the ERP (paid, with its entitlements computed) yet"),
        ));
    }
    let taken = order::Entity::find()
        .select_only()
        .column(order::Column::OrderNo)
        .filter(order::Column::ErpOrderNo.eq(erp_order_no))
        .into_tuple::<Option<String>>()
        .one(&txn)
        .await?;
    if let Some(other) = taken {
        txn.rollback().await?;
        return Err(OrdersError::conflict(
            "erpOrderNo",
            format!("ERP order {erp_order_no} is order {} already", other.unwrap_or_default()),
        ));
    }
    order::Entity::update_many()
        .col_expr(order::Column::ErpOrderNo, Expr::value(erp_order_no))
        .col_expr(order::Column::ErpConfirmedAt, Expr::value(at))
        .col_expr(order::Column::UpdatedAt, Expr::value(at))
        .filter(order::Column::Id.eq(row.id))
        .exec(&txn)
        .await?;
    let payload = json!({ "orderNo": order_no, "erpOrderNo": erp_order_no, "confirmedAt": at });
    append(&txn, "order.confirmed", order_no, payload, at).await?;
    txn.commit().await?;
    loaded(db, order_no).await
}

async fn loaded(db: &impl ConnectionTrait, order_no: &str) -> Result<Order, OrdersError> {
    find_order(db, order_no)
        .await?
        .ok_or_else(|| OrdersError::not_found("orderNo", format!("no order {order_no}")))
}

/// Up to `limit` orders ready for the ERP before `ready_before` and not confirmed by it, oldest first.
pub async fn unconfirmed(
    db: &impl ConnectionTrait,
    ready_before: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<(String, DateTime<Utc>)>, OrdersError> {
    let rows: Vec<(Option<String>, Option<DateTime<Utc>>)> = order::Entity::find()
        .select_only()
        .column(order::Column::OrderNo)
        .column(order::Column::ReadyAt)
        .filter(order::Column::ReadyAt.lt(ready_before))
        .filter(order::Column::ErpOrderNo.is_null())
        .filter(order::Column::CancelledAt.is_null())
        .order_by_asc(order::Column::ReadyAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|(no, at)| Some((no?, at?))).collect())
}
