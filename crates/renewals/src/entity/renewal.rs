//! Entity of the `renewals` table.

use platform_core::json::JsonText;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "renewals")]
pub(crate) struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub customer_id: platform_core::CustomerId,
    pub member_id: Option<platform_core::MemberId>,
    pub promotion_code: String,
    pub product_codes: catalog::ProductCodes,
    pub product_name: Option<String>,
    pub deduct_date: Date,
    pub deduct_price: platform_core::Money,
    pub shipping_fee: platform_core::Money,
    pub payment: String,
    pub payment_method: Option<String>,
    pub payment_card: Option<String>,
    pub payment_token: Option<platform_core::tokens::Token>,
    pub renew_status: i16,
    pub cycle: i32,
    pub source: String,
    pub source_code: Option<String>,
    pub origin_order_no: Option<String>,
    pub failure_reason: Option<String>,
    pub superseded_by_id: Option<i64>,
    pub creation_key: Option<String>,
    pub lease_owner: Option<String>,
    pub lease_until: Option<ChronoDateTimeUtc>,
    pub attempts: i32,
    pub failed_on: Option<Date>,
    pub next_retry_on: Option<Date>,
    pub notice_sent_on: Option<Date>,
    pub charge_order_no: Option<String>,
    pub receiver: Option<JsonText<orders::Receiver>>,
    pub invoice: Option<JsonText<orders::Invoice>>,
    pub skip_anchor: Option<Date>,
    pub skipped_cycles: i32,
    pub cancel_reason: Option<String>,
    pub cancel_note: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
