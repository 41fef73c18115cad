//! **R19, refunds of an order's payment**, with the charge run's lost-answer handling: the intent is written
//! (PENDING, its amount counted against what is left) before the gateway is asked, with no transaction
//! open during the call; the answer settles it REFUNDED or DECLINED; a lost answer leaves it UNKNOWN, and
//! whoever asks for the same key next settles it by lookup first — never two refunds for one key. The
//! refunds of an order (settled or not) never exceed what was paid: checked with the order's row locked.
//! A payment only authorised (R23, delayed capture) is refunded without the gateway: the refund is kept off
//! what `CAPTURE_PAYMENTS` captures.

use super::OrderService;
use crate::OrdersError;
use crate::entity::{order, refund};
use crate::model::{CaptureStatus, PaymentStatus};
use chrono::{DateTime, Utc};
use payments::{GatewayError, PaymentGateway, RefundOutcome, RefundRequest};
use platform_core::Money;
use platform_core::db::begin_write;
use platform_core::events::{self, NewEvent};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;
use std::time::Duration;

mod store;

pub use store::refunds_of;
use store::{find_intent, mark, refund_from};
pub(crate) use store::{left_to_refund, locked_order, record_channel_refund};

/// Where a refund stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundStatus {
    /// Written; the gateway is being asked.
    Pending,
    /// The gateway's answer was lost; the next attempt with its key looks it up.
    Unknown,
    /// Given back.
    Refunded,
    /// The gateway refused it (the reason says why); nothing was given back.
    Declined,
}

impl RefundStatus {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Pending => "PENDING",
            RefundStatus::Unknown => "UNKNOWN",
            RefundStatus::Refunded => "REFUNDED",
            RefundStatus::Declined => "DECLINED",
        }
    }

    fn parse(raw: &str) -> Result<RefundStatus, OrdersError> {
        [RefundStatus::Pending, RefundStatus::Unknown, RefundStatus::Refunded, RefundStatus::Declined]
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| anyhow::anyhow!("unknown refund status {raw:?}").into())
    }
}

/// A refund of an order's payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    /// The caller's key.
    pub idempotency_key: String,
    /// The order.
    pub order_no: String,
    /// How much.
    pub amount: Money,
    /// Why (the caller's words).
    pub reason: String,
    /// Where it stands.
    pub status: RefundStatus,
    /// The gateway's refund id, once refunded.
    pub refund_id: Option<String>,
    /// The gateway's reason, when declined.
    pub decline_reason: Option<String>,
    /// When asked.
    pub created_at: DateTime<Utc>,
    /// When settled.
    pub settled_at: Option<DateTime<Utc>>,
}

/// A refund to make.
#[derive(Debug, Clone)]
pub struct RefundInput {
    /// The order.
    pub order_no: String,
    /// How much (1 up to what is left of the payment).
    pub amount: Money,
    /// The caller's key: asking again with it answers the first refund.
    pub idempotency_key: String,
    /// Why.
    pub reason: String,
}

impl OrderService {
    /// Refunds `input.amount` of the order's payment through `gateway` (answering within `timeout`), once
    /// per key. A repeated key answers the first refund, settling it first by lookup if its answer was lost.
    pub async fn refund<G: PaymentGateway>(
        &self,
        gateway: &G,
        input: &RefundInput,
        timeout: Duration,
        at: DateTime<Utc>,
    ) -> Result<Refund, OrdersError> {
        let key = input.idempotency_key.trim();
        if key.is_empty() || key.len() > 200 {
            return Err(OrdersError::invalid("idempotencyKey", "must be 1-200 characters"));
        }
        let order_no = input.order_no.as_str();
        let intent = match find_intent(&self.db, key).await? {
            // A key is one refund of one order, whatever it became.
            Some(existing) if existing.order_id != self.order_id(order_no).await? => {
                return Err(OrdersError::conflict("idempotencyKey", format!("{key} refunds another order")));
            }
            Some(existing) => existing,
            None => self.open_intent(input, key, at).await?,
        };
        let status = RefundStatus::parse(&intent.status)?;
        if matches!(status, RefundStatus::Refunded | RefundStatus::Declined) {
            return refund_from(intent, order_no.to_owned());
        }
        let token = super::payment_token_of(&self.db, order_no).await?.unwrap_or_default();
        let request = RefundRequest {
            idempotency_key: intent.idempotency_key.clone(),
            transaction_id: intent.transaction_id.clone(),
            payment_token: token,
            amount: intent.amount,
        };
        // An UNKNOWN intent is looked up first; a key the gateway never saw is asked (the same key: once). A
        // gateway that cannot say (ECPay keeps no refund under our key) leaves it UNKNOWN for reconciliation:
        // asking again could refund twice.
        let looked_up = match status {
            RefundStatus::Unknown => match gateway.lookup_refund(&request.idempotency_key).await {
                Ok(found) => found,
                Err(_) => return refund_from(intent, order_no.to_owned()),
            },
            _ => None,
        };
        let answer = match looked_up {
            Some(outcome) => Ok(outcome),
            None => tokio::time::timeout(timeout, gateway.refund(&request))
                .await
                .unwrap_or(Err(GatewayError::Timeout)),
        };
        let answer = match answer {
            Err(GatewayError::Timeout) => match gateway.lookup_refund(&request.idempotency_key).await {
                Ok(Some(outcome)) => Ok(outcome),
                _ => Err(GatewayError::Timeout),
            },
            other => other,
        };
        let settled = match answer {
            Ok(outcome) => self.settle(intent, order_no, outcome, at).await?,
            Err(GatewayError::Timeout) => mark(&self.db, intent, RefundStatus::Unknown).await?,
            Err(GatewayError::Transient(message)) => {
                // Nothing was refunded: the intent stays PENDING for the same key to ask again.
                return Err(OrdersError::conflict(
                    "idempotencyKey",
                    format!(
                        "the gateway failed temporarily ({message}); nothing was refunded; ask again with the same key"
                    ),
                ));
            }
        };
        refund_from(settled, order_no.to_owned())
    }

    /// The PENDING intent of a new key, counted against what is left of the payment, in one transaction
    /// with the order's row locked.
    async fn open_intent(
        &self,
        input: &RefundInput,
        key: &str,
        at: DateTime<Utc>,
    ) -> Result<refund::Model, OrdersError> {
        let reason = input.reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 || reason.chars().any(char::is_control) {
            return Err(OrdersError::invalid("reason", "1-500 printable characters"));
        }
        if input.amount.amount() < 1 || Money::bounded(input.amount.amount()).is_err() {
            return Err(OrdersError::invalid("refundAmount", "must be at least 1 TWD"));
        }
        let txn = begin_write(&self.db).await?;
        let row = locked_order(&txn, &input.order_no).await?;
        // The same key opened by another caller while this one waited for the lock: theirs.
        if let Some(theirs) = find_intent(&txn, key).await? {
            if theirs.order_id != row.id {
                return Err(OrdersError::conflict("idempotencyKey", format!("{key} refunds another order")));
            }
            return Ok(theirs);
        }
        if row.payment_status != PaymentStatus::Paid {
            return Err(OrdersError::conflict(
                "orderNo",
                format!("order {} is not paid; nothing to refund", input.order_no),
            ));
        }
        let (paid, left) = left_to_refund(&txn, row.id).await?;
        if input.amount > left {
            return Err(OrdersError::invalid(
                "refundAmount",
                format!(
                    "{} is more than is left to refund ({} of {} paid)",
                    input.amount.amount(),
                    left.amount(),
                    paid.amount.amount()
                ),
            ));
        }
        // R23: what is only authorised is not taken yet — the refund is kept off the capture
        // (`CAPTURE_PAYMENTS` captures what is left, or voids it), with no call to the gateway.
        let uncaptured = match paid.capture_status {
            Some(CaptureStatus::Authorised) => true,
            Some(CaptureStatus::Capturing) => {
                return Err(OrdersError::conflict(
                    "orderNo",
                    format!(
                        "the payment of order {} is being captured; ask again in a minute with the same key",
                        input.order_no
                    ),
                ));
            }
            _ => false,
        };
        let (status, refund_id) = if uncaptured {
            (RefundStatus::Refunded, Some(format!("uncaptured:{}", paid.transaction_id)))
        } else {
            (RefundStatus::Pending, None)
        };
        let intent = refund::ActiveModel {
            order_id: Set(row.id),
            idempotency_key: Set(key.to_owned()),
            transaction_id: Set(paid.transaction_id),
            amount: Set(input.amount),
            reason: Set(reason.to_owned()),
            status: Set(status.as_str().to_owned()),
            refund_id: Set(refund_id.clone()),
            settled_at: Set(uncaptured.then_some(at)),
            created_at: Set(at),
            ..Default::default()
        }
        .insert(&txn)
        .await;
        match intent {
            Ok(intent) => {
                if uncaptured {
                    let event = NewEvent {
                        event_type: "payment.refunded",
                        subject: format!("order:{}", input.order_no),
                        payload: json!({ "orderNo": input.order_no, "amount": intent.amount,
                                         "idempotencyKey": intent.idempotency_key, "refundId": refund_id,
                                         "reason": intent.reason, "uncaptured": true }),
                    };
                    events::append(&txn, event, at).await?;
                }
                txn.commit().await?;
                Ok(intent)
            }
            // The same key opened by another caller at once: theirs.
            Err(err) if super::REFUND_KEY.violated_by(&err) => {
                drop(txn);
                let theirs =
                    find_intent(&self.db, key).await?.ok_or_else(|| OrdersError::Unexpected(err.into()))?;
                if theirs.order_id != row.id {
                    return Err(OrdersError::conflict(
                        "idempotencyKey",
                        format!("{key} refunds another order"),
                    ));
                }
                Ok(theirs)
            }
            Err(err) => Err(err.into()),
        }
    }

    /// Settles an intent with the gateway's decision and its event, once (a settled intent is left alone).
    async fn settle(
        &self,
        intent: refund::Model,
        order_no: &str,
        outcome: RefundOutcome,
        at: DateTime<Utc>,
    ) -> Result<refund::Model, OrdersError> {
        let txn = begin_write(&self.db).await?;
        let (status, refund_id, reason) = match &outcome {
            RefundOutcome::Refunded { refund_id } => (RefundStatus::Refunded, Some(refund_id.clone()), None),
            RefundOutcome::Declined { reason } => (RefundStatus::Declined, None, Some(reason.clone())),
        };
        let updated = refund::Entity::update_many()
            .col_expr(refund::Column::Status, Expr::value(status.as_str()))
            .col_expr(refund::Column::RefundId, Expr::value(refund_id.clone()))
            .col_expr(refund::Column::DeclineReason, Expr::value(reason.clone()))
            .col_expr(refund::Column::SettledAt, Expr::value(at))
            .filter(refund::Column::Id.eq(intent.id))
            .filter(
                refund::Column::Status
                    .is_in([RefundStatus::Pending.as_str(), RefundStatus::Unknown.as_str()]),
            )
            .exec(&txn)
            .await?;
        if updated.rows_affected == 1 {
            let event_type =
                if status == RefundStatus::Refunded { "payment.refunded" } else { "payment.refund_declined" };
            let event = NewEvent {
                event_type,
                subject: format!("order:{order_no}"),
                payload: json!({ "orderNo": order_no, "amount": intent.amount, "idempotencyKey": intent.idempotency_key,
                                 "refundId": refund_id, "reason": intent.reason, "declineReason": reason }),
            };
            events::append(&txn, event, at).await?;
        }
        txn.commit().await?;
        find_intent(&self.db, &intent.idempotency_key)
            .await?
            .ok_or_else(|| anyhow::anyhow!("refund vanished").into())
    }

    /// What is left to refund of paid order `order_no`'s payment (0 for an unpaid order).
    pub async fn left_to_refund(&self, order_no: &str) -> Result<Money, OrdersError> {
        let row = order::Entity::find()
            .filter(order::Column::OrderNo.eq(order_no))
            .one(&self.db)
            .await?
            .ok_or_else(|| OrdersError::not_found("orderNo", format!("no order {order_no}")))?;
        if row.payment_status != PaymentStatus::Paid {
            return Ok(Money::new(0));
        }
        Ok(left_to_refund(&self.db, row.id).await?.1)
    }

    async fn order_id(&self, order_no: &str) -> Result<i64, OrdersError> {
        order::Entity::find()
            .select_only()
            .column(order::Column::Id)
            .filter(order::Column::OrderNo.eq(order_no))
            .into_tuple::<i64>()
            .one(&self.db)
            .await?
            .ok_or_else(|| OrdersError::not_found("orderNo", format!("no order {order_no}")))
    }
}
