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
mod gateway;
pub mod health;
mod name;
mod operations;
mod record;
mod shipping;
mod work;

pub use context::JobContext;
pub use gateway::{CapturePayments, ReconcilePayments};
pub use name::{JobName, interval_jobs};
pub use operations::{AlertCheck, DailyReport, FailedChargesList, report};
pub use record::{JobRun, RunError, RunRequest, RunStatus, run, run_if_busy, run_in_background, runs};
pub use shipping::SendShippingNotices;
pub use work::{
    ChargeRenewals, CreateRenewals, DispatchEmails, DispatchWebhooks, ExpireEntitlements, GrantEntitlements,
    Job, RetryRenewals, SendNotices, grant_sweep, run_time,
};
