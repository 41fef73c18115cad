//! Orders: `createOrder`, `recordPayment`, `bindOrderMember`, `order`, `orders`. Services and admins
//! write; a member reads only the orders bound to it.

use crate::ApiState;
use crate::access::{Require, principal};
use crate::error::from_domain;
use crate::paging::{DEFAULT_PAGE, MAX_PAGE, Page};
use async_graphql::connection::{Connection, Edge, OpaqueCursor};
use async_graphql::{Context, Object, Result};
use orders::model::{OrderFilter as Filter, PaymentReport};

mod object;
mod values;

pub(crate) use object::{Order, one_with_people, with_people};
pub(crate) use values::*;

#[derive(Default)]
pub(crate) struct OrdersQuery;

#[Object]
impl OrdersQuery {
    /// An order by number. `null` when there is none. A member token reads only orders bound to it.
    #[graphql(guard = "Require::Token")]
    async fn order(&self, ctx: &Context<'_>, order_no: String) -> Result<Option<Order>> {
        let state = ctx.data::<ApiState>()?;
        let found = state.orders.order_for(principal(ctx), &order_no).await.map_err(from_domain)?;
        Ok(with_people(ctx, ctx.look_ahead(), found.into_iter().collect()).await?.pop())
    }

    /// Orders newest first, filtered, a page at a time (`first` ≤ 100, default 20). A member token always
    /// gets its own orders only.
    #[graphql(
        guard = "Require::Token",
        complexity = "first.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE) as usize * child_complexity + 1"
    )]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        filter: Option<OrderFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<OpaqueCursor<i64>, Order>> {
        let state = ctx.data::<ApiState>()?;
        let page = Page::<OpaqueCursor<i64>>::parse(first, after)?;
        let filter = filter.unwrap_or_default();
        let member = crate::scalars::parse_optional_account(filter.member_account.as_deref())?;
        let filter = Filter {
            member,
            customer_no: filter.customer_no,
            source: filter.source.map(Into::into),
            status: filter.status.map(Into::into),
            payment_status: filter.payment_status.map(Into::into),
            created_from: filter.created_from.map(|d| d.0),
            created_to: filter.created_to.map(|d| d.0),
        };
        let mut rows = state
            .orders
            .orders_for(
                principal(ctx),
                filter,
                page.after.as_ref().map(|c| platform_core::OrderId(c.0)),
                page.limit(),
            )
            .await
            .map_err(from_domain)?;
        let has_next_page = rows.len() > page.first;
        rows.truncate(page.first);
        let (ids, orders): (Vec<i64>, Vec<orders::Order>) =
            rows.into_iter().map(|r| (r.id.0, r.order)).unzip();
        let orders = with_people(ctx, ctx.look_ahead().field("edges").field("node"), orders).await?;
        let mut connection = Connection::new(page.after.is_some(), has_next_page);
        connection
            .edges
            .extend(ids.into_iter().zip(orders).map(|(id, order)| Edge::new(OpaqueCursor(id), order)));
        Ok(connection)
    }
}

#[derive(Default)]
pub(crate) struct OrdersMutation;

#[Object]
impl OrdersMutation {
    /// Creates an order (seed 004 下訂). Lines may name promotions, which expand into their items with the
    /// paid amount split by R1. The same `idempotencyKey` with the same input returns the same order; with
    /// other input it is `CONFLICT`. An order of total 0 is paid at once.
    #[graphql(guard = "Require::Operator")]
    async fn create_order(&self, ctx: &Context<'_>, input: CreateOrderInput) -> Result<Order> {
        let state = ctx.data::<ApiState>()?;
        let (order, _) = state.orders.create(input.into(), state.clock.now()).await.map_err(from_domain)?;
        one_with_people(ctx, order).await
    }

    /// The payment service's result for an order (seed 004 付款成功/失敗 callback). Idempotent per
    /// `transactionId`. `amount` must equal the order's `totalAmount` (otherwise refused and recorded as an
    /// alert event). A paid order cannot become failed.
    #[graphql(guard = "Require::Operator")]
    async fn record_payment(&self, ctx: &Context<'_>, input: PaymentResultInput) -> Result<Order> {
        let state = ctx.data::<ApiState>()?;
        let report = PaymentReport {
            order_no: input.order_no.trim().to_owned(),
            transaction_id: input.transaction_id,
            status: input.status.into(),
            amount: i64::from(input.amount),
            paid_at: input.paid_at,
        };
        let order = state.orders.record_payment(report, state.clock.now()).await.map_err(from_domain)?;
        if order.status == orders::OrderStatus::Cancelled {
            refund_after_cancellation(state, &order.order_no).await;
        }
        grant_entitlements(state, &order.order_no).await;
        one_with_people(ctx, order).await
    }

    /// Refunds `amount` of an order's payment through the gateway (R19; customer service's goodwill or
    /// partial refunds), once per `idempotencyKey`: asking again with the key answers the first refund,
    /// settling a lost answer by lookup. The refunds of an order never exceed what was paid. Admins only.
    #[graphql(guard = "Require::Admin")]
    async fn refund_payment(
        &self,
        ctx: &Context<'_>,
        order_no: String,
        amount: i32,
        #[graphql(validator(max_length = 200))] idempotency_key: String,
        #[graphql(validator(max_length = 500))] reason: String,
    ) -> Result<Refund> {
        let state = ctx.data::<ApiState>()?;
        let input = ::orders::service::RefundInput {
            order_no: order_no.trim().to_owned(),
            amount: platform_core::Money::new(i64::from(amount)),
            idempotency_key,
            reason,
        };
        let timeout = std::time::Duration::from_secs(state.jobs.settings.gateway.timeout_secs);
        let refund = state
            .orders
            .refund(&state.jobs.gateway, &input, timeout, state.clock.now())
            .await
            .map_err(from_domain)?;
        Ok(Refund::from(refund))
    }

    /// Binds an order to an existing member (seed 004 訂單綁定會員). Rebinding to another member is
    /// `CONFLICT`.
    #[graphql(guard = "Require::Operator")]
    async fn bind_order_member(&self, ctx: &Context<'_>, order_no: String, account: String) -> Result<Order> {
        let state = ctx.data::<ApiState>()?;
        let account = crate::scalars::parse_account(&account)?;
        let order = state
            .orders
            .bind_member(order_no.trim(), &account, state.clock.now())
            .await
            .map_err(from_domain)?;
        grant_entitlements(state, &order.order_no).await;
        one_with_people(ctx, order).await
    }

    /// The ERP confirms the transfer of an order it received with `order.ready` (R21, seed 004 拋轉成功),
    /// under its own order number: `order.confirmed` follows (the EC's 訂單已成立). The same confirmation
    /// again answers the order as it is; another number for the order, or a number another order has, is
    /// `CONFLICT`, as is an order not ready yet. Services and admins.
    #[graphql(guard = "Require::Operator")]
    async fn confirm_erp_transfer(
        &self,
        ctx: &Context<'_>,
        order_no: String,
        erp_order_no: String,
    ) -> Result<Order> {
        let state = ctx.data::<ApiState>()?;
        let order = orders::service::confirm_erp_transfer(
            &state.db,
            order_no.trim(),
            &erp_order_no,
            state.clock.now(),
        )
        .await
        .map_err(from_domain)?;
        one_with_people(ctx, order).await
    }
}

/// R19: money that arrived for a cancelled order goes back at once. The payment and its
/// PAYMENT_WITHOUT_ORDER follow-up are recorded whatever happens here; a failure is logged for the
/// follow-up's operator.
async fn refund_after_cancellation(state: &ApiState, order_no: &str) {
    let flow = crate::aftersale::flow(state);
    if let Err(err) = aftersale::returns::refund_after_cancellation(flow, order_no, state.clock.now()).await {
        tracing::error!(order_no, error = %format!("{err:#}"), "refunding a payment after cancellation failed");
    }
}

/// R3 right after a payment or a member binding, so the EC sees the entitlements in its next query. The
/// payment is already recorded whatever happens here; a failure is logged and the periodic sweep grants
/// the order later.
async fn grant_entitlements(state: &ApiState, order_no: &str) {
    let at = state.clock.now();
    if let Err(err) = entitlements::grant::grant_order(&state.db, state.calendar, order_no, at).await {
        tracing::error!(order_no, error = %format!("{err:#}"), "granting entitlements failed; the sweep retries");
    }
}
