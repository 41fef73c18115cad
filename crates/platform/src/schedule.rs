//! The in-server job schedule (R13): each enabled job of `[jobs]` runs every `every_secs`, as of today,
//! in its own task. Runs that did something (or failed) are recorded in `job_runs`; idle ticks of the
//! frequent jobs are not, so the record stays readable. Every job is safe with several instances.

use jobs::{JobContext, JobName};
use std::time::Duration;

/// Starts one task per enabled job.
pub fn start(ctx: &JobContext) {
    for (name, schedule) in jobs::interval_jobs(&ctx.settings.jobs) {
        if schedule.enabled && schedule.every_secs > 0 {
            tokio::spawn(run_every(ctx.clone(), name, Duration::from_secs(schedule.every_secs)));
        }
    }
    let ops = &ctx.settings.ops;
    if ops.alert_check_every_secs > 0 {
        tokio::spawn(run_every(
            ctx.clone(),
            JobName::AlertCheck,
            Duration::from_secs(ops.alert_check_every_secs),
        ));
    }
    if let Some(at) = time_of_day(&ops.daily_report_at) {
        tokio::spawn(run_daily(ctx.clone(), JobName::DailyReport, at, Vec::new()));
    }
    if let Some(at) = time_of_day(&ctx.settings.erp.shipping_notices_at) {
        tokio::spawn(run_daily(ctx.clone(), JobName::SendShippingNotices, at, Vec::new()));
    }
    // R23: delayed capture, and the reconciliation of a gateway that can be asked for its settlement.
    let gateway = &ctx.settings.gateway;
    if let Some(at) = time_of_day(&gateway.capture_at)
        && gateway.captures_later()
    {
        tokio::spawn(run_daily(ctx.clone(), JobName::CapturePayments, at, Vec::new()));
    }
    if let Some(at) = time_of_day(&gateway.reconcile_at)
        && gateway.reconciles_daily()
    {
        tokio::spawn(run_daily(ctx.clone(), JobName::ReconcilePayments, at, Vec::new()));
    }
    if let Some(at) = time_of_day(&ops.failed_charges_at)
        && !ops.failed_charges_days.is_empty()
    {
        tokio::spawn(run_daily(ctx.clone(), JobName::FailedChargesList, at, ops.failed_charges_days.clone()));
    }
}

/// `HH:MM`, or `None` (empty: off; settings are checked at start by `doctor` and the loader).
pub fn time_of_day(raw: &str) -> Option<chrono::NaiveTime> {
    chrono::NaiveTime::parse_from_str(raw.trim(), "%H:%M").ok()
}

/// Runs `name` once a day (on `days` of the month, or every day) once business time has passed `at`.
/// Checked every minute, so a run missed while the server was down happens when it comes back; the job
/// publishes once per date, so several instances, or a restart, do not post twice.
async fn run_daily(ctx: JobContext, name: JobName, at: chrono::NaiveTime, days: Vec<u32>) {
    use chrono::Datelike;
    let mut ticker = tokio::time::interval(Duration::from_secs(60));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut done_on = None;
    loop {
        ticker.tick().await;
        let now = chrono::Utc::now();
        let today = ctx.calendar.date_of(now);
        let due_today = days.is_empty() || days.contains(&today.day());
        if !due_today
            || done_on == Some(today)
            || now < ctx.calendar.start_of(today) + (at - chrono::NaiveTime::MIN)
        {
            continue;
        }
        match jobs::run_if_busy(&ctx, name, now).await {
            Ok(run) => {
                done_on = Some(today);
                if let Some(run) = run {
                    tracing::info!(job = run.name, processed = run.processed, "job run");
                }
            }
            Err(err) => {
                tracing::error!(job = name.as_str(), error = %format!("{err:#}"), "job could not run")
            }
        }
    }
}

async fn run_every(ctx: JobContext, name: JobName, every: Duration) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match jobs::run_if_busy(&ctx, name, chrono::Utc::now()).await {
            Ok(Some(run)) => tracing::info!(
                job = run.name, processed = run.processed, failed = run.failed, error = ?run.error, "job run"
            ),
            Ok(None) => {}
            Err(err) => {
                tracing::error!(job = name.as_str(), error = %format!("{err:#}"), "job could not run")
            }
        }
    }
}
