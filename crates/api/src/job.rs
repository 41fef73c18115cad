//! Jobs for admins: `runJob(name, asOf)` and `jobRuns(name, first)` (R13).

use crate::access::Require;
use crate::error::{coded, from_domain, internal};
use crate::{ApiState, Date};
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use platform_core::ErrorCode;

#[derive(Default)]
pub(crate) struct JobsQuery;

#[Object]
impl JobsQuery {
    /// The latest runs, newest first (`first` ≤ 100, default 20), optionally of one job. Admins only.
    #[graphql(guard = "Require::Admin")]
    async fn job_runs(
        &self,
        ctx: &Context<'_>,
        name: Option<JobName>,
        first: Option<i32>,
    ) -> Result<Vec<JobRun>> {
        let state = ctx.data::<ApiState>()?;
        let first = first.unwrap_or(20);
        if !(1..=100).contains(&first) {
            return Err(coded(ErrorCode::BadUserInput, "first: must be between 1 and 100"));
        }
        let runs = jobs::runs(&state.db, name.map(Into::into), u64::try_from(first).unwrap_or(20))
            .await
            .map_err(internal)?;
        Ok(runs.into_iter().map(JobRun::from).collect())
    }
}

#[derive(Default)]
pub(crate) struct JobsMutation;

#[Object]
impl JobsMutation {
    /// Runs a job now as of `asOf` (default today) and returns its recorded run, which names who asked. A
    /// run still at work after `jobs.wait_secs` (20 s) is returned RUNNING and goes on in the background:
    /// poll `jobRuns` for how it ended. In production an `asOf` more than `jobs.max_days_ahead` (1) days after today is refused unless
    /// `force: true`. Admins only.
    #[graphql(guard = "Require::Admin")]
    async fn run_job(
        &self,
        ctx: &Context<'_>,
        name: JobName,
        as_of: Option<Date>,
        #[graphql(default = false)] force: bool,
    ) -> Result<JobRun> {
        let state = ctx.data::<ApiState>()?;
        let requested_by = crate::access::principal(ctx).subject().to_owned();
        let request = jobs::RunRequest { as_of: as_of.map(|d| d.0), force, requested_by };
        let wait = std::time::Duration::from_secs(state.jobs.settings.jobs.wait_secs);
        let run = jobs::run_in_background(&state.jobs, name.into(), request, state.clock.now(), wait)
            .await
            .map_err(from_domain)?;
        Ok(run.into())
    }
}

mirror_enum!(
    /// SPEC §4's jobs, plus the R3 grant sweep.
    JobName => jobs::JobName {
        CreateRenewals, SendNotices, ChargeRenewals, RetryRenewals, ExpireEntitlements, GrantEntitlements,
        DispatchWebhooks, DispatchEmails, DailyReport, AlertCheck, FailedChargesList, SendShippingNotices,
        CapturePayments, ReconcilePayments,
    }
);

/// How a run ended.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JobRunStatus {
    /// Still running, or its process died.
    Running,
    /// Finished.
    Succeeded,
    /// Stopped on an error.
    Failed,
    /// Recorded as running, but its process died before recording how it ended (no heartbeat for a
    /// minute).
    Abandoned,
}

/// One recorded job run.
#[derive(SimpleObject)]
pub(crate) struct JobRun {
    id: ID,
    name: String,
    as_of: Date,
    status: JobRunStatus,
    started_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    processed: i64,
    failed: i64,
    error: Option<String>,
    /// Who asked for the run: an admin token's subject, `cli:<user>`, or `schedule`.
    requested_by: Option<String>,
    /// Whether it was forced past `jobs.max_days_ahead`.
    forced: bool,
}

impl From<jobs::JobRun> for JobRun {
    fn from(run: jobs::JobRun) -> Self {
        JobRun {
            id: ID(run.id.to_string()),
            name: run.name,
            as_of: Date(run.as_of),
            status: match run.status {
                jobs::RunStatus::Running => JobRunStatus::Running,
                jobs::RunStatus::Succeeded => JobRunStatus::Succeeded,
                jobs::RunStatus::Failed => JobRunStatus::Failed,
                jobs::RunStatus::Abandoned => JobRunStatus::Abandoned,
            },
            started_at: run.started_at,
            finished_at: run.finished_at,
            processed: run.processed,
            failed: run.failed,
            error: run.error,
            requested_by: run.requested_by,
            forced: run.forced,
        }
    }
}
