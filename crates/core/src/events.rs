//! The event log (R12): every state change appends one row, in the same transaction as the change.
//!
//! It is the transactional outbox: the webhook and e-mail dispatchers read it in `id` order, so an event is
//! published if and only if its change committed. Rows are never updated or deleted here.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, QueryOrder, QuerySelect};
use serde_json::Value;

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "events")]
    pub(crate) struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub event_id: Uuid,
        pub event_type: String,
        pub subject: String,
        pub payload: String,
        pub occurred_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// An event about to be appended.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// Dotted type, e.g. `member.email_changed`, `order.paid`.
    pub event_type: &'static str,
    /// What the event is about, as `kind:key`, e.g. `member:sun1229@gmail.com`. Events of one subject are
    /// delivered in order.
    pub subject: String,
    /// The event's data.
    pub payload: Value,
}

/// An event of the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Position in the log: increasing in commit order of appends within one writer.
    pub id: i64,
    /// Globally unique id (UUID v7), sent as `webhook-id`.
    pub event_id: Uuid,
    /// Dotted type.
    pub event_type: String,
    /// `kind:key`.
    pub subject: String,
    /// The event's data.
    pub payload: Value,
    /// When the change happened.
    pub occurred_at: DateTime<Utc>,
}

/// Which events to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Only this type.
    pub event_type: Option<String>,
    /// Only this subject.
    pub subject: Option<String>,
}

/// Appends `event` as of `at` on `db` (pass the transaction of the change).
pub async fn append(db: &impl ConnectionTrait, event: NewEvent, at: DateTime<Utc>) -> Result<Event, DbErr> {
    let payload = event.payload.to_string();
    let row = entity::ActiveModel {
        event_id: Set(Uuid::now_v7()),
        event_type: Set(event.event_type.to_owned()),
        subject: Set(event.subject),
        payload: Set(payload),
        occurred_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    from_row(row)
}

/// Appends `events` in order with multi-row inserts (the batch jobs' many events of one transaction).
pub async fn append_many(
    db: &impl ConnectionTrait,
    events: Vec<NewEvent>,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    // Five columns a row: far under SQLite's bind-parameter limit.
    const CHUNK: usize = 1000;
    let mut rows = events.into_iter().map(|event| entity::ActiveModel {
        event_id: Set(Uuid::now_v7()),
        event_type: Set(event.event_type.to_owned()),
        subject: Set(event.subject),
        payload: Set(event.payload.to_string()),
        occurred_at: Set(at),
        ..Default::default()
    });
    loop {
        let chunk: Vec<_> = rows.by_ref().take(CHUNK).collect();
        if chunk.is_empty() {
            return Ok(());
        }
        entity::Entity::insert_many(chunk).exec_without_returning(db).await?;
    }
}

/// Up to `limit` events matching `filter` with an `id` above `after`, oldest first.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &EventFilter,
    after: Option<i64>,
    limit: u64,
) -> Result<Vec<Event>, DbErr> {
    let mut query = entity::Entity::find().order_by_asc(entity::Column::Id).limit(limit);
    if let Some(event_type) = &filter.event_type {
        query = query.filter(entity::Column::EventType.eq(event_type.as_str()));
    }
    if let Some(subject) = &filter.subject {
        query = query.filter(entity::Column::Subject.eq(subject.as_str()));
    }
    if let Some(after) = after {
        query = query.filter(entity::Column::Id.gt(after));
    }
    query.all(db).await?.into_iter().map(from_row).collect()
}

/// What the fan-out of a dispatcher needs of an event: its position, type and subject, without the payload.
#[derive(Debug, Clone, PartialEq, Eq, sea_orm::FromQueryResult)]
pub struct EventHeader {
    /// Position in the log.
    pub id: i64,
    /// Dotted type.
    pub event_type: String,
    /// `kind:key`.
    pub subject: String,
}

/// Up to `limit` event headers with an `id` above `after`, oldest first.
pub async fn headers_after(
    db: &impl ConnectionTrait,
    after: i64,
    limit: u64,
) -> Result<Vec<EventHeader>, DbErr> {
    entity::Entity::find()
        .select_only()
        .column(entity::Column::Id)
        .column(entity::Column::EventType)
        .column(entity::Column::Subject)
        .filter(entity::Column::Id.gt(after))
        .order_by_asc(entity::Column::Id)
        .limit(limit)
        .into_model::<EventHeader>()
        .all(db)
        .await
}

/// The events with these `id`s, in `id` order.
pub async fn by_ids(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<Event>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = entity::Entity::find()
        .filter(entity::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(entity::Column::Id)
        .all(db)
        .await?;
    rows.into_iter().map(from_row).collect()
}

/// The largest event `id` so far (0 when the log is empty).
pub async fn last_id(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let last = entity::Entity::find().order_by_desc(entity::Column::Id).limit(1).one(db).await?;
    Ok(last.map_or(0, |e| e.id))
}

fn from_row(row: entity::Model) -> Result<Event, DbErr> {
    let payload = serde_json::from_str(&row.payload)
        .map_err(|e| DbErr::Custom(format!("event {} has a payload that is not JSON: {e}", row.id)))?;
    Ok(Event {
        id: row.id,
        event_id: row.event_id,
        event_type: row.event_type,
        subject: row.subject,
        payload,
        occurred_at: row.occurred_at,
    })
}

/// How many events of `event_type` occurred in `[from, to)` (the report's counts of what has no table of
/// its own, e.g. `entitlement.expired`).
pub async fn count_between(
    db: &impl ConnectionTrait,
    event_type: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    entity::Entity::find()
        .filter(entity::Column::EventType.eq(event_type))
        .filter(entity::Column::OccurredAt.gte(from))
        .filter(entity::Column::OccurredAt.lt(to))
        .count(db)
        .await
}

/// The latest `limit` events of any of `subjects`, newest first (a subject's timeline: by `ix_events_subject`).
pub async fn of_subjects(
    db: &impl ConnectionTrait,
    subjects: &[String],
    limit: u64,
) -> Result<Vec<Event>, DbErr> {
    if subjects.is_empty() {
        return Ok(Vec::new());
    }
    entity::Entity::find()
        .filter(entity::Column::Subject.is_in(subjects.iter().map(String::as_str)))
        .order_by_desc(entity::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}

/// Event payloads copy names and contacts: an anonymized copy keeps only their ids, types and subjects.
pub const MASK: crate::bulk::Mask =
    crate::bulk::Mask { table: "events", sql: "UPDATE events SET payload = '{\"anonymized\":true}'" };
