//! Once-only posts: the daily report of a date and the failed-charges list of a day are published once,
//! whichever instance (or a second run by hand) comes first.

use crate::entity::post;
use chrono::{DateTime, Utc};
use platform_core::events::{self, NewEvent};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

/// Whether `key` was published already.
pub async fn published(db: &impl ConnectionTrait, key: &str) -> Result<bool, DbErr> {
    Ok(post::Entity::find_by_id(key.to_owned()).one(db).await?.is_some())
}

/// Appends `event` on `db` (pass a transaction) unless `key` was published already; whether it was.
pub async fn publish_once(
    db: &impl ConnectionTrait,
    key: &str,
    event: NewEvent,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let row = post::ActiveModel { key: Set(key.chars().take(120).collect()), created_at: Set(at) };
    let inserted = post::Entity::insert(row)
        .on_conflict(OnConflict::column(post::Column::Key).do_nothing().to_owned())
        .try_insert()
        .exec_without_returning(db)
        .await?;
    let first = matches!(inserted, sea_orm::TryInsertResult::Inserted(n) if n == 1);
    if first {
        events::append(db, event, at).await?;
    }
    Ok(first)
}
