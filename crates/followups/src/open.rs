//! Opening follow-ups, in the caller's transaction: at most one open per (kind, subject).

use crate::entity::follow_up;
use crate::model::{FollowUp, NewFollowUp};
use crate::{FollowUpError, Kind, Priority, Status};
use chrono::{DateTime, Utc};
use platform_core::events::{self, NewEvent};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use serde_json::json;
use std::collections::HashSet;

/// Rows per insert: well below SQLite's 32,766 bound parameters at 11 columns.
const CHUNK: usize = 1000;
/// Longest subject key, summary.
const MAX_SUBJECT: usize = 200;
const MAX_SUMMARY: usize = 500;

/// Opens one follow-up on `db` (pass the transaction of its cause): the opened one, or `None` when one of
/// that kind is already open for the subject.
pub async fn open(
    db: &impl ConnectionTrait,
    new: NewFollowUp,
    at: DateTime<Utc>,
) -> Result<Option<FollowUp>, DbErr> {
    Ok(open_many(db, vec![new], at).await?.into_iter().next())
}

/// Opens follow-ups on `db` (pass the transaction of their cause), each with a `follow_up.opened` event;
/// those whose (kind, subject) already has an open one are left out. The opened ones, in input order.
pub async fn open_many(
    db: &impl ConnectionTrait,
    new: Vec<NewFollowUp>,
    at: DateTime<Utc>,
) -> Result<Vec<FollowUp>, DbErr> {
    let mut seen = HashSet::new();
    let rows: Vec<follow_up::ActiveModel> = new
        .into_iter()
        .filter(|n| seen.insert(open_key(n.kind, &n.subject)))
        .map(|n| row_of(n, at))
        .collect();
    let mut opened = Vec::new();
    for chunk in rows.chunks(CHUNK) {
        let inserted = follow_up::Entity::insert_many(chunk.to_vec())
            .on_conflict(OnConflict::column(follow_up::Column::OpenKey).do_nothing().to_owned())
            .exec_with_returning(db)
            .await;
        let inserted = match inserted {
            Ok(rows) => rows,
            Err(DbErr::RecordNotInserted) => Vec::new(),
            Err(err) => return Err(err),
        };
        for row in inserted {
            let follow_up = from_row(row).map_err(|e| DbErr::Custom(e.to_string()))?;
            events::append(db, opened_event(&follow_up), at).await?;
            opened.push(follow_up);
        }
    }
    opened.sort_by_key(|f| f.id);
    Ok(opened)
}

/// Checks that `subject` is `kind:key` with the kind's subject kind and a printable key of at most 200
/// characters.
pub(crate) fn check_subject(kind: Kind, subject: &str) -> Result<(), FollowUpError> {
    let Some((prefix, key)) = subject.split_once(':') else {
        return Err(FollowUpError::invalid("subject", "must be `kind:key`, e.g. `renewal:42`"));
    };
    if key.is_empty() || key.chars().count() > MAX_SUBJECT || key.chars().any(char::is_control) {
        return Err(FollowUpError::invalid(
            "subject",
            format!("the key must be 1–{MAX_SUBJECT} printable characters"),
        ));
    }
    match kind.subject_kind() {
        Some(wanted) if wanted != prefix => Err(FollowUpError::invalid(
            "subject",
            format!("a {} follow-up is about a `{wanted}:…`, not a `{prefix}:…`", kind.as_str()),
        )),
        None if !prefix.chars().all(|c| c.is_ascii_lowercase() || c == '_') || prefix.is_empty() => {
            Err(FollowUpError::invalid("subject", "the kind before `:` must be lower-case letters"))
        }
        _ => Ok(()),
    }
}

fn open_key(kind: Kind, subject: &str) -> String {
    format!("{}|{subject}", kind.as_str())
}

fn row_of(new: NewFollowUp, at: DateTime<Utc>) -> follow_up::ActiveModel {
    debug_assert!(check_subject(new.kind, &new.subject).is_ok(), "{:?} {}", new.kind, new.subject);
    let priority = new.priority.unwrap_or(new.kind.default_priority());
    follow_up::ActiveModel {
        kind: Set(new.kind.as_str().to_owned()),
        open_key: Set(Some(open_key(new.kind, &new.subject))),
        subject: Set(new.subject),
        priority: Set(priority.as_str().to_owned()),
        status: Set(Status::Open.as_str().to_owned()),
        summary: Set(new.summary.chars().take(MAX_SUMMARY).collect()),
        detail: Set(new.detail.to_string()),
        assignee: Set(None),
        resolution: Set(None),
        opened_at: Set(at),
        due_at: Set(at + priority.response_time()),
        updated_at: Set(at),
        closed_at: Set(None),
        ..Default::default()
    }
}

/// A stored row as a follow-up; a value no code writes is an error, not a default.
pub(crate) fn from_row(row: follow_up::Model) -> anyhow::Result<FollowUp> {
    let bad = |what: &str, value: &str| anyhow::anyhow!("follow-up {}: unknown {what} {value:?}", row.id);
    Ok(FollowUp {
        id: row.id,
        kind: Kind::parse(&row.kind).ok_or_else(|| bad("kind", &row.kind))?,
        priority: Priority::parse(&row.priority).ok_or_else(|| bad("priority", &row.priority))?,
        status: Status::parse(&row.status).ok_or_else(|| bad("status", &row.status))?,
        detail: serde_json::from_str(&row.detail)
            .map_err(|e| anyhow::anyhow!("follow-up {}: detail: {e}", row.id))?,
        subject: row.subject,
        summary: row.summary,
        assignee: row.assignee,
        resolution: row.resolution,
        opened_at: row.opened_at,
        due_at: row.due_at,
        updated_at: row.updated_at,
        closed_at: row.closed_at,
    })
}

/// The event of a change of `follow_up` (`follow_up.opened`, `.assigned`, `.resolved` …).
pub(crate) fn event_of(event_type: &'static str, follow_up: &FollowUp) -> NewEvent {
    NewEvent {
        event_type,
        subject: format!("follow_up:{}", follow_up.id),
        payload: json!({
            "id": follow_up.id,
            "kind": follow_up.kind.as_str(),
            "subject": follow_up.subject,
            "priority": follow_up.priority.as_str(),
            "status": follow_up.status.as_str(),
            "summary": follow_up.summary,
            "assignee": follow_up.assignee,
            "resolution": follow_up.resolution,
            "dueAt": follow_up.due_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "detail": follow_up.detail,
        }),
    }
}

fn opened_event(follow_up: &FollowUp) -> NewEvent {
    event_of("follow_up.opened", follow_up)
}
