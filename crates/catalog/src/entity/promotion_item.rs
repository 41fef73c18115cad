//! Entity of the `promotion_items` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "promotion_items")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub promotion_code: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i32,
    pub item_no: String,
    pub selling_price: platform_core::Money,
    pub quantity: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {
    #[sea_orm(
        belongs_to = "super::item::Entity",
        from = "Column::ItemNo",
        to = "super::item::Column::ItemNo"
    )]
    Item,
}

impl Related<super::item::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Item.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
