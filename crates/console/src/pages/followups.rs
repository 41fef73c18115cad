//! 待處理 Follow-ups: the queue by due time (overdue first) with filters, and a follow-up's page with its
//! subject's timeline and notes, where it is assigned, noted, resolved or dismissed by form posts.

use super::{render, render_status};
use crate::Console;
use crate::guard::Operator;
use crate::view::internal;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use followups::{FollowUp, FollowUpError, FollowUpFilter, Kind, Priority, Status};
use minijinja::{Value, context};
use serde::Deserialize;

/// Follow-ups on a page of the queue.
const PAGE: u64 = 100;
/// Events on a timeline.
pub(crate) const TIMELINE: u64 = 200;

#[derive(Deserialize, Default)]
pub(crate) struct Filters {
    #[serde(default)]
    status: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    overdue: String,
    /// `due-timestamp.id` of the last row of the previous page.
    #[serde(default)]
    after: String,
}

/// `GET /ops/follow-ups`.
pub(crate) async fn list(
    State(console): State<Console>,
    operator: Operator,
    Query(f): Query<Filters>,
) -> Response {
    let now = console.jobs.clock.now();
    let filter = FollowUpFilter {
        statuses: match f.status.as_str() {
            "ALL" => Status::ALL.to_vec(),
            raw => Status::parse(raw).into_iter().collect(),
        },
        kind: Kind::parse(&f.kind),
        priority: Priority::parse(&f.priority),
        overdue: f.overdue == "1",
        ..FollowUpFilter::default()
    };
    let after = f.after.split_once('.').and_then(|(ts, id)| {
        Some((DateTime::<Utc>::from_timestamp_micros(ts.parse().ok()?)?, id.parse::<i64>().ok()?))
    });
    let rows = match followups::manage::list(&console.jobs.db, &filter, after, PAGE, now).await {
        Ok(rows) => rows,
        Err(err) => return internal(&anyhow::anyhow!(err)),
    };
    let next = (rows.len() as u64 == PAGE)
        .then(|| rows.last().map(|r| format!("{}.{}", r.due_at.timestamp_micros(), r.id)))
        .flatten();
    let values = context! {
        rows => rows.iter().map(|r| row(r, now)).collect::<Vec<_>>(),
        next,
        filters => context! { status => f.status, priority => f.priority, kind => f.kind, overdue => f.overdue == "1" },
        statuses => Status::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        priorities => Priority::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        kinds => Kind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
    };
    render(&console, &operator, "follow-ups", "followups.html", values)
}

/// What a template shows of a follow-up.
fn row(f: &FollowUp, now: DateTime<Utc>) -> Value {
    context! {
        id => f.id,
        kind => f.kind.as_str(),
        subject => f.subject,
        subject_link => subject_link(&f.subject),
        priority => f.priority.as_str(),
        level => f.priority.as_str().to_ascii_lowercase(),
        status => f.status.as_str(),
        open => f.status.is_open(),
        summary => f.summary,
        assignee => f.assignee,
        resolution => f.resolution,
        opened_at => f.opened_at.to_rfc3339(),
        due_at => f.due_at.to_rfc3339(),
        closed_at => f.closed_at.map(|t| t.to_rfc3339()),
        overdue => f.is_overdue(now),
        detail => serde_json::to_string_pretty(&f.detail).unwrap_or_default(),
    }
}

/// The console page of a subject `kind:key`, where there is one.
pub(crate) fn subject_link(subject: &str) -> Option<String> {
    let (kind, key) = subject.split_once(':')?;
    let key: String = key.chars().filter(|c| c.is_ascii_alphanumeric() || "-_.@".contains(*c)).collect();
    match kind {
        "order" => Some(format!("/ops/orders/{key}")),
        "customer" => Some(format!("/ops/customers/{key}")),
        "member" => Some(format!("/ops/members/{key}")),
        "follow_up" => Some(format!("/ops/follow-ups/{key}")),
        _ => None,
    }
}

/// `GET /ops/follow-ups/{id}`.
pub(crate) async fn detail(
    State(console): State<Console>,
    operator: Operator,
    Path(id): Path<i64>,
) -> Response {
    detail_page(&console, &operator, id, None, StatusCode::OK).await
}

async fn detail_page(
    console: &Console,
    operator: &Operator,
    id: i64,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let db = &console.jobs.db;
    let now = console.jobs.clock.now();
    let found = match followups::manage::get(db, id).await {
        Ok(found) => found,
        Err(err) => return internal(&anyhow::anyhow!(err)),
    };
    let Some(follow_up) = found else {
        let values = context! { title => "找不到 Not found", message => format!("No follow-up {id}.") };
        return render_status(console, operator, "follow-ups", "message.html", values, StatusCode::NOT_FOUND);
    };
    let notes = match followups::manage::notes(db, id).await {
        Ok(notes) => notes,
        Err(err) => return internal(&anyhow::anyhow!(err)),
    };
    let subjects = vec![follow_up.subject.clone(), format!("follow_up:{id}")];
    let timeline = match platform_core::events::of_subjects(db, &subjects, TIMELINE).await {
        Ok(events) => super::search::timeline(&events),
        Err(err) => return internal(&err.into()),
    };
    let values = context! {
        f => row(&follow_up, now),
        notes => notes.iter().map(|n| context! { author => n.author, body => n.body, at => n.created_at.to_rfc3339() }).collect::<Vec<_>>(),
        timeline,
        error,
    };
    render_status(console, operator, "follow-ups", "followup.html", values, status)
}

#[derive(Deserialize)]
pub(crate) struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
}

/// `POST /ops/follow-ups/{id}/{assign|note|resolve|dismiss}`: the change, then back to its page (303); a
/// refused change shows the page again with why (400 bad input, 409 status conflict).
pub(crate) async fn act(
    State(console): State<Console>,
    operator: Operator,
    Path((id, action)): Path<(i64, String)>,
    Form(form): Form<ActionForm>,
) -> Response {
    if !operator.csrf_ok(&form.csrf) {
        return crate::guard::forbidden_csrf();
    }
    let (db, by, at) = (&console.jobs.db, operator.subject.as_str(), console.jobs.clock.now());
    let done = match action.as_str() {
        "assign" => {
            let assignee = if form.text.trim().is_empty() { by } else { form.text.as_str() };
            followups::manage::assign(db, id, assignee, by, at).await.map(|_| ())
        }
        "note" => followups::manage::add_note(db, id, &form.text, by, at).await.map(|_| ()),
        "resolve" => followups::manage::resolve(db, id, &form.text, by, at).await.map(|_| ()),
        "dismiss" => followups::manage::dismiss(db, id, &form.text, by, at).await.map(|_| ()),
        _ => return (StatusCode::NOT_FOUND, "no such action").into_response(),
    };
    match done {
        Ok(()) => Redirect::to(&format!("/ops/follow-ups/{id}")).into_response(),
        Err(FollowUpError::Unexpected(err)) => internal(&err),
        Err(err) => {
            let status = match err {
                FollowUpError::NotFound(_) => StatusCode::NOT_FOUND,
                FollowUpError::Conflict { .. } => StatusCode::CONFLICT,
                _ => StatusCode::BAD_REQUEST,
            };
            detail_page(&console, &operator, id, Some(err.to_string()), status).await
        }
    }
}
