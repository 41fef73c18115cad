//! Entity of the `products` table.

use crate::model::ProductKind;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub product_code: String,
    pub name: String,
    pub kind: ProductKind,
    pub digital: bool,
    pub sub_category: Option<String>,
    pub cadence_days: Option<i32>,
    pub cadence_months: Option<i32>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
