//! Orders in batches, for the renewal charge run (R9): many AUTO orders written with multi-row inserts in
//! the caller's transaction, and their payment results recorded the same way. The rules are the ones of a
//! single order: the R1 split of the plan, R2 line statuses, order numbers from the row id, the same events.

use super::create::{line_rows, order_lines};
use super::payments::{PaymentRow, write_payments};
use super::{OrderService, order_subject};
use crate::OrdersError;
use crate::entity::{order, order_line};
use crate::invoice::Invoice;
use crate::model::{LineInput, Order, OrderSource, OrderStatus, PaymentResult, PaymentStatus, Receiver};
use crate::rules::order_number;
use chrono::{DateTime, SubsecRound, Utc};
use members::Account;
use platform_core::Money;
use platform_core::events::{self, NewEvent};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;
use std::collections::HashMap;

/// Rows per multi-row insert: the widest table (orders, ~35 columns) stays under SQLite's bind limit.
const CHUNK: usize = 500;

/// One AUTO order to create: the renewal plan as a single promotion line.
#[derive(Debug, Clone)]
pub struct AutoOrder {
    /// Unique per charge (the renewal's key); an existing order with it is reused.
    pub idempotency_key: String,
    /// Where it comes from, e.g. `renewal:42`.
    pub source_code: String,
    /// The payer's id and number.
    pub payer: (platform_core::CustomerId, String),
    /// The member's id and account.
    pub member: Option<(platform_core::MemberId, Account)>,
    /// Who receives it.
    pub receiver: Receiver,
    /// Invoice fields (validated when the origin order was).
    pub invoice: Invoice,
    /// The plan's promotion code.
    pub promotion_code: String,
    /// What the plan costs.
    pub amount: Money,
    /// Shipping fee.
    pub shipping_fee: Money,
    /// e.g. `CREDIT_CARD`.
    pub payment_method: Option<String>,
    /// The card charged (the renewal's token), so a refund of the order reaches it.
    pub payment_token: Option<platform_core::tokens::Token>,
    /// Its last 4 digits.
    pub card_last4: Option<String>,
}

/// A payment result to record.
#[derive(Debug, Clone)]
pub struct BatchPayment<'a> {
    /// The order as created.
    pub order: &'a Order,
    /// The gateway's transaction id (or the attempt's key for a decline).
    pub transaction_id: String,
    /// Paid or failed.
    pub status: PaymentResult,
    /// A paid one only authorised (`gateway.capture = DELAYED`): captured later by `CAPTURE_PAYMENTS`.
    pub authorised_only: bool,
}

/// The R1 split of each (plan, amount) of a batch, resolved before its transaction starts.
#[derive(Debug, Clone, Default)]
pub struct Plans(HashMap<(String, Money), Vec<crate::rules::ExpandedLine>>);

impl OrderService {
    /// Resolves and splits the plans of `orders` (through the catalog cache: call it before opening the
    /// transaction of [`OrderService::create_auto_batch`], so the transaction never waits for a second
    /// connection).
    pub async fn plans(&self, orders: &[AutoOrder]) -> Result<Plans, OrdersError> {
        let mut plans = HashMap::new();
        for input in orders {
            let key = (input.promotion_code.clone(), input.amount);
            if let std::collections::hash_map::Entry::Vacant(slot) = plans.entry(key) {
                let line = LineInput {
                    item_no: input.promotion_code.clone(),
                    quantity: 1,
                    amount: input.amount.amount(),
                };
                slot.insert(self.expand(&[line], None).await?);
            }
        }
        Ok(Plans(plans))
    }

    /// Creates `orders` in `txn` with their `plans` (reusing any that already exist under their keys) and
    /// returns them in the same order.
    pub async fn create_auto_batch(
        &self,
        txn: &impl ConnectionTrait,
        orders: &[AutoOrder],
        plans: &Plans,
        at: DateTime<Utc>,
    ) -> Result<Vec<Order>, OrdersError> {
        let at = at.trunc_subsecs(6);
        let mut created = Vec::with_capacity(orders.len());
        for chunk in orders.chunks(CHUNK) {
            created.extend(self.create_chunk(txn, chunk, plans, at).await?);
        }
        Ok(created)
    }

    async fn create_chunk(
        &self,
        txn: &impl ConnectionTrait,
        orders: &[AutoOrder],
        plans: &Plans,
        at: DateTime<Utc>,
    ) -> Result<Vec<Order>, OrdersError> {
        let keys: Vec<&str> = orders.iter().map(|o| o.idempotency_key.as_str()).collect();
        let existing: HashMap<String, String> = order::Entity::find()
            .select_only()
            .column(order::Column::IdempotencyKey)
            .column(order::Column::OrderNo)
            .filter(order::Column::IdempotencyKey.is_in(keys.iter().copied()))
            .into_tuple::<(String, Option<String>)>()
            .all(txn)
            .await?
            .into_iter()
            .filter_map(|(key, no)| no.map(|no| (key, no)))
            .collect();
        let fresh: Vec<&AutoOrder> =
            orders.iter().filter(|o| !existing.contains_key(&o.idempotency_key)).collect();
        let rows = fresh.iter().map(|input| {
            // Both come from a renewal's row, each within Money::MAX: the sum cannot overflow.
            let total = Money::new(input.amount.amount() + input.shipping_fee.amount());
            let mut row = order::ActiveModel {
                order_no: Set(None),
                idempotency_key: Set(input.idempotency_key.clone()),
                request_hash: Set(format!("auto:{}:{}", input.promotion_code, total.amount())),
                source: Set(OrderSource::Auto),
                source_code: Set(Some(input.source_code.clone())),
                status: Set(OrderStatus::Created),
                payment_status: Set(PaymentStatus::Pending),
                member_id: Set(input.member.as_ref().map(|(id, _)| *id)),
                payer_customer_id: Set(input.payer.0),
                total_amount: Set(total),
                shipping_fee: Set(input.shipping_fee),
                payment_method: Set(input.payment_method.clone()),
                payment_token: Set(input.payment_token.clone()),
                card_last4: Set(input.card_last4.clone()),
                complimentary: Set(false),
                paid_at: Set(None),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            };
            super::columns::write(&mut row, &input.receiver, &input.invoice);
            row
        });
        if !fresh.is_empty() {
            order::Entity::insert_many(rows.collect::<Vec<_>>()).exec_without_returning(txn).await?;
        }
        let fresh_keys: Vec<&str> = fresh.iter().map(|o| o.idempotency_key.as_str()).collect();
        let ids: HashMap<String, i64> = order::Entity::find()
            .select_only()
            .column(order::Column::IdempotencyKey)
            .column(order::Column::Id)
            .filter(order::Column::IdempotencyKey.is_in(fresh_keys))
            .into_tuple::<(String, i64)>()
            .all(txn)
            .await?
            .into_iter()
            .collect();
        let day = self.calendar.date_of(at);
        let mut new_lines = Vec::new();
        let mut created_events = Vec::new();
        let mut built = HashMap::new();
        for input in fresh {
            let id = *ids.get(&input.idempotency_key).ok_or_else(|| anyhow::anyhow!("order vanished"))?;
            let order_no = order_number(day, id);
            order::Entity::update_many()
                .col_expr(order::Column::OrderNo, Expr::value(order_no.clone()))
                .filter(order::Column::Id.eq(id))
                .exec(txn)
                .await?;
            let expanded = plans
                .0
                .get(&(input.promotion_code.clone(), input.amount))
                .ok_or_else(|| anyhow::anyhow!("plan {} was not resolved", input.promotion_code))?;
            let lines = order_lines(expanded, &self.subinventory);
            new_lines.extend(line_rows(id, &lines, at));
            let total = Money::new(input.amount.amount() + input.shipping_fee.amount());
            let order = Order {
                order_no: order_no.clone(),
                source: OrderSource::Auto,
                source_code: Some(input.source_code.clone()),
                status: OrderStatus::Created,
                payment_status: PaymentStatus::Pending,
                member_account: input.member.as_ref().map(|(_, a)| a.clone()),
                payer_customer_no: input.payer.1.clone(),
                receiver: input.receiver.clone(),
                total_amount: total,
                shipping_fee: input.shipping_fee,
                invoice: input.invoice.clone(),
                payment_method: input.payment_method.clone(),
                has_payment_token: input.payment_token.is_some(),
                card_last4: input.card_last4.clone(),
                complimentary: false,
                lines,
                payments: Vec::new(),
                paid_at: None,
                cancelled_at: None,
                ready_at: None,
                erp_order_no: None,
                erp_confirmed_at: None,
                shipped_at: None,
                channel_order_id: None,
                created_at: at,
                updated_at: at,
            };
            created_events.push(NewEvent {
                event_type: "order.created",
                subject: order_subject(&order_no),
                payload: json!({ "orderNo": order_no, "source": "AUTO", "totalAmount": total.amount(),
                                 "customerNo": order.payer_customer_no,
                                 "memberAccount": order.member_account.as_ref().map(Account::as_str) }),
            });
            built.insert(input.idempotency_key.clone(), order);
        }
        for chunk in new_lines.chunks(CHUNK) {
            order_line::Entity::insert_many(chunk.to_vec()).exec_without_returning(txn).await?;
        }
        events::append_many(txn, created_events, at).await?;
        let mut result = Vec::with_capacity(orders.len());
        for input in orders {
            let order = match built.remove(&input.idempotency_key) {
                Some(order) => order,
                None => {
                    let no = existing
                        .get(&input.idempotency_key)
                        .ok_or_else(|| anyhow::anyhow!("order vanished"))?;
                    super::find_order(txn, no).await?.ok_or_else(|| anyhow::anyhow!("order {no} vanished"))?
                }
            };
            result.push(order);
        }
        Ok(result)
    }

    /// Records the results of `payments` in `txn` with `recordPayment`'s writer ([`write_payments`]): the
    /// payment rows, paid orders CONFIRMED with `paid_at`, failed ones FAILED, and their events. Every order
    /// must still be unpaid (otherwise `CONFLICT`, and the caller rolls back); the amount is the total.
    pub async fn record_batch(
        &self,
        txn: &impl ConnectionTrait,
        payments: &[BatchPayment<'_>],
        at: DateTime<Utc>,
    ) -> Result<(), OrdersError> {
        if payments.is_empty() {
            return Ok(());
        }
        let numbers: Vec<&str> = payments.iter().map(|p| p.order.order_no.as_str()).collect();
        let ids: HashMap<String, i64> = order::Entity::find()
            .select_only()
            .column(order::Column::OrderNo)
            .column(order::Column::Id)
            .filter(order::Column::OrderNo.is_in(numbers))
            .filter(order::Column::PaymentStatus.ne(PaymentStatus::Paid))
            .into_tuple::<(String, i64)>()
            .all(txn)
            .await?
            .into_iter()
            .collect();
        if ids.len() != payments.len() {
            return Err(OrdersError::conflict("orderNo", "an order of the batch is paid or missing"));
        }
        let rows = payments
            .iter()
            .map(|p| {
                let order_id =
                    *ids.get(&p.order.order_no).ok_or_else(|| anyhow::anyhow!("order vanished"))?;
                Ok(PaymentRow {
                    order_id,
                    order: p.order,
                    transaction_id: &p.transaction_id,
                    status: p.status,
                    // The charge run charges exactly the total.
                    amount: p.order.total_amount,
                    paid_at: at,
                    authorised_only: p.authorised_only,
                })
            })
            .collect::<Result<Vec<_>, OrdersError>>()?;
        write_payments(txn, &rows, at).await
    }
}
