//! Entity of the `promotions` table.

use crate::model::{RenewalPeriod, Status};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "promotions")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub promotion_code: String,
    pub name: String,
    pub total_amount: platform_core::Money,
    pub renewal_period: Option<RenewalPeriod>,
    pub renewal_promotion_code: Option<String>,
    pub status: Status,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
