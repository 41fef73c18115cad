//! Domain types of orders: the stored order, its lines and payments, and the inputs that create them.

use crate::invoice::Invoice;
use catalog::Category;
use chrono::{DateTime, NaiveDate, Utc};
use members::{Account, Address, CustomerInput};
use platform_core::Money;
use sea_orm::entity::prelude::*;

/// Where an order came from (SPEC §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum OrderSource {
    /// An EC frontend.
    #[sea_orm(string_value = "EC")]
    Ec,
    /// The publisher's app.
    #[sea_orm(string_value = "APP")]
    App,
    /// 91APP.
    #[sea_orm(string_value = "NINE_ONE_APP")]
    NineOneApp,
    /// A renewal charge (續訂單).
    #[sea_orm(string_value = "AUTO")]
    Auto,
    /// Migrated from the legacy ERP.
    #[sea_orm(string_value = "IMPORT")]
    Import,
}

impl OrderSource {
    /// Its refunds are made by its channel and only recorded here (R19): the stores for APP and 91APP
    /// (seed 004), the ERP for its history.
    pub fn refunded_by_channel(self) -> bool {
        matches!(self, OrderSource::App | OrderSource::NineOneApp | OrderSource::Import)
    }
}

/// The order's lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum OrderStatus {
    /// Created, waiting for its payment.
    #[sea_orm(string_value = "CREATED")]
    Created,
    /// Paid (or free): its lines go to fulfilment and entitlements.
    #[sea_orm(string_value = "CONFIRMED")]
    Confirmed,
    /// Cancelled (R19): its lines are taken back and what was paid is refunded.
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
    /// A BOOK or EVENT line has shipped (R21, seed 004 任一商品出貨): returned from now on, not cancelled.
    #[sea_orm(string_value = "SHIPPED")]
    Shipped,
}

/// Where the order's payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum PaymentStatus {
    /// No result yet.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// Paid; final.
    #[sea_orm(string_value = "PAID")]
    Paid,
    /// The last attempt failed; a later one may still pay.
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

/// The result the payment service reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum PaymentResult {
    /// Paid.
    #[sea_orm(string_value = "PAID")]
    Paid,
    /// Declined or failed.
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

/// Where a paid payment's capture stands (R23): CAPTURED with the charge (`gateway.capture = IMMEDIATE`,
/// and every payment reported by callback or imported), or AUTHORISED until `CAPTURE_PAYMENTS` makes it
/// CAPTURED (what is left after refunds) or VOIDED (its order cancelled or refunded whole).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CaptureStatus {
    /// Authorised only: the card holds the amount, nothing is taken yet.
    #[sea_orm(string_value = "AUTHORISED")]
    Authorised,
    /// `CAPTURE_PAYMENTS` is asking the gateway; refunds wait for it.
    #[sea_orm(string_value = "CAPTURING")]
    Capturing,
    /// Taken (`capturedAmount`).
    #[sea_orm(string_value = "CAPTURED")]
    Captured,
    /// Given up: nothing was taken.
    #[sea_orm(string_value = "VOIDED")]
    Voided,
}

/// The status of an order line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum LineStatus {
    /// Accepted for fulfilment (seed: 立即 Confirm).
    #[sea_orm(string_value = "CONFIRMED")]
    Confirmed,
    /// Part of its quantity came back (R19).
    #[sea_orm(string_value = "PART_RETURNED")]
    PartReturned,
    /// All of its quantity came back (R19).
    #[sea_orm(string_value = "RETURNED")]
    Returned,
    /// Its order was cancelled (R19).
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
    /// Every unit not returned has shipped (R21).
    #[sea_orm(string_value = "SHIPPED")]
    Shipped,
}

/// Who receives the goods.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Receiver {
    /// Name (required).
    pub name: String,
    /// Phone.
    pub phone: Option<String>,
    /// Mobile.
    pub mobile: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Address.
    pub address: Address,
}

/// An order.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// Order number, e.g. `O26112200000042`.
    pub order_no: String,
    /// Where it came from.
    pub source: OrderSource,
    /// The source's own reference.
    pub source_code: Option<String>,
    /// Lifecycle.
    pub status: OrderStatus,
    /// Payment.
    pub payment_status: PaymentStatus,
    /// The bound member.
    pub member_account: Option<Account>,
    /// The paying customer's number.
    pub payer_customer_no: String,
    /// Who receives it.
    pub receiver: Receiver,
    /// Σ line amounts + shipping fee.
    pub total_amount: Money,
    /// Shipping fee.
    pub shipping_fee: Money,
    /// Invoice fields.
    pub invoice: Invoice,
    /// e.g. `CREDIT_CARD`.
    pub payment_method: Option<String>,
    /// Whether a payment token is kept for renewals (the token itself never leaves the platform).
    pub has_payment_token: bool,
    /// Last 4 digits of the card.
    pub card_last4: Option<String>,
    /// A gift (贈閱) order.
    pub complimentary: bool,
    /// The lines after promotion expansion.
    pub lines: Vec<OrderLine>,
    /// Payment results received, oldest first.
    pub payments: Vec<Payment>,
    /// When it was paid.
    pub paid_at: Option<DateTime<Utc>>,
    /// When it was cancelled (R19).
    pub cancelled_at: Option<DateTime<Utc>>,
    /// When it became ready for the ERP (paid, entitlements computed; R21 `order.ready`).
    pub ready_at: Option<DateTime<Utc>>,
    /// The ERP's order number, once the ERP confirmed the transfer.
    pub erp_order_no: Option<String>,
    /// When the ERP confirmed it.
    pub erp_confirmed_at: Option<DateTime<Utc>>,
    /// When it became SHIPPED (R21).
    pub shipped_at: Option<DateTime<Utc>>,
    /// The channel's own id of the order (an app store's original transaction id; R21).
    pub channel_order_id: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// One item of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    /// Position in the order, from 0.
    pub position: i32,
    /// Which input line it came from, from 0.
    pub input_line: i32,
    /// The item.
    pub item_no: String,
    /// The promotion it was expanded from.
    pub promotion_code: Option<String>,
    /// The item's category.
    pub category: Category,
    /// The item's product code.
    pub product_code: Option<String>,
    /// Units.
    pub quantity: i32,
    /// Units that came back (R19).
    pub returned_quantity: i32,
    /// Units shipped (R21).
    pub shipped_quantity: i32,
    /// Paid for this line (R1 share for promotion items).
    pub amount: Money,
    /// R2 status.
    pub status: LineStatus,
    /// Fulfilment subinventory.
    pub subinventory: String,
}

/// One payment result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// The payment service's transaction id.
    pub transaction_id: String,
    /// Paid or failed.
    pub status: PaymentResult,
    /// Amount.
    pub amount: Money,
    /// When it happened.
    pub paid_at: DateTime<Utc>,
    /// A paid payment's capture (`None` for a failed one).
    pub capture: Option<CaptureStatus>,
    /// What was captured, once captured.
    pub captured_amount: Option<Money>,
    /// When it was captured or voided.
    pub captured_at: Option<DateTime<Utc>>,
}

/// The payer of a new order: an existing customer, or the data of a new one.
#[derive(Debug, Clone, PartialEq)]
pub enum Payer {
    /// An existing customer number.
    Existing(String),
    /// A new customer.
    New(Box<CustomerInput>),
}

impl Default for Payer {
    fn default() -> Self {
        Payer::New(Box::default())
    }
}

/// One requested line: an item or promotion code, a quantity, and the amount paid for the line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LineInput {
    /// Item number or promotion code.
    pub item_no: String,
    /// Units (promotions: bundles).
    pub quantity: i32,
    /// Paid for the whole line, as given: checked into [`Money`](platform_core::Money) (0..=MAX) by
    /// `createOrder`, which names the line when it is out of bounds.
    pub amount: i64,
}

/// `createOrder`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewOrder {
    /// Same key + same payload → the same order; same key + other payload → CONFLICT.
    pub idempotency_key: String,
    /// Where it comes from.
    pub source: Option<OrderSource>,
    /// The source's reference.
    pub source_code: Option<String>,
    /// The channel's own id (APP: the store's original transaction id), unique per source (R21).
    pub channel_order_id: Option<String>,
    /// A member to bind now.
    pub member_account: Option<String>,
    /// Who pays.
    pub payer: Payer,
    /// Who receives.
    pub receiver: Receiver,
    /// The lines.
    pub lines: Vec<LineInput>,
    /// Shipping fee, as given (checked into `Money` like the lines' amounts).
    pub shipping_fee: i64,
    /// Invoice; the default is a paper invoice titled with the receiver's name.
    pub invoice: Option<Invoice>,
    /// e.g. `CREDIT_CARD`.
    pub payment_method: Option<String>,
    /// Gateway token for renewals; stored, never returned.
    pub payment_token: Option<String>,
    /// Last 4 digits of the card.
    pub card_last4: Option<String>,
    /// A gift order.
    pub complimentary: bool,
}

/// `recordPayment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentReport {
    /// The order.
    pub order_no: String,
    /// The payment service's transaction id; one result per id.
    pub transaction_id: String,
    /// Paid or failed.
    pub status: PaymentResult,
    /// Must equal the order's total; as given (checked into `Money` where it is recorded).
    pub amount: i64,
    /// When it happened; default now.
    pub paid_at: Option<DateTime<Utc>>,
}

/// Which orders to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    /// Bound to this member.
    pub member: Option<Account>,
    /// Paid by this customer.
    pub customer_no: Option<String>,
    /// From this source.
    pub source: Option<OrderSource>,
    /// In this status.
    pub status: Option<OrderStatus>,
    /// In this payment status.
    pub payment_status: Option<PaymentStatus>,
    /// Created on or after this business date.
    pub created_from: Option<NaiveDate>,
    /// Created on or before this business date.
    pub created_to: Option<NaiveDate>,
}
