//! What other domains read of paid orders: their lines for the grants (R3), paid transactions for the
//! charge run, the saved card token and the orders a renewal may be created from (R7).

use super::load::order_row;
use crate::OrdersError;
use crate::entity::{order, order_line, payment};
use platform_core::Money;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait};
use std::collections::HashMap;

/// A line of a paid order, as entitlements need it (R3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidLine {
    /// The line's row id: the grant ledger's key.
    pub line_id: i64,
    /// The order.
    pub order_no: String,
    /// The item.
    pub item_no: String,
    /// Units not returned.
    pub quantity: i32,
    /// Its position in the order.
    pub position: i32,
    /// Units bought.
    pub bought: i32,
    /// Paid for the whole line (all units bought).
    pub amount: Money,
    /// The paying customer's row id (holder of print entitlements).
    pub payer_customer_id: platform_core::CustomerId,
    /// The bound member's row id (holder of digital entitlements), if bound.
    pub member_id: Option<platform_core::MemberId>,
    /// A gift order.
    pub complimentary: bool,
    /// When it was paid.
    pub paid_at: chrono::DateTime<chrono::Utc>,
}

/// The lines of order `order_no` if it is paid (none otherwise), in order.
pub async fn paid_lines(db: &impl ConnectionTrait, order_no: &str) -> Result<Vec<PaidLine>, OrdersError> {
    paid_lines_of(db, &[order_no.to_owned()]).await
}

/// The lines of the paid orders among `order_nos` that stand (not cancelled), by order then position, each
/// with the units not returned: two queries for any number.
pub async fn paid_lines_of(
    db: &impl ConnectionTrait,
    order_nos: &[String],
) -> Result<Vec<PaidLine>, OrdersError> {
    let mut found = Vec::new();
    for chunk in order_nos.chunks(500) {
        let orders: HashMap<i64, order::Model> = order::Entity::find()
            .filter(order::Column::OrderNo.is_in(chunk.iter().map(String::as_str)))
            .filter(order::Column::PaymentStatus.eq(crate::PaymentStatus::Paid))
            .filter(order::Column::Status.ne(crate::OrderStatus::Cancelled))
            // The ERP's history carries no grants: its entitlements come from the ERP's own files.
            .filter(order::Column::Source.ne(crate::OrderSource::Import))
            .all(db)
            .await?
            .into_iter()
            .map(|row| (row.id, row))
            .collect();
        let lines = order_line::Entity::find()
            .filter(order_line::Column::OrderId.is_in(orders.keys().copied()))
            .order_by_asc(order_line::Column::OrderId)
            .order_by_asc(order_line::Column::Position)
            .all(db)
            .await?;
        for line in lines {
            let Some(row) = orders.get(&line.order_id) else { continue };
            let (Some(order_no), Some(paid_at)) = (row.order_no.clone(), row.paid_at) else { continue };
            // R19: what came back is not granted.
            let quantity = line.quantity - line.returned_quantity;
            if quantity <= 0 {
                continue;
            }
            found.push(PaidLine {
                line_id: line.id,
                order_no,
                item_no: line.item_no,
                quantity,
                position: line.position,
                bought: line.quantity,
                amount: line.amount,
                payer_customer_id: row.payer_customer_id,
                member_id: row.member_id,
                complimentary: row.complimentary,
                paid_at,
            });
        }
    }
    Ok(found)
}

/// Numbers of the orders paid at or after `since`, oldest first (the entitlement sweep's work list).
pub async fn paid_since(
    db: &impl ConnectionTrait,
    since: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<String>, OrdersError> {
    let rows = order::Entity::find()
        .filter(order::Column::PaymentStatus.eq(crate::PaymentStatus::Paid))
        .filter(order::Column::PaidAt.gte(since))
        .order_by_asc(order::Column::PaidAt)
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|r| r.order_no).collect())
}

/// The transaction id of the PAID payment of each of `order_nos` that is paid, by order number: our own
/// record of a charge, which a reconciler trusts before asking the gateway.
pub async fn paid_transactions(
    db: &impl ConnectionTrait,
    order_nos: &[&str],
) -> Result<HashMap<String, String>, OrdersError> {
    let mut found = HashMap::new();
    for chunk in order_nos.chunks(500) {
        let ids: HashMap<i64, String> = order::Entity::find()
            .select_only()
            .column(order::Column::Id)
            .column(order::Column::OrderNo)
            .filter(order::Column::OrderNo.is_in(chunk.iter().copied()))
            .filter(order::Column::PaymentStatus.eq(crate::PaymentStatus::Paid))
            .into_tuple::<(i64, Option<String>)>()
            .all(db)
            .await?
            .into_iter()
            .filter_map(|(id, no)| no.map(|no| (id, no)))
            .collect();
        if ids.is_empty() {
            continue;
        }
        let paid: Vec<(i64, String)> = payment::Entity::find()
            .select_only()
            .column(payment::Column::OrderId)
            .column(payment::Column::TransactionId)
            .filter(payment::Column::OrderId.is_in(ids.keys().copied()))
            .filter(payment::Column::Status.eq(crate::PaymentResult::Paid))
            .into_tuple()
            .all(db)
            .await?;
        found.extend(paid.into_iter().filter_map(|(id, tx)| ids.get(&id).map(|no| (no.clone(), tx))));
    }
    Ok(found)
}

/// The saved gateway token of order `order_no`, for the renewal that charges the card again. Never
/// returned over the API.
pub async fn payment_token_of(
    db: &impl ConnectionTrait,
    order_no: &str,
) -> Result<Option<String>, OrdersError> {
    Ok(order_row(db, order_no).await?.and_then(|row| row.payment_token).map(|t| t.expose().to_owned()))
}

/// R7's work list: numbers of the orders paid at or after `since` that are bound to a member, not AUTO or IMPORT
/// (the charge run renews those itself), not complimentary, and have a line of one of `promotion_codes`,
/// oldest first.
pub async fn renewal_candidates(
    db: &impl ConnectionTrait,
    since: chrono::DateTime<chrono::Utc>,
    promotion_codes: &[String],
) -> Result<Vec<String>, OrdersError> {
    if promotion_codes.is_empty() {
        return Ok(Vec::new());
    }
    let with_promotion = order_line::Entity::find()
        .select_only()
        .column(order_line::Column::OrderId)
        .filter(order_line::Column::PromotionCode.is_in(promotion_codes.iter().map(String::as_str)))
        .into_query();
    let rows = order::Entity::find()
        .select_only()
        .column(order::Column::OrderNo)
        .filter(order::Column::Id.in_subquery(with_promotion))
        .filter(order::Column::PaymentStatus.eq(crate::PaymentStatus::Paid))
        .filter(order::Column::PaidAt.gte(since))
        .filter(order::Column::MemberId.is_not_null())
        // AUTO orders are renewed by the charge run, the ERP's history by its `renewals-erp` file.
        .filter(order::Column::Source.is_not_in([crate::OrderSource::Auto, crate::OrderSource::Import]))
        .filter(order::Column::Complimentary.eq(false))
        .order_by_asc(order::Column::PaidAt)
        .into_tuple::<Option<String>>()
        .all(db)
        .await?;
    Ok(rows.into_iter().flatten().collect())
}
