//! Batch jobs (R13): each run on demand (`platform jobs run NAME --as-of DATE`, GraphQL `runJob`) or on
//! the server's schedule (`[jobs]` settings), each run recorded in `job_runs` with its counts and error.
//! Every job is safe to run twice and from several instances at once (see each job's domain: claims with
//! leases, conditional updates, unique keys).
//!
//! `--as-of` is a controllable clock: the run acts as if it were that business day, at the current time of
//! day, so a whole renewal lifecycle can be driven day by day.
//!
//! Owns the table `job_runs`. Depends on core and the domain crates it drives.

mod context;
mod entity;

pub use context::JobContext;

use chrono::{DateTime, Days, NaiveDate, Utc};
use platform_core::BusinessCalendar;
use renewals::charge::Due;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

/// How far back the grant sweep looks for paid orders.
const SWEEP_WINDOW_DAYS: u64 = 7;

/// The jobs (SPEC §4's `JobName`, plus the R3 grant sweep).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobName {
    /// R7: create the renewals of paid orders of renewable promotions.
    CreateRenewals,
    /// R8: queue the deduct notices that are due.
    SendNotices,
    /// R9: charge the renewals whose deduct date has come.
    ChargeRenewals,
    /// R9: retry the failed renewals whose automatic retry day has come.
    RetryRenewals,
    /// R10: lapse entitlements whose due date has passed, as of a business date.
    ExpireEntitlements,
    /// R3: grant the paid orders of the last seven days that still have lines to grant.
    GrantEntitlements,
    /// R12: fan new events out to webhook endpoints and send what is due, until nothing is due now.
    DispatchWebhooks,
    /// R12: send the queued e-mails over SMTP (when configured).
    DispatchEmails,
}

impl JobName {
    /// Every job.
    pub const ALL: [JobName; 8] = [
        JobName::CreateRenewals,
        JobName::SendNotices,
        JobName::ChargeRenewals,
        JobName::RetryRenewals,
        JobName::ExpireEntitlements,
        JobName::GrantEntitlements,
        JobName::DispatchWebhooks,
        JobName::DispatchEmails,
    ];

    /// The stored and displayed name, as in SPEC §4's `JobName`.
    pub const fn as_str(self) -> &'static str {
        match self {
            JobName::CreateRenewals => "CREATE_RENEWALS",
            JobName::SendNotices => "SEND_NOTICES",
            JobName::ChargeRenewals => "CHARGE_RENEWALS",
            JobName::RetryRenewals => "RETRY_RENEWALS",
            JobName::ExpireEntitlements => "EXPIRE_ENTITLEMENTS",
            JobName::GrantEntitlements => "GRANT_ENTITLEMENTS",
            JobName::DispatchWebhooks => "DISPATCH_WEBHOOKS",
            JobName::DispatchEmails => "DISPATCH_EMAILS",
        }
    }

    /// From the stored name, or its kebab-case form (`charge-renewals`).
    pub fn parse(raw: &str) -> Option<JobName> {
        let name = raw.trim().to_ascii_uppercase().replace('-', "_");
        JobName::ALL.into_iter().find(|j| j.as_str() == name)
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Still running (or its process died).
    Running,
    /// Finished.
    Succeeded,
    /// Stopped on an error.
    Failed,
}

/// One recorded run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRun {
    /// Id.
    pub id: i64,
    /// Which job.
    pub name: String,
    /// The business date it ran as.
    pub as_of: NaiveDate,
    /// How it ended.
    pub status: RunStatus,
    /// Started.
    pub started_at: DateTime<Utc>,
    /// Finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Items done (entitlements expired, lines granted, deliveries accepted).
    pub processed: i64,
    /// Items that failed (grant failures, failed or dead deliveries).
    pub failed: i64,
    /// The error that stopped it, without secrets.
    pub error: Option<String>,
    /// Who asked for it: an admin, `cli:<user>`, or `schedule`.
    pub requested_by: Option<String>,
    /// Whether it was forced past `jobs.max_days_ahead`.
    pub forced: bool,
}

/// A run asked for on demand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRequest {
    /// The business date to run as; default today.
    pub as_of: Option<NaiveDate>,
    /// Run even when `as_of` is further ahead than `jobs.max_days_ahead` (production only).
    pub force: bool,
    /// Who asked: an admin token's subject, `cli:<user>`.
    pub requested_by: String,
}

/// Why a run was not started.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// In production, `as_of` is further ahead than allowed and the run was not forced.
    #[error(
        "asOf: {as_of} is more than {max_days} day(s) after today ({today}) and would act on everything due          until then; pass force to run it anyway (the run records who forced it)"
    )]
    TooFarAhead {
        /// Asked for.
        as_of: NaiveDate,
        /// Today in the business time zone.
        today: NaiveDate,
        /// `jobs.max_days_ahead`.
        max_days: u32,
    },
    /// Recording the run failed.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl platform_core::error::HasErrorCode for RunError {
    fn code(&self) -> platform_core::ErrorCode {
        match self {
            RunError::TooFarAhead { .. } => platform_core::ErrorCode::BadUserInput,
            RunError::Unexpected(_) => platform_core::ErrorCode::Internal,
        }
    }
}

/// Runs `name` as `request` asks (default as of today) and records the run with who asked. In production
/// a run as of a day more than `jobs.max_days_ahead` ahead is refused unless forced: a typo such as
/// 9999-12-31 would otherwise charge renewals due a year ahead or lapse current subscribers, irreversibly.
pub async fn run(
    ctx: &JobContext,
    name: JobName,
    request: RunRequest,
    now: DateTime<Utc>,
) -> Result<JobRun, RunError> {
    let db = &ctx.db;
    let today = ctx.calendar.date_of(now);
    let as_of = request.as_of.unwrap_or(today);
    let max_days = ctx.settings.jobs.max_days_ahead;
    let too_far = ctx.settings.production
        && today.checked_add_days(Days::new(u64::from(max_days))).is_some_and(|limit| as_of > limit);
    if too_far && !request.force {
        return Err(RunError::TooFarAhead { as_of, today, max_days });
    }
    if too_far {
        tracing::warn!(job = name.as_str(), %as_of, requested_by = %request.requested_by, "forced run ahead of today");
    }
    let started = entity::ActiveModel {
        name: Set(name.as_str().to_owned()),
        as_of: Set(as_of),
        status: Set("RUNNING".to_owned()),
        started_at: Set(now),
        processed: Set(0),
        failed: Set(0),
        requested_by: Set(Some(request.requested_by.chars().take(200).collect())),
        forced: Set(too_far),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(anyhow::Error::from)?;
    let outcome = execute(ctx, name, as_of, run_time(ctx.calendar, as_of, now)).await;
    let mut finished: entity::ActiveModel = started.into();
    finished.finished_at = Set(Some(Utc::now()));
    match &outcome {
        Ok((processed, failed)) => {
            finished.status = Set("SUCCEEDED".to_owned());
            finished.processed = Set(*processed);
            finished.failed = Set(*failed);
        }
        Err(err) => {
            finished.status = Set("FAILED".to_owned());
            finished.error = Set(Some(format!("{err:#}").chars().take(500).collect()));
        }
    }
    let row = finished.update(db).await.map_err(anyhow::Error::from)?;
    if let Err(err) = outcome {
        tracing::error!(job = name.as_str(), error = %format!("{err:#}"), "job failed");
    }
    Ok(from_row(row))
}

/// Runs `name` as of today and records the run only when it did something or failed (the in-server
/// schedule's frequent ticks); `None` when it had nothing to do.
pub async fn run_if_busy(
    ctx: &JobContext,
    name: JobName,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<JobRun>> {
    let as_of = ctx.calendar.date_of(now);
    let outcome = execute(ctx, name, as_of, now).await;
    if matches!(outcome, Ok((0, 0))) {
        return Ok(None);
    }
    let (processed, failed, error) = match &outcome {
        Ok((processed, failed)) => (*processed, *failed, None),
        Err(err) => (0, 0, Some(format!("{err:#}").chars().take(500).collect::<String>())),
    };
    let row = entity::ActiveModel {
        name: Set(name.as_str().to_owned()),
        as_of: Set(as_of),
        status: Set(if error.is_some() { "FAILED" } else { "SUCCEEDED" }.to_owned()),
        started_at: Set(now),
        finished_at: Set(Some(Utc::now())),
        processed: Set(processed),
        failed: Set(failed),
        error: Set(error),
        requested_by: Set(Some("schedule".to_owned())),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await?;
    Ok(Some(from_row(row)))
}

/// The instant a run as of `as_of` acts at: now on today, else the same time of day on `as_of`.
pub fn run_time(calendar: BusinessCalendar, as_of: NaiveDate, now: DateTime<Utc>) -> DateTime<Utc> {
    let today = calendar.date_of(now);
    if as_of == today { now } else { calendar.start_of(as_of) + (now - calendar.start_of(today)) }
}

async fn execute(
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

/// The latest runs, newest first, optionally of one job.
pub async fn runs(db: &DatabaseConnection, name: Option<JobName>, limit: u64) -> anyhow::Result<Vec<JobRun>> {
    let mut query = entity::Entity::find().order_by_desc(entity::Column::Id).limit(limit);
    if let Some(name) = name {
        query = query.filter(entity::Column::Name.eq(name.as_str()));
    }
    Ok(query.all(db).await?.into_iter().map(from_row).collect())
}

fn from_row(row: entity::Model) -> JobRun {
    JobRun {
        id: row.id,
        name: row.name,
        as_of: row.as_of,
        status: match row.status.as_str() {
            "SUCCEEDED" => RunStatus::Succeeded,
            "FAILED" => RunStatus::Failed,
            _ => RunStatus::Running,
        },
        started_at: row.started_at,
        finished_at: row.finished_at,
        processed: row.processed,
        failed: row.failed,
        error: row.error,
        requested_by: row.requested_by,
        forced: row.forced,
    }
}
