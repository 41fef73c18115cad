//! Entity of the `reconciliation_items` table: what a reconciliation found, once per (kind, transaction).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reconciliation_items")]
pub(crate) struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub business_date: Date,
    pub kind: String,
    pub transaction_id: String,
    pub order_no: Option<String>,
    pub expected: Option<platform_core::Money>,
    pub settled: Option<platform_core::Money>,
    pub found_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
