//! Reading orders: one by number, or a filtered page, with lines, payments, member and payer in a fixed
//! number of queries whatever the page size.

use super::OrderService;
use crate::OrdersError;
use crate::entity::{order, order_line, payment};
use crate::invoice::Invoice;
use crate::model::{Order, OrderFilter, OrderLine, Payment, Receiver};
use members::{Address, service as members_service};
use platform_core::Money;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait};
use std::collections::HashMap;

/// An order with its row id (the cursor of `orders`).
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRef {
    /// Row id: newer orders have larger ids.
    pub id: i64,
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
        before: Option<i64>,
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
            query = query.filter(order::Column::Id.lt(before));
        }
        let rows = query.all(&self.db).await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let orders = load_orders(&self.db, rows).await?;
        Ok(ids.into_iter().zip(orders).map(|(id, order)| OrderRef { id, order }).collect())
    }
}

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
    pub payer_customer_id: i64,
    /// The bound member's row id (holder of digital entitlements), if bound.
    pub member_id: Option<i64>,
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
                amount: Money::new(line.amount),
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
            amount: Money::new(line.amount),
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
            amount: Money::new(row.amount),
            paid_at: row.paid_at,
            capture: row.capture_status,
            // While CAPTURING the column holds what is being captured: shown once it is.
            captured_amount: row
                .captured_amount
                .filter(|_| row.capture_status == Some(crate::model::CaptureStatus::Captured))
                .map(Money::new),
            captured_at: row.captured_at,
        });
    }
    let member_ids: Vec<i64> = rows.iter().filter_map(|r| r.member_id).collect();
    let payer_ids: Vec<i64> = rows.iter().map(|r| r.payer_customer_id).collect();
    let (accounts, payers) = members_service::keys_of(db, &member_ids, &payer_ids).await?;
    rows.into_iter()
        .map(|row| {
            let order_no =
                row.order_no.clone().ok_or_else(|| anyhow::anyhow!("order {} has no number", row.id))?;
            Ok(Order {
                order_no,
                source: row.source,
                source_code: row.source_code,
                status: row.status,
                payment_status: row.payment_status,
                member_account: row.member_id.and_then(|id| accounts.get(&id).cloned()),
                payer_customer_no: payers.get(&row.payer_customer_id).cloned().unwrap_or_default(),
                receiver: Receiver {
                    name: row.receiver_name,
                    phone: row.receiver_phone,
                    mobile: row.receiver_mobile,
                    email: row.receiver_email,
                    address: Address {
                        country: row.receiver_country,
                        postal_code: row.receiver_postal_code,
                        city: row.receiver_city,
                        street: row.receiver_street,
                    },
                },
                total_amount: Money::new(row.total_amount),
                shipping_fee: Money::new(row.shipping_fee),
                invoice: Invoice {
                    invoice_type: row.invoice_type,
                    title: row.invoice_title,
                    issue_type: row.invoice_issue_type,
                    vat: row.invoice_vat,
                    carrier_type: row.invoice_carrier_type,
                    carrier_code: row.invoice_carrier_code,
                    donation_code: row.invoice_donation_code,
                },
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
