//! The in-server job schedule (R13): each enabled job of `[jobs]` runs every `every_secs`, as of today,
//! in its own task. Runs that did something (or failed) are recorded in `job_runs`; idle ticks of the
//! frequent jobs are not, so the record stays readable. Every job is safe with several instances.

use jobs::{JobContext, JobName};
use platform_core::settings::{JobSchedule, JobSettings};
use std::time::Duration;

/// Starts one task per enabled job.
pub fn start(ctx: &JobContext) {
    for (name, schedule) in schedule_of(&ctx.settings.jobs) {
        if schedule.enabled && schedule.every_secs > 0 {
            tokio::spawn(run_every(ctx.clone(), name, Duration::from_secs(schedule.every_secs)));
        }
    }
}

fn schedule_of(settings: &JobSettings) -> [(JobName, JobSchedule); 6] {
    [
        (JobName::CreateRenewals, settings.create_renewals),
        (JobName::SendNotices, settings.send_notices),
        (JobName::ChargeRenewals, settings.charge_renewals),
        (JobName::RetryRenewals, settings.retry_renewals),
        (JobName::ExpireEntitlements, settings.expire_entitlements),
        (JobName::DispatchEmails, settings.dispatch_emails),
    ]
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
