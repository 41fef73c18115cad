//! Reading orders: one by number, or a filtered page, with lines, payments, member and payer in a fixed
//! number of queries whatever the page size.

use super::OrderService;
use crate::OrdersError;
use crate::entity::{order, order_line, payment};
use crate::model::{Order, OrderFilter, OrderLine, Payment};
use members::service as members_service;
use platform_core::OrderId;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;

/// An order with its row id (the cursor of `orders`).
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRef {
    /// Row id: newer orders have larger ids.
    pub id: OrderId,
    /// The order.
    pub order: Order,
}

impl OrderService {
    /// The order with this number, or `None`.
    pub async fn find(&self, order_no: &str) -> Result<Option<Order>, OrdersError> {
        find_order(&self.db, order_no).await
    }

    /// Up to `limit` orders matching `filter`, newest first, older than the row id `before`.
    pub async fn list(
        &self,
        filter: &OrderFilter,
        before: Option<OrderId>,
        limit: u64,
    ) -> Result<Vec<OrderRef>, OrdersError> {
        let mut query = order::Entity::find().order_by_desc(order::Column::Id).limit(limit);
        if let Some(account) = &filter.member {
            match members_service::member_id(&self.db, account).await? {
                Some(id) => query = query.filter(order::Column::MemberId.eq(id)),
                None => return Ok(Vec::new()),
            }
        }
        if let Some(customer_no) = &filter.customer_no {
            match members_service::customer_id(&self.db, customer_no).await? {
                Some(id) => query = query.filter(order::Column::PayerCustomerId.eq(id)),
                None => return Ok(Vec::new()),
            }
        }
        if let Some(source) = filter.source {
            query = query.filter(order::Column::Source.eq(source));
        }
        if let Some(status) = filter.status {
            query = query.filter(order::Column::Status.eq(status));
        }
        if let Some(payment_status) = filter.payment_status {
            query = query.filter(order::Column::PaymentStatus.eq(payment_status));
        }
        if let Some(from) = filter.created_from {
            query = query.filter(order::Column::CreatedAt.gte(self.calendar.start_of(from)));
        }
        if let Some(to) = filter.created_to.and_then(|d| d.succ_opt()) {
            query = query.filter(order::Column::CreatedAt.lt(self.calendar.start_of(to)));
        }
        if let Some(before) = before {
            query = query.filter(order::Column::Id.lt(before.0));
        }
        let rows = query.all(&self.db).await?;
        let ids: Vec<OrderId> = rows.iter().map(|r| OrderId(r.id)).collect();
        let orders = load_orders(&self.db, rows).await?;
        Ok(ids.into_iter().zip(orders).map(|(id, order)| OrderRef { id, order }).collect())
    }
}

/// The order of `source` with the channel's id `channel_order_id` (R21: an app store's original
/// transaction id), or `None`.
pub async fn find_by_channel(
    db: &impl ConnectionTrait,
    source: crate::OrderSource,
    channel_order_id: &str,
) -> Result<Option<Order>, OrdersError> {
    let row = order::Entity::find()
        .filter(order::Column::Source.eq(source))
        .filter(order::Column::ChannelOrderId.eq(channel_order_id))
        .one(db)
        .await?;
    Ok(match row {
        Some(row) => load_orders(db, vec![row]).await?.pop(),
        None => None,
    })
}

/// Order `order_no` with its lines and payments, or `None`.
pub async fn find_order(db: &impl ConnectionTrait, order_no: &str) -> Result<Option<Order>, OrdersError> {
    Ok(find_orders(db, &[order_no]).await?.remove(order_no))
}

/// The orders with these numbers, by number (absent ones left out), in a fixed number of queries per 500.
pub async fn find_orders(
    db: &impl ConnectionTrait,
    order_nos: &[&str],
) -> Result<HashMap<String, Order>, OrdersError> {
    let mut found = HashMap::new();
    for chunk in order_nos.chunks(500) {
        let rows =
            order::Entity::find().filter(order::Column::OrderNo.is_in(chunk.iter().copied())).all(db).await?;
        found.extend(load_orders(db, rows).await?.into_iter().map(|o| (o.order_no.clone(), o)));
    }
    Ok(found)
}

pub(super) async fn order_row(
    db: &impl ConnectionTrait,
    order_no: &str,
) -> Result<Option<order::Model>, OrdersError> {
    Ok(order::Entity::find().filter(order::Column::OrderNo.eq(order_no)).one(db).await?)
}

/// Orders of `rows` in the same order, with everything they show.
pub(super) async fn load_orders(
    db: &impl ConnectionTrait,
    rows: Vec<order::Model>,
) -> Result<Vec<Order>, OrdersError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut lines: HashMap<i64, Vec<OrderLine>> = HashMap::new();
    for line in order_line::Entity::find()
        .filter(order_line::Column::OrderId.is_in(ids.clone()))
        .order_by_asc(order_line::Column::OrderId)
        .order_by_asc(order_line::Column::Position)
        .all(db)
        .await?
    {
        lines.entry(line.order_id).or_default().push(OrderLine {
            position: line.position,
            input_line: line.input_line,
            item_no: line.item_no,
            promotion_code: line.promotion_code,
            category: line.category,
            product_code: line.product_code,
            quantity: line.quantity,
            returned_quantity: line.returned_quantity,
            shipped_quantity: line.shipped_quantity,
            amount: line.amount,
            status: line.status,
            subinventory: line.subinventory,
        });
    }
    let mut payments: HashMap<i64, Vec<Payment>> = HashMap::new();
    for row in payment::Entity::find()
        .filter(payment::Column::OrderId.is_in(ids))
        .order_by_asc(payment::Column::Id)
        .all(db)
        .await?
    {
        payments.entry(row.order_id).or_default().push(Payment {
            transaction_id: row.transaction_id,
            status: row.status,
            amount: row.amount,
            paid_at: row.paid_at,
            capture: row.capture_status,
            // While CAPTURING the column holds what is being captured: shown once it is.
            captured_amount: row
                .captured_amount
                .filter(|_| row.capture_status == Some(crate::model::CaptureStatus::Captured)),
            captured_at: row.captured_at,
        });
    }
    let member_ids: Vec<_> = rows.iter().filter_map(|r| r.member_id).collect();
    let payer_ids: Vec<_> = rows.iter().map(|r| r.payer_customer_id).collect();
    let (accounts, payers) = members_service::keys_of(db, &member_ids, &payer_ids).await?;
    rows.into_iter()
        .map(|mut row| {
            let order_no =
                row.order_no.clone().ok_or_else(|| anyhow::anyhow!("order {} has no number", row.id))?;
            let (receiver, invoice) = super::columns::take(&mut row);
            Ok(Order {
                order_no,
                source: row.source,
                source_code: row.source_code,
                status: row.status,
                payment_status: row.payment_status,
                member_account: row.member_id.and_then(|id| accounts.get(&id).cloned()),
                payer_customer_no: payers.get(&row.payer_customer_id).cloned().unwrap_or_default(),
                receiver,
                total_amount: row.total_amount,
                shipping_fee: row.shipping_fee,
                invoice,
                payment_method: row.payment_method,
                has_payment_token: row.payment_token.is_some(),
                card_last4: row.card_last4,
                complimentary: row.complimentary,
                lines: lines.remove(&row.id).unwrap_or_default(),
                payments: payments.remove(&row.id).unwrap_or_default(),
                paid_at: row.paid_at,
                cancelled_at: row.cancelled_at,
                ready_at: row.ready_at,
                erp_order_no: row.erp_order_no.clone(),
                erp_confirmed_at: row.erp_confirmed_at,
                shipped_at: row.shipped_at,
                channel_order_id: row.channel_order_id.clone(),
                created_at: row.created_at,
                updated_at: row.updated_at,
            })
        })
        .collect()
}
