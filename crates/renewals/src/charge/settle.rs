//! Settling decided charge attempts: the one writer of the charge run, for one renewal or a batch, all in
//! one transaction so that a runner that dies or loses its connection leaves either everything or
//! nothing. What each answer becomes is the pure rule [`crate::rules::settlement`]; this applies it:
//! - charged: the order's payment recorded (unless our records already hold it), its entitlements granted
//!   (exactly once per line, R3), the intent APPROVED, the renewal EXECUTED, the next cycle's renewal
//!   created (R5 on the extended entitlements), the receipt e-mail queued, `renewal.charged` and
//!   `renewal.created` appended;
//! - refused: the order's payment recorded FAILED, the intent DECLINED, the renewal FAILED with the reason
//!   and the next automatic retry day, the e-mail with the card-update link queued,
//!   `renewal.charge_failed` appended.
//!
//! Only renewals this runner still holds, PENDING or FAILED, are settled; the others were settled by
//! someone else and are skipped.

use super::{ChargeRun, ChargeSummary};
use crate::entity::{charge, renewal};
use crate::mail::{addressee, mail_data};
use crate::rules::{Settlement, settlement};
use crate::store::{IntentStatus, clip, close_intent, code, event_of};
use crate::{RenewalStatus, RenewalsError};
use chrono::{DateTime, NaiveDate, Utc};
use notify::email::{self, EmailKind, NewEmail};
use orders::service::BatchPayment;
use orders::{Order, PaymentResult};
use payments::{ChargeOutcome, PaymentGateway};
use platform_core::db::begin_write;
use platform_core::events::{self, NewEvent};
use platform_core::{CustomerId, MemberId};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;
use std::collections::{HashMap, HashSet};

/// A charge attempt with the gateway's (or our records') answer.
#[derive(Debug, Clone)]
pub(super) struct Decided {
    pub(super) row: renewal::Model,
    pub(super) order: Order,
    pub(super) intent: charge::Model,
    /// The payer's contact, when the preparation read it.
    pub(super) contact: Option<members::service::Contact>,
    pub(super) outcome: ChargeOutcome,
}

impl<G: PaymentGateway + Clone + 'static> ChargeRun<G> {
    /// Settles `decided` in one transaction; an error leaves nothing of it written.
    pub(super) async fn settle(
        &self,
        decided: Vec<Decided>,
        as_of: NaiveDate,
        at: DateTime<Utc>,
    ) -> Result<ChargeSummary, RenewalsError> {
        let mut summary = ChargeSummary::default();
        if decided.is_empty() {
            return Ok(summary);
        }
        let txn = begin_write(&self.db).await?;
        let held = self.still_held(&txn, &decided).await?;
        let settled: Vec<(Decided, Settlement)> = decided
            .into_iter()
            .filter(|d| held.contains(&d.row.id))
            .map(|d| {
                let rule = settlement(
                    &d.outcome,
                    d.intent.attempt,
                    d.row.failed_on,
                    as_of,
                    &self.settings.retry_days,
                );
                (d, rule)
            })
            .collect();
        if settled.is_empty() {
            return Ok(summary);
        }

        // Payments: a charge our records already hold (a settlement cut short by an older version, or a
        // callback) is not recorded twice.
        let numbers: Vec<&str> = settled.iter().map(|(d, _)| d.order.order_no.as_str()).collect();
        let already = orders::service::paid_transactions(&txn, &numbers).await?;
        let mut payments = Vec::with_capacity(settled.len());
        for (d, rule) in &settled {
            match rule {
                Settlement::Executed { transaction_id } => match already.get(&d.order.order_no) {
                    Some(recorded) if recorded == transaction_id => {}
                    Some(recorded) => tracing::error!(
                        renewal = d.row.id, order = %d.order.order_no, %recorded, charged = %transaction_id,
                        "the order was paid by another transaction; the charge is not recorded twice"
                    ),
                    None => payments.push(BatchPayment {
                        order: &d.order,
                        transaction_id: transaction_id.clone(),
                        status: PaymentResult::Paid,
                        authorised_only: self.gateway.capture_mode() == payments::CaptureMode::Delayed,
                    }),
                },
                Settlement::Failed { .. } => payments.push(BatchPayment {
                    order: &d.order,
                    transaction_id: d.intent.idempotency_key.clone(),
                    status: PaymentResult::Failed,
                    authorised_only: false,
                }),
            }
        }
        self.orders.record_batch(&txn, &payments, at).await?;
        let executed: Vec<&Decided> = settled
            .iter()
            .filter(|(_, rule)| matches!(rule, Settlement::Executed { .. }))
            .map(|(d, _)| d)
            .collect();
        let paid_orders: Vec<String> = executed.iter().map(|d| d.order.order_no.clone()).collect();
        entitlements::batch::grant_orders_in(&txn, self.calendar, &paid_orders, at).await?;

        // The contacts the preparation read; only reconciled intents' are read here.
        let unread: Vec<(CustomerId, Option<MemberId>)> = settled
            .iter()
            .filter(|(d, _)| d.contact.is_none())
            .map(|(d, _)| (d.row.customer_id, d.row.member_id))
            .collect();
        let contacts = if unread.is_empty() {
            HashMap::new()
        } else {
            members::service::contacts_of(&txn, &unread).await?
        };
        let deducts = self.next_deduct_dates(&txn, &executed).await?;
        let today = self.calendar.date_of(at);
        let mut events: Vec<NewEvent> = Vec::new();
        let mut mails: Vec<NewEmail> = Vec::new();
        let mut next_rows = Vec::new();
        let mut charged_event: HashMap<i64, usize> = HashMap::new();
        let mut follow_ups = Vec::new();
        for (d, rule) in &settled {
            if let Some(kind) = crate::rules::follow_up_of(rule) {
                let reason = if let Settlement::Failed { reason, .. } = rule { reason.as_str() } else { "" };
                follow_ups.push(followups::NewFollowUp::new(
                    kind,
                    format!("renewal:{}", d.row.id),
                    format!("renewal {} of order {}: {reason}", d.row.id, d.order.order_no),
                    json!({ "renewalId": d.row.id, "orderNo": d.order.order_no, "customerId": d.row.customer_id,
                            "amount": d.intent.amount, "attempt": d.intent.attempt, "reason": reason }),
                ));
            }
            let (to, name) = addressee(d.contact.as_ref().or_else(|| contacts.get(&d.row.customer_id)));
            let mut data = mail_data(&d.row, &name, Some(&d.order.order_no), &self.settings.card_update_url);
            let regarding = format!("renewal:{}", d.row.id);
            let base = json!({ "orderNo": d.order.order_no, "amount": d.intent.amount, "attempt": d.intent.attempt });
            match rule {
                Settlement::Executed { transaction_id } => {
                    close_intent(&txn, d.intent.id, IntentStatus::Approved, Some(transaction_id), None, at)
                        .await?;
                    let deduct = deducts.get(&d.row.id).copied().filter(|day| *day > today);
                    match deduct {
                        Some(deduct) => next_rows.push(next_cycle_row(&d.row, deduct, &d.order.order_no, at)),
                        None => tracing::warn!(
                            renewal = d.row.id,
                            "no future due date after the charge; no next renewal"
                        ),
                    }
                    let mut row = d.row.clone();
                    row.renew_status = code(RenewalStatus::Executed);
                    charged_event.insert(d.row.id, events.len());
                    events.push(event_of(
                        "renewal.charged",
                        &row,
                        with(base, json!({ "transactionId": transaction_id, "nextRenewalId": null })),
                    ));
                    data["nextDeductDate"] = json!(deduct);
                    mails.push(NewEmail {
                        kind: EmailKind::ChargeSucceeded,
                        dedupe_key: format!("charge_succeeded:{}", d.row.id),
                        to,
                        regarding,
                        data,
                    });
                    summary.charged += 1;
                }
                Settlement::Failed { reason, failed_on, next_retry_on } => {
                    close_intent(&txn, d.intent.id, IntentStatus::Declined, None, Some(reason), at).await?;
                    renewal::Entity::update_many()
                        .col_expr(renewal::Column::RenewStatus, Expr::value(code(RenewalStatus::Failed)))
                        .col_expr(renewal::Column::FailureReason, Expr::value(clip(reason)))
                        .col_expr(renewal::Column::FailedOn, Expr::value(*failed_on))
                        .col_expr(renewal::Column::NextRetryOn, Expr::value(*next_retry_on))
                        .col_expr(renewal::Column::LeaseOwner, Expr::value(Option::<String>::None))
                        .col_expr(renewal::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
                        .col_expr(renewal::Column::UpdatedAt, Expr::value(at))
                        .filter(renewal::Column::Id.eq(d.row.id))
                        .exec(&txn)
                        .await?;
                    let mut row = d.row.clone();
                    row.renew_status = code(RenewalStatus::Failed);
                    events.push(event_of(
                        "renewal.charge_failed",
                        &row,
                        with(base, json!({ "reason": reason, "nextRetryOn": next_retry_on })),
                    ));
                    data["reason"] = json!(reason);
                    data["nextRetryOn"] = json!(next_retry_on);
                    mails.push(NewEmail {
                        kind: EmailKind::ChargeFailed,
                        dedupe_key: format!("charge_failed:{}:{}", d.row.id, d.intent.attempt),
                        to,
                        regarding,
                        data,
                    });
                    summary.declined += 1;
                }
            }
        }
        let executed_ids: Vec<i64> = executed.iter().map(|d| d.row.id).collect();
        for chunk in executed_ids.chunks(500) {
            renewal::Entity::update_many()
                .col_expr(renewal::Column::RenewStatus, Expr::value(code(RenewalStatus::Executed)))
                .col_expr(renewal::Column::FailureReason, Expr::value(Option::<String>::None))
                .col_expr(renewal::Column::NextRetryOn, Expr::value(Option::<NaiveDate>::None))
                .col_expr(renewal::Column::LeaseOwner, Expr::value(Option::<String>::None))
                .col_expr(renewal::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
                .col_expr(renewal::Column::UpdatedAt, Expr::value(at))
                .filter(renewal::Column::Id.is_in(chunk.iter().copied()))
                .exec(&txn)
                .await?;
        }
        for chunk in next_rows.chunks(500) {
            renewal::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
        }
        let keys: Vec<String> = executed_ids.iter().map(|id| format!("after:{id}")).collect();
        for chunk in keys.chunks(500) {
            let created = renewal::Entity::find()
                .filter(renewal::Column::CreationKey.is_in(chunk.iter().map(String::as_str)))
                .all(&txn)
                .await?;
            for next in created {
                let previous =
                    next.creation_key.as_deref().and_then(|k| k.strip_prefix("after:")?.parse::<i64>().ok());
                if let Some(charged) =
                    previous.and_then(|id| charged_event.get(&id)).and_then(|i| events.get_mut(*i))
                {
                    charged.payload["nextRenewalId"] = json!(next.id);
                }
                events.push(event_of(
                    "renewal.created",
                    &next,
                    json!({ "deductPrice": next.deduct_price, "cycle": next.cycle, "previousRenewalId": previous }),
                ));
            }
        }
        events::append_many(&txn, events, at).await?;
        email::queue_many(&txn, mails, at).await?;
        followups::open_many(&txn, follow_ups, at).await?;
        txn.commit().await?;
        Ok(summary)
    }

    /// Which of `decided` this runner still holds, PENDING or FAILED (locked on PostgreSQL until the
    /// transaction ends).
    async fn still_held(
        &self,
        txn: &impl ConnectionTrait,
        decided: &[Decided],
    ) -> Result<HashSet<i64>, RenewalsError> {
        let mut held = HashSet::new();
        for chunk in decided.chunks(500) {
            let mut query = renewal::Entity::find()
                .select_only()
                .column(renewal::Column::Id)
                .filter(renewal::Column::Id.is_in(chunk.iter().map(|d| d.row.id)))
                .filter(renewal::Column::LeaseOwner.eq(self.owner.as_str()))
                .filter(
                    renewal::Column::RenewStatus
                        .is_in([code(RenewalStatus::Pending), code(RenewalStatus::Failed)]),
                );
            if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
                query = query.lock_exclusive();
            }
            held.extend(query.into_tuple::<i64>().all(txn).await?);
        }
        Ok(held)
    }

    /// R5 for the next cycle of each charged renewal, from its holders' entitlements as extended in this
    /// transaction: the day before the earliest due date of its products.
    async fn next_deduct_dates(
        &self,
        txn: &impl ConnectionTrait,
        executed: &[&Decided],
    ) -> Result<HashMap<i64, NaiveDate>, RenewalsError> {
        let rows: Vec<&renewal::Model> = executed.iter().map(|d| &d.row).collect();
        crate::service::deduct_dates_of(txn, &rows).await
    }
}

/// `base` with the fields of `extra` added.
fn with(mut base: serde_json::Value, extra: serde_json::Value) -> serde_json::Value {
    if let (Some(target), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
        target.extend(extra.clone());
    }
    base
}

/// The renewal of the cycle after `executed`: the same plan, card and receiver, due on `deduct`, renewing
/// `order_no`.
fn next_cycle_row(
    executed: &renewal::Model,
    deduct: NaiveDate,
    order_no: &str,
    at: DateTime<Utc>,
) -> renewal::ActiveModel {
    renewal::ActiveModel {
        customer_id: Set(executed.customer_id),
        member_id: Set(executed.member_id),
        promotion_code: Set(executed.promotion_code.clone()),
        product_codes: Set(executed.product_codes.clone()),
        product_name: Set(executed.product_name.clone()),
        deduct_date: Set(deduct),
        deduct_price: Set(executed.deduct_price),
        shipping_fee: Set(executed.shipping_fee),
        payment: Set(executed.payment.clone()),
        payment_method: Set(executed.payment_method.clone()),
        payment_card: Set(executed.payment_card.clone()),
        payment_token: Set(executed.payment_token.clone()),
        renew_status: Set(code(RenewalStatus::Pending)),
        cycle: Set(executed.cycle + 1),
        source: Set(executed.source.clone()),
        source_code: Set(executed.source_code.clone()),
        origin_order_no: Set(Some(order_no.to_owned())),
        creation_key: Set(Some(format!("after:{}", executed.id))),
        receiver: Set(executed.receiver.clone()),
        invoice: Set(executed.invoice.clone()),
        attempts: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
}
