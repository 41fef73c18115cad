//! Entity of the `order_returns` table: one row per cancellation or return, keyed by the caller's key.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_returns")]
pub(crate) struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    pub return_key: String,
    pub kind: String,
    pub refund_amount: platform_core::Money,
    pub shipping_refund: platform_core::Money,
    pub supplementary_charge: platform_core::Money,
    pub reason: String,
    pub refund_key: Option<String>,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
