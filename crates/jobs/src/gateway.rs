//! R23, the jobs between our payments and the gateway: `CAPTURE_PAYMENTS` (seed 000 task 14, 仮売上を実売上
//! にする, every day at `gateway.capture_at`) captures the authorisations of the days before or voids those
//! of cancelled orders; `RECONCILE_PAYMENTS` (seed 000 task 13) matches the day before's settlement with our
//! payments where the gateway can be asked for it (the simulated one; ECPay's settlement file is reconciled
//! with `platform reconcile`).

use crate::work::Job;
use crate::{JobContext, JobName};
use chrono::{DateTime, NaiveDate, Utc};
use payments::PaymentGateway;
use platform_core::Progress;
use std::time::Duration;

/// R23 delayed capture.
pub struct CapturePayments;
/// R23 reconciliation of the day before.
pub struct ReconcilePayments;

impl Job for CapturePayments {
    const NAME: JobName = JobName::CapturePayments;
    async fn run(
        &self,
        ctx: &JobContext,
        as_of: NaiveDate,
        at: DateTime<Utc>,
        progress: &Progress,
    ) -> anyhow::Result<()> {
        let timeout = Duration::from_secs(ctx.settings.gateway.timeout_secs.max(1));
        let before = ctx.calendar.start_of(as_of);
        let summary = ctx.orders.capture_payments(&ctx.gateway, before, timeout, at).await?;
        progress.add(summary.captured + summary.voided, summary.refused + summary.unanswered);
        Ok(())
    }
}

impl Job for ReconcilePayments {
    const NAME: JobName = JobName::ReconcilePayments;
    async fn run(
        &self,
        ctx: &JobContext,
        as_of: NaiveDate,
        at: DateTime<Utc>,
        progress: &Progress,
    ) -> anyhow::Result<()> {
        let day = as_of.pred_opt().unwrap_or(as_of);
        let bounds = ops::report::day_bounds(ctx.calendar, day);
        let Some(settled) = ctx.gateway.settlement(bounds.0, bounds.1).await? else {
            anyhow::bail!(
                "the {} gateway cannot be asked for its settlement: reconcile its file with `platform reconcile`",
                ctx.settings.gateway.kind
            );
        };
        let rows = settled.into_iter().map(Into::into).collect();
        let report =
            orders::reconcile::reconcile(&ctx.db, day, bounds, orders::reconcile::Source::Gateway, rows, at)
                .await?;
        progress.add(report.matched, report.stray + report.missing + report.mismatched);
        Ok(())
    }
}
