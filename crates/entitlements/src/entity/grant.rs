//! Entity of the `entitlement_grants` ledger: append-only: one ORDER row per order line at most, and REVOKE rows (R19) pointing at the line they take back.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "entitlement_grants")]
pub(crate) struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub entitlement_id: Option<i64>,
    pub order_line_id: Option<i64>,
    pub kind: String,
    pub outcome: String,
    pub reason: Option<String>,
    pub start_volume: Option<i32>,
    pub end_volume: Option<i32>,
    pub right_due_date: Option<Date>,
    pub seniority_thousandths: i64,
    pub granted_at: ChronoDateTimeUtc,
    pub revoked_line_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
