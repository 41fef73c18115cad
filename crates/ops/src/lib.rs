//! Operations (R16): the daily report of a business date, the alert rules with their episodes (raised
//! once, resolved once, each raised alert opening a follow-up), and what is posted to Slack.
//!
//! The figures come from each domain's `figures` module (this crate owns no other domain's SQL); the
//! health of the jobs is given by the caller (the jobs crate, which runs this one's jobs). Owns the tables
//! `alerts` and `ops_posts`.

pub mod alerts;
mod entity;
pub mod glance;
pub mod posts;
pub mod render;
pub mod report;
pub mod rules;

pub use report::{DayCounts, Figure, JobHealth, Report};
pub use rules::{Alert, Scope};

/// The `ops.report` event of `report`: its summary as Slack posts it.
pub fn report_event(report: &Report) -> platform_core::events::NewEvent {
    platform_core::events::NewEvent {
        event_type: "ops.report",
        subject: format!("report:{}", report.date),
        payload: serde_json::json!({
            "date": report.date,
            "title": format!("Daily report 日報 {}", report.date),
            "priority": render::priority_of(report).as_str(),
            "lines": render::summary_lines(report),
            "chargeSuccessRate": report.charge_success_rate,
        }),
    }
}
