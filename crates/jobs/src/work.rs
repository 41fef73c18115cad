//! What each job does: one call into its domain, as of a business date.

use crate::{JobContext, JobName};
use chrono::{DateTime, Days, NaiveDate, Utc};
use platform_core::{BusinessCalendar, Progress};
use renewals::charge::Due;
use sea_orm::DatabaseConnection;
use std::future::Future;

/// How far back the grant sweep looks for paid orders.
const SWEEP_WINDOW_DAYS: u64 = 7;

/// The instant a run as of `as_of` acts at: now on today, else the same time of day on `as_of`.
pub fn run_time(calendar: BusinessCalendar, as_of: NaiveDate, now: DateTime<Utc>) -> DateTime<Utc> {
    let today = calendar.date_of(now);
    if as_of == today { now } else { calendar.start_of(as_of) + (now - calendar.start_of(today)) }
}

/// A batch job: its name, and its work as of a business date, counting into `progress` as it goes so
/// that what it did is known even when it fails half-way. The time comes from the caller (`at`, or the
/// context's clock for real-time steps), never from the system clock directly.
pub trait Job: Send + Sync {
    /// The job's name (unique: [`JobName::ALL`] lists one type per name).
    const NAME: JobName;

    /// Does the work as of business date `as_of`, acting at `at`.
    fn run(
        &self,
        ctx: &JobContext,
        as_of: NaiveDate,
        at: DateTime<Utc>,
        progress: &Progress,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// R7.
pub struct CreateRenewals;
/// R8, and R18's price changes told and applied.
pub struct SendNotices;
/// R9, the due renewals.
pub struct ChargeRenewals;
/// R9, the automatic retries.
pub struct RetryRenewals;
/// R10.
pub struct ExpireEntitlements;
/// R3's sweep.
pub struct GrantEntitlements;
/// R12, webhooks.
pub struct DispatchWebhooks;
/// R12, e-mails.
pub struct DispatchEmails;

impl Job for CreateRenewals {
    const NAME: JobName = JobName::CreateRenewals;
    async fn run(
        &self,
        ctx: &JobContext,
        as_of: NaiveDate,
        at: DateTime<Utc>,
        progress: &Progress,
    ) -> anyhow::Result<()> {
        let summary =
            renewals::auto::create_due(&ctx.db, ctx.calendar, &ctx.settings.renewals, as_of, at).await?;
        progress.add(summary.created, summary.failed);
        Ok(())
    }
}

impl Job for SendNotices {
    const NAME: JobName = JobName::SendNotices;
    async fn run(
        &self,
        ctx: &JobContext,
        as_of: NaiveDate,
        at: DateTime<Utc>,
        progress: &Progress,
    ) -> anyhow::Result<()> {
        progress.add(renewals::notice::send_due(&ctx.db, &ctx.settings.renewals, as_of, at).await?, 0);
        // R18: scheduled price changes, told to each payer before they apply.
        let notice_days = ctx.settings.catalog.price_notice_days;
        let prices =
            renewals::prices::apply_due(&ctx.db, &ctx.settings.renewals, notice_days, as_of, at).await?;
        progress.add(prices.noticed + prices.repriced, 0);
        Ok(())
    }
}

impl Job for ChargeRenewals {
    const NAME: JobName = JobName::ChargeRenewals;
    async fn run(
        &self,
        ctx: &JobContext,
        as_of: NaiveDate,
        at: DateTime<Utc>,
        progress: &Progress,
    ) -> anyhow::Result<()> {
        let summary = ctx.charge_run().with_progress(progress.clone()).run(Due::Scheduled, as_of, at).await?;
        count_charges(&summary);
        Ok(())
    }
}

impl Job for RetryRenewals {
    const NAME: JobName = JobName::RetryRenewals;
    async fn run(
        &self,
        ctx: &JobContext,
        as_of: NaiveDate,
        at: DateTime<Utc>,
        progress: &Progress,
    ) -> anyhow::Result<()> {
        let summary = ctx.charge_run().with_progress(progress.clone()).run(Due::Retries, as_of, at).await?;
        count_charges(&summary);
        Ok(())
    }
}

impl Job for ExpireEntitlements {
    const NAME: JobName = JobName::ExpireEntitlements;
    async fn run(
        &self,
        ctx: &JobContext,
        as_of: NaiveDate,
        at: DateTime<Utc>,
        progress: &Progress,
    ) -> anyhow::Result<()> {
        let grace = ctx.settings.entitlements.period_grace_days;
        let summary = entitlements::expire::expire(&ctx.db, as_of, grace, at).await?;
        progress.add(summary.lapsed + summary.complimentary_ended, 0);
        Ok(())
    }
}

impl Job for GrantEntitlements {
    const NAME: JobName = JobName::GrantEntitlements;
    async fn run(
        &self,
        ctx: &JobContext,
        _: NaiveDate,
        at: DateTime<Utc>,
        progress: &Progress,
    ) -> anyhow::Result<()> {
        let summary = grant_sweep(&ctx.db, ctx.calendar, at).await?;
        progress.add(u64::from(summary.granted), u64::from(summary.failed));
        Ok(())
    }
}

impl Job for DispatchWebhooks {
    const NAME: JobName = JobName::DispatchWebhooks;
    /// Rounds until nothing is due now (real time: deliveries are due by the clock, not the business date).
    async fn run(
        &self,
        ctx: &JobContext,
        _: NaiveDate,
        _: DateTime<Utc>,
        progress: &Progress,
    ) -> anyhow::Result<()> {
        notify::slack::sync_endpoint(&ctx.db, ctx.settings.slack.webhook_url.is_some(), ctx.clock.now())
            .await?;
        loop {
            let round = ctx.dispatcher.run_once(ctx.clock.now()).await?;
            progress.add(round.delivered, round.failed + round.dead);
            if round.attempted == 0 {
                return Ok(());
            }
        }
    }
}

impl Job for DispatchEmails {
    const NAME: JobName = JobName::DispatchEmails;
    /// Rounds until nothing is due now (real time, as webhooks).
    async fn run(
        &self,
        ctx: &JobContext,
        _: NaiveDate,
        _: DateTime<Utc>,
        progress: &Progress,
    ) -> anyhow::Result<()> {
        loop {
            let round = ctx.mailer.run_once(ctx.clock.now()).await?;
            progress.add(round.sent, round.failed + round.retrying);
            if round.sent + round.failed + round.retrying == 0 {
                return Ok(());
            }
        }
    }
}

/// Does the work of job `name` (the [`Job`] of that name).
pub(crate) async fn execute(
    ctx: &JobContext,
    name: JobName,
    as_of: NaiveDate,
    at: DateTime<Utc>,
    progress: &Progress,
) -> anyhow::Result<()> {
    match name {
        JobName::CreateRenewals => CreateRenewals.run(ctx, as_of, at, progress).await,
        JobName::SendNotices => SendNotices.run(ctx, as_of, at, progress).await,
        JobName::ChargeRenewals => ChargeRenewals.run(ctx, as_of, at, progress).await,
        JobName::RetryRenewals => RetryRenewals.run(ctx, as_of, at, progress).await,
        JobName::ExpireEntitlements => ExpireEntitlements.run(ctx, as_of, at, progress).await,
        JobName::GrantEntitlements => GrantEntitlements.run(ctx, as_of, at, progress).await,
        JobName::DispatchWebhooks => DispatchWebhooks.run(ctx, as_of, at, progress).await,
        JobName::DispatchEmails => DispatchEmails.run(ctx, as_of, at, progress).await,
        JobName::DailyReport => crate::operations::DailyReport.run(ctx, as_of, at, progress).await,
        JobName::AlertCheck => crate::operations::AlertCheck.run(ctx, as_of, at, progress).await,
        JobName::FailedChargesList => {
            crate::operations::FailedChargesList.run(ctx, as_of, at, progress).await
        }
        JobName::SendShippingNotices => {
            crate::shipping::SendShippingNotices.run(ctx, as_of, at, progress).await
        }
        JobName::CapturePayments => crate::gateway::CapturePayments.run(ctx, as_of, at, progress).await,
        JobName::ReconcilePayments => crate::gateway::ReconcilePayments.run(ctx, as_of, at, progress).await,
    }
}

/// Counts a charge run's outcomes for `GET /metrics`.
fn count_charges(summary: &renewals::charge::ChargeSummary) {
    for (outcome, n) in [
        ("charged", summary.charged),
        ("declined", summary.declined),
        ("error", summary.errors),
        ("unknown", summary.unknown),
    ] {
        metrics::counter!("charge_attempts_total", "outcome" => outcome).increment(n);
    }
}

/// The R3 sweep without a run record (the server runs it every minute): grants the paid orders of the
/// last seven days that still have lines to grant.
pub async fn grant_sweep(
    db: &DatabaseConnection,
    calendar: BusinessCalendar,
    now: DateTime<Utc>,
) -> anyhow::Result<entitlements::GrantSummary> {
    let since = now.checked_sub_days(Days::new(SWEEP_WINDOW_DAYS)).unwrap_or(now);
    Ok(entitlements::grant::grant_paid_since(db, calendar, since, now).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r13_every_job_name_has_exactly_one_job_type() {
        let names = [
            CreateRenewals::NAME,
            SendNotices::NAME,
            ChargeRenewals::NAME,
            RetryRenewals::NAME,
            ExpireEntitlements::NAME,
            GrantEntitlements::NAME,
            DispatchWebhooks::NAME,
            DispatchEmails::NAME,
            crate::operations::DailyReport::NAME,
            crate::operations::AlertCheck::NAME,
            crate::operations::FailedChargesList::NAME,
            crate::shipping::SendShippingNotices::NAME,
            crate::gateway::CapturePayments::NAME,
            crate::gateway::ReconcilePayments::NAME,
        ];
        assert_eq!(names, JobName::ALL, "one type per name, in the order of JobName::ALL");
    }
}
