//! Entity of the `renewal_charges` table: one charge intent per attempt.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "renewal_charges")]
pub(crate) struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub renewal_id: i64,
    pub attempt: i32,
    pub idempotency_key: String,
    pub order_no: String,
    pub amount: platform_core::Money,
    pub status: String,
    pub transaction_id: Option<String>,
    pub reason: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub settled_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
