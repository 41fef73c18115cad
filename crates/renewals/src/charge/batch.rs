//! The charge run's fast path: a claimed batch of first attempts (the daily case) is prepared in one
//! transaction and settled in one, with multi-row statements, while the gateway calls in between run
//! concurrently with no transaction open. The steps and their order are those of the one-renewal path
//! ([`super::ChargeRun::charge_one`] and [`super::settle`]), which still handles everything else: open
//! intents to reconcile, retries, renewals without a card, and any batch whose settlement fails (each of
//! its renewals is then settled on its own, idempotently).

use super::settle::{addressee, mail_data, next_cycle_row, next_retry};
use super::{ChargeRun, ChargeSummary, intent, mark_intent, new_intent};
use crate::entity::{charge, renewal};
use crate::service::event_of;
use crate::{RenewalStatus, RenewalsError};
use chrono::{DateTime, Days, NaiveDate, Utc};
use members::Account;
use notify::email::{self, EmailKind, NewEmail};
use orders::service::{AutoOrder, BatchPayment};
use orders::{Order, PaymentResult};
use payments::{ChargeOutcome, ChargeRequest, GatewayError, PaymentGateway};
use platform_core::Money;
use platform_core::db::begin_write;
use platform_core::events::{self, NewEvent};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use serde_json::json;
use std::collections::HashMap;

/// One renewal of the batch once prepared.
struct Prepared {
    row: renewal::Model,
    order: Order,
    intent: charge::Model,
}

/// What the payer is called and where its e-mail goes, by customer id.
type Contacts = HashMap<i64, members::service::Contact>;

impl<G: PaymentGateway + Clone + 'static> ChargeRun<G> {
    /// Charges the claimed renewals `ids`: first attempts in a batch, the rest one by one.
    pub(super) async fn charge_batch(
        &self,
        ids: Vec<i64>,
        as_of: NaiveDate,
        at: DateTime<Utc>,
    ) -> Result<ChargeSummary, RenewalsError> {
        let rows = renewal::Entity::find()
            .filter(renewal::Column::Id.is_in(ids))
            .filter(renewal::Column::LeaseOwner.eq(self.owner.as_str()))
            .all(&self.db)
            .await?;
        let (fresh, others): (Vec<renewal::Model>, Vec<renewal::Model>) = rows
            .into_iter()
            .partition(|r| r.attempts == 0 && r.charge_order_no.is_none() && r.payment_token.is_some());
        let mut summary = ChargeSummary::default();
        let singles = self.each(others.iter().map(|r| r.id).collect(), as_of, at);
        let batch = async {
            if fresh.is_empty() {
                return Ok(ChargeSummary::default());
            }
            let contacts = members::service::contacts_of(
                &self.db,
                &fresh.iter().map(|r| (r.customer_id, r.member_id)).collect::<Vec<_>>(),
            )
            .await?;
            match self.prepare(fresh.clone(), &contacts, at).await {
                Ok(prepared) => self.charge_prepared(prepared, &contacts, as_of, at).await,
                Err(err) => {
                    tracing::warn!(error = %format!("{err:#}"), "batch preparation failed; charging one by one");
                    Ok(self.each(fresh.iter().map(|r| r.id).collect(), as_of, at).await)
                }
            }
        };
        let (single, batched) = tokio::join!(singles, batch);
        summary.merge(single);
        summary.merge(batched?);
        Ok(summary)
    }

    /// The one-renewal path for `ids`, concurrently.
    async fn each(&self, ids: Vec<i64>, as_of: NaiveDate, at: DateTime<Utc>) -> ChargeSummary {
        let mut summary = ChargeSummary::default();
        let limit = self.limit.clone();
        let mut tasks = tokio::task::JoinSet::new();
        for id in ids {
            let run = self.clone();
            let limit = limit.clone();
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await;
                (id, run.charge_one(id, as_of, at).await)
            });
        }
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((_, Ok(one))) => summary.add(one),
                Ok((id, Err(err))) => {
                    // The claim stays until its lease ends; the next run reconciles this renewal.
                    tracing::error!(renewal = id, error = %format!("{err:#}"), "renewal charge failed");
                    summary.errors += 1;
                }
                Err(err) => {
                    tracing::error!(error = %err, "renewal charge task failed");
                    summary.errors += 1;
                }
            }
        }
        summary
    }

    /// One transaction: the AUTO orders, the temporary digital grants, the charge intents (attempt 1).
    async fn prepare(
        &self,
        rows: Vec<renewal::Model>,
        contacts: &Contacts,
        at: DateTime<Utc>,
    ) -> Result<Vec<Prepared>, RenewalsError> {
        // Everything read through other connections (accounts, the catalog cache) is read before the
        // transaction opens: a transaction waiting for a second connection of a busy pool would deadlock it.
        let member_ids: Vec<i64> = rows.iter().filter_map(|r| r.member_id).collect();
        let accounts = members::service::accounts_of(&self.db, &member_ids).await?;
        let mut autos = Vec::with_capacity(rows.len());
        for row in &rows {
            let contact = contacts
                .get(&row.customer_id)
                .ok_or_else(|| anyhow::anyhow!("customer of renewal {} is missing", row.id))?;
            autos.push(auto_order(row, contact, &accounts));
        }
        let plans = self.orders.plans(&autos).await?;
        let txn = begin_write(&self.db).await?;
        let orders = self.orders.create_auto_batch(&txn, &autos, &plans, at).await?;
        self.grant_temporary_batch(&txn, &rows, &accounts, at).await?;
        let intents: Vec<charge::ActiveModel> = rows
            .iter()
            .zip(&orders)
            .map(|(row, order)| new_intent(row.id, 1, &order.order_no, order.total_amount.amount(), at))
            .collect();
        for chunk in intents.chunks(500) {
            charge::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
        }
        let written: HashMap<i64, charge::Model> = charge::Entity::find()
            .filter(charge::Column::RenewalId.is_in(rows.iter().map(|r| r.id)))
            .filter(charge::Column::Attempt.eq(1))
            .all(&txn)
            .await?
            .into_iter()
            .map(|c| (c.renewal_id, c))
            .collect();
        for (row, order) in rows.iter().zip(&orders) {
            self.record_attempt(&txn, row.id, 1, Some(&order.order_no)).await?;
        }
        txn.commit().await?;
        let mut prepared = Vec::with_capacity(rows.len());
        for (row, order) in rows.into_iter().zip(orders) {
            let intent = written
                .get(&row.id)
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("intent of renewal {} vanished", row.id))?;
            prepared.push(Prepared { row, order, intent });
        }
        Ok(prepared)
    }

    /// R9's temporary digital access for the batch's members, one statement set per digital product.
    async fn grant_temporary_batch(
        &self,
        txn: &DatabaseTransaction,
        rows: &[renewal::Model],
        accounts: &HashMap<i64, Account>,
        at: DateTime<Utc>,
    ) -> Result<(), RenewalsError> {
        let days = self.settings.temporary_days;
        if days == 0 {
            return Ok(());
        }
        let today = self.calendar.date_of(at);
        let until = today.checked_add_days(Days::new(u64::from(days))).unwrap_or(today);
        let mut by_code: HashMap<String, Vec<(i64, Account)>> = HashMap::new();
        for row in rows {
            let Some((member_id, account)) =
                row.member_id.and_then(|id| accounts.get(&id).map(|a| (id, a.clone())))
            else {
                continue;
            };
            for code in row.product_codes.split(',').filter(|c| !c.is_empty()) {
                by_code.entry(code.to_owned()).or_default().push((member_id, account.clone()));
            }
        }
        for (code, members) in by_code {
            let digital = catalog::service::find_product(txn, &code).await?.is_some_and(|p| p.digital);
            if digital {
                entitlements::batch::extend_temporary_in(txn, &members, &code, until, days, at).await?;
            }
        }
        Ok(())
    }

    /// Calls the gateway for every prepared renewal, then settles the decided ones together.
    async fn charge_prepared(
        &self,
        prepared: Vec<Prepared>,
        contacts: &Contacts,
        as_of: NaiveDate,
        at: DateTime<Utc>,
    ) -> Result<ChargeSummary, RenewalsError> {
        let mut summary = ChargeSummary::default();
        let limit = self.limit.clone();
        let mut calls = tokio::task::JoinSet::new();
        for (index, p) in prepared.iter().enumerate() {
            let request = ChargeRequest {
                idempotency_key: p.intent.idempotency_key.clone(),
                payment_token: p.row.payment_token.clone().unwrap_or_default(),
                amount: Money::new(p.intent.amount),
            };
            let (gateway, limit, timeout) = (self.gateway.clone(), limit.clone(), self.gateway_timeout);
            calls.spawn(async move {
                let _permit = limit.acquire_owned().await;
                let answer = tokio::time::timeout(timeout, gateway.charge(&request))
                    .await
                    .unwrap_or(Err(GatewayError::Timeout));
                (index, answer)
            });
        }
        let mut decided: Vec<(usize, ChargeOutcome)> = Vec::new();
        while let Some(joined) = calls.join_next().await {
            let (index, answer) = joined.map_err(anyhow::Error::new)?;
            let p = &prepared[index];
            match answer {
                Ok(outcome) => decided.push((index, outcome)),
                Err(GatewayError::Transient(message)) => {
                    self.transient(&p.row, &p.intent, &message).await?;
                    summary.errors += 1;
                }
                Err(GatewayError::Timeout) => {
                    mark_intent(&self.db, p.intent.id, intent::UNKNOWN, None).await?;
                    match self.gateway.lookup(&p.intent.idempotency_key).await {
                        Ok(Some(outcome)) => decided.push((index, outcome)),
                        _ => summary.unknown += 1,
                    }
                }
            }
        }
        decided.sort_unstable_by_key(|(index, _)| *index);
        match self.settle_batch(&prepared, &decided, contacts, as_of, at).await {
            Ok(settled) => summary.merge(settled),
            Err(err) => {
                tracing::warn!(error = %format!("{err:#}"), "batch settlement failed; settling one by one");
                for (index, outcome) in decided {
                    let p = &prepared[index];
                    let row = renewal::Entity::find_by_id(p.row.id)
                        .one(&self.db)
                        .await?
                        .unwrap_or_else(|| p.row.clone());
                    match self.settle(&row, &p.intent, outcome, as_of, at).await {
                        Ok(one) => summary.add(one),
                        Err(err) => {
                            tracing::error!(renewal = p.row.id, error = %format!("{err:#}"), "renewal settlement failed");
                            summary.errors += 1;
                        }
                    }
                }
            }
        }
        Ok(summary)
    }

    /// One transaction for every decided charge of the batch: payments, grants (R3), renewals EXECUTED or
    /// FAILED, intents closed, next cycles (R5), events and e-mails.
    async fn settle_batch(
        &self,
        prepared: &[Prepared],
        decided: &[(usize, ChargeOutcome)],
        contacts: &Contacts,
        as_of: NaiveDate,
        at: DateTime<Utc>,
    ) -> Result<ChargeSummary, RenewalsError> {
        let mut summary = ChargeSummary::default();
        if decided.is_empty() {
            return Ok(summary);
        }
        let txn = begin_write(&self.db).await?;
        let payments: Vec<BatchPayment<'_>> = decided
            .iter()
            .map(|(index, outcome)| {
                let p = &prepared[*index];
                match outcome {
                    ChargeOutcome::Approved { transaction_id } => BatchPayment {
                        order: &p.order,
                        transaction_id: transaction_id.clone(),
                        status: PaymentResult::Paid,
                    },
                    ChargeOutcome::Declined { .. } => BatchPayment {
                        order: &p.order,
                        transaction_id: p.intent.idempotency_key.clone(),
                        status: PaymentResult::Failed,
                    },
                }
            })
            .collect();
        self.orders.record_batch(&txn, &payments, at).await?;
        let approved: Vec<&Prepared> = decided
            .iter()
            .filter(|(_, o)| matches!(o, ChargeOutcome::Approved { .. }))
            .map(|(i, _)| &prepared[*i])
            .collect();
        let paid_orders: Vec<String> = approved.iter().map(|p| p.order.order_no.clone()).collect();
        entitlements::batch::grant_orders_in(&txn, self.calendar, &paid_orders, at).await?;

        let mut events: Vec<NewEvent> = Vec::new();
        let mut mails: Vec<NewEmail> = Vec::new();
        let today = self.calendar.date_of(at);
        let deducts = self.next_deduct_dates(&txn, &approved).await?;
        let mut next_rows = Vec::new();
        let mut charged_event: HashMap<i64, usize> = HashMap::new();
        for (index, outcome) in decided {
            let p = &prepared[*index];
            let (to, name) = addressee(contacts.get(&p.row.customer_id));
            let mut data = mail_data(&p.row, &name, Some(&p.order.order_no), &self.settings.card_update_url);
            let regarding = format!("renewal:{}", p.row.id);
            match outcome {
                ChargeOutcome::Approved { transaction_id } => {
                    self.close(&txn, p, intent::APPROVED, Some(transaction_id), None, at).await?;
                    let deduct = deducts.get(&p.row.id).copied().filter(|d| *d > today);
                    if let Some(deduct) = deduct {
                        next_rows.push(next_cycle_row(&p.row, deduct, &p.order.order_no, at));
                    } else {
                        tracing::warn!(
                            renewal = p.row.id,
                            "no future due date after the charge; no next renewal"
                        );
                    }
                    let mut executed = p.row.clone();
                    executed.renew_status = i16::from(RenewalStatus::Executed.code());
                    charged_event.insert(p.row.id, events.len());
                    events.push(event_of(
                        "renewal.charged",
                        &executed,
                        json!({ "orderNo": p.order.order_no, "amount": p.intent.amount, "attempt": p.intent.attempt,
                                "transactionId": transaction_id }),
                    ));
                    data["nextDeductDate"] = json!(deduct);
                    mails.push(NewEmail {
                        kind: EmailKind::ChargeSucceeded,
                        dedupe_key: format!("charge_succeeded:{}", p.row.id),
                        to,
                        regarding,
                        data,
                    });
                    summary.charged += 1;
                }
                ChargeOutcome::Declined { reason } => {
                    self.close(&txn, p, intent::DECLINED, None, Some(reason), at).await?;
                    let next_retry_on = next_retry(&self.settings.retry_days, as_of, 1, as_of);
                    let failed = renewal::Entity::update_many()
                        .col_expr(
                            renewal::Column::RenewStatus,
                            Expr::value(i16::from(RenewalStatus::Failed.code())),
                        )
                        .col_expr(
                            renewal::Column::FailureReason,
                            Expr::value(reason.chars().take(300).collect::<String>()),
                        )
                        .col_expr(renewal::Column::FailedOn, Expr::value(as_of))
                        .col_expr(renewal::Column::NextRetryOn, Expr::value(next_retry_on))
                        .col_expr(renewal::Column::LeaseOwner, Expr::value(Option::<String>::None))
                        .col_expr(renewal::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
                        .col_expr(renewal::Column::UpdatedAt, Expr::value(at))
                        .filter(renewal::Column::Id.eq(p.row.id))
                        .filter(renewal::Column::LeaseOwner.eq(self.owner.as_str()))
                        .exec(&txn)
                        .await?;
                    if failed.rows_affected != 1 {
                        return Err(anyhow::anyhow!("renewal {} was taken over", p.row.id).into());
                    }
                    let mut row = p.row.clone();
                    row.renew_status = i16::from(RenewalStatus::Failed.code());
                    events.push(event_of(
                        "renewal.charge_failed",
                        &row,
                        json!({ "orderNo": p.order.order_no, "amount": p.intent.amount, "attempt": p.intent.attempt,
                                "reason": reason, "nextRetryOn": next_retry_on }),
                    ));
                    data["reason"] = json!(reason);
                    data["nextRetryOn"] = json!(next_retry_on);
                    mails.push(NewEmail {
                        kind: EmailKind::ChargeFailed,
                        dedupe_key: format!("charge_failed:{}:{}", p.row.id, p.intent.attempt),
                        to,
                        regarding,
                        data,
                    });
                    summary.declined += 1;
                }
            }
        }
        let executed_ids: Vec<i64> = approved.iter().map(|p| p.row.id).collect();
        for chunk in executed_ids.chunks(500) {
            let moved = renewal::Entity::update_many()
                .col_expr(
                    renewal::Column::RenewStatus,
                    Expr::value(i16::from(RenewalStatus::Executed.code())),
                )
                .col_expr(renewal::Column::FailureReason, Expr::value(Option::<String>::None))
                .col_expr(renewal::Column::NextRetryOn, Expr::value(Option::<NaiveDate>::None))
                .col_expr(renewal::Column::LeaseOwner, Expr::value(Option::<String>::None))
                .col_expr(renewal::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
                .col_expr(renewal::Column::UpdatedAt, Expr::value(at))
                .filter(renewal::Column::Id.is_in(chunk.iter().copied()))
                .filter(renewal::Column::LeaseOwner.eq(self.owner.as_str()))
                .exec(&txn)
                .await?;
            if usize::try_from(moved.rows_affected).unwrap_or_default() != chunk.len() {
                return Err(anyhow::anyhow!("a renewal of the batch was taken over").into());
            }
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
        txn.commit().await?;
        Ok(summary)
    }

    async fn close(
        &self,
        txn: &DatabaseTransaction,
        p: &Prepared,
        status: &str,
        transaction_id: Option<&String>,
        reason: Option<&String>,
        at: DateTime<Utc>,
    ) -> Result<(), RenewalsError> {
        charge::Entity::update_many()
            .col_expr(charge::Column::Status, Expr::value(status))
            .col_expr(charge::Column::TransactionId, Expr::value(transaction_id.cloned()))
            .col_expr(
                charge::Column::Reason,
                Expr::value(reason.map(|r| r.chars().take(300).collect::<String>())),
            )
            .col_expr(charge::Column::SettledAt, Expr::value(Some(at)))
            .filter(charge::Column::Id.eq(p.intent.id))
            .exec(txn)
            .await?;
        Ok(())
    }

    /// R5 for the next cycle of each approved renewal, from its holders' entitlements as extended in this
    /// transaction: the day before the earliest due date of its products.
    async fn next_deduct_dates(
        &self,
        txn: &impl ConnectionTrait,
        approved: &[&Prepared],
    ) -> Result<HashMap<i64, NaiveDate>, RenewalsError> {
        let customers: Vec<i64> = approved.iter().map(|p| p.row.customer_id).collect();
        let members: Vec<i64> = approved.iter().filter_map(|p| p.row.member_id).collect();
        let mut codes: Vec<String> =
            approved.iter().flat_map(|p| p.row.product_codes.split(',').map(str::to_owned)).collect();
        codes.sort_unstable();
        codes.dedup();
        let dues = entitlements::query::due_dates_of(txn, &customers, &members, &codes).await?;
        let mut by_holder: HashMap<(bool, i64, &str), NaiveDate> = HashMap::new();
        for due in &dues {
            if let Some(id) = due.customer_id {
                by_holder.insert((false, id, due.product_code.as_str()), due.right_due_date);
            }
            if let Some(id) = due.member_id {
                by_holder.insert((true, id, due.product_code.as_str()), due.right_due_date);
            }
        }
        Ok(approved
            .iter()
            .filter_map(|p| {
                let earliest = p
                    .row
                    .product_codes
                    .split(',')
                    .flat_map(|code| {
                        let of_customer = by_holder.get(&(false, p.row.customer_id, code)).copied();
                        let of_member =
                            p.row.member_id.and_then(|m| by_holder.get(&(true, m, code)).copied());
                        [of_customer, of_member]
                    })
                    .flatten()
                    .min()?;
                crate::rules::deduct_date([earliest]).map(|d| (p.row.id, d))
            })
            .collect())
    }
}

/// The AUTO order of `row`'s cycle: its plan as one line, its payer and member, the receiver and invoice
/// copied from the origin order (the payer's name and a paper invoice when there was none).
pub(super) fn auto_order(
    row: &renewal::Model,
    contact: &members::service::Contact,
    accounts: &HashMap<i64, Account>,
) -> AutoOrder {
    let mut receiver: orders::Receiver =
        row.receiver.as_deref().and_then(|json| serde_json::from_str(json).ok()).unwrap_or_default();
    if receiver.name.trim().is_empty() {
        receiver.name = contact.name.clone().unwrap_or_else(|| contact.customer_no.clone());
    }
    let invoice = row.invoice.as_deref().and_then(|json| serde_json::from_str(json).ok());
    AutoOrder {
        idempotency_key: format!("renewal-{}", row.id),
        source_code: format!("renewal:{}", row.id),
        payer: (row.customer_id, contact.customer_no.clone()),
        member: row.member_id.and_then(|id| accounts.get(&id).map(|a| (id, a.clone()))),
        receiver,
        invoice: invoice
            .unwrap_or(orders::Invoice { invoice_type: orders::invoice::PAPER, ..Default::default() }),
        promotion_code: row.promotion_code.clone(),
        amount: row.deduct_price,
        shipping_fee: row.shipping_fee,
        payment_method: row.payment_method.clone(),
    }
}

impl ChargeSummary {
    pub(super) fn merge(&mut self, other: ChargeSummary) {
        self.charged += other.charged;
        self.declined += other.declined;
        self.errors += other.errors;
        self.unknown += other.unknown;
    }
}
