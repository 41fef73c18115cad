//! Settling a charge attempt. Every step is idempotent, so a runner that dies half-way and the reconciler
//! that takes over produce the same end state:
//! - approved: the order's payment is recorded (idempotent per transaction id), its entitlements are
//!   granted (exactly once per line, R3), then one transaction marks the intent APPROVED and the renewal
//!   EXECUTED (only if this runner still holds it), creates the next cycle's renewal (R5 on the extended
//!   entitlements), queues the receipt e-mail and appends `renewal.charged` and `renewal.created`;
//! - declined: the order's payment is recorded FAILED, then one transaction marks the intent DECLINED and
//!   the renewal FAILED with the reason and the next automatic retry day, queues the e-mail with the
//!   card-update link and appends `renewal.charge_failed`.

use super::{Attempted, ChargeRun, intent};
use crate::entity::{charge, renewal};
use crate::service::{event, holder_deduct_date};
use crate::{RenewalStatus, RenewalsError};
use chrono::{DateTime, Days, NaiveDate, Utc};
use notify::email::{self, EmailKind, NewEmail};
use orders::{PaymentReport, PaymentResult};
use payments::{ChargeOutcome, PaymentGateway};
use platform_core::db::begin_write;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter,
};
use serde_json::json;

impl<G: PaymentGateway + Clone + 'static> ChargeRun<G> {
    pub(super) async fn settle(
        &self,
        row: &renewal::Model,
        intent: &charge::Model,
        outcome: ChargeOutcome,
        as_of: NaiveDate,
        at: DateTime<Utc>,
    ) -> Result<Attempted, RenewalsError> {
        match outcome {
            ChargeOutcome::Approved { transaction_id } => {
                self.approved(row, intent, &transaction_id, at).await
            }
            ChargeOutcome::Declined { reason } => self.declined(row, intent, &reason, as_of, at).await,
        }
    }

    async fn approved(
        &self,
        row: &renewal::Model,
        intent: &charge::Model,
        transaction_id: &str,
        at: DateTime<Utc>,
    ) -> Result<Attempted, RenewalsError> {
        let report = PaymentReport {
            order_no: intent.order_no.clone(),
            transaction_id: transaction_id.to_owned(),
            status: PaymentResult::Paid,
            amount: intent.amount,
            paid_at: Some(at),
        };
        self.orders.record_payment(report, at).await?;
        entitlements::grant::grant_order(&self.db, self.calendar, &intent.order_no, at).await?;

        let txn = begin_write(&self.db).await?;
        let Some(executed) = self
            .finish(
                &txn,
                row.id,
                RenewalStatus::Executed,
                |next| {
                    next.failure_reason = Set(None);
                    next.next_retry_on = Set(None);
                },
                at,
            )
            .await?
        else {
            return Ok(Attempted::Skipped);
        };
        close_intent(&txn, intent.id, intent::APPROVED, Some(transaction_id), None, at).await?;
        let next = self.next_cycle(&txn, &executed, &intent.order_no, at).await?;
        event(
            &txn,
            "renewal.charged",
            &executed,
            json!({ "orderNo": intent.order_no, "amount": intent.amount, "attempt": intent.attempt,
                    "transactionId": transaction_id, "nextRenewalId": next.as_ref().map(|n| n.id) }),
            at,
        )
        .await?;
        let mut data = self.mail_data(&txn, &executed, &intent.order_no).await?;
        data["nextDeductDate"] = json!(next.as_ref().map(|n| n.deduct_date));
        self.mail(
            &txn,
            EmailKind::ChargeSucceeded,
            format!("charge_succeeded:{}", row.id),
            &executed,
            data,
            at,
        )
        .await?;
        txn.commit().await?;
        Ok(Attempted::Charged)
    }

    async fn declined(
        &self,
        row: &renewal::Model,
        intent: &charge::Model,
        reason: &str,
        as_of: NaiveDate,
        at: DateTime<Utc>,
    ) -> Result<Attempted, RenewalsError> {
        let report = PaymentReport {
            order_no: intent.order_no.clone(),
            transaction_id: intent.idempotency_key.clone(),
            status: PaymentResult::Failed,
            amount: intent.amount,
            paid_at: Some(at),
        };
        self.orders.record_payment(report, at).await?;

        let failed_on = row.failed_on.unwrap_or(as_of);
        let next_retry_on = next_retry(&self.settings.retry_days, failed_on, intent.attempt, as_of);
        let txn = begin_write(&self.db).await?;
        let Some(failed) = self
            .finish(
                &txn,
                row.id,
                RenewalStatus::Failed,
                |next| {
                    next.failure_reason = Set(Some(reason.chars().take(300).collect()));
                    next.failed_on = Set(Some(failed_on));
                    next.next_retry_on = Set(next_retry_on);
                },
                at,
            )
            .await?
        else {
            return Ok(Attempted::Skipped);
        };
        close_intent(&txn, intent.id, intent::DECLINED, None, Some(reason), at).await?;
        event(
            &txn,
            "renewal.charge_failed",
            &failed,
            json!({ "orderNo": intent.order_no, "amount": intent.amount, "attempt": intent.attempt,
                    "reason": reason, "nextRetryOn": next_retry_on }),
            at,
        )
        .await?;
        let mut data = self.mail_data(&txn, &failed, &intent.order_no).await?;
        data["reason"] = json!(reason);
        data["nextRetryOn"] = json!(next_retry_on);
        let key = format!("charge_failed:{}:{}", row.id, intent.attempt);
        self.mail(&txn, EmailKind::ChargeFailed, key, &failed, data, at).await?;
        txn.commit().await?;
        Ok(Attempted::Declined)
    }

    /// Moves the renewal to `status` and frees the claim, only while this runner holds it and the renewal
    /// is still PENDING or FAILED; `None` when it does not (another runner settled it).
    async fn finish(
        &self,
        txn: &DatabaseTransaction,
        id: i64,
        status: RenewalStatus,
        change: impl FnOnce(&mut renewal::ActiveModel),
        at: DateTime<Utc>,
    ) -> Result<Option<renewal::Model>, RenewalsError> {
        let Some(current) =
            renewal::Entity::find_by_id(id)
                .filter(renewal::Column::LeaseOwner.eq(self.owner.as_str()))
                .filter(renewal::Column::RenewStatus.is_in([
                    i16::from(RenewalStatus::Pending.code()),
                    i16::from(RenewalStatus::Failed.code()),
                ]))
                .one(txn)
                .await?
        else {
            return Ok(None);
        };
        let mut next = current.into_active_model();
        next.renew_status = Set(i16::from(status.code()));
        next.lease_owner = Set(None);
        next.lease_until = Set(None);
        next.updated_at = Set(at);
        change(&mut next);
        Ok(Some(next.update(txn).await?))
    }

    /// The renewal of the next cycle (cycle + 1), due the day before the extended entitlements run out
    /// (R5); none when the plan covers nothing renewable any more.
    async fn next_cycle(
        &self,
        txn: &DatabaseTransaction,
        executed: &renewal::Model,
        order_no: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<renewal::Model>, RenewalsError> {
        let today = self.calendar.date_of(at);
        let deduct = holder_deduct_date(txn, executed).await?.filter(|d| *d > today);
        let Some(deduct) = deduct else {
            tracing::warn!(renewal = executed.id, "no future due date after the charge; no next renewal");
            return Ok(None);
        };
        let next = next_cycle_row(executed, deduct, order_no, at)
            .insert(txn)
            .await
            .map_err(|err| crate::service::key_taken(err, Some(&format!("after:{}", executed.id))))?;
        event(
            txn,
            "renewal.created",
            &next,
            json!({ "deductPrice": next.deduct_price, "cycle": next.cycle, "previousRenewalId": executed.id }),
            at,
        )
        .await?;
        Ok(Some(next))
    }

    /// The variables every renewal e-mail has.
    async fn mail_data(
        &self,
        db: &impl ConnectionTrait,
        row: &renewal::Model,
        order_no: &str,
    ) -> Result<serde_json::Value, RenewalsError> {
        let name = recipient(db, row).await?.1;
        Ok(mail_data(row, &name, Some(order_no), &self.settings.card_update_url))
    }

    async fn mail(
        &self,
        txn: &DatabaseTransaction,
        kind: EmailKind,
        dedupe_key: String,
        row: &renewal::Model,
        data: serde_json::Value,
        at: DateTime<Utc>,
    ) -> Result<(), RenewalsError> {
        let to = recipient(txn, row).await?.0;
        email::queue(
            txn,
            NewEmail { kind, dedupe_key, to, regarding: format!("renewal:{}", row.id), data },
            at,
        )
        .await?;
        Ok(())
    }
}

/// The day of the automatic retry after failed attempt `attempt` (1 = the first charge): the
/// `attempt`-th entry of `retry_days` counted from the cycle's first failure, if still ahead.
pub(crate) fn next_retry(
    retry_days: &[u32],
    failed_on: NaiveDate,
    attempt: i32,
    as_of: NaiveDate,
) -> Option<NaiveDate> {
    usize::try_from(attempt - 1)
        .ok()
        .and_then(|i| retry_days.get(i))
        .and_then(|days| failed_on.checked_add_days(Days::new(u64::from(*days))))
        .filter(|day| *day > as_of)
}

/// The renewal of the cycle after `executed`: the same plan, card and receiver, due on `deduct`, renewing
/// `order_no`.
pub(crate) fn next_cycle_row(
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
        renew_status: Set(i16::from(RenewalStatus::Pending.code())),
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

/// The variables every renewal e-mail has, for the payer named `name`.
pub(crate) fn mail_data(
    row: &renewal::Model,
    name: &str,
    order_no: Option<&str>,
    card_update_url_template: &str,
) -> serde_json::Value {
    json!({
        "renewalId": row.id, "customerName": name, "promotionCode": row.promotion_code,
        "productName": row.product_name.clone().unwrap_or_else(|| row.promotion_code.clone()),
        "deductDate": row.deduct_date, "deductPrice": row.deduct_price + row.shipping_fee,
        "cardLast4": row.payment_card, "orderNo": order_no,
        "cardUpdateUrl": card_update_url(card_update_url_template, row.id),
    })
}

/// The card-update link of the renewal: the configured template with `{renewalId}` replaced.
pub(crate) fn card_update_url(template: &str, renewal_id: i64) -> String {
    template.replace("{renewalId}", &renewal_id.to_string())
}

/// Who gets the renewal's e-mails: the paying customer's address (else its member's) and name.
pub(crate) async fn recipient(
    db: &impl ConnectionTrait,
    row: &renewal::Model,
) -> Result<(Option<String>, String), RenewalsError> {
    let contacts = members::service::contacts_of(db, &[(row.customer_id, row.member_id)]).await?;
    Ok(addressee(contacts.get(&row.customer_id)))
}

/// The address and the name (the customer number when it has none) of a payer's contact.
pub(crate) fn addressee(contact: Option<&members::service::Contact>) -> (Option<String>, String) {
    contact.map_or((None, String::new()), |c| {
        (c.email.clone(), c.name.clone().unwrap_or_else(|| c.customer_no.clone()))
    })
}

async fn close_intent(
    txn: &DatabaseTransaction,
    id: i64,
    status: &str,
    transaction_id: Option<&str>,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), RenewalsError> {
    charge::Entity::update_many()
        .col_expr(charge::Column::Status, status.into())
        .col_expr(charge::Column::TransactionId, transaction_id.map(str::to_owned).into())
        .col_expr(charge::Column::Reason, reason.map(|r| r.chars().take(300).collect::<String>()).into())
        .col_expr(charge::Column::SettledAt, Some(at).into())
        .filter(charge::Column::Id.eq(id))
        .exec(txn)
        .await?;
    Ok(())
}
