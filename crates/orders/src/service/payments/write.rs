//! The one writer of payment results, for `recordPayment` (a batch of one) and the charge run (R9, many in
//! the caller's transaction): the payment rows, the orders' payment state, and their events. Paid orders
//! become CONFIRMED; a cancelled one stays cancelled and its money is kept as paid, to be refunded (R19),
//! with a `payment.after_cancellation` follow-up; failed ones FAILED.

use super::super::create::paid_payload;
use super::super::order_subject;
use crate::OrdersError;
use crate::entity::{order, payment};
use crate::model::{CaptureStatus, Order, OrderStatus, PaymentResult, PaymentStatus};
use chrono::{DateTime, Utc};
use platform_core::Money;
use platform_core::events::{self, NewEvent};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;
use std::collections::BTreeMap;

/// Rows per multi-row statement: well under SQLite's bind limit for these tables.
const CHUNK: usize = 500;

/// One payment result to write.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PaymentRow<'a> {
    /// The order's row id.
    pub order_id: i64,
    /// The order as read in the writing transaction, still unpaid.
    pub order: &'a Order,
    /// The gateway's transaction id (or the attempt's key for a decline).
    pub transaction_id: &'a str,
    /// Paid or failed.
    pub status: PaymentResult,
    /// The amount reported.
    pub amount: Money,
    /// When the money was taken.
    pub paid_at: DateTime<Utc>,
    /// A paid one only authorised (`gateway.capture = DELAYED`): captured later by `CAPTURE_PAYMENTS`.
    pub authorised_only: bool,
}

impl PaymentRow<'_> {
    fn cancelled(&self) -> bool {
        self.order.status == OrderStatus::Cancelled
    }

    fn captured(&self) -> bool {
        self.status == PaymentResult::Paid && !self.authorised_only
    }

    fn model(&self, at: DateTime<Utc>) -> payment::ActiveModel {
        payment::ActiveModel {
            order_id: Set(self.order_id),
            transaction_id: Set(self.transaction_id.to_owned()),
            status: Set(self.status),
            amount: Set(self.amount),
            paid_at: Set(self.paid_at),
            recorded_at: Set(at),
            capture_status: Set(match (self.status, self.authorised_only) {
                (PaymentResult::Failed, _) => None,
                (PaymentResult::Paid, true) => Some(CaptureStatus::Authorised),
                (PaymentResult::Paid, false) => Some(CaptureStatus::Captured),
            }),
            captured_amount: Set(self.captured().then_some(self.amount)),
            captured_at: Set(self.captured().then_some(self.paid_at)),
            ..Default::default()
        }
    }
}

/// How one group of orders changes: paid (confirmed or, cancelled, left so) at one time, or failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Change {
    Paid { at: DateTime<Utc>, confirm: bool },
    Failed,
}

/// Writes `rows` in `txn`. Every order must still be unpaid: an order paid meanwhile by another
/// transaction makes the whole write `CONFLICT` (the caller's transaction is then rolled back).
pub(crate) async fn write_payments(
    txn: &impl ConnectionTrait,
    rows: &[PaymentRow<'_>],
    at: DateTime<Utc>,
) -> Result<(), OrdersError> {
    if rows.is_empty() {
        return Ok(());
    }
    let models: Vec<payment::ActiveModel> = rows.iter().map(|r| r.model(at)).collect();
    for chunk in models.chunks(CHUNK) {
        payment::Entity::insert_many(chunk.to_vec()).exec_without_returning(txn).await?;
    }
    let mut groups: BTreeMap<Change, Vec<i64>> = BTreeMap::new();
    for row in rows {
        let change = match row.status {
            PaymentResult::Paid => Change::Paid { at: row.paid_at, confirm: !row.cancelled() },
            PaymentResult::Failed => Change::Failed,
        };
        groups.entry(change).or_default().push(row.order_id);
    }
    let mut changed = 0;
    for (change, ids) in &groups {
        for chunk in ids.chunks(CHUNK) {
            let mut update = order::Entity::update_many()
                .col_expr(order::Column::UpdatedAt, Expr::value(at))
                .filter(order::Column::Id.is_in(chunk.iter().copied()))
                // Two different paid results racing: only one may turn an order paid.
                .filter(order::Column::PaymentStatus.ne(PaymentStatus::Paid));
            update = match *change {
                Change::Paid { at: paid_at, confirm } => {
                    let update = update
                        .col_expr(order::Column::PaymentStatus, Expr::value(PaymentStatus::Paid))
                        .col_expr(order::Column::PaidAt, Expr::value(paid_at));
                    match confirm {
                        true => update.col_expr(order::Column::Status, Expr::value(OrderStatus::Confirmed)),
                        false => update,
                    }
                }
                Change::Failed => {
                    update.col_expr(order::Column::PaymentStatus, Expr::value(PaymentStatus::Failed))
                }
            };
            changed += update.exec(txn).await?.rows_affected;
        }
    }
    if changed != rows.len() as u64 {
        return Err(OrdersError::conflict("transactionId", "an order was paid by another transaction"));
    }
    let mut follow_ups = Vec::new();
    let events: Vec<NewEvent> = rows
        .iter()
        .map(|row| {
            let no = row.order.order_no.as_str();
            let (event_type, payload) = match row.status {
                PaymentResult::Paid if row.cancelled() => {
                    let payload = json!({ "orderNo": no, "transactionId": row.transaction_id,
                                          "amount": row.amount, "cancelledAt": row.order.cancelled_at });
                    let summary = format!(
                        "order {no} was cancelled before its payment {} of {} arrived: it is refunded",
                        row.transaction_id,
                        row.amount.amount()
                    );
                    follow_ups.push(followups::NewFollowUp::new(
                        followups::Kind::PaymentWithoutOrder,
                        format!("order:{no}"),
                        summary,
                        payload.clone(),
                    ));
                    ("payment.after_cancellation", payload)
                }
                PaymentResult::Paid => ("order.paid", paid_payload(row.order, Some(row.transaction_id))),
                PaymentResult::Failed => (
                    "order.payment_failed",
                    json!({ "orderNo": no, "transactionId": row.transaction_id, "amount": row.amount }),
                ),
            };
            NewEvent { event_type, subject: order_subject(no), payload }
        })
        .collect();
    events::append_many(txn, events, at).await?;
    if !follow_ups.is_empty() {
        followups::open_many(txn, follow_ups, at).await?;
    }
    Ok(())
}
