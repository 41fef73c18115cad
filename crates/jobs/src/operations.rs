//! The operations jobs (R16): the daily report with its alerts, and the 15-minute alert check. Both put
//! the Slack endpoint in step with the settings first, so Slack sees what they publish.

use crate::work::Job;
use crate::{JobContext, JobName};
use chrono::{DateTime, NaiveDate, Utc};
use ops::{Report, Scope};
use platform_core::Progress;

/// R16, the report of the day before.
pub struct DailyReport;
/// R16, the live alert rules.
pub struct AlertCheck;

/// The report of business date `date` as of `now` (the API's `opsReport` and `platform report`).
pub async fn report(ctx: &JobContext, date: NaiveDate, now: DateTime<Utc>) -> anyhow::Result<Report> {
    let health = crate::health::health(ctx, now).await?;
    ops::report::build(&ctx.db, ctx.calendar, date, now, health, &ctx.settings.ops.alerts).await
}

async fn sync_slack(ctx: &JobContext, now: DateTime<Utc>) -> anyhow::Result<()> {
    notify::slack::sync_endpoint(&ctx.db, ctx.settings.slack.webhook_url.is_some(), now).await?;
    Ok(())
}

impl Job for DailyReport {
    const NAME: JobName = JobName::DailyReport;
    /// Reports on the day before `as_of`, raises and resolves the daily alerts, and publishes the report
    /// once per date (a second run, or a second instance, publishes nothing).
    async fn run(
        &self,
        ctx: &JobContext,
        as_of: NaiveDate,
        at: DateTime<Utc>,
        progress: &Progress,
    ) -> anyhow::Result<()> {
        let date = as_of.pred_opt().unwrap_or(as_of);
        let key = format!("daily-report:{date}");
        if ops::posts::published(&ctx.db, &key).await? {
            return Ok(());
        }
        sync_slack(ctx, at).await?;
        let report = report(ctx, date, at).await?;
        let input = ops::rules::RuleInput {
            charged: report.charges.charged,
            failed: report.charges.failed(),
            orders: report.figure("orders"),
            follow_ups_opened: report.figure("followUpsOpened").value,
            dead_deliveries: report.figure("webhooksDead").value,
            failed_emails: report.figure("emailsFailed").value,
            ..ops::rules::RuleInput::default()
        };
        let (evaluated, fired) = ops::rules::evaluate(Scope::Daily, &input, &ctx.settings.ops.alerts);
        let applied = ops::alerts::apply(&ctx.db, &evaluated, &fired, at).await?;
        let published = ops::posts::publish_once(&ctx.db, &key, ops::report_event(&report), at).await?;
        progress.add(u64::from(published) + applied.raised.len() as u64 + applied.resolved.len() as u64, 0);
        Ok(())
    }
}

impl Job for AlertCheck {
    const NAME: JobName = JobName::AlertCheck;
    /// Evaluates the live rules now: today's charge success so far, the webhook backlog, every job.
    async fn run(
        &self,
        ctx: &JobContext,
        as_of: NaiveDate,
        at: DateTime<Utc>,
        progress: &Progress,
    ) -> anyhow::Result<()> {
        sync_slack(ctx, at).await?;
        let (from, _) = ops::report::day_bounds(ctx.calendar, as_of);
        let charges = renewals::figures::charges(&ctx.db, as_of, from, at).await?;
        let webhooks = notify::figures::deliveries(&ctx.db, from, at).await?;
        let oldest = webhooks.iter().filter_map(|w| w.oldest_pending).min();
        let input = ops::rules::RuleInput {
            charged: charges.charged,
            failed: charges.failed(),
            oldest_waiting_minutes: oldest.map(|t| (at - t).num_minutes()),
            jobs: crate::health::health(ctx, at)
                .await?
                .into_iter()
                .filter(|j| j.name != JobName::AlertCheck.as_str())
                .collect(),
            ..ops::rules::RuleInput::default()
        };
        let (evaluated, fired) = ops::rules::evaluate(Scope::Live, &input, &ctx.settings.ops.alerts);
        let applied = ops::alerts::apply(&ctx.db, &evaluated, &fired, at).await?;
        progress.add(applied.raised.len() as u64 + applied.resolved.len() as u64, 0);
        Ok(())
    }
}
