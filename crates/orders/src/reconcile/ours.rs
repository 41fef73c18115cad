//! Our side of a reconciliation: the payments captured, by transaction, with their order numbers.

use super::CHUNK;
use crate::OrdersError;
use crate::entity::{order, payment};
use crate::model::CaptureStatus;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationDef};
use std::collections::HashMap;

/// A payment of ours: its order and what we captured.
pub(super) struct Ours {
    pub(super) order_no: String,
    pub(super) captured: i64,
}

/// Our payments captured in `[from, until)`, by transaction.
pub(super) async fn captured_between(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<HashMap<String, Ours>, OrdersError> {
    let rows = with_orders()
        .filter(payment::Column::CapturedAt.gte(from))
        .filter(payment::Column::CapturedAt.lt(until))
        .into_tuple()
        .all(db)
        .await?;
    Ok(by_transaction(rows))
}

/// Our captured payments of `transactions`, by transaction.
pub(super) async fn payments_of(
    db: &impl ConnectionTrait,
    transactions: &[&str],
) -> Result<HashMap<String, Ours>, OrdersError> {
    let mut rows = Vec::new();
    for chunk in transactions.chunks(CHUNK) {
        let found: Vec<Row> = with_orders()
            .filter(payment::Column::TransactionId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        rows.extend(found);
    }
    Ok(by_transaction(rows))
}

/// A captured payment: transaction, order number, captured and paid amounts.
type Row = (String, Option<String>, Option<i64>, i64);

/// Captured payments joined to their orders' numbers, in one query.
fn with_orders() -> sea_orm::Select<payment::Entity> {
    let of_order: RelationDef = payment::Entity::belongs_to(order::Entity)
        .from(payment::Column::OrderId)
        .to(order::Column::Id)
        .into();
    payment::Entity::find()
        .select_only()
        .column(payment::Column::TransactionId)
        .column(order::Column::OrderNo)
        .column(payment::Column::CapturedAmount)
        .column(payment::Column::Amount)
        .join(JoinType::InnerJoin, of_order)
        .filter(payment::Column::CaptureStatus.eq(CaptureStatus::Captured))
}

fn by_transaction(rows: Vec<Row>) -> HashMap<String, Ours> {
    rows.into_iter()
        .map(|(transaction_id, order_no, captured, amount)| {
            (
                transaction_id,
                Ours { order_no: order_no.unwrap_or_default(), captured: captured.unwrap_or(amount) },
            )
        })
        .collect()
}
