//! Entity of the `renewal_price_notices` table: which renewal's payer was told of which price change, when.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "renewal_price_notices")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub price_change_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub renewal_id: i64,
    pub sent_on: Date,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
