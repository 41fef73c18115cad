//! Entity of the `shipment_lines` table: how many units of a line a shipment carried.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shipment_lines")]
pub(crate) struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shipment_id: i64,
    pub order_line_id: i64,
    pub quantity: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
