//! Entity of the `price_changes` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "price_changes")]
pub(crate) struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub promotion_code: String,
    pub new_amount: platform_core::Money,
    pub effective_from: Date,
    pub created_by: String,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
