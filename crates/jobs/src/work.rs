//! What each job does: one call into its domain, as of a business date.

use crate::{JobContext, JobName};
use chrono::{DateTime, Days, NaiveDate, Utc};
use platform_core::BusinessCalendar;
use renewals::charge::Due;
use sea_orm::DatabaseConnection;

/// How far back the grant sweep looks for paid orders.
const SWEEP_WINDOW_DAYS: u64 = 7;

/// The instant a run as of `as_of` acts at: now on today, else the same time of day on `as_of`.
pub fn run_time(calendar: BusinessCalendar, as_of: NaiveDate, now: DateTime<Utc>) -> DateTime<Utc> {
    let today = calendar.date_of(now);
    if as_of == today { now } else { calendar.start_of(as_of) + (now - calendar.start_of(today)) }
}

pub(crate) async fn execute(
    ctx: &JobContext,
    name: JobName,
    as_of: NaiveDate,
    at: DateTime<Utc>,
) -> anyhow::Result<(i64, i64)> {
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let (db, settings) = (&ctx.db, &ctx.settings);
    match name {
        JobName::CreateRenewals => {
            let summary = renewals::auto::create_due(db, ctx.calendar, &settings.renewals, as_of, at).await?;
            Ok((count(summary.created), count(summary.failed)))
        }
        JobName::SendNotices => {
            Ok((count(renewals::notice::send_due(db, &settings.renewals, as_of, at).await?), 0))
        }
        JobName::ChargeRenewals | JobName::RetryRenewals => {
            let due = if name == JobName::ChargeRenewals { Due::Scheduled } else { Due::Retries };
            let summary = ctx.charge_run().run(due, as_of, at).await?;
            Ok((count(summary.charged + summary.declined), count(summary.errors + summary.unknown)))
        }
        JobName::ExpireEntitlements => {
            let summary =
                entitlements::expire::expire(db, as_of, settings.entitlements.period_grace_days, at).await?;
            Ok((count(summary.lapsed + summary.complimentary_ended), 0))
        }
        JobName::GrantEntitlements => {
            let summary = grant_sweep(db, ctx.calendar, at).await?;
            Ok((i64::from(summary.granted), i64::from(summary.failed)))
        }
        JobName::DispatchWebhooks => {
            let dispatcher =
                notify::Dispatcher::new(db.clone(), notify::DispatchSettings::from(&settings.webhooks))?;
            let (mut delivered, mut failed) = (0, 0);
            loop {
                let round = dispatcher.run_once(Utc::now()).await?;
                delivered += round.delivered;
                failed += round.failed + round.dead;
                if round.attempted == 0 {
                    break;
                }
            }
            Ok((count(delivered), count(failed)))
        }
        JobName::DispatchEmails => {
            let (mut sent, mut failed) = (0, 0);
            loop {
                let round = ctx.mailer.run_once(Utc::now()).await?;
                sent += round.sent;
                failed += round.failed + round.retrying;
                if round.sent + round.failed + round.retrying == 0 {
                    break;
                }
            }
            Ok((count(sent), count(failed)))
        }
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
