//! Entity of the `order_lines` table: one row per item after promotion expansion.

use crate::model::LineStatus;
use catalog::Category;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_lines")]
pub(crate) struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    pub position: i32,
    pub input_line: i32,
    pub item_no: String,
    pub promotion_code: Option<String>,
    pub category: Category,
    pub product_code: Option<String>,
    pub quantity: i32,
    pub returned_quantity: i32,
    pub shipped_quantity: i32,
    pub amount: platform_core::Money,
    pub status: LineStatus,
    pub subinventory: String,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
