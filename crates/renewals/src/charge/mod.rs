//! **R9, the charge run.** Each due renewal is claimed with a lease (a conditional update, `FOR UPDATE SKIP
//! LOCKED` on PostgreSQL), so no two runners or runs ever work on the same renewal. Then, without holding a
//! database transaction across the gateway call:
//! 1. the AUTO order of the cycle is created once (its idempotency key is the renewal's), and on the first
//!    attempt the member gets a temporary grant of the digital products;
//! 2. the charge intent — attempt number and idempotency key `renewal-<id>-<attempt>` — is written;
//! 3. the gateway is called with that key;
//! 4. the answer is settled (see [`settle`]): payment recorded, entitlements extended, renewal EXECUTED and
//!    the next cycle created, or renewal FAILED with an e-mail asking for a new card.
//!
//! A claimed batch of first attempts goes through these steps together, in one transaction before the
//! gateway calls and one after ([`batch`]); everything else goes one renewal at a time.
//!
//! A lost answer (timeout) leaves the intent UNKNOWN. Whoever claims the renewal next — this run, the next
//! run, another instance — first asks the gateway what happened under the open intent's key and settles
//! that before anything else; the renewal cannot be stopped or given a new card meanwhile. A runner that
//! dies holds its claims until the lease ends, then the next runner reconciles them the same way, so a
//! renewal is charged at most once per cycle.

mod batch;
pub(crate) mod settle;

use crate::entity::{charge, renewal};
use crate::service::{Renewal, find_renewal};
use crate::{RenewalStatus, RenewalsError};
use chrono::{DateTime, Duration as Span, NaiveDate, Utc};
use orders::service::OrderService;
use payments::{ChargeOutcome, ChargeRequest, GatewayError, PaymentGateway};
use platform_core::settings::RenewalSettings;
use platform_core::{BusinessCalendar, Money};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Statement,
};
use std::sync::Arc;
use std::time::Duration;

/// Charge intent statuses (`renewal_charges.status`).
pub(crate) mod intent {
    /// Written before the gateway is called.
    pub(crate) const PENDING: &str = "PENDING";
    /// The gateway's answer was lost; the reconciler asks it.
    pub(crate) const UNKNOWN: &str = "UNKNOWN";
    /// Charged.
    pub(crate) const APPROVED: &str = "APPROVED";
    /// Refused.
    pub(crate) const DECLINED: &str = "DECLINED";
    /// A temporary failure: nothing was charged.
    pub(crate) const ERROR: &str = "ERROR";
}

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
    fn add(&mut self, one: Attempted) {
        match one {
            Attempted::Charged => self.charged += 1,
            Attempted::Declined => self.declined += 1,
            Attempted::Error => self.errors += 1,
            Attempted::Unknown => self.unknown += 1,
            Attempted::Skipped => {}
        }
    }
}

/// How one renewal's turn ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attempted {
    Charged,
    Declined,
    Error,
    Unknown,
    Skipped,
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
        }
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
                    summary.merge(run.charge_batch(claimed, as_of, at).await?);
                }
            });
        }
        let mut summary = ChargeSummary::default();
        while let Some(done) = pipelines.join_next().await {
            summary.merge(done.map_err(anyhow::Error::new)??);
        }
        Ok(summary)
    }

    /// `retryRenewalCharge`: charges FAILED renewal `id` now (with its current card) and answers how it
    /// ended. Only a failed renewal can be retried.
    pub async fn retry_now(&self, id: i64, at: DateTime<Utc>) -> Result<Renewal, RenewalsError> {
        let row = renewal::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(|| {
            RenewalsError::NotFound { field: "renewalId", message: format!("no renewal {id}") }
        })?;
        let status = crate::service::status_of(&row)?;
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
        if self.claim(Claim::One(id)).await?.is_empty() {
            return Err(RenewalsError::Conflict(format!("renewal {id} is being charged right now")));
        }
        match self.charge_one(id, today, at).await {
            Ok(_) => find_renewal(&self.db, id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("renewal {id} vanished").into()),
            Err(err) => {
                self.release(id).await?;
                Err(err)
            }
        }
    }

    /// Claims up to a batch of renewals for this runner; returns their ids.
    async fn claim(&self, what: Claim) -> Result<Vec<i64>, RenewalsError> {
        let backend = self.db.get_database_backend();
        let p = |n: usize| if backend == DbBackend::Postgres { format!("${n}") } else { format!("?{n}") };
        let skip_locked = if backend == DbBackend::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
        let (condition, key): (String, sea_orm::Value) = match what {
            Claim::Due(Due::Scheduled, as_of) => {
                (format!("renew_status = 1 AND deduct_date <= {}", p(4)), as_of.into())
            }
            Claim::Due(Due::Retries, as_of) => {
                (format!("renew_status = 3 AND next_retry_on <= {}", p(4)), as_of.into())
            }
            Claim::One(id) => (format!("renew_status = 3 AND id = {}", p(4)), id.into()),
        };
        // Leases are real time, whatever business date the run is for. A runner never re-claims what it
        // claimed itself (its lease may run out while a slow batch is still settling); a new run is a new
        // runner.
        let now = Utc::now();
        let lease = now + Span::seconds(i64::try_from(self.settings.lease_secs).unwrap_or(300));
        let sql = format!(
            "UPDATE renewals SET lease_owner = {owner}, lease_until = {lease}
             WHERE id IN (SELECT id FROM renewals WHERE {condition} AND (lease_until IS NULL OR lease_until < {now})
                            AND (lease_owner IS NULL OR lease_owner <> {owner})
                          ORDER BY deduct_date, id LIMIT {batch} {skip_locked})
               AND (lease_until IS NULL OR lease_until < {now})
             RETURNING id",
            owner = p(1),
            lease = p(2),
            now = p(3),
            // An integer from the settings, not input.
            batch = self.settings.batch.max(1),
        );
        let values = [self.owner.clone().into(), lease.into(), now.into(), key];
        let rows = self.db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
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

    async fn charge_one(
        &self,
        id: i64,
        as_of: NaiveDate,
        at: DateTime<Utc>,
    ) -> Result<Attempted, RenewalsError> {
        let Some(row) = renewal::Entity::find_by_id(id).one(&self.db).await? else {
            return Ok(Attempted::Skipped);
        };
        if row.lease_owner.as_deref() != Some(self.owner.as_str()) {
            return Ok(Attempted::Skipped);
        }
        // Reconcile first: an open intent of an earlier runner decides before any new attempt.
        if let Some(open) = open_intent(&self.db, id).await? {
            return match self.gateway.lookup(&open.idempotency_key).await {
                Ok(Some(outcome)) => self.settle(&row, &open, outcome, as_of, at).await,
                Ok(None) => self.call_gateway(&row, open, as_of, at).await,
                Err(err) => {
                    tracing::warn!(renewal = id, error = %err, "reconciliation lookup failed; retried later");
                    Ok(Attempted::Unknown)
                }
            };
        }
        let order_no = self.ensure_order(&row, at).await?;
        if row.attempts == 0 {
            self.grant_temporary(&row, at).await?;
        }
        let attempt = row.attempts + 1;
        let amount = row.deduct_price + row.shipping_fee;
        let Some(_) = row.payment_token.as_deref() else {
            let intent = self.write_intent(&row, attempt, &order_no, amount, at).await?;
            let outcome = ChargeOutcome::Declined { reason: "NO_PAYMENT_METHOD".to_owned() };
            return self.settle(&row, &intent, outcome, as_of, at).await;
        };
        let intent = self.write_intent(&row, attempt, &order_no, amount, at).await?;
        self.call_gateway(&row, intent, as_of, at).await
    }

    async fn call_gateway(
        &self,
        row: &renewal::Model,
        intent: charge::Model,
        as_of: NaiveDate,
        at: DateTime<Utc>,
    ) -> Result<Attempted, RenewalsError> {
        let request = ChargeRequest {
            idempotency_key: intent.idempotency_key.clone(),
            payment_token: row.payment_token.clone().unwrap_or_default(),
            amount: Money::new(intent.amount),
        };
        let answer = tokio::time::timeout(self.gateway_timeout, self.gateway.charge(&request))
            .await
            .unwrap_or(Err(GatewayError::Timeout));
        match answer {
            Ok(outcome) => self.settle(row, &intent, outcome, as_of, at).await,
            Err(GatewayError::Transient(message)) => {
                self.transient(row, &intent, &message).await?;
                Ok(Attempted::Error)
            }
            Err(GatewayError::Timeout) => {
                mark_intent(&self.db, intent.id, intent::UNKNOWN, None).await?;
                // Ask once straight away; if the gateway cannot say yet, a later claim asks again.
                match self.gateway.lookup(&intent.idempotency_key).await {
                    Ok(Some(outcome)) => self.settle(row, &intent, outcome, as_of, at).await,
                    _ => Ok(Attempted::Unknown),
                }
            }
        }
    }

    /// A temporary gateway failure: nothing was charged. The intent is closed as ERROR and the renewal
    /// waits `transient_backoff_secs` before another claim.
    async fn transient(
        &self,
        row: &renewal::Model,
        intent: &charge::Model,
        message: &str,
    ) -> Result<(), RenewalsError> {
        mark_intent(&self.db, intent.id, intent::ERROR, Some(message)).await?;
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

    /// The AUTO order of this cycle, created once (the same order as the batch path's, see
    /// [`batch::auto_order`]).
    async fn ensure_order(&self, row: &renewal::Model, at: DateTime<Utc>) -> Result<String, RenewalsError> {
        if let Some(no) = &row.charge_order_no {
            return Ok(no.clone());
        }
        let contacts = members::service::contacts_of(&self.db, &[(row.customer_id, row.member_id)]).await?;
        let contact = contacts.get(&row.customer_id).ok_or_else(|| {
            anyhow::anyhow!("customer {} of renewal {} is missing", row.customer_id, row.id)
        })?;
        let accounts =
            members::service::accounts_of(&self.db, &row.member_id.into_iter().collect::<Vec<_>>()).await?;
        let auto = [batch::auto_order(row, contact, &accounts)];
        let plans = self.orders.plans(&auto).await?;
        let txn = platform_core::db::begin_write(&self.db).await?;
        let order = self.orders.create_auto_batch(&txn, &auto, &plans, at).await?.pop();
        let order_no = order.map(|o| o.order_no).ok_or_else(|| anyhow::anyhow!("order vanished"))?;
        renewal::Entity::update_many()
            .col_expr(renewal::Column::ChargeOrderNo, Some(order_no.clone()).into())
            .filter(renewal::Column::Id.eq(row.id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(order_no)
    }

    /// R9: `temporary_days` of access to the renewal's digital products for its member while the charge is
    /// under way (kept separate from the paid term).
    async fn grant_temporary(&self, row: &renewal::Model, at: DateTime<Utc>) -> Result<(), RenewalsError> {
        let days = i32::try_from(self.settings.temporary_days).unwrap_or(0);
        let Some(member_id) = row.member_id.filter(|_| days > 0) else { return Ok(()) };
        let Some(account) = members::service::accounts_of(&self.db, &[member_id]).await?.remove(&member_id)
        else {
            return Ok(());
        };
        for code in row.product_codes.split(',').filter(|c| !c.is_empty()) {
            let digital = catalog::service::find_product(&self.db, code).await?.is_some_and(|p| p.digital);
            if digital {
                entitlements::temporary::grant_temporary(&self.db, self.calendar, &account, code, days, at)
                    .await?;
            }
        }
        Ok(())
    }

    /// Writes the charge intent of `attempt` before the gateway is called.
    async fn write_intent(
        &self,
        row: &renewal::Model,
        attempt: i32,
        order_no: &str,
        amount: i64,
        at: DateTime<Utc>,
    ) -> Result<charge::Model, RenewalsError> {
        let txn = platform_core::db::begin_write(&self.db).await?;
        let intent = new_intent(row.id, attempt, order_no, amount, at).insert(&txn).await?;
        self.record_attempt(&txn, row.id, attempt, None).await?;
        txn.commit().await?;
        Ok(intent)
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

/// The PENDING charge intent of `attempt`: its idempotency key `renewal-<id>-<attempt>` is what the
/// gateway charges at most once.
fn new_intent(
    renewal_id: i64,
    attempt: i32,
    order_no: &str,
    amount: i64,
    at: DateTime<Utc>,
) -> charge::ActiveModel {
    charge::ActiveModel {
        renewal_id: Set(renewal_id),
        attempt: Set(attempt),
        idempotency_key: Set(format!("renewal-{renewal_id}-{attempt}")),
        order_no: Set(order_no.to_owned()),
        amount: Set(amount),
        status: Set(intent::PENDING.to_owned()),
        created_at: Set(at),
        ..Default::default()
    }
}

/// The renewal's intent still waiting for an answer (PENDING or UNKNOWN), if any.
pub(crate) async fn open_intent(
    db: &impl ConnectionTrait,
    renewal_id: i64,
) -> Result<Option<charge::Model>, RenewalsError> {
    Ok(charge::Entity::find()
        .filter(charge::Column::RenewalId.eq(renewal_id))
        .filter(charge::Column::Status.is_in([intent::PENDING, intent::UNKNOWN]))
        .order_by_desc(charge::Column::Attempt)
        .one(db)
        .await?)
}

async fn mark_intent(
    db: &impl ConnectionTrait,
    id: i64,
    status: &str,
    reason: Option<&str>,
) -> Result<(), RenewalsError> {
    charge::Entity::update_many()
        .col_expr(charge::Column::Status, status.into())
        .col_expr(charge::Column::Reason, reason.map(|r| r.chars().take(300).collect::<String>()).into())
        .filter(charge::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
