//! **R9, the charge run.** Each due renewal is claimed with a lease (a conditional update, `FOR UPDATE SKIP
//! LOCKED` on PostgreSQL), so no two runners or runs ever work on the same renewal. A claimed batch then
//! goes through three steps, without holding a database transaction across the gateway calls
//! ([`batch`]):
//! 1. **prepare**, one transaction: the AUTO order of each cycle, created once (its idempotency key is the
//!    renewal's); on the first attempt a temporary grant of the digital products; the charge intent —
//!    attempt number and idempotency key `renewal-<id>-<attempt>` — written;
//! 2. **charge**: the gateway is called with each intent's key, concurrently;
//! 3. **settle**, one transaction ([`settle`]): the payment recorded, entitlements extended, the renewal
//!    EXECUTED and the next cycle created — or the renewal FAILED with an e-mail asking for a new card.
//!
//! A single renewal (`retryRenewalCharge`) is a batch of one. A settlement is all or nothing: a runner that
//! dies or loses its connection mid-way leaves the intent open and nothing recorded.
//!
//! A lost answer (timeout) leaves the intent UNKNOWN. Whoever claims the renewal next — this run, the next
//! run, another instance — settles that first: from our own records when the order is already paid under
//! it, else by asking the gateway what happened under the intent's key; the renewal cannot be stopped or
//! given a new card meanwhile. A runner that dies holds its claims until the lease ends, then the next
//! runner reconciles them the same way, so a renewal is charged at most once per cycle.

mod batch;
mod plans;
mod settle;

use crate::entity::{charge, renewal};
use crate::service::{Renewal, find_renewal};
use crate::store::{IntentStatus, mark_intent, status_of};
use crate::{RenewalStatus, RenewalsError};
use chrono::{DateTime, Duration as Span, NaiveDate, Utc};
use orders::service::OrderService;
use payments::PaymentGateway;
use platform_core::RenewalId;
use platform_core::settings::RenewalSettings;
use platform_core::{BusinessCalendar, Progress};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait, QueryFilter,
};
use std::sync::Arc;
use std::time::Duration;

/// Which renewals a run charges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// PENDING renewals whose deduct date has come (the daily run).
    Scheduled,
    /// FAILED renewals whose automatic retry day has come.
    Retries,
}

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChargeSummary {
    /// Charged and executed.
    pub charged: u64,
    /// Declined (or no payment method): now FAILED.
    pub declined: u64,
    /// Transient gateway errors: nothing charged, tried again later.
    pub errors: u64,
    /// Answers still unknown: settled by a later run.
    pub unknown: u64,
}

impl ChargeSummary {
    fn merge(&mut self, other: ChargeSummary) {
        self.charged += other.charged;
        self.declined += other.declined;
        self.errors += other.errors;
        self.unknown += other.unknown;
    }
}

/// A charge runner. Cheap to clone; every runner has its own lease owner id.
#[derive(Clone)]
pub struct ChargeRun<G> {
    db: DatabaseConnection,
    orders: OrderService,
    calendar: BusinessCalendar,
    gateway: G,
    settings: Arc<RenewalSettings>,
    gateway_timeout: Duration,
    owner: String,
    /// Gateway calls in flight, shared by the runner's batches.
    limit: Arc<tokio::sync::Semaphore>,
    /// Counts what the run has done so far, batch by batch.
    progress: Progress,
}

impl<G: PaymentGateway + Clone + 'static> ChargeRun<G> {
    /// A runner over `db` charging through `gateway`, waiting at most `gateway_timeout` for an answer.
    pub fn new(
        orders: OrderService,
        calendar: BusinessCalendar,
        gateway: G,
        settings: RenewalSettings,
        gateway_timeout: Duration,
    ) -> Self {
        let limit = Arc::new(tokio::sync::Semaphore::new(settings.concurrency.max(1)));
        ChargeRun {
            limit,
            db: orders.db().clone(),
            orders,
            calendar,
            gateway,
            settings: Arc::new(settings),
            gateway_timeout,
            owner: format!("run-{}", uuid::Uuid::new_v4().simple()),
            progress: Progress::default(),
        }
    }

    /// This runner, counting into `progress` after every batch (charged or declined as processed,
    /// errors and unknown answers as failed), so a run that stops half-way still tells what it did.
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = progress;
        self
    }

    /// Charges every renewal that is `due` as of business date `as_of`, `at` being the run's time, until
    /// none is left to claim.
    pub async fn run(
        &self,
        due: Due,
        as_of: NaiveDate,
        at: DateTime<Utc>,
    ) -> Result<ChargeSummary, RenewalsError> {
        // A few batches in flight: one is in the database while another waits for the gateway.
        // SQLite has one writer: more batches would only queue for it.
        let in_flight = match self.db.get_database_backend() {
            DbBackend::Sqlite => 1,
            _ => self.settings.batches_in_flight.max(1),
        };
        let mut pipelines = tokio::task::JoinSet::new();
        for _ in 0..in_flight {
            let run = self.clone();
            pipelines.spawn(async move {
                let mut summary = ChargeSummary::default();
                loop {
                    let claimed = run.claim(Claim::Due(due, as_of)).await?;
                    if claimed.is_empty() {
                        return Ok::<_, RenewalsError>(summary);
                    }
                    let (done, failures) = run.charge_batch(claimed, as_of, at).await?;
                    run.progress.add(
                        done.charged + done.declined,
                        done.errors + done.unknown + failures.len() as u64,
                    );
                    summary.merge(done);
                    for (id, err) in failures {
                        // The claim stays until its lease ends; the next run reconciles this renewal.
                        tracing::error!(renewal = id, error = %format!("{err:#}"), "renewal charge failed");
                        summary.errors += 1;
                    }
                }
            });
        }
        let mut summary = ChargeSummary::default();
        while let Some(done) = pipelines.join_next().await {
            summary.merge(done.map_err(anyhow::Error::new)??);
        }
        Ok(summary)
    }

    /// `retryRenewalCharge`: charges FAILED renewal `id` (`caller` may act on it) now (with its current card) and answers how it
    /// ended. Only a failed renewal can be retried.
    pub async fn retry_now(
        &self,
        caller: &members::Principal,
        id: RenewalId,
        at: DateTime<Utc>,
    ) -> Result<Renewal, RenewalsError> {
        let row = crate::access::require(&self.db, caller, id).await?;
        let status = status_of(&row)?;
        if status != RenewalStatus::Failed {
            return Err(RenewalsError::Conflict(format!(
                "renewal {id} is {status:?}; only a failed renewal is retried"
            )));
        }
        let today = self.calendar.date_of(at);
        let attempts_today = charge::Entity::find()
            .filter(charge::Column::RenewalId.eq(id))
            .filter(charge::Column::CreatedAt.gte(self.calendar.start_of(today)))
            .count(&self.db)
            .await?;
        if attempts_today >= u64::from(self.settings.max_attempts_per_day) {
            return Err(RenewalsError::Conflict(format!(
                "renewal {id} was charged {attempts_today} times today, the most a day allows \
                 (renewals.max_attempts_per_day); try again tomorrow"
            )));
        }
        if self.claim(Claim::One(id.0)).await?.is_empty() {
            return Err(RenewalsError::Conflict(format!("renewal {id} is being charged right now")));
        }
        let failure = match self.charge_batch(vec![id.0], today, at).await {
            Ok((_, mut failures)) => failures.pop().map(|(_, err)| err),
            Err(err) => Some(err),
        };
        if let Some(err) = failure {
            self.release(id.0).await?;
            return Err(err);
        }
        find_renewal(&self.db, id).await?.ok_or_else(|| anyhow::anyhow!("renewal {id} vanished").into())
    }

    /// Claims up to a batch of renewals for this runner; returns their ids.
    async fn claim(&self, what: Claim) -> Result<Vec<i64>, RenewalsError> {
        let (condition, key): (&str, sea_orm::Value) = match what {
            Claim::Due(Due::Scheduled, as_of) => ("renew_status = 1 AND deduct_date <= ?4", as_of.into()),
            Claim::Due(Due::Retries, as_of) => ("renew_status = 3 AND next_retry_on <= ?4", as_of.into()),
            Claim::One(id) => ("renew_status = 3 AND id = ?4", id.into()),
        };
        // A runner never re-claims what it claimed itself (its lease may run out while a slow batch is
        // still settling); a new run is a new runner.
        let candidates = format!(
            "SELECT id AS claimed_id FROM renewals
             WHERE {condition} AND (lease_until IS NULL OR lease_until < ?3)
               AND (lease_owner IS NULL OR lease_owner <> ?1)
             ORDER BY deduct_date, id LIMIT {batch}",
            // An integer from the settings, not input.
            batch = self.settings.batch.max(1),
        );
        let claim = platform_core::lease::LeaseClaim {
            table: "renewals",
            candidates: &candidates,
            lock_of: None,
            set: "lease_owner = ?1, lease_until = ?2",
            still_free: "(renewals.lease_until IS NULL OR renewals.lease_until < ?3)",
            returning: "id",
        };
        // Leases are real time, whatever business date the run is for.
        let now = Utc::now();
        let lease = now + Span::seconds(i64::try_from(self.settings.lease_secs).unwrap_or(300));
        let values = vec![self.owner.clone().into(), lease.into(), now.into(), key];
        let rows = platform_core::lease::claim(&self.db, &claim, values).await?;
        let mut ids = rows.iter().map(|row| row.try_get::<i64>("", "id")).collect::<Result<Vec<_>, _>>()?;
        ids.sort_unstable();
        Ok(ids)
    }

    /// Frees this runner's claim on `id` (after an error before anything was charged).
    async fn release(&self, id: i64) -> Result<(), RenewalsError> {
        renewal::Entity::update_many()
            .col_expr(renewal::Column::LeaseOwner, Option::<String>::None.into())
            .col_expr(renewal::Column::LeaseUntil, Option::<DateTime<Utc>>::None.into())
            .filter(renewal::Column::Id.eq(id))
            .filter(renewal::Column::LeaseOwner.eq(self.owner.as_str()))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// A temporary gateway failure: nothing was charged. The intent is closed as ERROR and the renewal
    /// waits `transient_backoff_secs` before another claim.
    async fn transient(
        &self,
        row: &renewal::Model,
        intent: &charge::Model,
        message: &str,
    ) -> Result<(), RenewalsError> {
        mark_intent(&self.db, intent.id, IntentStatus::Error, Some(message)).await?;
        let backoff = Span::seconds(i64::try_from(self.settings.transient_backoff_secs).unwrap_or(600));
        renewal::Entity::update_many()
            .col_expr(renewal::Column::LeaseUntil, Some(Utc::now() + backoff).into())
            .col_expr(renewal::Column::FailureReason, Some(format!("gateway error: {message}")).into())
            .filter(renewal::Column::Id.eq(row.id))
            .filter(renewal::Column::LeaseOwner.eq(self.owner.as_str()))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Counts `attempt` on renewal `id` (and its cycle's AUTO order when given), only while this runner
    /// holds the claim.
    async fn record_attempt(
        &self,
        txn: &impl ConnectionTrait,
        id: i64,
        attempt: i32,
        order_no: Option<&str>,
    ) -> Result<(), RenewalsError> {
        let mut update = renewal::Entity::update_many().col_expr(renewal::Column::Attempts, attempt.into());
        if let Some(no) = order_no {
            update = update.col_expr(renewal::Column::ChargeOrderNo, Some(no.to_owned()).into());
        }
        let moved = update
            .filter(renewal::Column::Id.eq(id))
            .filter(renewal::Column::LeaseOwner.eq(self.owner.as_str()))
            .exec(txn)
            .await?;
        if moved.rows_affected != 1 {
            return Err(anyhow::anyhow!("renewal {id} was taken over by another runner").into());
        }
        Ok(())
    }
}

/// What to claim.
#[derive(Debug, Clone, Copy)]
enum Claim {
    Due(Due, NaiveDate),
    One(i64),
}
