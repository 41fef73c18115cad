//! **R23 delayed capture** (seed 000 task 14, 仮売上を実売上にする): with `gateway.capture = DELAYED` a
//! renewal charge is only authorised; `CAPTURE_PAYMENTS` takes the authorisations of the days before its
//! date and, for each, decides with the order's row locked — what is left after refunds captured, or the
//! whole authorisation voided when the order is cancelled or nothing is left — marks it CAPTURING with that
//! decision, then asks the gateway outside any transaction. Done → CAPTURED / VOIDED and `payment.captured`
//! / `payment.voided`; refused → AUTHORISED again with a CAPTURE_FAILED follow-up; no answer → it stays
//! CAPTURING and the next run asks again with the same decision (a capture and a void are idempotent at
//! the gateway). Refunds of a CAPTURING payment wait (`CONFLICT`), so the decision cannot go stale.

use super::OrderService;
use super::refunds::left_to_refund;
use crate::OrdersError;
use crate::entity::{order, payment};
use crate::model::{CaptureStatus, OrderStatus};
use chrono::{DateTime, Utc};
use payments::{CaptureOutcome, CaptureRequest, GatewayError, PaymentGateway};
use platform_core::Money;
use platform_core::db::begin_write;
use platform_core::events::{self, NewEvent};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;
use std::time::Duration;

/// Authorisations decided per round.
const ROUND: u64 = 200;
/// Gateway calls in flight at once.
const IN_FLIGHT: usize = 16;

/// What a capture run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaptureSummary {
    /// Captured.
    pub captured: u64,
    /// Voided.
    pub voided: u64,
    /// Refused by the gateway (a CAPTURE_FAILED follow-up each).
    pub refused: u64,
    /// No answer: left CAPTURING for the next run.
    pub unanswered: u64,
}

/// One decided authorisation.
struct Decision {
    payment_id: i64,
    order_no: String,
    transaction_id: String,
    /// What to capture; 0: void.
    amount: Money,
}

impl OrderService {
    /// Captures or voids the authorisations made before `before` (the start of the run's business date),
    /// asking `gateway` (each call within `timeout`).
    pub async fn capture_payments<G: PaymentGateway>(
        &self,
        gateway: &G,
        before: DateTime<Utc>,
        timeout: Duration,
        at: DateTime<Utc>,
    ) -> Result<CaptureSummary, OrdersError> {
        let mut summary = CaptureSummary::default();
        let mut after = 0_i64;
        loop {
            let ids: Vec<i64> = payment::Entity::find()
                .select_only()
                .column(payment::Column::Id)
                .filter(
                    payment::Column::CaptureStatus
                        .is_in([CaptureStatus::Authorised, CaptureStatus::Capturing]),
                )
                .filter(payment::Column::PaidAt.lt(before))
                .filter(payment::Column::Id.gt(after))
                .order_by_asc(payment::Column::Id)
                .limit(ROUND)
                .into_tuple()
                .all(&self.db)
                .await?;
            let Some(last) = ids.last() else { return Ok(summary) };
            after = *last;
            let mut decisions = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(decision) = decide(&self.db, id).await? {
                    decisions.push(decision);
                }
            }
            for chunk in decisions.chunks(IN_FLIGHT) {
                let answers =
                    futures_util::future::join_all(chunk.iter().map(|d| ask(gateway, d, timeout))).await;
                for (decision, answer) in chunk.iter().zip(answers) {
                    self.apply(decision, answer, &mut summary, at).await?;
                }
            }
        }
    }

    /// Records the gateway's answer to `decision`.
    async fn apply(
        &self,
        decision: &Decision,
        answer: Result<CaptureOutcome, GatewayError>,
        summary: &mut CaptureSummary,
        at: DateTime<Utc>,
    ) -> Result<(), OrdersError> {
        let voiding = decision.amount == Money::ZERO;
        let (status, event_type) = match &answer {
            Ok(CaptureOutcome::Done) if voiding => (CaptureStatus::Voided, "payment.voided"),
            Ok(CaptureOutcome::Done) => (CaptureStatus::Captured, "payment.captured"),
            Ok(CaptureOutcome::Refused { .. }) => (CaptureStatus::Authorised, "payment.capture_refused"),
            Err(_) => {
                summary.unanswered += 1;
                return Ok(());
            }
        };
        let txn = begin_write(&self.db).await?;
        let mut update = payment::Entity::update_many()
            .col_expr(payment::Column::CaptureStatus, Expr::value(status))
            .filter(payment::Column::Id.eq(decision.payment_id))
            .filter(payment::Column::CaptureStatus.eq(CaptureStatus::Capturing));
        if status != CaptureStatus::Authorised {
            update = update.col_expr(payment::Column::CapturedAt, Expr::value(at));
        }
        if update.exec(&txn).await?.rows_affected != 1 {
            // Settled by another run meanwhile.
            return Ok(());
        }
        let reason = match &answer {
            Ok(CaptureOutcome::Refused { reason }) => Some(reason.clone()),
            _ => None,
        };
        let subject = format!("order:{}", decision.order_no);
        let payload = json!({ "orderNo": decision.order_no, "transactionId": decision.transaction_id,
                              "amount": decision.amount, "action": if voiding { "VOID" } else { "CAPTURE" },
                              "reason": reason });
        events::append(&txn, NewEvent { event_type, subject: subject.clone(), payload: payload.clone() }, at)
            .await?;
        match status {
            CaptureStatus::Voided => summary.voided += 1,
            CaptureStatus::Captured => summary.captured += 1,
            _ => {
                summary.refused += 1;
                let what = if voiding { "void" } else { "capture" };
                let summary_line = format!(
                    "order {}: the gateway refused to {what} {} ({})",
                    decision.order_no,
                    decision.transaction_id,
                    reason.as_deref().unwrap_or_default()
                );
                followups::open(
                    &txn,
                    followups::NewFollowUp::new(
                        followups::Kind::CaptureFailed,
                        subject,
                        summary_line,
                        payload,
                    ),
                    at,
                )
                .await?;
            }
        }
        txn.commit().await?;
        Ok(())
    }
}

/// The decision for payment `id`, taken with its order's row locked and stored (CAPTURING, the amount to
/// capture, 0 to void); `None` when it is no longer waiting. A CAPTURING payment keeps its decision.
async fn decide(db: &sea_orm::DatabaseConnection, id: i64) -> Result<Option<Decision>, OrdersError> {
    let txn = begin_write(db).await?;
    let Some(paid) = payment::Entity::find_by_id(id).one(&txn).await? else { return Ok(None) };
    let mut query = order::Entity::find_by_id(paid.order_id);
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    let Some(row) = query.one(&txn).await? else { return Ok(None) };
    // Re-read under the lock: a refund may have come first.
    let Some(paid) = payment::Entity::find_by_id(id).one(&txn).await? else { return Ok(None) };
    let amount = match paid.capture_status {
        Some(CaptureStatus::Capturing) => paid.captured_amount.unwrap_or(Money::ZERO),
        Some(CaptureStatus::Authorised) => {
            let (_, left) = left_to_refund(&txn, row.id).await?;
            let amount =
                if row.status == OrderStatus::Cancelled { Money::ZERO } else { left.max(Money::ZERO) };
            payment::Entity::update_many()
                .col_expr(payment::Column::CaptureStatus, Expr::value(CaptureStatus::Capturing))
                .col_expr(payment::Column::CapturedAmount, Expr::value(amount))
                .filter(payment::Column::Id.eq(id))
                .exec(&txn)
                .await?;
            amount
        }
        _ => return Ok(None),
    };
    txn.commit().await?;
    Ok(Some(Decision {
        payment_id: id,
        order_no: row.order_no.unwrap_or_default(),
        transaction_id: paid.transaction_id,
        amount,
    }))
}

async fn ask<G: PaymentGateway>(
    gateway: &G,
    decision: &Decision,
    timeout: Duration,
) -> Result<CaptureOutcome, GatewayError> {
    let request = CaptureRequest { transaction_id: decision.transaction_id.clone(), amount: decision.amount };
    let call = async {
        if decision.amount == Money::ZERO {
            gateway.void(&request).await
        } else {
            gateway.capture(&request).await
        }
    };
    tokio::time::timeout(timeout, call).await.unwrap_or(Err(GatewayError::Timeout))
}
