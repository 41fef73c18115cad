//! Entity of the `order_refunds` table: one refund intent per idempotency key.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_refunds")]
pub(crate) struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    pub idempotency_key: String,
    pub transaction_id: String,
    pub amount: platform_core::Money,
    pub reason: String,
    pub status: String,
    pub refund_id: Option<String>,
    pub decline_reason: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub settled_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
