//! Entity of the `entitlements` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "entitlements")]
pub(crate) struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub holder_customer_id: Option<platform_core::CustomerId>,
    pub holder_member_id: Option<platform_core::MemberId>,
    pub product_code: String,
    pub start_volume: Option<i32>,
    pub start_volume_date: Option<Date>,
    pub end_volume: Option<i32>,
    pub end_volume_date: Option<Date>,
    pub right_due_date: Option<Date>,
    pub seniority_thousandths: i64,
    pub subscribe_status: i16,
    pub temporary_until: Option<Date>,
    pub estimated: bool,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
