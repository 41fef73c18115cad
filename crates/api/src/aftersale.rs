//! R19 over GraphQL: `cancelOrder`, `returnOrderLines` (admins and services) and `order.returns`.

use crate::ApiState;
use crate::access::Require;
use crate::error::from_domain;
use crate::ordering::Refund;
use aftersale::returns::{AfterSale, Context as Flow, LineReturn, cancel_order, return_lines};
use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use orders::service::{LineQuantity, MAX_RETURN_LINES, OrderReturn as Recorded, refunds_of, returns_of};
use platform_core::Money;
use std::time::Duration;

#[derive(Default)]
pub(crate) struct AfterSaleMutation;

#[Object]
impl AfterSaleMutation {
    /// Cancels an order (R19). An unpaid order simply ends (a payment that still arrives is refunded and
    /// opens a PAYMENT_WITHOUT_ORDER follow-up); a paid one has every line taken back — its entitlements
    /// revoked from the end of the coverage, the renewals it opened stopped, other renewals' deduct dates
    /// moved (R5) — and everything left of its payment refunded (APP and 91APP orders: refunded by the
    /// channel, only recorded). Cancelling again answers the first cancellation and never refunds twice; a
    /// transient gateway error is CONFLICT: ask again.
    #[graphql(guard = "Require::Operator")]
    async fn cancel_order(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(max_length = 32))] order_no: String,
        #[graphql(validator(max_length = 500))] reason: String,
    ) -> Result<OrderReturn> {
        let state = ctx.data::<ApiState>()?;
        let done = cancel_order(flow(state), order_no.trim(), &reason, state.clock.now())
            .await
            .map_err(from_domain)?;
        Ok(OrderReturn::from(done))
    }

    /// Takes back some units of an order's lines (R19, 退貨): their entitlements revoked as for a
    /// cancellation, `refundAmount` + `shippingRefund` (退運費) refunded once per `idempotencyKey`, and
    /// `supplementaryCharge` (補收款: what the customer owes because what is kept no longer earns its bundle's
    /// discount) recorded as owed. Nothing is written when any part is refused.
    #[graphql(guard = "Require::Operator")]
    async fn return_order_lines(
        &self,
        ctx: &Context<'_>,
        input: ReturnOrderLinesInput,
    ) -> Result<OrderReturn> {
        let state = ctx.data::<ApiState>()?;
        let input = LineReturn {
            order_no: input.order_no.trim().to_owned(),
            lines: input
                .lines
                .iter()
                .map(|l| LineQuantity { position: l.position, quantity: l.quantity })
                .collect(),
            refund_amount: Money::new(i64::from(input.refund_amount)),
            shipping_refund: Money::new(i64::from(input.shipping_refund)),
            supplementary_charge: Money::new(i64::from(input.supplementary_charge)),
            reason: input.reason,
            idempotency_key: input.idempotency_key,
        };
        let done = return_lines(flow(state), &input, state.clock.now()).await.map_err(from_domain)?;
        Ok(OrderReturn::from(done))
    }
}

/// The after-sale flow's services from the server's.
pub(crate) fn flow(state: &ApiState) -> Flow<'_, payments::Gateway> {
    Flow {
        orders: &state.orders,
        gateway: &state.jobs.gateway,
        calendar: state.calendar,
        timeout: Duration::from_secs(state.jobs.settings.gateway.timeout_secs),
    }
}

/// The cancellations and returns of order `order_no` with their refunds, oldest first.
pub(crate) async fn of_order(state: &ApiState, order_no: &str) -> Result<Vec<OrderReturn>> {
    let recorded = returns_of(&state.db, order_no).await.map_err(from_domain)?;
    let mut refunds = refunds_of(&state.db, order_no).await.map_err(from_domain)?;
    Ok(recorded
        .into_iter()
        .map(|r| {
            let refund = r
                .refund_key
                .as_ref()
                .and_then(|key| refunds.iter().position(|f| &f.idempotency_key == key))
                .map(|i| refunds.swap_remove(i));
            OrderReturn::from(AfterSale { recorded: r, refund })
        })
        .collect())
}

/// A return of an order's lines.
#[derive(InputObject)]
pub(crate) struct ReturnOrderLinesInput {
    /// The order.
    #[graphql(validator(max_length = 32))]
    order_no: String,
    /// The lines (by `position`) and units coming back.
    #[graphql(validator(min_items = 1, max_items = 100))]
    lines: Vec<ReturnLineInput>,
    /// TWD refunded for the goods (0 or more).
    refund_amount: i32,
    /// TWD of the shipping fee refunded (退運費).
    #[graphql(default)]
    shipping_refund: i32,
    /// TWD the customer still owes (補收款).
    #[graphql(default)]
    supplementary_charge: i32,
    /// Why.
    #[graphql(validator(max_length = 500))]
    reason: String,
    /// Asking again with it answers the first return.
    #[graphql(validator(min_length = 1, max_length = 180))]
    idempotency_key: String,
}

/// Units of one line coming back.
#[derive(InputObject)]
pub(crate) struct ReturnLineInput {
    /// The line's `position` in `order.lines`.
    position: i32,
    /// Units (1 up to what has not come back yet).
    quantity: i32,
}

/// A cancellation or return.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReturnKind {
    /// `cancelOrder`.
    Cancel,
    /// `returnOrderLines`.
    Return,
}

/// A recorded cancellation or return of an order (R19).
#[derive(SimpleObject)]
pub(crate) struct OrderReturn {
    /// The order.
    order_no: String,
    /// A cancellation or a return.
    kind: ReturnKind,
    /// What came back.
    lines: Vec<ReturnedLine>,
    /// TWD refunded for the goods (a cancellation: everything that was left).
    refund_amount: i64,
    /// TWD of shipping refunded.
    shipping_refund: i64,
    /// TWD still owed by the customer (補收款).
    supplementary_charge: i64,
    /// Why.
    reason: String,
    /// Its refund, when there was something to refund: REFUNDED, DECLINED, or UNKNOWN while a lost answer
    /// is settled.
    refund: Option<Refund>,
    /// When it was recorded.
    created_at: DateTime<Utc>,
}

/// Units of one line that came back.
#[derive(SimpleObject)]
pub(crate) struct ReturnedLine {
    /// The line's position.
    position: i32,
    /// Its item.
    item_no: String,
    /// Units.
    quantity: i32,
}

impl From<AfterSale> for OrderReturn {
    fn from(done: AfterSale) -> Self {
        let r: Recorded = done.recorded;
        OrderReturn {
            order_no: r.order_no,
            kind: match r.kind {
                orders::service::ReturnKind::Cancel => ReturnKind::Cancel,
                orders::service::ReturnKind::Return => ReturnKind::Return,
            },
            lines: r
                .lines
                .into_iter()
                .map(|l| ReturnedLine { position: l.position, item_no: l.item_no, quantity: l.quantity })
                .collect(),
            refund_amount: r.refund_amount.amount(),
            shipping_refund: r.shipping_refund.amount(),
            supplementary_charge: r.supplementary_charge.amount(),
            reason: r.reason,
            refund: done.refund.map(Refund::from),
            created_at: r.created_at,
        }
    }
}

const _: () = assert!(MAX_RETURN_LINES == 100, "the input's max_items");
