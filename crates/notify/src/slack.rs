//! Slack (R16): the report, alerts and new URGENT/HIGH follow-ups as Block Kit messages posted to the
//! incoming webhook of `slack.webhook_url`.
//!
//! Slack is a webhook endpoint of its own format: its deliveries come from the event log and go through
//! the same dispatcher (leases, retries on the schedule, the breaker, dead letters and their follow-ups),
//! so a Slack outage loses nothing and blocks no job. Its row stores no address: the URL is a secret and
//! stays in the settings.

use crate::NotifyError;
use crate::entity::endpoint;
use crate::model::FORMAT_SLACK;
use chrono::{DateTime, Utc};
use platform_core::events::{self, Event};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

/// The events posted to Slack.
pub const EVENT_TYPES: [&str; 5] =
    ["ops.report", "ops.alert_raised", "ops.alert_resolved", "ops.failed_charges", "follow_up.opened"];

fn event_types() -> Result<platform_core::json::JsonText<Vec<String>>, NotifyError> {
    let types = EVENT_TYPES.iter().map(|t| (*t).to_owned()).collect();
    Ok(platform_core::json::JsonText::new(types).map_err(anyhow::Error::new)?)
}

/// Makes the Slack endpoint match the settings: active from the current end of the log when a webhook URL
/// is set (created once, whichever instance comes first), disabled when it is not.
pub async fn sync_endpoint(
    db: &impl ConnectionTrait,
    configured: bool,
    now: DateTime<Utc>,
) -> Result<(), NotifyError> {
    let existing = endpoint::Entity::find().filter(endpoint::Column::Format.eq(FORMAT_SLACK)).one(db).await?;
    let status = if configured { "ACTIVE" } else { "DISABLED" };
    match existing {
        Some(row) if row.status != status => {
            let mut update = endpoint::Entity::update_many()
                .col_expr(endpoint::Column::Status, Expr::value(status))
                .col_expr(endpoint::Column::UpdatedAt, Expr::value(now))
                .filter(endpoint::Column::Id.eq(row.id));
            update = if configured {
                // Re-enabled: what happened while it was off is not posted late.
                let last = events::last_id(db).await?;
                update
                    .col_expr(endpoint::Column::DisabledReason, Expr::value(Option::<String>::None))
                    .col_expr(endpoint::Column::StartEventId, Expr::value(last))
                    .col_expr(endpoint::Column::LastEventId, Expr::value(last))
            } else {
                update.col_expr(endpoint::Column::DisabledReason, Expr::value("slack.webhook_url is not set"))
            };
            update.exec(db).await?;
        }
        Some(row) if !row.event_types.get().iter().map(String::as_str).eq(EVENT_TYPES) => {
            // A newer version posts more kinds of events.
            endpoint::Entity::update_many()
                .col_expr(endpoint::Column::EventTypes, Expr::value(event_types()?))
                .filter(endpoint::Column::Id.eq(row.id))
                .exec(db)
                .await?;
        }
        Some(_) => {}
        None if configured => {
            let last = events::last_id(db).await?;
            let row = endpoint::ActiveModel {
                url: Set("slack".to_owned()),
                event_types: Set(event_types()?),
                // Slack does not check signatures; the dispatcher still refuses an endpoint without one.
                secret: Set(crate::signature::generate_secret()?),
                previous_secret: Set(None),
                previous_secret_until: Set(None),
                status: Set("ACTIVE".to_owned()),
                disabled_reason: Set(None),
                start_event_id: Set(last),
                last_event_id: Set(last),
                format: Set(FORMAT_SLACK.to_owned()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            };
            // One per database (a unique index on the Slack format): two instances starting at once create one.
            endpoint::Entity::insert(row)
                .on_conflict(OnConflict::new().do_nothing().to_owned())
                .try_insert()
                .exec_without_returning(db)
                .await?;
        }
        None => {}
    }
    Ok(())
}

/// The priority labels and colours of seed 001 §5.2.
fn label_and_colour(priority: &str) -> (&'static str, &'static str) {
    match priority {
        "URGENT" => ("緊急 URGENT", "#d0021b"),
        "HIGH" => ("高 HIGH", "#f5a623"),
        "MEDIUM" => ("中 MEDIUM", "#f8e71c"),
        _ => ("低 LOW", "#7ed321"),
    }
}

/// The Slack message of `event`, or `None` when it is not posted (a follow-up below HIGH).
///
/// `ops.*` events carry `title`, `priority` and `lines`; a follow-up is told from its own fields.
pub fn message_of(event: &Event) -> Option<Value> {
    let p = &event.payload;
    let (title, priority, lines): (String, String, Vec<String>) = match event.event_type.as_str() {
        "follow_up.opened" => {
            let priority = p["priority"].as_str().unwrap_or("LOW");
            if !matches!(priority, "URGENT" | "HIGH") {
                return None;
            }
            let title = format!(
                "【Follow-up】{} {}",
                p["kind"].as_str().unwrap_or(""),
                p["subject"].as_str().unwrap_or("")
            );
            let lines = vec![
                p["summary"].as_str().unwrap_or("").to_owned(),
                format!("Due by {} (follow-up {})", p["dueAt"].as_str().unwrap_or(""), p["id"]),
            ];
            (title, priority.to_owned(), lines)
        }
        _ => (
            p["title"].as_str().unwrap_or(&event.event_type).to_owned(),
            p["priority"].as_str().unwrap_or("LOW").to_owned(),
            p["lines"]
                .as_array()
                .map(|l| l.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                .unwrap_or_default(),
        ),
    };
    let (label, colour) = label_and_colour(&priority);
    let resolved = event.event_type == "ops.alert_resolved";
    let mention = !resolved && matches!(priority.as_str(), "URGENT" | "HIGH");
    let headline = format!(
        "{}*[{}] {}*",
        if mention { "<!here> " } else { "" },
        if resolved { "RESOLVED" } else { label },
        escape(&title)
    );
    let colour = if resolved { "#7ed321" } else { colour };
    let body: String = lines.iter().map(|l| escape(l)).collect::<Vec<_>>().join("\n");
    let mut blocks = vec![json!({ "type": "section", "text": { "type": "mrkdwn", "text": headline } })];
    if !body.is_empty() {
        // Slack caps a section's text at 3000 characters.
        let body: String = body.chars().take(2900).collect();
        blocks.push(json!({ "type": "section", "text": { "type": "mrkdwn", "text": body } }));
    }
    blocks.push(json!({ "type": "context", "elements": [
        { "type": "mrkdwn", "text": format!("{} · {}", event.event_type, event.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)) }
    ] }));
    Some(
        json!({ "text": format!("[{}] {title}", if resolved { "RESOLVED" } else { label }), "attachments": [{ "color": colour, "blocks": blocks }] }),
    )
}

/// Slack's three control characters in text.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Posts `message` straight to the incoming webhook, without the outbox: only for what cannot wait for a
/// database (R16's "database unreachable" alert). The error names no URL.
pub async fn post_now(url: &str, policy: crate::OutboundPolicy, message: &Value) -> Result<(), String> {
    policy.check_literal(url).map_err(|e| format!("refused: {e}"))?;
    let client = policy
        .client(std::time::Duration::from_secs(10), "platform-webhooks/1")
        .map_err(|_| "no client".to_owned())?;
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .body(message.to_string())
        .send()
        .await
        .map_err(|_| "no HTTP response".to_owned())?;
    if response.status().is_success() { Ok(()) } else { Err(format!("answered {}", response.status())) }
}

/// The message of an alert that is not in the event log (see [`post_now`]).
pub fn alert_message(
    event_type: &str,
    priority: &str,
    title: &str,
    lines: &[String],
    at: DateTime<Utc>,
) -> Option<Value> {
    let event = Event {
        id: 0,
        event_id: uuid::Uuid::nil(),
        event_type: event_type.to_owned(),
        subject: "alert:DATABASE".to_owned(),
        payload: json!({ "priority": priority, "title": title, "lines": lines }),
        occurred_at: at,
    };
    message_of(&event)
}
