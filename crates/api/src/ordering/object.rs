//! The `Order` object: an order with its people (member, payer) loaded for the page, and its fields.

use super::values::*;
use crate::ApiState;
use crate::access::{Require, principal};
use crate::error::{from_domain, internal};
use crate::loaders::Loaders;
use crate::membership::{Customer, Member};
use async_graphql::{Context, Lookahead, Object, Result};
use chrono::{DateTime, Utc};
use members::{Account, service as members_service};

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
pub(crate) async fn with_people(
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
pub(crate) async fn one_with_people(ctx: &Context<'_>, order: orders::Order) -> Result<Order> {
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
