//! **R19, cancellations and returns** as the orders domain records them, inside the caller's transaction
//! (the after-sale flow revokes the lines' entitlements in the same one): the order's row locked, every
//! check made before anything is written, then the order or its lines marked, one `order_returns` row with
//! its lines, and `order.cancelled` / `order.lines_returned`. A key already recorded answers what it
//! recorded. The refund itself goes to the gateway after the commit, through [`super::OrderService::refund`]
//! with the return's refund key, so a retry of the whole flow never refunds twice; an APP, 91APP or ERP history order is
//! refunded by its channel and only recorded here.

mod read;

pub use read::returns_of;

use super::refunds::{left_to_refund, locked_order, record_channel_refund};
use crate::OrdersError;
use crate::entity::{order, order_line, order_return, order_return_line};
use crate::model::{LineStatus, OrderStatus, PaymentStatus};
use chrono::{DateTime, Utc};
use platform_core::Money;
use read::{find_return, to_return};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

/// At most this many lines in one return.
pub const MAX_RETURN_LINES: usize = 100;

/// A cancellation of the whole order or a return of some of its lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnKind {
    /// `cancelOrder`: every line, everything left of the payment.
    Cancel,
    /// `returnOrderLines`: the lines given, the amounts given.
    Return,
}

impl ReturnKind {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReturnKind::Cancel => "CANCEL",
            ReturnKind::Return => "RETURN",
        }
    }
}

/// Units of one line coming back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineQuantity {
    /// The line's position in the order (from 0, as `order.lines` shows it).
    pub position: i32,
    /// Units (1 up to what is not returned yet).
    pub quantity: i32,
}

/// What to record.
#[derive(Debug, Clone)]
pub struct ReturnInput {
    /// The order.
    pub order_no: String,
    /// A cancellation or a return.
    pub kind: ReturnKind,
    /// The caller's key (a cancellation's is its order's); asking again with it answers the first.
    pub return_key: String,
    /// The lines (a return only; a cancellation takes them all).
    pub lines: Vec<LineQuantity>,
    /// Refunded for the goods (a return only; a cancellation refunds everything left).
    pub refund_amount: Money,
    /// Refunded of the shipping fee (退運費; a return only).
    pub shipping_refund: Money,
    /// Owed by the customer because what is kept no longer earns its discount (補收款; a return only).
    pub supplementary_charge: Money,
    /// Why (1–500 printable characters).
    pub reason: String,
    /// A cancellation refunds everything left of the payment, or at most this much of it (an IMMEDIATE
    /// cancellation of a subscription refunds the unused part of its term).
    pub cancel_refund: Option<Money>,
}

/// A line as a cancellation or return took it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenLine {
    /// The line's row id (the grant ledger's key).
    pub line_id: i64,
    /// Its position.
    pub position: i32,
    /// Its item.
    pub item_no: String,
    /// Units taken back now.
    pub quantity: i32,
    /// Units bought.
    pub bought: i32,
}

/// A recorded cancellation or return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderReturn {
    /// The key it was recorded under.
    pub return_key: String,
    /// The order.
    pub order_no: String,
    /// A cancellation or a return.
    pub kind: ReturnKind,
    /// What came back.
    pub lines: Vec<TakenLine>,
    /// Refunded for the goods (for a cancellation: everything that was left).
    pub refund_amount: Money,
    /// Refunded of the shipping fee.
    pub shipping_refund: Money,
    /// Owed by the customer (補收款).
    pub supplementary_charge: Money,
    /// Why.
    pub reason: String,
    /// The key of its refund, when there is something to refund.
    pub refund_key: Option<String>,
    /// The paying customer's row id.
    pub payer_customer_id: platform_core::CustomerId,
    /// The bound member's row id.
    pub member_id: Option<platform_core::MemberId>,
    /// The last 4 digits of the card paid with.
    pub card_last4: Option<String>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// The result of [`record_return`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// Recorded now: the caller takes its entitlements back in the same transaction.
    New(OrderReturn),
    /// Recorded before under the same key: nothing was written.
    Existing(OrderReturn),
}

/// The key of the cancellation of `order_no`: one per order.
pub fn cancel_key(order_no: &str) -> String {
    format!("cancel:{order_no}")
}

/// Records `input` in the caller's transaction `txn` (R19). Every check is made before anything is written.
pub async fn record_return(
    txn: &impl ConnectionTrait,
    input: &ReturnInput,
    at: DateTime<Utc>,
) -> Result<Recorded, OrdersError> {
    let reason = input.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 || reason.chars().any(char::is_control) {
        return Err(OrdersError::invalid("reason", "1-500 printable characters"));
    }
    let key = input.return_key.trim();
    if key.is_empty() || key.len() > 200 {
        return Err(OrdersError::invalid("idempotencyKey", "must be 1-200 characters"));
    }
    let row = locked_order(txn, &input.order_no).await?;
    let order_no = row.order_no.clone().unwrap_or_default();
    if let Some(existing) = find_return(txn, key).await? {
        if existing.order_id != row.id {
            return Err(OrdersError::conflict(
                "idempotencyKey",
                format!("{key} is a return of another order"),
            ));
        }
        return Ok(Recorded::Existing(to_return(txn, existing, &row).await?));
    }
    if row.status == OrderStatus::Cancelled {
        return Err(OrdersError::conflict("orderNo", format!("order {order_no} is cancelled")));
    }
    if row.status == OrderStatus::Shipped && input.kind == ReturnKind::Cancel {
        return Err(OrdersError::conflict(
            "orderNo",
            format!("order {order_no} has shipped: return its lines instead"),
        ));
    }
    let lines = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(row.id))
        .order_by_asc(order_line::Column::Position)
        .all(txn)
        .await?;
    let paid = row.payment_status == PaymentStatus::Paid;
    let taken = match input.kind {
        ReturnKind::Cancel => lines
            .iter()
            .filter(|l| l.quantity > l.returned_quantity)
            .map(|l| (l, l.quantity - l.returned_quantity))
            .collect(),
        ReturnKind::Return => {
            if !paid {
                return Err(OrdersError::conflict(
                    "orderNo",
                    format!("order {order_no} is not paid; cancel it instead"),
                ));
            }
            returned_lines(&lines, &input.lines)?
        }
    };
    let (refund, shipping, supplementary) = match (input.kind, paid) {
        (ReturnKind::Cancel, false) => (Money::ZERO, Money::ZERO, Money::ZERO),
        (ReturnKind::Cancel, true) => {
            let left = left_to_refund(txn, row.id).await?.1;
            let left = left.max(Money::ZERO);
            (input.cancel_refund.map_or(left, |cap| cap.clamp(Money::ZERO, left)), Money::ZERO, Money::ZERO)
        }
        (ReturnKind::Return, _) => {
            checked_amounts(txn, &row, input.refund_amount, input.shipping_refund, input.supplementary_charge)
                .await?
        }
    };
    // Each within Money::MAX (checked above): the sum cannot overflow.
    let refunded = Money::new(refund.amount() + shipping.amount());
    let refund_key = (refunded > Money::ZERO).then(|| format!("refund:{key}"));
    let channel = row.source.refunded_by_channel();
    // Written from here on; nothing above wrote anything.
    let recorded = order_return::ActiveModel {
        order_id: Set(row.id),
        return_key: Set(key.to_owned()),
        kind: Set(input.kind.as_str().to_owned()),
        refund_amount: Set(refund),
        shipping_refund: Set(shipping),
        supplementary_charge: Set(supplementary),
        reason: Set(reason.to_owned()),
        refund_key: Set(refund_key.clone()),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let taken_rows: Vec<order_return_line::ActiveModel> = taken
        .iter()
        .map(|(line, quantity)| order_return_line::ActiveModel {
            return_id: Set(recorded.id),
            order_line_id: Set(line.id),
            quantity: Set(*quantity),
            ..Default::default()
        })
        .collect();
    if !taken_rows.is_empty() {
        order_return_line::Entity::insert_many(taken_rows).exec_without_returning(txn).await?;
    }
    for (line, quantity) in &taken {
        let returned = line.returned_quantity + quantity;
        let status = match input.kind {
            ReturnKind::Cancel => LineStatus::Cancelled,
            ReturnKind::Return if returned >= line.quantity => LineStatus::Returned,
            ReturnKind::Return => LineStatus::PartReturned,
        };
        order_line::Entity::update_many()
            .col_expr(order_line::Column::ReturnedQuantity, Expr::value(returned))
            .col_expr(order_line::Column::Status, Expr::value(status.to_value()))
            .col_expr(order_line::Column::UpdatedAt, Expr::value(at))
            .filter(order_line::Column::Id.eq(line.id))
            .exec(txn)
            .await?;
    }
    if input.kind == ReturnKind::Cancel {
        order::Entity::update_many()
            .col_expr(order::Column::Status, Expr::value(OrderStatus::Cancelled.to_value()))
            .col_expr(order::Column::CancelledAt, Expr::value(at))
            .col_expr(order::Column::CancelReason, Expr::value(reason))
            .col_expr(order::Column::UpdatedAt, Expr::value(at))
            .filter(order::Column::Id.eq(row.id))
            .exec(txn)
            .await?;
    }
    if let (true, Some(refund_key)) = (channel, refund_key.as_deref()) {
        let (payment, _) = left_to_refund(txn, row.id).await?;
        record_channel_refund(txn, &row, payment.transaction_id, refund_key, refunded, reason, at).await?;
    }
    let result = to_return(txn, recorded, &row).await?;
    let event_type = match input.kind {
        ReturnKind::Cancel => "order.cancelled",
        ReturnKind::Return => "order.lines_returned",
    };
    super::append(txn, event_type, &order_no, payload(&result, channel), at).await?;
    Ok(Recorded::New(result))
}

/// The lines of a return, checked against what was bought and what came back already.
fn returned_lines<'a>(
    lines: &'a [order_line::Model],
    asked: &[LineQuantity],
) -> Result<Vec<(&'a order_line::Model, i32)>, OrdersError> {
    if asked.is_empty() || asked.len() > MAX_RETURN_LINES {
        return Err(OrdersError::invalid("lines", format!("1-{MAX_RETURN_LINES} lines")));
    }
    let by_position: HashMap<i32, &order_line::Model> = lines.iter().map(|l| (l.position, l)).collect();
    let mut summed: BTreeMap<i32, i32> = BTreeMap::new();
    for line in asked {
        if line.quantity < 1 {
            return Err(OrdersError::invalid(
                "lines",
                format!("line {}: quantity must be at least 1", line.position),
            ));
        }
        let entry = summed.entry(line.position).or_default();
        *entry = entry.saturating_add(line.quantity);
    }
    summed
        .into_iter()
        .map(|(position, quantity)| {
            let line = by_position
                .get(&position)
                .ok_or_else(|| OrdersError::invalid("lines", format!("the order has no line {position}")))?;
            let left = line.quantity - line.returned_quantity;
            if quantity > left {
                return Err(OrdersError::invalid(
                    "lines",
                    format!("line {position}: {quantity} is more than the {left} not returned yet"),
                ));
            }
            Ok((*line, quantity))
        })
        .collect()
}

/// A return's amounts, checked: none negative, the shipping refund within the fee not refunded yet, both
/// together within what is left of the payment.
async fn checked_amounts(
    txn: &impl ConnectionTrait,
    row: &order::Model,
    refund: Money,
    shipping: Money,
    supplementary: Money,
) -> Result<(Money, Money, Money), OrdersError> {
    for (field, amount) in
        [("refundAmount", refund), ("shippingRefund", shipping), ("supplementaryCharge", supplementary)]
    {
        if amount.amount() < 0 || Money::bounded(amount.amount()).is_err() {
            return Err(OrdersError::invalid(field, "must be 0 or more TWD"));
        }
    }
    let shipping_refunded: i64 = order_return::Entity::find()
        .filter(order_return::Column::OrderId.eq(row.id))
        .all(txn)
        .await?
        .iter()
        .map(|r| r.shipping_refund.amount())
        .sum();
    if shipping.amount() > row.shipping_fee.amount() - shipping_refunded {
        return Err(OrdersError::invalid(
            "shippingRefund",
            format!(
                "more than the {} of shipping not refunded yet",
                row.shipping_fee.amount() - shipping_refunded
            ),
        ));
    }
    let (_, left) = left_to_refund(txn, row.id).await?;
    if refund.amount() + shipping.amount() > left.amount() {
        return Err(OrdersError::invalid(
            "refundAmount",
            format!(
                "{} is more than is left to refund ({})",
                refund.amount() + shipping.amount(),
                left.amount()
            ),
        ));
    }
    Ok((refund, shipping, supplementary))
}

fn payload(result: &OrderReturn, channel: bool) -> serde_json::Value {
    let lines: Vec<serde_json::Value> = result
        .lines
        .iter()
        .map(|l| json!({ "position": l.position, "itemNo": l.item_no, "quantity": l.quantity }))
        .collect();
    json!({ "orderNo": result.order_no, "returnKey": result.return_key, "lines": lines,
            "refundAmount": result.refund_amount.amount(), "shippingRefund": result.shipping_refund.amount(),
            "supplementaryCharge": result.supplementary_charge.amount(), "reason": result.reason,
            "refundedByChannel": channel })
}
