//! Entity of the `items` table.

use crate::model::{Category, Status};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "items")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub item_no: String,
    pub name: String,
    pub category: Category,
    pub sub_category: Option<String>,
    pub product_code: Option<String>,
    pub term_issues: Option<i32>,
    pub term_months: Option<i32>,
    pub term_days: Option<i32>,
    pub mz_volume: Option<i32>,
    pub publish_date: Option<Date>,
    pub item_status: Status,
    pub list_price: Option<platform_core::Money>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
