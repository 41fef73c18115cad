//! The simulated gateway (SPEC §5): the token decides — `tok_ok…` approves, `tok_decline…` declines,
//! `tok_error…` fails transiently (nothing charged), `tok_timeout…` charges but answers too late; anything
//! else is declined as an unknown token. A configurable latency stands for the network.
//!
//! Like a real gateway it keeps its own ledger, in the `simulated_charges` table: one row per key it
//! decided, so a repeated key answers the first decision and a lost answer can be looked up from any
//! process (the scheduler, a `runJob`, the CLI, another instance).

use crate::{
    CaptureMode, CaptureOutcome, CaptureRequest, ChargeOutcome, ChargeRequest, GatewayError, PaymentGateway,
    RefundOutcome, RefundRequest, Settled,
};
use chrono::DateTime;
use chrono::Utc;
use platform_core::Money;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use std::time::Duration;

pub(crate) mod ledger {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "simulated_charges")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub idempotency_key: String,
        pub amount: i64,
        pub approved: bool,
        pub transaction_id: Option<String>,
        pub reason: Option<String>,
        pub created_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
        /// `CAPTURED`, `AUTHORISED` (delayed capture) or `VOIDED`.
        pub state: String,
        pub captured_amount: Option<i64>,
        pub captured_at: Option<ChronoDateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One charge the simulated gateway decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    /// The caller's key.
    pub idempotency_key: String,
    /// The amount.
    pub amount: Money,
    /// The decision.
    pub outcome: ChargeOutcome,
}

/// The embedded gateway over the platform's database. Cheap to clone; every clone, in any process, sees
/// the same ledger.
#[derive(Debug, Clone)]
pub struct SimulatedGateway {
    pub(crate) db: DatabaseConnection,
    latency: Duration,
    capture: CaptureMode,
}

impl SimulatedGateway {
    /// A gateway keeping its ledger in `db`, answering after `latency`.
    pub fn new(db: DatabaseConnection, latency: Duration) -> Self {
        SimulatedGateway { db, latency, capture: CaptureMode::Immediate }
    }

    /// The same gateway, capturing as `mode` says.
    pub fn with_capture(self, mode: CaptureMode) -> Self {
        SimulatedGateway { capture: mode, ..self }
    }

    /// Every decision made, in order (one per idempotency key).
    pub async fn charges(&self) -> Result<Vec<Charge>, sea_orm::DbErr> {
        let rows = ledger::Entity::find()
            .order_by_asc(ledger::Column::CreatedAt)
            .order_by_asc(ledger::Column::IdempotencyKey)
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| Charge {
                idempotency_key: row.idempotency_key.clone(),
                amount: Money::new(row.amount),
                outcome: outcome_of(row),
            })
            .collect())
    }

    /// How many charges were approved.
    pub async fn approved_count(&self) -> Result<usize, sea_orm::DbErr> {
        Ok(self
            .charges()
            .await?
            .iter()
            .filter(|c| matches!(c.outcome, ChargeOutcome::Approved { .. }))
            .count())
    }

    /// The first decision for the request's key, made now if there is none yet: one statement for a new
    /// key (the insert decides), two for a repeated one.
    async fn decide(&self, request: &ChargeRequest) -> Result<ChargeOutcome, GatewayError> {
        let token = request.payment_token.as_str();
        let (approved, transaction_id, reason) = if token.starts_with("tok_error") {
            // Nothing is charged; a key decided earlier still answers its decision.
            return match self.lookup(&request.idempotency_key).await? {
                Some(first) => Ok(first),
                None => Err(GatewayError::Transient("simulated processor error".to_owned())),
            };
        } else if token.starts_with("tok_ok") || token.starts_with("tok_timeout") {
            (true, Some(format!("sim_{}", uuid::Uuid::new_v4().simple())), None)
        } else if token.starts_with("tok_decline") {
            (false, None, Some("card_declined"))
        } else {
            (false, None, Some("unknown_token"))
        };
        let now = Utc::now();
        let captured = approved && self.capture == CaptureMode::Immediate;
        let row = ledger::ActiveModel {
            idempotency_key: Set(request.idempotency_key.clone()),
            amount: Set(request.amount.amount()),
            approved: Set(approved),
            transaction_id: Set(transaction_id),
            reason: Set(reason.map(str::to_owned)),
            created_at: Set(now),
            updated_at: Set(now),
            state: Set(if approved && !captured { "AUTHORISED" } else { "CAPTURED" }.to_owned()),
            captured_amount: Set(captured.then(|| request.amount.amount())),
            captured_at: Set(captured.then_some(now)),
        };
        // A key seen before, or two callers of one key at once: the first insert decides, the others read
        // that decision.
        let inserted = ledger::Entity::insert(row)
            .on_conflict(OnConflict::column(ledger::Column::IdempotencyKey).do_nothing().to_owned())
            .exec_with_returning(&self.db)
            .await;
        match inserted {
            Ok(row) => Ok(outcome_of(row)),
            // Not inserted (sea-orm reports the conflict as an error) or not written: the stored decision, if
            // any, else the caller must look the key up later.
            Err(err) => match self.lookup(&request.idempotency_key).await? {
                Some(first) => Ok(first),
                None => {
                    tracing::warn!(error = %err, "simulated gateway: ledger write failed");
                    Err(GatewayError::Timeout)
                }
            },
        }
    }
}

impl SimulatedGateway {
    /// Captures (`capture`) or voids an authorised charge of the ledger, once: the state moves only from
    /// AUTHORISED, and asking again for what was done answers `Done`.
    async fn settle_authorisation(
        &self,
        request: &CaptureRequest,
        capture: bool,
    ) -> Result<CaptureOutcome, GatewayError> {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        let amount = request.amount.amount();
        let (target, now) = (if capture { "CAPTURED" } else { "VOIDED" }, Utc::now());
        let mut update = ledger::Entity::update_many()
            .col_expr(ledger::Column::State, Expr::value(target))
            .col_expr(ledger::Column::UpdatedAt, Expr::value(now))
            .filter(ledger::Column::TransactionId.eq(request.transaction_id.as_str()))
            .filter(ledger::Column::State.eq("AUTHORISED"));
        if capture {
            update = update
                .col_expr(ledger::Column::CapturedAmount, Expr::value(amount))
                .col_expr(ledger::Column::CapturedAt, Expr::value(now))
                .filter(ledger::Column::Amount.gte(amount));
        }
        let done = if capture && amount < 1 {
            0
        } else {
            update.exec(&self.db).await.map_err(unreadable)?.rows_affected
        };
        if done == 1 {
            return Ok(CaptureOutcome::Done);
        }
        let row = ledger::Entity::find()
            .filter(ledger::Column::TransactionId.eq(request.transaction_id.as_str()))
            .one(&self.db)
            .await
            .map_err(unreadable)?;
        let refused = |reason: &str| Ok(CaptureOutcome::Refused { reason: reason.to_owned() });
        match row {
            None => refused("unknown_charge"),
            Some(row) if row.state == target => Ok(CaptureOutcome::Done),
            Some(row) if row.state == "AUTHORISED" => refused("amount_exceeds_authorisation"),
            Some(row) if row.state == "VOIDED" => refused("voided"),
            Some(_) => refused("captured"),
        }
    }
}

/// A ledger failure, for the caller: transient (nothing was decided), logged here.
pub(crate) fn unreadable(err: sea_orm::DbErr) -> GatewayError {
    tracing::warn!(error = %err, "simulated gateway: ledger failed");
    GatewayError::Transient("the simulated gateway's ledger cannot be used".to_owned())
}

fn outcome_of(row: ledger::Model) -> ChargeOutcome {
    match (row.approved, row.transaction_id) {
        (true, Some(transaction_id)) => ChargeOutcome::Approved { transaction_id },
        _ => ChargeOutcome::Declined { reason: row.reason.unwrap_or_else(|| "declined".to_owned()) },
    }
}

impl PaymentGateway for SimulatedGateway {
    async fn charge(&self, request: &ChargeRequest) -> Result<ChargeOutcome, GatewayError> {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        let outcome = self.decide(request).await?;
        if request.payment_token.starts_with("tok_timeout") {
            // Charged, but the answer is lost: the caller must reconcile with `lookup`.
            return Err(GatewayError::Timeout);
        }
        Ok(outcome)
    }

    async fn refund(&self, request: &RefundRequest) -> Result<RefundOutcome, GatewayError> {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        let outcome = self.decide_refund(request).await?;
        if request.payment_token.starts_with("tok_timeout") {
            // Refunded, but the answer is lost: the caller must reconcile with `lookup_refund`.
            return Err(GatewayError::Timeout);
        }
        Ok(outcome)
    }

    async fn lookup_refund(&self, idempotency_key: &str) -> Result<Option<RefundOutcome>, GatewayError> {
        self.find_refund(idempotency_key).await
    }

    fn capture_mode(&self) -> CaptureMode {
        self.capture
    }

    async fn capture(&self, request: &CaptureRequest) -> Result<CaptureOutcome, GatewayError> {
        self.settle_authorisation(request, true).await
    }

    async fn void(&self, request: &CaptureRequest) -> Result<CaptureOutcome, GatewayError> {
        self.settle_authorisation(request, false).await
    }

    async fn settlement(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<Vec<Settled>>, GatewayError> {
        let rows = ledger::Entity::find()
            .filter(ledger::Column::Approved.eq(true))
            .filter(ledger::Column::State.eq("CAPTURED"))
            .filter(ledger::Column::CapturedAt.gte(from))
            .filter(ledger::Column::CapturedAt.lt(until))
            .order_by_asc(ledger::Column::CapturedAt)
            .all(&self.db)
            .await
            .map_err(unreadable)?;
        Ok(Some(
            rows.into_iter()
                .filter_map(|row| {
                    Some(Settled {
                        amount: Money::new(row.captured_amount.unwrap_or(row.amount)),
                        transaction_id: row.transaction_id?,
                    })
                })
                .collect(),
        ))
    }

    async fn lookup(&self, idempotency_key: &str) -> Result<Option<ChargeOutcome>, GatewayError> {
        let row =
            ledger::Entity::find_by_id(idempotency_key.to_owned()).one(&self.db).await.map_err(|err| {
                tracing::warn!(error = %err, "simulated gateway: ledger read failed");
                GatewayError::Transient("the simulated gateway's ledger cannot be read".to_owned())
            })?;
        Ok(row.map(outcome_of))
    }
}
