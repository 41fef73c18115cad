//! Entity of the `webhook_endpoints` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub(crate) struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub url: String,
    pub event_types: platform_core::json::JsonText<Vec<String>>,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<ChronoDateTimeUtc>,
    pub status: String,
    pub disabled_reason: Option<String>,
    pub start_event_id: i64,
    pub last_event_id: i64,
    /// `STANDARD_WEBHOOKS`, or `SLACK` for the Slack incoming webhook of the settings.
    pub format: String,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
