//! Orders: `createOrder`, `recordPayment`, `bindOrderMember`, `order`, `orders`. Services and admins
//! write; a member reads only the orders bound to it.

use crate::access::{Require, principal};
use crate::catalog::Category;
use crate::error::{from_domain, internal};
use crate::loaders::Loaders;
use crate::membership::{Address, Customer, Member};
use crate::paging::{DEFAULT_PAGE, MAX_PAGE, Page};
use crate::{ApiState, Date};
use async_graphql::connection::{Connection, Edge, OpaqueCursor};
use async_graphql::{Context, InputObject, Lookahead, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use members::{AccessError, Account, Change, CustomerInput as NewCustomer, service as members_service};
use orders::model::{LineInput, NewOrder, OrderFilter as Filter, Payer, PaymentReport};

#[derive(Default)]
pub(crate) struct OrdersQuery;

#[Object]
impl OrdersQuery {
    /// An order by number. `null` when there is none. A member token reads only orders bound to it.
    #[graphql(guard = "Require::Token")]
    async fn order(&self, ctx: &Context<'_>, order_no: String) -> Result<Option<Order>> {
        let state = ctx.data::<ApiState>()?;
        let caller = principal(ctx);
        let found = state.orders.find(order_no.trim()).await.map_err(from_domain)?;
        if let Some(own) = caller.member_account()
            && found.as_ref().and_then(|o| o.member_account.as_ref()) != Some(own)
        {
            // Unknown and foreign orders look the same to a member.
            return Err(from_domain(AccessError::Forbidden("a member sees only its own orders")));
        }
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
        let requested = filter
            .member_account
            .as_deref()
            .map(Account::parse)
            .transpose()
            .map_err(|e| from_domain(members::MembersError::from(e)))?;
        let member = principal(ctx).scope(requested.as_ref()).map_err(from_domain)?;
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
            .list(&filter, page.after.as_ref().map(|c| c.0), page.limit())
            .await
            .map_err(from_domain)?;
        let has_next_page = rows.len() > page.first;
        rows.truncate(page.first);
        let (ids, orders): (Vec<i64>, Vec<orders::Order>) = rows.into_iter().map(|r| (r.id, r.order)).unzip();
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
        let account = Account::parse(&account).map_err(|e| from_domain(members::MembersError::from(e)))?;
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

/// An order (訂單).
pub(crate) struct Order(orders::Order, People);

/// The member and payer of an order, read with it when the selection asks for them (`None`: not asked).
#[derive(Default)]
pub(crate) struct People {
    member: Option<Option<members::Member>>,
    payer: Option<Option<members::Customer>>,
}

/// `orders` with the members and payers `selection` (the selection of each order) asks for, one query
/// each whatever the number of orders: one order or a page go the same way.
async fn with_people(
    ctx: &Context<'_>,
    selection: Lookahead<'_>,
    orders: Vec<orders::Order>,
) -> Result<Vec<Order>> {
    let db = &ctx.data::<ApiState>()?.db;
    let members = if selection.field("member").exists() {
        let accounts: Vec<Account> = orders.iter().filter_map(|o| o.member_account.clone()).collect();
        Some(members_service::find_members(db, &accounts).await.map_err(from_domain)?)
    } else {
        None
    };
    let payers = if selection.field("payer").exists() {
        let numbers: Vec<&str> = orders.iter().map(|o| o.payer_customer_no.as_str()).collect();
        Some(members_service::find_customers(db, &numbers).await.map_err(from_domain)?)
    } else {
        None
    };
    Ok(orders
        .into_iter()
        .map(|order| {
            let people = People {
                member: members
                    .as_ref()
                    .map(|m| order.member_account.as_ref().and_then(|a| m.get(a).cloned())),
                payer: payers.as_ref().map(|p| p.get(&order.payer_customer_no).cloned()),
            };
            Order(order, people)
        })
        .collect())
}

/// One order, as a mutation returns it (see [`with_people`]).
async fn one_with_people(ctx: &Context<'_>, order: orders::Order) -> Result<Order> {
    with_people(ctx, ctx.look_ahead(), vec![order])
        .await?
        .pop()
        .ok_or_else(|| internal(anyhow::anyhow!("order vanished")))
}

#[Object]
impl Order {
    /// Order number, e.g. `O2611220000000042`: sorted by creation.
    async fn order_no(&self) -> &str {
        &self.0.order_no
    }
    /// Where it came from.
    async fn source(&self) -> OrderSource {
        self.0.source.into()
    }
    /// The source's reference.
    async fn source_code(&self) -> Option<&str> {
        self.0.source_code.as_deref()
    }
    /// Lifecycle: CREATED until paid, then CONFIRMED.
    async fn status(&self) -> OrderStatus {
        self.0.status.into()
    }
    /// PENDING, PAID or FAILED.
    async fn payment_status(&self) -> PaymentStatus {
        self.0.payment_status.into()
    }
    /// Σ line amounts + shipping fee, in TWD.
    async fn total_amount(&self) -> i64 {
        self.0.total_amount.amount()
    }
    /// Shipping fee.
    async fn shipping_fee(&self) -> i64 {
        self.0.shipping_fee.amount()
    }
    /// The bound member. Under the rule of `member(account:)`: a member token sees only itself here.
    async fn member(&self, ctx: &Context<'_>) -> Result<Option<Member>> {
        let Some(account) = &self.0.member_account else {
            return Ok(None);
        };
        principal(ctx).require_owner(account).map_err(from_domain)?;
        Ok(self.1.member.clone().flatten().map(Member))
    }
    /// The paying customer. Under the rule of `customer(customerNo:)`: a member token sees it only when
    /// that customer is linked to it (an order bound to a member may be paid by someone else's customer,
    /// whose name and address are not the member's to read); otherwise `null` with `FORBIDDEN` here.
    async fn payer(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        let loaders = ctx.data::<Loaders>()?;
        let viewer = principal(ctx);
        let linked = match viewer.member_account() {
            Some(account) => {
                loaders.linked.load_one(account.clone()).await.map_err(from_domain)?.unwrap_or_default()
            }
            None => Vec::new(),
        };
        members_service::may_see_customer(viewer, &linked, &self.0.payer_customer_no).map_err(from_domain)?;
        Ok(self.1.payer.clone().flatten().map(Customer))
    }
    /// Who receives the goods.
    async fn receiver(&self) -> Receiver {
        let r = &self.0.receiver;
        Receiver {
            name: r.name.clone(),
            phone: r.phone.clone(),
            mobile: r.mobile.clone(),
            email: r.email.clone(),
            address: r.address.clone().into(),
        }
    }
    /// Lines after promotion expansion.
    async fn lines(&self) -> Vec<OrderLine> {
        self.0.lines.iter().cloned().map(OrderLine::from).collect()
    }
    /// Invoice fields.
    async fn invoice(&self) -> Invoice {
        let i = &self.0.invoice;
        Invoice {
            r#type: i32::from(i.invoice_type),
            title: i.title.clone(),
            issue_type: i.issue_type.clone(),
            vat: i.vat.clone(),
            carrier_type: i.carrier_type.clone(),
            carrier_code: i.carrier_code.clone(),
            donation_code: i.donation_code.clone(),
        }
    }
    /// e.g. `CREDIT_CARD`.
    async fn payment_method(&self) -> Option<&str> {
        self.0.payment_method.as_deref()
    }
    /// Whether a card token is kept for renewals (the token itself is never returned).
    async fn has_payment_token(&self) -> bool {
        self.0.has_payment_token
    }
    /// Last 4 digits of the card.
    async fn card_last4(&self) -> Option<&str> {
        self.0.card_last4.as_deref()
    }
    /// A gift (贈閱) order.
    async fn complimentary(&self) -> bool {
        self.0.complimentary
    }
    /// Payment results received, oldest first.
    async fn payments(&self) -> Vec<Payment> {
        self.0
            .payments
            .iter()
            .map(|p| Payment {
                transaction_id: p.transaction_id.clone(),
                status: p.status.into(),
                amount: p.amount.amount(),
                paid_at: p.paid_at,
                capture: p.capture.map(CaptureStatus::from),
                captured_amount: p.captured_amount.map(|m| m.amount()),
                captured_at: p.captured_at,
            })
            .collect()
    }
    /// Refunds of its payment, oldest first (R19): amount, status (PENDING, UNKNOWN while a lost answer is
    /// being settled, REFUNDED, DECLINED), the gateway's refund id, why.
    async fn refunds(&self, ctx: &Context<'_>) -> Result<Vec<Refund>> {
        let state = ctx.data::<ApiState>()?;
        let refunds =
            ::orders::service::refunds_of(&state.db, &self.0.order_no).await.map_err(from_domain)?;
        Ok(refunds.into_iter().map(Refund::from).collect())
    }
    /// Its cancellation and returns, oldest first, each with its refund (R19).
    async fn returns(&self, ctx: &Context<'_>) -> Result<Vec<crate::aftersale::OrderReturn>> {
        crate::aftersale::of_order(ctx.data::<ApiState>()?, &self.0.order_no).await
    }
    /// When it was cancelled (R19).
    async fn cancelled_at(&self) -> Option<DateTime<Utc>> {
        self.0.cancelled_at
    }
    /// The channel's own id (APP: the store's original transaction id; R21).
    async fn channel_order_id(&self) -> Option<&str> {
        self.0.channel_order_id.as_deref()
    }
    /// When it became SHIPPED: a BOOK or EVENT line shipped (R21).
    async fn shipped_at(&self) -> Option<DateTime<Utc>> {
        self.0.shipped_at
    }
    /// When it became ready for the ERP: paid, its entitlements computed (R21 `order.ready`). Services
    /// and admins.
    #[graphql(guard = "Require::Operator")]
    async fn ready_at(&self) -> Option<DateTime<Utc>> {
        self.0.ready_at
    }
    /// The ERP's order number, once the ERP confirmed the transfer (R21). Services and admins.
    #[graphql(guard = "Require::Operator")]
    async fn erp_order_no(&self) -> Option<&str> {
        self.0.erp_order_no.as_deref()
    }
    /// When the ERP confirmed it. Services and admins.
    #[graphql(guard = "Require::Operator")]
    async fn erp_confirmed_at(&self) -> Option<DateTime<Utc>> {
        self.0.erp_confirmed_at
    }
    /// When it was paid.
    async fn paid_at(&self) -> Option<DateTime<Utc>> {
        self.0.paid_at
    }
    /// Created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// One item of an order (R1: a promotion's share of the paid amount).
#[derive(SimpleObject)]
pub(crate) struct OrderLine {
    position: i32,
    item_no: String,
    promotion_code: Option<String>,
    category: Category,
    product_code: Option<String>,
    quantity: i32,
    /// Units that came back (R19).
    returned_quantity: i32,
    /// Units shipped (R21).
    shipped_quantity: i32,
    amount: i64,
    status: LineStatus,
    subinventory: String,
}

impl From<orders::OrderLine> for OrderLine {
    fn from(l: orders::OrderLine) -> Self {
        OrderLine {
            position: l.position,
            item_no: l.item_no,
            promotion_code: l.promotion_code,
            category: l.category.into(),
            product_code: l.product_code,
            quantity: l.quantity,
            returned_quantity: l.returned_quantity,
            shipped_quantity: l.shipped_quantity,
            amount: l.amount.amount(),
            status: l.status.into(),
            subinventory: l.subinventory,
        }
    }
}

/// Who receives an order.
#[derive(SimpleObject)]
pub(crate) struct Receiver {
    name: String,
    phone: Option<String>,
    mobile: Option<String>,
    email: Option<String>,
    address: Address,
}

/// Invoice fields (seed 004): `type` 1紙本 2會員載具 3手機條碼載具 4自然人憑證載具 5公司戶電子發票 6捐贈發票.
#[derive(SimpleObject, InputObject)]
#[graphql(input_name = "InvoiceInput")]
pub(crate) struct Invoice {
    r#type: i32,
    title: Option<String>,
    issue_type: Option<String>,
    vat: Option<String>,
    carrier_type: Option<String>,
    carrier_code: Option<String>,
    donation_code: Option<String>,
}

/// One payment result.
#[derive(SimpleObject)]
pub(crate) struct Payment {
    transaction_id: String,
    status: PaymentResult,
    amount: i64,
    paid_at: DateTime<Utc>,
    /// A paid payment's capture (R23): CAPTURED at once, or AUTHORISED until `CAPTURE_PAYMENTS` makes it
    /// CAPTURED or VOIDED; null for a failed one.
    capture: Option<CaptureStatus>,
    /// TWD captured (what was left after refunds of an authorisation), once captured.
    captured_amount: Option<i64>,
    /// When it was captured or voided.
    captured_at: Option<DateTime<Utc>>,
}

/// A refund of an order's payment (R19).
#[derive(SimpleObject)]
pub(crate) struct Refund {
    /// TWD given back (or asked to be).
    amount: i64,
    /// Where it stands.
    status: RefundStatus,
    /// The gateway's refund id, once refunded.
    refund_id: Option<String>,
    /// Why it was made.
    reason: String,
    /// The gateway's reason, when declined.
    decline_reason: Option<String>,
    /// Asked.
    created_at: DateTime<Utc>,
    /// Settled.
    settled_at: Option<DateTime<Utc>>,
}

impl From<::orders::service::Refund> for Refund {
    fn from(r: ::orders::service::Refund) -> Self {
        Refund {
            amount: r.amount.amount(),
            status: r.status.into(),
            refund_id: r.refund_id,
            reason: r.reason,
            decline_reason: r.decline_reason,
            created_at: r.created_at,
            settled_at: r.settled_at,
        }
    }
}

mirror_enum!(
    /// Where a refund stands: PENDING (the gateway is being asked), UNKNOWN (its answer was lost; settled by
    /// lookup), REFUNDED, DECLINED.
    RefundStatus => ::orders::service::RefundStatus { Pending, Unknown, Refunded, Declined }
);

/// `createOrder` input (SPEC §4).
#[derive(InputObject)]
pub(crate) struct CreateOrderInput {
    idempotency_key: String,
    source: OrderSource,
    source_code: Option<String>,
    /// The channel's own id of the order: for `APP`, the store's original transaction id (required, unique
    /// per source; R21).
    #[graphql(validator(max_length = 128))]
    channel_order_id: Option<String>,
    /// May be bound later with `bindOrderMember`.
    member_account: Option<String>,
    /// `{ customerNo }` of an existing customer, or the data of a new one.
    payer: CustomerInput,
    receiver: ReceiverInput,
    /// `itemNo` may be a promotion code (R1); `amount` is what was paid for the line.
    lines: Vec<OrderLineInput>,
    #[graphql(default)]
    shipping_fee: i32,
    invoice: Option<Invoice>,
    payment_method: Option<String>,
    /// Saved for renewals; never returned.
    payment_token: Option<String>,
    card_last4: Option<String>,
    /// A gift (贈閱) order: entitlements become COMPLIMENTARY.
    #[graphql(default)]
    complimentary: bool,
}

/// The payer: an existing customer by number, or a new customer.
#[derive(InputObject)]
pub(crate) struct CustomerInput {
    customer_no: Option<String>,
    customer_id: Option<String>,
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    mobile: Option<String>,
    address: Option<Address>,
}

/// Who receives the goods.
#[derive(InputObject)]
pub(crate) struct ReceiverInput {
    name: String,
    phone: Option<String>,
    mobile: Option<String>,
    email: Option<String>,
    address: Option<Address>,
}

/// One requested line.
#[derive(InputObject)]
pub(crate) struct OrderLineInput {
    /// An item number or a promotion code.
    item_no: String,
    #[graphql(default = 1)]
    quantity: i32,
    /// Paid for the whole line, in TWD.
    amount: i32,
}

/// `recordPayment` input.
#[derive(InputObject)]
pub(crate) struct PaymentResultInput {
    order_no: String,
    transaction_id: String,
    status: PaymentResult,
    amount: i32,
    paid_at: Option<DateTime<Utc>>,
}

/// Which orders to list.
#[derive(InputObject, Default)]
pub(crate) struct OrderFilter {
    member_account: Option<String>,
    customer_no: Option<String>,
    source: Option<OrderSource>,
    status: Option<OrderStatus>,
    payment_status: Option<PaymentStatus>,
    /// Created on or after this business date.
    created_from: Option<Date>,
    /// Created on or before this business date.
    created_to: Option<Date>,
}

impl From<CreateOrderInput> for NewOrder {
    fn from(input: CreateOrderInput) -> Self {
        let set = |v: Option<String>| v.map_or(Change::Keep, Change::Set);
        let payer = match input.payer.customer_no {
            Some(no) => Payer::Existing(no),
            None => Payer::New(Box::new(NewCustomer {
                customer_no: None,
                customer_id: set(input.payer.customer_id),
                name: Change::Set(input.payer.name.unwrap_or_default()),
                email: set(input.payer.email),
                phone: set(input.payer.phone),
                mobile: set(input.payer.mobile),
                address: input.payer.address.map_or(Change::Keep, |a| Change::Set(a.into())),
                parent_customer_no: Change::Keep,
                addresses: Change::Keep,
                contacts: Change::Keep,
            })),
        };
        NewOrder {
            idempotency_key: input.idempotency_key,
            source: Some(input.source.into()),
            channel_order_id: input.channel_order_id,
            source_code: input.source_code,
            member_account: input.member_account,
            payer,
            receiver: orders::Receiver {
                name: input.receiver.name,
                phone: input.receiver.phone,
                mobile: input.receiver.mobile,
                email: input.receiver.email,
                address: input.receiver.address.map(Into::into).unwrap_or_default(),
            },
            lines: input
                .lines
                .into_iter()
                .map(|l| LineInput { item_no: l.item_no, quantity: l.quantity, amount: i64::from(l.amount) })
                .collect(),
            shipping_fee: i64::from(input.shipping_fee),
            invoice: input.invoice.map(|i| orders::Invoice {
                invoice_type: i16::try_from(i.r#type).unwrap_or(0),
                title: i.title,
                issue_type: i.issue_type,
                vat: i.vat,
                carrier_type: i.carrier_type,
                carrier_code: i.carrier_code,
                donation_code: i.donation_code,
            }),
            payment_method: input.payment_method,
            payment_token: input.payment_token,
            card_last4: input.card_last4,
            complimentary: input.complimentary,
        }
    }
}

mirror_enum!(
    /// Where an order came from.
    OrderSource => orders::OrderSource { Ec, App, NineOneApp, Auto, Import }
);
mirror_enum!(
    /// An order's lifecycle.
    OrderStatus => orders::OrderStatus { Created, Confirmed, Cancelled, Shipped }
);
mirror_enum!(
    /// Where an order's payment stands.
    PaymentStatus => orders::PaymentStatus { Pending, Paid, Failed }
);
mirror_enum!(
    /// Where a paid payment's capture stands (R23).
    CaptureStatus => orders::CaptureStatus { Authorised, Capturing, Captured, Voided }
);
mirror_enum!(
    /// A payment result.
    PaymentResult => orders::PaymentResult { Paid, Failed }
);

mirror_enum!(
    /// An order line's status (R2: every category is CONFIRMED on creation; R19 after a return or cancellation;
    /// R21 SHIPPED once every unit not returned has shipped).
    LineStatus => orders::model::LineStatus { Confirmed, PartReturned, Returned, Cancelled, Shipped }
);
