//! Entity of the `job_runs` table. Private to this crate.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_runs")]
pub(crate) struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub as_of: Date,
    pub status: Stored,
    pub started_at: ChronoDateTimeUtc,
    pub finished_at: Option<ChronoDateTimeUtc>,
    pub processed: i64,
    pub failed: i64,
    pub error: Option<String>,
    pub requested_by: Option<String>,
    pub forced: bool,
    pub heartbeat_at: Option<ChronoDateTimeUtc>,
}

/// A run's status as stored; a run still RUNNING whose heartbeat stopped is read as abandoned. A name not
/// listed here is an error where it is read, never a default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub(crate) enum Stored {
    #[sea_orm(string_value = "RUNNING")]
    Running,
    #[sea_orm(string_value = "SUCCEEDED")]
    Succeeded,
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
