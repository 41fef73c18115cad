//! Entity of the `members` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "members")]
pub(crate) struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account: String,
    pub uuid: Uuid,
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub marketing_opt_in: bool,
    pub content_opt_in: bool,
    pub verified: bool,
    pub nine_one_member_info: Option<String>,
    pub trade_van_member_info: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
