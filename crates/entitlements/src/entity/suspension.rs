//! Entity of the `entitlement_suspensions` table: a print holder's delivery held for some issues (R20).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "entitlement_suspensions")]
pub(crate) struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub entitlement_id: i64,
    pub from_volume: i32,
    pub issues: i32,
    pub reason: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub resumed_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
