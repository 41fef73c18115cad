//! Batch jobs (R13): the jobs that exist so far (R10 expiry, the R3 grant sweep, webhook dispatch), run on
//! demand (`platform jobs run`, GraphQL `runJob`) or from the server's loops, each run recorded in
//! `job_runs` with its counts and error. Every job is safe to run twice and from several instances at once
//! (see each job's domain). The renewal jobs of R7–R9 come with the rest of issue #6.
//!
//! Owns the table `job_runs`. Depends on core, entitlements and notify.

mod entity;

use chrono::{DateTime, Days, NaiveDate, Utc};
use platform_core::{BusinessCalendar, Settings};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

/// How far back the grant sweep looks for paid orders.
const SWEEP_WINDOW_DAYS: u64 = 7;

/// The jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobName {
    /// R10: lapse entitlements whose due date has passed, as of a business date.
    ExpireEntitlements,
    /// R3: grant the paid orders of the last seven days that still have lines to grant.
    GrantEntitlements,
    /// R12: fan new events out to webhook endpoints and send what is due, until nothing is due now.
    DispatchWebhooks,
}

impl JobName {
    /// Every job.
    pub const ALL: [JobName; 3] =
        [JobName::ExpireEntitlements, JobName::GrantEntitlements, JobName::DispatchWebhooks];

    /// The stored and displayed name, as in SPEC §4's `JobName`.
    pub const fn as_str(self) -> &'static str {
        match self {
            JobName::ExpireEntitlements => "EXPIRE_ENTITLEMENTS",
            JobName::GrantEntitlements => "GRANT_ENTITLEMENTS",
            JobName::DispatchWebhooks => "DISPATCH_WEBHOOKS",
        }
    }

    /// From the stored name.
    pub fn parse(raw: &str) -> Option<JobName> {
        JobName::ALL.into_iter().find(|j| j.as_str() == raw)
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
}

/// Runs `name` as of business date `as_of` (default today) and records the run.
pub async fn run(
    db: &DatabaseConnection,
    settings: &Settings,
    name: JobName,
    as_of: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> anyhow::Result<JobRun> {
    let calendar = BusinessCalendar::from(settings);
    let as_of = as_of.unwrap_or_else(|| calendar.date_of(now));
    let started = entity::ActiveModel {
        name: Set(name.as_str().to_owned()),
        as_of: Set(as_of),
        status: Set("RUNNING".to_owned()),
        started_at: Set(now),
        processed: Set(0),
        failed: Set(0),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let outcome = execute(db, settings, calendar, name, as_of, now).await;
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
    let row = finished.update(db).await?;
    if let Err(err) = outcome {
        tracing::error!(job = name.as_str(), error = %format!("{err:#}"), "job failed");
    }
    Ok(from_row(row))
}

async fn execute(
    db: &DatabaseConnection,
    settings: &Settings,
    calendar: BusinessCalendar,
    name: JobName,
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<(i64, i64)> {
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    match name {
        JobName::ExpireEntitlements => {
            let summary =
                entitlements::expire::expire(db, as_of, settings.entitlements.period_grace_days, now).await?;
            Ok((count(summary.lapsed + summary.complimentary_ended), 0))
        }
        JobName::GrantEntitlements => {
            let summary = grant_sweep(db, calendar, now).await?;
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
    }
}
