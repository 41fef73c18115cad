//! The values of an order on the wire: lines, receiver, invoice, payments, refunds, the inputs and enums.

use crate::Date;
use crate::catalog::Category;
use crate::membership::Address;
use async_graphql::{InputObject, SimpleObject};
use chrono::{DateTime, Utc};
use members::{Change, CustomerInput as NewCustomer};
use orders::model::{LineInput, NewOrder, Payer};

/// One item of an order (R1: a promotion's share of the paid amount).
#[derive(SimpleObject)]
pub(crate) struct OrderLine {
    pub(crate) position: i32,
    pub(crate) item_no: String,
    pub(crate) promotion_code: Option<String>,
    pub(crate) category: Category,
    pub(crate) product_code: Option<String>,
    pub(crate) quantity: i32,
    /// Units that came back (R19).
    pub(crate) returned_quantity: i32,
    /// Units shipped (R21).
    pub(crate) shipped_quantity: i32,
    pub(crate) amount: i64,
    pub(crate) status: LineStatus,
    pub(crate) subinventory: String,
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
    pub(crate) name: String,
    pub(crate) phone: Option<String>,
    pub(crate) mobile: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) address: Address,
}

/// Invoice fields (seed 004): `type` 1紙本 2會員載具 3手機條碼載具 4自然人憑證載具 5公司戶電子發票 6捐贈發票.
#[derive(SimpleObject, InputObject)]
#[graphql(input_name = "InvoiceInput")]
pub(crate) struct Invoice {
    pub(crate) r#type: i32,
    pub(crate) title: Option<String>,
    pub(crate) issue_type: Option<String>,
    pub(crate) vat: Option<String>,
    pub(crate) carrier_type: Option<String>,
    pub(crate) carrier_code: Option<String>,
    pub(crate) donation_code: Option<String>,
}

/// One payment result.
#[derive(SimpleObject)]
pub(crate) struct Payment {
    pub(crate) transaction_id: String,
    pub(crate) status: PaymentResult,
    pub(crate) amount: i64,
    pub(crate) paid_at: DateTime<Utc>,
    /// A paid payment's capture (R23): CAPTURED at once, or AUTHORISED until `CAPTURE_PAYMENTS` makes it
    /// CAPTURED or VOIDED; null for a failed one.
    pub(crate) capture: Option<CaptureStatus>,
    /// TWD captured (what was left after refunds of an authorisation), once captured.
    pub(crate) captured_amount: Option<i64>,
    /// When it was captured or voided.
    pub(crate) captured_at: Option<DateTime<Utc>>,
}

/// A refund of an order's payment (R19).
#[derive(SimpleObject)]
pub(crate) struct Refund {
    /// TWD given back (or asked to be).
    pub(crate) amount: i64,
    /// Where it stands.
    pub(crate) status: RefundStatus,
    /// The gateway's refund id, once refunded.
    pub(crate) refund_id: Option<String>,
    /// Why it was made.
    pub(crate) reason: String,
    /// The gateway's reason, when declined.
    pub(crate) decline_reason: Option<String>,
    /// Asked.
    pub(crate) created_at: DateTime<Utc>,
    /// Settled.
    pub(crate) settled_at: Option<DateTime<Utc>>,
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
    pub(crate) idempotency_key: String,
    pub(crate) source: OrderSource,
    pub(crate) source_code: Option<String>,
    /// The channel's own id of the order: for `APP`, the store's original transaction id (required, unique
    /// per source; R21).
    #[graphql(validator(max_length = 128))]
    pub(crate) channel_order_id: Option<String>,
    /// May be bound later with `bindOrderMember`.
    pub(crate) member_account: Option<String>,
    /// `{ customerNo }` of an existing customer, or the data of a new one.
    pub(crate) payer: CustomerInput,
    pub(crate) receiver: ReceiverInput,
    /// `itemNo` may be a promotion code (R1); `amount` is what was paid for the line.
    pub(crate) lines: Vec<OrderLineInput>,
    #[graphql(default)]
    pub(crate) shipping_fee: i32,
    pub(crate) invoice: Option<Invoice>,
    pub(crate) payment_method: Option<String>,
    /// Saved for renewals; never returned.
    pub(crate) payment_token: Option<String>,
    pub(crate) card_last4: Option<String>,
    /// A gift (贈閱) order: entitlements become COMPLIMENTARY.
    #[graphql(default)]
    pub(crate) complimentary: bool,
}

/// The payer: an existing customer by number, or a new customer.
#[derive(InputObject)]
pub(crate) struct CustomerInput {
    pub(crate) customer_no: Option<String>,
    pub(crate) customer_id: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) mobile: Option<String>,
    pub(crate) address: Option<Address>,
}

/// Who receives the goods.
#[derive(InputObject)]
pub(crate) struct ReceiverInput {
    pub(crate) name: String,
    pub(crate) phone: Option<String>,
    pub(crate) mobile: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) address: Option<Address>,
}

/// One requested line.
#[derive(InputObject)]
pub(crate) struct OrderLineInput {
    /// An item number or a promotion code.
    pub(crate) item_no: String,
    #[graphql(default = 1)]
    pub(crate) quantity: i32,
    /// Paid for the whole line, in TWD.
    pub(crate) amount: i32,
}

/// `recordPayment` input.
#[derive(InputObject)]
pub(crate) struct PaymentResultInput {
    pub(crate) order_no: String,
    pub(crate) transaction_id: String,
    pub(crate) status: PaymentResult,
    pub(crate) amount: i32,
    pub(crate) paid_at: Option<DateTime<Utc>>,
}

/// Which orders to list.
#[derive(InputObject, Default)]
pub(crate) struct OrderFilter {
    pub(crate) member_account: Option<String>,
    pub(crate) customer_no: Option<String>,
    pub(crate) source: Option<OrderSource>,
    pub(crate) status: Option<OrderStatus>,
    pub(crate) payment_status: Option<PaymentStatus>,
    /// Created on or after this business date.
    pub(crate) created_from: Option<Date>,
    /// Created on or before this business date.
    pub(crate) created_to: Option<Date>,
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
