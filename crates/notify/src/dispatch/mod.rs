//! The webhook dispatcher: reads the event log (the outbox), fans each event out to the endpoints that want
//! it, and delivers with Standard Webhooks signatures, retrying on the spec's schedule.
//!
//! Safe with several instances: fan-out inserts are unique per endpoint and event; a delivery is claimed
//! with a lease ([`platform_core::lease`]) before it is sent, and no database transaction is held while a
//! receiver answers. Each round is a lease owner of its own: it renews its leases while it works (a round
//! may outlast one lease when receivers are slow), and only the owner records an outcome (a fencing
//! token), so another instance never takes over a delivery a live round still holds. Deliveries of one subject go out in event order:
//! a delivery is not claimed while an earlier one of its subject is still open for that endpoint.

use crate::NotifyError;
use crate::entity::endpoint;
use crate::outbound::OutboundPolicy;
use chrono::{DateTime, Utc};
use platform_core::events;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

mod fan_out;
mod record;
mod send;

/// The retry schedule of the SPEC: after the 1st failed attempt wait 5 s, after the 2nd 5 min, … then dead.
pub const DEFAULT_SCHEDULE_SECS: [u64; 9] = [5, 300, 1800, 7200, 18_000, 36_000, 50_400, 72_000, 86_400];
/// Events re-read behind the cursor on every fan-out, so an event whose transaction committed after a
/// later one is still picked up.
const LOOKBACK: i64 = 200;
/// New deliveries in one round after which PostgreSQL's statistics of the table are refreshed.
const ANALYZE_AFTER: u64 = 1000;
/// Events read per fan-out query.
const FAN_OUT_PAGE: u64 = 1000;

/// How the dispatcher behaves.
#[derive(Debug, Clone)]
pub struct DispatchSettings {
    /// Deliveries claimed per round.
    pub batch: u64,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Requests in flight at once to one endpoint, so a slow endpoint cannot take every slot.
    pub per_endpoint_concurrency: usize,
    /// Per-request timeout (15 s).
    pub timeout: Duration,
    /// How long a claim holds before another dispatcher may take the delivery over.
    pub lease: Duration,
    /// Waits after each failed attempt; after the last, the delivery is dead.
    pub schedule: Vec<Duration>,
    /// Which addresses receivers may be on.
    pub outbound: OutboundPolicy,
    /// Rounds in a row in which an endpoint gave no HTTP response after which its breaker opens: its
    /// deliveries are not claimed for `breaker_open`, doubling with every further silent round (at most
    /// ten minutes); one answer closes it.
    pub breaker_after: u32,
    /// How long an opened breaker first stays open.
    pub breaker_open: Duration,
    /// Where the Slack endpoint's messages go (`slack.webhook_url`, a secret).
    pub slack_url: Option<platform_core::settings::Secret>,
}

impl From<&platform_core::Settings> for DispatchSettings {
    fn from(s: &platform_core::Settings) -> Self {
        DispatchSettings { slack_url: s.slack.webhook_url.clone(), ..DispatchSettings::from(&s.webhooks) }
    }
}

impl From<&platform_core::settings::WebhookSettings> for DispatchSettings {
    fn from(s: &platform_core::settings::WebhookSettings) -> Self {
        DispatchSettings {
            batch: s.batch.max(1),
            concurrency: s.concurrency.max(1),
            per_endpoint_concurrency: s.per_endpoint_concurrency.max(1),
            timeout: Duration::from_secs(s.timeout_secs.max(1)),
            lease: Duration::from_secs(s.timeout_secs.max(1) * 4),
            schedule: s.retry_schedule_secs.iter().map(|secs| Duration::from_secs(*secs)).collect(),
            outbound: OutboundPolicy { allow_private_networks: s.allow_private_networks },
            ..DispatchSettings::default()
        }
    }
}

impl Default for DispatchSettings {
    fn default() -> Self {
        DispatchSettings {
            batch: 500,
            concurrency: 32,
            per_endpoint_concurrency: 16,
            timeout: Duration::from_secs(15),
            lease: Duration::from_secs(60),
            schedule: DEFAULT_SCHEDULE_SECS.iter().map(|s| Duration::from_secs(*s)).collect(),
            outbound: OutboundPolicy::default(),
            breaker_after: 2,
            breaker_open: Duration::from_secs(30),
            slack_url: None,
        }
    }
}

/// The longest a breaker stays open.
const BREAKER_MAX: Duration = Duration::from_secs(600);

/// An endpoint's breaker: how many rounds in a row it gave no response, and until when it is skipped.
#[derive(Debug, Clone, Copy, Default)]
struct Breaker {
    silent_rounds: u32,
    open_until: Option<std::time::Instant>,
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DispatchSummary {
    /// New deliveries created from the log.
    pub fanned_out: u64,
    /// Deliveries attempted.
    pub attempted: u64,
    /// Accepted (2xx).
    pub delivered: u64,
    /// Failed, to be retried.
    pub failed: u64,
    /// Given up.
    pub dead: u64,
    /// Not sent this round because their endpoint gave no HTTP response to an earlier delivery of the
    /// round; released for the next round without counting an attempt.
    pub deferred: u64,
    /// Endpoints whose breaker is open: their deliveries were not claimed this round.
    pub skipped_endpoints: u64,
}

/// Sends webhooks.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    db: DatabaseConnection,
    client: reqwest::Client,
    settings: Arc<DispatchSettings>,
    /// The breakers of the endpoints that stopped answering, shared by this dispatcher's rounds.
    breakers: Arc<std::sync::Mutex<HashMap<i64, Breaker>>>,
}

struct Claimed {
    id: i64,
    endpoint_id: i64,
    event_id: i64,
    attempts: i32,
}

/// Why an attempt was not accepted.
enum Failure {
    /// 410: the receiver wants no more; the endpoint is disabled.
    Gone,
    /// Anything else: the status if there was one, and what happened.
    Failed(Option<u16>, String),
    /// No HTTP response at all (refused, reset, timed out): the endpoint is skipped for the rest of the
    /// round.
    NoResponse(String),
}

/// What one send task came back with.
enum Sent {
    Answered(Result<u16, Failure>),
    /// Not sent: its endpoint gave no response earlier in the round.
    Deferred,
}

impl Dispatcher {
    /// A dispatcher over `db`, sending through the outbound policy's client (redirects are not followed:
    /// they count as failures).
    pub fn new(db: DatabaseConnection, settings: DispatchSettings) -> anyhow::Result<Self> {
        let client = settings.outbound.client(settings.timeout, "platform-webhooks/1")?;
        Ok(Dispatcher { db, client, settings: Arc::new(settings), breakers: Arc::default() })
    }

    /// One round: fan out new events, then claim and send the due deliveries.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<DispatchSummary, NotifyError> {
        let mut summary = DispatchSummary { fanned_out: self.fan_out().await?, ..DispatchSummary::default() };
        if summary.fanned_out >= ANALYZE_AFTER && self.db.get_database_backend() == DbBackend::Postgres {
            // A burst of new deliveries (a backlog after an outage, a bulk job) would otherwise be claimed
            // with the planner's estimates of an empty table until autovacuum comes by.
            self.db.execute_unprepared("ANALYZE webhook_deliveries").await?;
        }
        let owner = format!("round-{}", uuid::Uuid::new_v4().simple());
        let open = self.open_breakers();
        summary.skipped_endpoints = open.len() as u64;
        let claimed = self.claim(now, &owner, &open).await?;
        if claimed.is_empty() {
            return Ok(summary);
        }
        // Stopped when the round ends, or is dropped half-way.
        let _renewing = AbortOnDrop(tokio::spawn(self.clone().renew_leases(owner.clone(), now)));
        let (silent, answered) = self.deliver(claimed, &owner, &mut summary).await?;
        self.update_breakers(&silent, &answered);
        Ok(summary)
    }

    /// The endpoints whose breaker is open now.
    fn open_breakers(&self) -> Vec<i64> {
        let now = std::time::Instant::now();
        self.breakers
            .lock()
            .map(|b| {
                b.iter().filter(|(_, b)| b.open_until.is_some_and(|t| t > now)).map(|(id, _)| *id).collect()
            })
            .unwrap_or_default()
    }

    /// After a round: an endpoint that answered closes its breaker; one that gave no response at all
    /// counts a silent round, and opens its breaker after `breaker_after` of them.
    fn update_breakers(
        &self,
        silent: &std::collections::HashSet<i64>,
        answered: &std::collections::HashSet<i64>,
    ) {
        let Ok(mut breakers) = self.breakers.lock() else { return };
        for id in answered {
            breakers.remove(id);
        }
        for id in silent.difference(answered) {
            let breaker = breakers.entry(*id).or_default();
            breaker.silent_rounds += 1;
            if let Some(extra) = breaker.silent_rounds.checked_sub(self.settings.breaker_after) {
                let open = self.settings.breaker_open.saturating_mul(1 << extra.min(16)).min(BREAKER_MAX);
                breaker.open_until = Some(std::time::Instant::now() + open);
                tracing::warn!(
                    endpoint = id,
                    open_secs = open.as_secs(),
                    "webhook endpoint gives no response; its deliveries wait"
                );
            }
        }
    }

    /// Renews the round's leases every third of a lease until the round ends (the task is aborted).
    async fn renew_leases(self, owner: String, round_now: DateTime<Utc>) {
        use crate::entity::delivery::{Column, Entity};
        let every = (self.settings.lease / 3).max(Duration::from_millis(50));
        let lease = chrono::Duration::from_std(self.settings.lease).unwrap_or(chrono::Duration::seconds(60));
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            let renewed = Entity::update_many()
                .col_expr(Column::LockedUntil, Expr::value(Utc::now().max(round_now) + lease))
                .filter(Column::LeaseOwner.eq(owner.as_str()))
                .exec(&self.db)
                .await;
            if let Err(err) = renewed {
                tracing::warn!(error = %err, "renewing webhook delivery leases failed");
            }
        }
    }

    /// Sends the claimed deliveries and records their outcomes, as their lease `owner`.
    async fn deliver(
        &self,
        claimed: Vec<Claimed>,
        owner: &str,
        summary: &mut DispatchSummary,
    ) -> Result<(std::collections::HashSet<i64>, std::collections::HashSet<i64>), NotifyError> {
        let endpoints: HashMap<i64, endpoint::Model> =
            endpoint::Entity::find().all(&self.db).await?.into_iter().map(|e| (e.id, e)).collect();
        let ids: Vec<i64> = claimed.iter().map(|c| c.event_id).collect();
        let events: HashMap<i64, events::Event> =
            events::by_ids(&self.db, &ids).await?.into_iter().map(|e| (e.id, e)).collect();
        // One endpoint may hold at most `per_endpoint_concurrency` of the `concurrency` slots (a task waits
        // for its endpoint's permit before it takes a shared one), and an endpoint that gives no response is
        // skipped for the rest of the round: a hanging receiver costs the round one timeout, not one per
        // delivery, and never holds up the other endpoints' sends.
        let limit = Arc::new(tokio::sync::Semaphore::new(self.settings.concurrency.max(1)));
        let mut per_endpoint: HashMap<i64, Arc<tokio::sync::Semaphore>> = HashMap::new();
        let unreachable: Arc<std::sync::Mutex<std::collections::HashSet<i64>>> = Arc::default();
        let mut tasks = tokio::task::JoinSet::new();
        for delivery in claimed {
            let (Some(endpoint), Some(event)) =
                (endpoints.get(&delivery.endpoint_id), events.get(&delivery.event_id))
            else {
                continue;
            };
            let this = self.clone();
            let endpoint = endpoint.clone();
            let event = event.clone();
            let limit = Arc::clone(&limit);
            let own = Arc::clone(per_endpoint.entry(endpoint.id).or_insert_with(|| {
                Arc::new(tokio::sync::Semaphore::new(self.settings.per_endpoint_concurrency.max(1)))
            }));
            let unreachable = Arc::clone(&unreachable);
            tasks.spawn(async move {
                let skipped = |unreachable: &std::sync::Mutex<std::collections::HashSet<i64>>| {
                    unreachable.lock().map(|set| set.contains(&endpoint.id)).unwrap_or(false)
                };
                let _own = own.acquire_owned().await;
                if skipped(&unreachable) {
                    return (delivery, endpoint, Sent::Deferred);
                }
                let _shared = limit.acquire_owned().await;
                if skipped(&unreachable) {
                    return (delivery, endpoint, Sent::Deferred);
                }
                let outcome = this.send(&endpoint, &event).await;
                if matches!(outcome, Err(Failure::NoResponse(_)))
                    && let Ok(mut set) = unreachable.lock()
                {
                    set.insert(endpoint.id);
                }
                (delivery, endpoint, Sent::Answered(outcome))
            });
        }
        let mut delivered = Vec::new();
        let mut deferred = Vec::new();
        let mut answered = std::collections::HashSet::new();
        while let Some(joined) = tasks.join_next().await {
            let (delivery, endpoint, sent) = joined.map_err(|e| anyhow::anyhow!("delivery task: {e}"))?;
            let outcome = match sent {
                Sent::Answered(outcome) => outcome,
                Sent::Deferred => {
                    deferred.push(delivery.id);
                    continue;
                }
            };
            summary.attempted += 1;
            if !matches!(outcome, Err(Failure::NoResponse(_))) {
                answered.insert(endpoint.id);
            }
            match outcome {
                // Successes are recorded together below: one statement per round, not per delivery.
                Ok(code) => delivered.push((delivery.id, code)),
                Err(failure) => match self.record_failure(&delivery, &endpoint, failure, owner).await? {
                    crate::model::DeliveryStatus::Dead => summary.dead += 1,
                    _ => summary.failed += 1,
                },
            }
        }
        summary.delivered = self
            .record_delivered(&delivered, owner)
            .await
            .map_err(|e| anyhow::anyhow!("recording deliveries: {e}"))?;
        summary.deferred = self.release(&deferred, owner).await?;
        let silent = unreachable.lock().map(|set| set.clone()).unwrap_or_default();
        Ok((silent, answered))
    }
}

/// A task aborted when this is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Whether anything is due (for callers that loop while there is work).
pub async fn backlog(db: &impl ConnectionTrait) -> Result<u64, NotifyError> {
    use crate::entity::delivery::{Column, Entity};
    use sea_orm::PaginatorTrait;
    Ok(Entity::find().filter(Column::Status.is_in(["PENDING", "FAILED"])).count(db).await?)
}
