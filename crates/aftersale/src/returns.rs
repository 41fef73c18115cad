//! **R19:** `cancelOrder` and `returnOrderLines`. One transaction records the cancellation or return (the
//! orders domain's checks first, nothing written on a refusal), revokes what its lines granted, moves the
//! affected renewals' deduct dates and stops the renewals a cancelled order opened. The refund follows,
//! outside any transaction, with the return's own refund key: asking again — after a lost answer, a
//! transient gateway error, or just twice — answers the recorded return and settles the same refund, never
//! a second one. The payer's e-mail is queued once the money is back.

use crate::AfterSaleError;
use chrono::{DateTime, Utc};
use notify::email::{self, EmailKind, NewEmail};
use orders::service::OrderService;
use orders::service::{
    LineQuantity, OrderReturn, Recorded, Refund, RefundInput, RefundStatus, ReturnInput, ReturnKind,
    cancel_key, record_return,
};
use payments::PaymentGateway;
use platform_core::db::begin_write;
use platform_core::{BusinessCalendar, Money};
use sea_orm::ConnectionTrait;
use serde_json::json;
use std::time::Duration;

/// What a cancellation or return did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AfterSale {
    /// As recorded (the first time, if asked again).
    pub recorded: OrderReturn,
    /// Its refund, when there was something to refund.
    pub refund: Option<Refund>,
}

/// A return of some of an order's lines.
#[derive(Debug, Clone)]
pub struct LineReturn {
    /// The order.
    pub order_no: String,
    /// The lines and units coming back.
    pub lines: Vec<LineQuantity>,
    /// Refunded for the goods.
    pub refund_amount: Money,
    /// Refunded of the shipping fee (退運費).
    pub shipping_refund: Money,
    /// Owed by the customer (補收款).
    pub supplementary_charge: Money,
    /// Why.
    pub reason: String,
    /// The caller's key.
    pub idempotency_key: String,
}

/// The services a flow needs.
#[derive(Clone, Copy)]
pub struct Context<'a, G> {
    /// Orders (and their refunds).
    pub orders: &'a OrderService,
    /// The gateway refunds go through.
    pub gateway: &'a G,
    /// The business calendar (today, for revocation).
    pub calendar: BusinessCalendar,
    /// How long the gateway may take to answer.
    pub timeout: Duration,
}

/// Cancels order `order_no` (R19): an unpaid order simply ends; a paid one has every line taken back and
/// everything left of its payment refunded. Cancelling again answers the first cancellation.
pub async fn cancel_order<G: PaymentGateway>(
    ctx: Context<'_, G>,
    order_no: &str,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<AfterSale, AfterSaleError> {
    let input = ReturnInput {
        order_no: order_no.to_owned(),
        kind: ReturnKind::Cancel,
        return_key: cancel_key(order_no),
        lines: Vec::new(),
        refund_amount: Money::new(0),
        shipping_refund: Money::new(0),
        supplementary_charge: Money::new(0),
        reason: reason.to_owned(),
        cancel_refund: None,
    };
    take_back(ctx, &input, at).await
}

/// Takes back the lines of `input` (R19) and refunds what it says.
pub async fn return_lines<G: PaymentGateway>(
    ctx: Context<'_, G>,
    input: &LineReturn,
    at: DateTime<Utc>,
) -> Result<AfterSale, AfterSaleError> {
    let input = ReturnInput {
        order_no: input.order_no.clone(),
        kind: ReturnKind::Return,
        return_key: format!("return:{}", input.idempotency_key.trim()),
        lines: input.lines.clone(),
        refund_amount: input.refund_amount,
        shipping_refund: input.shipping_refund,
        supplementary_charge: input.supplementary_charge,
        reason: input.reason.clone(),
        cancel_refund: None,
    };
    take_back(ctx, &input, at).await
}

async fn take_back<G: PaymentGateway>(
    ctx: Context<'_, G>,
    input: &ReturnInput,
    at: DateTime<Utc>,
) -> Result<AfterSale, AfterSaleError> {
    let txn = begin_write(ctx.orders.db()).await?;
    let recorded = record_in(&txn, ctx.calendar, input, at).await?;
    txn.commit().await?;
    settle_refund(ctx, recorded, at).await
}

/// Records `input` in `txn` with everything that follows from it in the database: the lines' grants
/// revoked, R5 for the affected renewals, the renewals a cancelled order opened stopped. A key recorded
/// before answers what it recorded and writes nothing.
pub(crate) async fn record_in(
    txn: &impl ConnectionTrait,
    calendar: BusinessCalendar,
    input: &ReturnInput,
    at: DateTime<Utc>,
) -> Result<OrderReturn, AfterSaleError> {
    match record_return(txn, input, at).await? {
        Recorded::New(recorded) => {
            let revoked = entitlements::revoke::revoke_lines(txn, calendar, &recorded.lines, at).await?;
            renewals::follow::follow_due_changes(txn, &revoked, at).await?;
            if recorded.kind == ReturnKind::Cancel {
                renewals::follow::stop_opened_by(txn, &recorded.order_no, at).await?;
            }
            Ok(recorded)
        }
        Recorded::Existing(recorded) => Ok(recorded),
    }
}

/// The refund of a recorded cancellation or return, once by its key, and the payer's e-mail once refunded.
pub(crate) async fn settle_refund<G: PaymentGateway>(
    ctx: Context<'_, G>,
    recorded: OrderReturn,
    at: DateTime<Utc>,
) -> Result<AfterSale, AfterSaleError> {
    let Some(key) = recorded.refund_key.clone() else { return Ok(AfterSale { recorded, refund: None }) };
    let refund = RefundInput {
        order_no: recorded.order_no.clone(),
        amount: Money::new(recorded.refund_amount.amount() + recorded.shipping_refund.amount()),
        idempotency_key: key,
        reason: recorded.reason.clone(),
    };
    let refund = ctx.orders.refund(ctx.gateway, &refund, ctx.timeout, at).await?;
    if refund.status == RefundStatus::Refunded {
        queue_mail(ctx.orders, &recorded, &refund, at).await?;
    }
    Ok(AfterSale { recorded, refund: Some(refund) })
}

/// The payer's e-mail of a refunded cancellation or return, queued once per refund.
async fn queue_mail(
    orders: &OrderService,
    recorded: &OrderReturn,
    refund: &Refund,
    at: DateTime<Utc>,
) -> Result<(), AfterSaleError> {
    let db = orders.db();
    let contacts =
        members::service::contacts_of(db, &[(recorded.payer_customer_id, recorded.member_id)]).await?;
    let contact = contacts.get(&recorded.payer_customer_id);
    let name = contact.map(|c| c.name.clone().unwrap_or_else(|| c.customer_no.clone())).unwrap_or_default();
    let lines: Vec<serde_json::Value> = recorded
        .lines
        .iter()
        .map(|l| json!({ "position": l.position, "itemNo": l.item_no, "quantity": l.quantity }))
        .collect();
    let mail = NewEmail {
        kind: EmailKind::OrderRefunded,
        dedupe_key: format!("order_refunded:{}", refund.idempotency_key),
        to: contact.and_then(|c| c.email.clone()),
        regarding: format!("order:{}", recorded.order_no),
        data: json!({ "customerName": name, "orderNo": recorded.order_no, "kind": recorded.kind.as_str(),
                      "reason": recorded.reason, "lines": lines, "amount": refund.amount.amount(),
                      "shippingRefund": recorded.shipping_refund.amount(),
                      "supplementaryCharge": recorded.supplementary_charge.amount(),
                      "cardLast4": recorded.card_last4, "refundKey": refund.idempotency_key }),
    };
    let txn = begin_write(db).await?;
    email::queue(&txn, mail, at).await?;
    txn.commit().await?;
    Ok(())
}

/// R19: a payment that arrived after its order was cancelled (recorded PAID, the order still cancelled, a
/// PAYMENT_WITHOUT_ORDER follow-up open) is refunded whole, once; `None` when nothing is left to refund.
pub async fn refund_after_cancellation<G: PaymentGateway>(
    ctx: Context<'_, G>,
    order_no: &str,
    at: DateTime<Utc>,
) -> Result<Option<Refund>, AfterSaleError> {
    let left = ctx.orders.left_to_refund(order_no).await?;
    if left.amount() <= 0 {
        return Ok(None);
    }
    let input = RefundInput {
        order_no: order_no.to_owned(),
        amount: left,
        idempotency_key: format!("refund:late:{order_no}"),
        reason: "paid after the order was cancelled".to_owned(),
    };
    Ok(Some(ctx.orders.refund(ctx.gateway, &input, ctx.timeout, at).await?))
}
