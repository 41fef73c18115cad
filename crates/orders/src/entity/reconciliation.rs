//! Entity of the `reconciliations` table: one report per business day (R23).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reconciliations")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub business_date: Date,
    pub source: String,
    pub transactions: i64,
    pub matched: i64,
    pub stray: i64,
    pub missing: i64,
    pub mismatched: i64,
    pub settled_amount: platform_core::Money,
    pub paid_amount: platform_core::Money,
    pub run_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
