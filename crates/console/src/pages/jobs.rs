//! 排程 Jobs and backlogs: every scheduled job's interval, last good and failed run, late or failed; the last
//! recorded runs; webhook deliveries waiting per endpoint, e-mails queued, Slack posts waiting.

use super::render;
use crate::Console;
use crate::guard::Operator;
use crate::view::internal;
use axum::extract::State;
use axum::response::Response;
use minijinja::context;

/// Recorded runs listed.
const RUNS: u64 = 20;

/// `GET /ops/jobs`.
pub(crate) async fn page(State(console): State<Console>, operator: Operator) -> Response {
    match read(&console).await {
        Ok(values) => render(&console, &operator, "jobs", "jobs.html", values),
        Err(err) => internal(&err),
    }
}

async fn read(console: &Console) -> anyhow::Result<minijinja::Value> {
    let db = &console.jobs.db;
    let now = console.jobs.clock.now();
    let health = jobs::health::health(&console.jobs, now).await?;
    let runs = jobs::runs(db, None, RUNS).await?;
    let endpoints = notify::figures::deliveries(db, now, now).await?;
    let emails = notify::figures::emails(db, now, now).await?;
    let (slack, webhooks): (Vec<_>, Vec<_>) = endpoints.into_iter().partition(|e| e.url == "slack");
    let age = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| (now - t).num_minutes().max(0));
    Ok(context! {
        jobs => health.iter().map(|j| context! {
            name => j.name, every_secs => j.every_secs,
            last_ok_at => j.last_ok_at.map(|t| t.to_rfc3339()),
            last_failed_at => j.last_failed_at.map(|t| t.to_rfc3339()),
            last_error => j.last_error, late => j.late, failed => j.failed,
        }).collect::<Vec<_>>(),
        runs => runs.iter().map(|r| context! {
            id => r.id, name => r.name, as_of => r.as_of, status => format!("{:?}", r.status).to_uppercase(),
            started_at => r.started_at.to_rfc3339(), finished_at => r.finished_at.map(|t| t.to_rfc3339()),
            processed => r.processed, failed => r.failed, error => r.error, requested_by => r.requested_by,
        }).collect::<Vec<_>>(),
        webhooks => webhooks.iter().map(|e| context! {
            url => e.url, pending => e.pending, oldest_minutes => age(e.oldest_pending),
        }).collect::<Vec<_>>(),
        slack_pending => slack.iter().map(|e| e.pending).sum::<u64>(),
        slack_oldest_minutes => slack.iter().filter_map(|e| e.oldest_pending).min().map(|t| (now - t).num_minutes().max(0)),
        emails_queued => emails.queued,
    })
}
