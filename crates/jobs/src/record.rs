//! Job runs and their records in `job_runs`: who asked, as of when, how it ended, with counts. A run
//! beats a heartbeat while it works, so one whose process died reads as ABANDONED.

use crate::entity::Stored;
use crate::work::{execute, run_time};
use crate::{JobContext, JobName, entity};
use chrono::{DateTime, Days, NaiveDate, Utc};
use platform_core::Progress;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

/// How often a running job records that it is alive.
const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(10);
/// A RUNNING run whose last heartbeat is older than this reads as ABANDONED: its process died.
const ABANDONED_AFTER_SECS: i64 = 60;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Still running.
    Running,
    /// Finished.
    Succeeded,
    /// Stopped on an error.
    Failed,
    /// Recorded as running, but its heartbeat stopped more than a minute ago: the process that ran it died
    /// (killed, restarted) before recording how it ended. What it did is in the domain's own records.
    Abandoned,
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
    let started = start(ctx, name, request, now).await?;
    Ok(work_and_record(ctx.clone(), name, started, now).await?)
}

/// As [`run`], but the work goes on in the background: the finished run when it ends within `wait`, else
/// the run as RUNNING (poll [`runs`]). The work is not tied to the caller: a request that gives up (an
/// HTTP timeout, a client that goes away) no longer aborts a run half-way.
pub async fn run_in_background(
    ctx: &JobContext,
    name: JobName,
    request: RunRequest,
    now: DateTime<Utc>,
    wait: std::time::Duration,
) -> Result<JobRun, RunError> {
    let started = start(ctx, name, request, now).await?;
    let running = from_row(started.clone(), now);
    let work = tokio::spawn(work_and_record(ctx.clone(), name, started, now));
    match tokio::time::timeout(wait, work).await {
        Ok(Ok(finished)) => Ok(finished?),
        Ok(Err(panicked)) => {
            Err(RunError::Unexpected(anyhow::anyhow!("job {} stopped: {panicked}", name.as_str())))
        }
        Err(_) => Ok(running),
    }
}

/// Checks the request and records the run as RUNNING.
async fn start(
    ctx: &JobContext,
    name: JobName,
    request: RunRequest,
    now: DateTime<Utc>,
) -> Result<entity::Model, RunError> {
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
        status: Set(Stored::Running),
        started_at: Set(now),
        heartbeat_at: Set(Some(Utc::now())),
        processed: Set(0),
        failed: Set(0),
        requested_by: Set(Some(request.requested_by.chars().take(200).collect())),
        forced: Set(too_far),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await
    .map_err(anyhow::Error::from)?;
    Ok(started)
}

/// Does the work of a started run, beating its heartbeat, and records how it ended.
async fn work_and_record(
    ctx: JobContext,
    name: JobName,
    started: entity::Model,
    now: DateTime<Utc>,
) -> anyhow::Result<JobRun> {
    let (id, as_of) = (started.id, started.as_of);
    let progress = Progress::default();
    let work = execute(&ctx, name, as_of, run_time(ctx.calendar, as_of, now), &progress);
    tokio::pin!(work);
    let mut beat = tokio::time::interval(HEARTBEAT);
    beat.tick().await;
    let outcome = loop {
        tokio::select! {
            outcome = &mut work => break outcome,
            _ = beat.tick() => {
                // Alive, and how far it has got.
                let (processed, failed) = counts(&progress);
                let alive = entity::Entity::update_many()
                    .col_expr(entity::Column::HeartbeatAt, sea_orm::sea_query::Expr::value(Utc::now()))
                    .col_expr(entity::Column::Processed, sea_orm::sea_query::Expr::value(processed))
                    .col_expr(entity::Column::Failed, sea_orm::sea_query::Expr::value(failed))
                    .filter(entity::Column::Id.eq(id))
                    .exec(&ctx.db)
                    .await;
                if let Err(err) = alive {
                    tracing::warn!(job = name.as_str(), error = %err, "recording a heartbeat failed");
                }
            }
        }
    };
    let error = outcome.as_ref().err().map(|err| format!("{err:#}"));
    count_run(name, error.is_none(), (Utc::now() - now).to_std().unwrap_or_default());
    if let Err(err) = crate::health::record_tick(&ctx.db, name, error.as_deref(), Utc::now()).await {
        tracing::warn!(job = name.as_str(), error = %err, "recording the job's tick failed");
    }
    let mut finished: entity::ActiveModel = started.into();
    finished.finished_at = Set(Some(Utc::now()));
    finished.heartbeat_at = Set(Some(Utc::now()));
    // What it did, whether it finished or failed half-way.
    let (processed, failed) = counts(&progress);
    finished.processed = Set(processed);
    finished.failed = Set(failed);
    match &outcome {
        Ok(()) => finished.status = Set(Stored::Succeeded),
        Err(err) => {
            finished.status = Set(Stored::Failed);
            finished.error = Set(Some(format!("{err:#}").chars().take(500).collect()));
        }
    }
    let row = finished.update(&ctx.db).await?;
    if let Err(err) = outcome {
        tracing::error!(job = name.as_str(), error = %format!("{err:#}"), "job failed");
    }
    Ok(from_row(row, Utc::now()))
}

/// Runs `name` as of today and records the run only when it did something or failed (the in-server
/// schedule's frequent ticks); `None` when it had nothing to do.
pub async fn run_if_busy(
    ctx: &JobContext,
    name: JobName,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<JobRun>> {
    let as_of = ctx.calendar.date_of(now);
    let progress = Progress::default();
    let outcome = execute(ctx, name, as_of, now, &progress).await;
    let (processed, failed) = counts(&progress);
    let error = outcome.err().map(|err| format!("{err:#}").chars().take(500).collect::<String>());
    count_run(name, error.is_none(), (Utc::now() - now).to_std().unwrap_or_default());
    crate::health::record_tick(&ctx.db, name, error.as_deref(), Utc::now()).await?;
    if error.is_none() && (processed, failed) == (0, 0) {
        return Ok(None);
    }
    let row = entity::ActiveModel {
        name: Set(name.as_str().to_owned()),
        as_of: Set(as_of),
        status: Set(if error.is_some() { Stored::Failed } else { Stored::Succeeded }),
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
    Ok(Some(from_row(row, Utc::now())))
}

/// Counts a run for `GET /metrics`: runs by job and outcome, and their durations.
fn count_run(name: JobName, ok: bool, took: std::time::Duration) {
    let status = if ok { "succeeded" } else { "failed" };
    metrics::counter!("job_runs_total", "job" => name.as_str(), "status" => status).increment(1);
    metrics::histogram!("job_run_duration_seconds", "job" => name.as_str()).record(took.as_secs_f64());
}

/// The counts of `progress` as stored.
fn counts(progress: &Progress) -> (i64, i64) {
    let (processed, failed) = progress.counts();
    (i64::try_from(processed).unwrap_or(i64::MAX), i64::try_from(failed).unwrap_or(i64::MAX))
}

/// The latest runs, newest first, optionally of one job.
pub async fn runs(db: &DatabaseConnection, name: Option<JobName>, limit: u64) -> anyhow::Result<Vec<JobRun>> {
    let mut query = entity::Entity::find().order_by_desc(entity::Column::Id).limit(limit);
    if let Some(name) = name {
        query = query.filter(entity::Column::Name.eq(name.as_str()));
    }
    let now = Utc::now();
    Ok(query.all(db).await?.into_iter().map(|row| from_row(row, now)).collect())
}

/// A run as read at `now`.
fn from_row(row: entity::Model, now: DateTime<Utc>) -> JobRun {
    let alive = row.heartbeat_at.unwrap_or(row.started_at) + chrono::Duration::seconds(ABANDONED_AFTER_SECS);
    let status = match row.status {
        Stored::Succeeded => RunStatus::Succeeded,
        Stored::Failed => RunStatus::Failed,
        Stored::Running if alive < now => RunStatus::Abandoned,
        Stored::Running => RunStatus::Running,
    };
    let error = row.error;
    JobRun {
        id: row.id,
        name: row.name,
        as_of: row.as_of,
        status,
        started_at: row.started_at,
        finished_at: row.finished_at,
        processed: row.processed,
        failed: row.failed,
        error,
        requested_by: row.requested_by,
        forced: row.forced,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(status: Stored, heartbeat_secs_ago: Option<i64>, now: DateTime<Utc>) -> entity::Model {
        entity::Model {
            id: 1,
            name: "CHARGE_RENEWALS".into(),
            as_of: now.date_naive(),
            status,
            started_at: now - chrono::Duration::hours(1),
            finished_at: None,
            processed: 0,
            failed: 0,
            error: None,
            requested_by: Some("ops".into()),
            forced: false,
            heartbeat_at: heartbeat_secs_ago.map(|secs| now - chrono::Duration::seconds(secs)),
        }
    }

    #[test]
    fn a_run_without_a_heartbeat_for_a_minute_is_abandoned() {
        let now = Utc::now();
        assert_eq!(from_row(row(Stored::Running, Some(10), now), now).status, RunStatus::Running);
        assert_eq!(from_row(row(Stored::Running, Some(61), now), now).status, RunStatus::Abandoned);
        assert_eq!(
            from_row(row(Stored::Running, None, now), now).status,
            RunStatus::Abandoned,
            "a run of before the heartbeat, started an hour ago"
        );
        assert_eq!(from_row(row(Stored::Succeeded, Some(3600), now), now).status, RunStatus::Succeeded);
    }
}
