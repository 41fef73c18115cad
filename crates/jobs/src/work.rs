//! What each job does: one call into its domain, as of a business date.

use crate::{JobContext, JobName};
use chrono::{DateTime, Days, NaiveDate, Utc};
use platform_core::{BusinessCalendar, Progress};
use renewals::charge::Due;
use sea_orm::DatabaseConnection;

/// How far back the grant sweep looks for paid orders.
const SWEEP_WINDOW_DAYS: u64 = 7;

/// The instant a run as of `as_of` acts at: now on today, else the same time of day on `as_of`.
pub fn run_time(calendar: BusinessCalendar, as_of: NaiveDate, now: DateTime<Utc>) -> DateTime<Utc> {
    let today = calendar.date_of(now);
    if as_of == today { now } else { calendar.start_of(as_of) + (now - calendar.start_of(today)) }
}

/// Does the work of job `name` as of `as_of`, counting into `progress` as it goes: what it did is known
/// even when it fails half-way.
pub(crate) async fn execute(
    ctx: &JobContext,
    name: JobName,
    as_of: NaiveDate,
    at: DateTime<Utc>,
    progress: &Progress,
) -> anyhow::Result<()> {
    let (db, settings) = (&ctx.db, &ctx.settings);
    match name {
        JobName::CreateRenewals => {
            let summary = renewals::auto::create_due(db, ctx.calendar, &settings.renewals, as_of, at).await?;
            progress.add(summary.created, summary.failed);
        }
        JobName::SendNotices => {
            progress.add(renewals::notice::send_due(db, &settings.renewals, as_of, at).await?, 0);
        }
        JobName::ChargeRenewals | JobName::RetryRenewals => {
            let due = if name == JobName::ChargeRenewals { Due::Scheduled } else { Due::Retries };
            ctx.charge_run().with_progress(progress.clone()).run(due, as_of, at).await?;
        }
        JobName::ExpireEntitlements => {
            let summary =
                entitlements::expire::expire(db, as_of, settings.entitlements.period_grace_days, at).await?;
            progress.add(summary.lapsed + summary.complimentary_ended, 0);
        }
        JobName::GrantEntitlements => {
            let summary = grant_sweep(db, ctx.calendar, at).await?;
            progress.add(u64::from(summary.granted), u64::from(summary.failed));
        }
        JobName::DispatchWebhooks => {
            let dispatcher =
                notify::Dispatcher::new(db.clone(), notify::DispatchSettings::from(&settings.webhooks))?;
            loop {
                let round = dispatcher.run_once(Utc::now()).await?;
                progress.add(round.delivered, round.failed + round.dead);
                if round.attempted == 0 {
                    break;
                }
            }
        }
        JobName::DispatchEmails => loop {
            let round = ctx.mailer.run_once(Utc::now()).await?;
            progress.add(round.sent, round.failed + round.retrying);
            if round.sent + round.failed + round.retrying == 0 {
                break;
            }
        },
    }
    Ok(())
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
