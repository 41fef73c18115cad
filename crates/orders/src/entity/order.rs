//! Entity of the `orders` table.

use crate::model::{OrderSource, OrderStatus, PaymentStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub(crate) struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_no: Option<String>,
    pub idempotency_key: String,
    pub request_hash: String,
    pub source: OrderSource,
    pub source_code: Option<String>,
    pub status: OrderStatus,
    pub payment_status: PaymentStatus,
    pub member_id: Option<platform_core::MemberId>,
    pub payer_customer_id: platform_core::CustomerId,
    pub receiver_name: String,
    pub receiver_phone: Option<String>,
    pub receiver_mobile: Option<String>,
    pub receiver_email: Option<String>,
    pub receiver_country: Option<String>,
    pub receiver_postal_code: Option<String>,
    pub receiver_city: Option<String>,
    pub receiver_street: Option<String>,
    pub total_amount: platform_core::Money,
    pub shipping_fee: platform_core::Money,
    pub invoice_type: i16,
    pub invoice_title: Option<String>,
    pub invoice_issue_type: Option<String>,
    pub invoice_vat: Option<String>,
    pub invoice_carrier_type: Option<String>,
    pub invoice_carrier_code: Option<String>,
    pub invoice_donation_code: Option<String>,
    pub payment_method: Option<String>,
    pub payment_token: Option<platform_core::tokens::Token>,
    pub card_last4: Option<String>,
    pub complimentary: bool,
    pub paid_at: Option<ChronoDateTimeUtc>,
    pub cancelled_at: Option<ChronoDateTimeUtc>,
    pub cancel_reason: Option<String>,
    pub ready_at: Option<ChronoDateTimeUtc>,
    pub erp_order_no: Option<String>,
    pub erp_confirmed_at: Option<ChronoDateTimeUtc>,
    pub shipped_at: Option<ChronoDateTimeUtc>,
    pub channel_order_id: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
