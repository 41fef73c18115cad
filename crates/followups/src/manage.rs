//! What admins do with follow-ups: list, read, open by hand, assign, note, resolve, dismiss. Each change is
//! one transaction with its `follow_up.*` event; a change that does not fit the status is `CONFLICT` and
//! writes nothing.

use crate::entity::{follow_up, note};
use crate::model::{FollowUp, FollowUpFilter, NewFollowUp, Note};
use crate::open::{check_subject, event_of, from_row};
use crate::{FollowUpError, Kind, Priority, Status};
use chrono::{DateTime, Utc};
use platform_core::db::begin_write;
use platform_core::events;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

/// Longest assignee, note, resolution.
const MAX_ASSIGNEE: usize = 200;
const MAX_TEXT: usize = 4000;

/// Where a page continues: after this due time and id.
pub type Cursor = (DateTime<Utc>, i64);

/// Follow-ups matching `filter`, by due time (overdue first, then the most urgent), `limit` of them after
/// `after`.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &FollowUpFilter,
    after: Option<Cursor>,
    limit: u64,
    now: DateTime<Utc>,
) -> Result<Vec<FollowUp>, FollowUpError> {
    let statuses: Vec<&str> = if filter.statuses.is_empty() {
        vec![Status::Open.as_str(), Status::InProgress.as_str()]
    } else {
        filter.statuses.iter().map(|s| s.as_str()).collect()
    };
    let mut query = follow_up::Entity::find().filter(follow_up::Column::Status.is_in(statuses));
    if let Some(kind) = filter.kind {
        query = query.filter(follow_up::Column::Kind.eq(kind.as_str()));
    }
    if let Some(priority) = filter.priority {
        query = query.filter(follow_up::Column::Priority.eq(priority.as_str()));
    }
    if let Some(subject) = &filter.subject {
        query = query.filter(follow_up::Column::Subject.eq(subject.as_str()));
    }
    if let Some(assignee) = &filter.assignee {
        query = query.filter(follow_up::Column::Assignee.eq(assignee.as_str()));
    }
    if filter.overdue {
        query = query
            .filter(follow_up::Column::DueAt.lt(now))
            .filter(follow_up::Column::Status.is_in([Status::Open.as_str(), Status::InProgress.as_str()]));
    }
    if let Some((due, id)) = after {
        query =
            query.filter(Condition::any().add(follow_up::Column::DueAt.gt(due)).add(
                Condition::all().add(follow_up::Column::DueAt.eq(due)).add(follow_up::Column::Id.gt(id)),
            ));
    }
    let rows = query
        .order_by_asc(follow_up::Column::DueAt)
        .order_by_asc(follow_up::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    rows.into_iter().map(|r| from_row(r).map_err(FollowUpError::from)).collect()
}

/// Which of `subjects` have had a follow-up of `kind` (open or closed): what must not be opened twice.
pub async fn subjects_with(
    db: &impl ConnectionTrait,
    kind: Kind,
    subjects: &[String],
) -> Result<std::collections::HashSet<String>, FollowUpError> {
    let mut found = std::collections::HashSet::new();
    for chunk in subjects.chunks(500) {
        let rows: Vec<String> = follow_up::Entity::find()
            .select_only()
            .column(follow_up::Column::Subject)
            .filter(follow_up::Column::Kind.eq(kind.as_str()))
            .filter(follow_up::Column::Subject.is_in(chunk.iter().map(String::as_str)))
            .into_tuple()
            .all(db)
            .await?;
        found.extend(rows);
    }
    Ok(found)
}

/// One follow-up.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<Option<FollowUp>, FollowUpError> {
    follow_up::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|r| from_row(r).map_err(FollowUpError::from))
        .transpose()
}

/// Its notes, oldest first.
pub async fn notes(db: &impl ConnectionTrait, id: i64) -> Result<Vec<Note>, FollowUpError> {
    Ok(note::Entity::find()
        .filter(note::Column::FollowUpId.eq(id))
        .order_by_asc(note::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|n| Note { id: n.id, author: n.author, body: n.body, created_at: n.created_at })
        .collect())
}

/// Opens a follow-up by hand (`by` is the admin), with `note` as its first note. `CONFLICT` when one of
/// the kind is already open for the subject.
pub async fn open_by_hand(
    db: &DatabaseConnection,
    kind: Kind,
    subject: &str,
    priority: Option<Priority>,
    note_body: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<FollowUp, FollowUpError> {
    check_subject(kind, subject)?;
    let body = text("note", note_body)?;
    let summary: String = body.lines().next().unwrap_or_default().chars().take(200).collect();
    let txn = begin_write(db).await?;
    let new = NewFollowUp {
        priority,
        ..NewFollowUp::new(kind, subject, summary, serde_json::json!({ "openedBy": by }))
    };
    let Some(opened) = crate::open(&txn, new, at).await? else {
        return Err(FollowUpError::Conflict {
            status: Status::Open.as_str(),
            message: format!("a {} follow-up is already open for {subject}", kind.as_str()),
        });
    };
    add_note_row(&txn, opened.id, by, &body, at).await?;
    txn.commit().await?;
    Ok(opened)
}

/// Gives it to `assignee` (IN_PROGRESS); re-assigning an open one is allowed.
pub async fn assign(
    db: &DatabaseConnection,
    id: i64,
    assignee: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<FollowUp, FollowUpError> {
    let assignee = assignee.trim();
    if assignee.is_empty()
        || assignee.chars().count() > MAX_ASSIGNEE
        || assignee.chars().any(char::is_control)
    {
        return Err(FollowUpError::invalid("assignee", format!("1–{MAX_ASSIGNEE} printable characters")));
    }
    let change = Change {
        event: "follow_up.assigned",
        to: Status::InProgress,
        refused: "it can no longer be assigned",
        note: Some(format!("assigned to {assignee}")),
    };
    change.apply(db, id, by, at, |u| u.col_expr(follow_up::Column::Assignee, Expr::value(assignee))).await
}

/// Appends a note (an open follow-up only).
pub async fn add_note(
    db: &DatabaseConnection,
    id: i64,
    body: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<(FollowUp, Note), FollowUpError> {
    let body = text("body", body)?;
    let txn = begin_write(db).await?;
    let current = locked(&txn, id).await?;
    if !current.status.is_open() {
        txn.rollback().await?;
        return Err(FollowUpError::Conflict {
            status: current.status.as_str(),
            message: "notes go on open follow-ups; open a new one".to_owned(),
        });
    }
    follow_up::Entity::update_many()
        .col_expr(follow_up::Column::UpdatedAt, Expr::value(at))
        .filter(follow_up::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let note = add_note_row(&txn, id, by, &body, at).await?;
    let updated = locked(&txn, id).await?;
    let mut event = event_of("follow_up.noted", &updated);
    event.payload["note"] = serde_json::json!({ "author": note.author, "body": note.body });
    events::append(&txn, event, at).await?;
    txn.commit().await?;
    Ok((updated, note))
}

/// Closes it as done, with how.
pub async fn resolve(
    db: &DatabaseConnection,
    id: i64,
    resolution: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<FollowUp, FollowUpError> {
    close(db, id, Status::Resolved, "resolution", resolution, by, at).await
}

/// Closes it as nothing to do, with why.
pub async fn dismiss(
    db: &DatabaseConnection,
    id: i64,
    reason: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<FollowUp, FollowUpError> {
    close(db, id, Status::Dismissed, "reason", reason, by, at).await
}

async fn close(
    db: &DatabaseConnection,
    id: i64,
    to: Status,
    field: &'static str,
    why: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<FollowUp, FollowUpError> {
    let why = text(field, why)?;
    let change = Change {
        event: if to == Status::Resolved { "follow_up.resolved" } else { "follow_up.dismissed" },
        to,
        refused: "it is already closed",
        note: Some(format!("{}: {why}", to.as_str().to_ascii_lowercase())),
    };
    change
        .apply(db, id, by, at, |u| {
            u.col_expr(follow_up::Column::Resolution, Expr::value(why.as_str()))
                .col_expr(follow_up::Column::OpenKey, Expr::value(Option::<String>::None))
                .col_expr(follow_up::Column::ClosedAt, Expr::value(at))
        })
        .await
}

/// A status change of an open follow-up: guarded by its status, with its note and event.
struct Change {
    event: &'static str,
    to: Status,
    refused: &'static str,
    note: Option<String>,
}

impl Change {
    async fn apply(
        self,
        db: &DatabaseConnection,
        id: i64,
        by: &str,
        at: DateTime<Utc>,
        set: impl FnOnce(sea_orm::UpdateMany<follow_up::Entity>) -> sea_orm::UpdateMany<follow_up::Entity>,
    ) -> Result<FollowUp, FollowUpError> {
        let txn = begin_write(db).await?;
        let current = locked(&txn, id).await?;
        let open = [Status::Open.as_str(), Status::InProgress.as_str()];
        let update = follow_up::Entity::update_many()
            .col_expr(follow_up::Column::Status, Expr::value(self.to.as_str()))
            .col_expr(follow_up::Column::UpdatedAt, Expr::value(at))
            .filter(follow_up::Column::Id.eq(id))
            // Guarded: two admins closing at once, only one does.
            .filter(follow_up::Column::Status.is_in(open));
        if set(update).exec(&txn).await?.rows_affected != 1 {
            // Rolled back here, not on drop: a dropped transaction ends later, holding the write lock.
            txn.rollback().await?;
            return Err(FollowUpError::Conflict {
                status: current.status.as_str(),
                message: self.refused.to_owned(),
            });
        }
        if let Some(note) = &self.note {
            add_note_row(&txn, id, by, note, at).await?;
        }
        let updated = locked(&txn, id).await?;
        events::append(&txn, event_of(self.event, &updated), at).await?;
        txn.commit().await?;
        Ok(updated)
    }
}

async fn locked(db: &impl ConnectionTrait, id: i64) -> Result<FollowUp, FollowUpError> {
    get(db, id).await?.ok_or(FollowUpError::NotFound(id))
}

async fn add_note_row(
    db: &impl ConnectionTrait,
    id: i64,
    by: &str,
    body: &str,
    at: DateTime<Utc>,
) -> Result<Note, FollowUpError> {
    let row = note::ActiveModel {
        follow_up_id: Set(id),
        author: Set(by.chars().take(MAX_ASSIGNEE).collect()),
        body: Set(body.to_owned()),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(Note { id: row.id, author: row.author, body: row.body, created_at: row.created_at })
}

/// A free text: trimmed, 1–4000 characters, no control characters but line breaks and tabs.
fn text(field: &'static str, raw: &str) -> Result<String, FollowUpError> {
    let value = raw.trim();
    if value.is_empty() || value.chars().count() > MAX_TEXT {
        return Err(FollowUpError::invalid(field, format!("1–{MAX_TEXT} characters")));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(FollowUpError::invalid(field, "control characters are not allowed"));
    }
    Ok(value.to_owned())
}

/// Counts for the report (R16): opened and closed in `[from, to)`, open now by priority, overdue now.
pub async fn counts(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Counts, FollowUpError> {
    use sea_orm::PaginatorTrait;
    let opened = follow_up::Entity::find()
        .filter(follow_up::Column::OpenedAt.gte(from))
        .filter(follow_up::Column::OpenedAt.lt(to))
        .count(db)
        .await?;
    let resolved = follow_up::Entity::find()
        .filter(follow_up::Column::ClosedAt.gte(from))
        .filter(follow_up::Column::ClosedAt.lt(to))
        .filter(follow_up::Column::Status.eq(Status::Resolved.as_str()))
        .count(db)
        .await?;
    let open_rows: Vec<(String, i64)> = follow_up::Entity::find()
        .select_only()
        .column(follow_up::Column::Priority)
        .column_as(follow_up::Column::Id.count(), "n")
        .filter(follow_up::Column::OpenKey.is_not_null())
        .group_by(follow_up::Column::Priority)
        .into_tuple()
        .all(db)
        .await?;
    let overdue = follow_up::Entity::find()
        .filter(follow_up::Column::OpenKey.is_not_null())
        .filter(follow_up::Column::DueAt.lt(now))
        .count(db)
        .await?;
    let open_by_priority = Priority::ALL
        .into_iter()
        .map(|priority| {
            let n = open_rows.iter().find(|(p, _)| p == priority.as_str()).map_or(0, |(_, n)| *n);
            (priority, u64::try_from(n).unwrap_or(0))
        })
        .collect();
    Ok(Counts { opened, resolved, open_by_priority, overdue })
}

/// The follow-up figures of a day.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Counts {
    /// Opened in the period.
    pub opened: u64,
    /// Resolved in the period.
    pub resolved: u64,
    /// Open now, per priority (most urgent first).
    pub open_by_priority: Vec<(Priority, u64)>,
    /// Open now and past their due time.
    pub overdue: u64,
}
