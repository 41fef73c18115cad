//! One claimed batch through the charge run: reconcile the renewals whose last attempt is still open,
//! prepare the others in one transaction, call the gateway concurrently with no transaction open, settle
//! every decided answer in one transaction ([`super::settle`]). A batch of one is the single-renewal path.
//! When a batch's preparation or settlement fails, each of its renewals goes through the same step alone,
//! so one bad row costs only itself.

use super::settle::Decided;
use super::{ChargeRun, ChargeSummary};
use crate::RenewalsError;
use crate::entity::{charge, renewal};
use crate::store::{self, IntentStatus, mark_intent, new_intent};
use chrono::{DateTime, Days, NaiveDate, Utc};
use members::Account;
use orders::Order;
use orders::service::AutoOrder;
use payments::{ChargeOutcome, ChargeRequest, GatewayError, PaymentGateway};
use platform_core::MemberId;
use platform_core::db::begin_write;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use std::collections::HashMap;

/// A renewal whose intent is written and whose gateway call is to be made.
struct Ready {
    row: renewal::Model,
    order: Order,
    intent: charge::Model,
    /// The payer's contact as read for the AUTO order (the settlement's e-mail uses it; `None` for an
    /// open intent reconciled without preparing, whose contact the settlement reads).
    contact: Option<members::service::Contact>,
}

/// Renewals that could not go through a step, with why (their claims stay until the lease ends).
pub(super) type Failures = Vec<(i64, RenewalsError)>;

impl<G: PaymentGateway + Clone + 'static> ChargeRun<G> {
    /// Charges the claimed renewals `ids`.
    pub(super) async fn charge_batch(
        &self,
        ids: Vec<i64>,
        as_of: NaiveDate,
        at: DateTime<Utc>,
    ) -> Result<(ChargeSummary, Failures), RenewalsError> {
        let rows = renewal::Entity::find()
            .filter(renewal::Column::Id.is_in(ids))
            .filter(renewal::Column::LeaseOwner.eq(self.owner.as_str()))
            .all(&self.db)
            .await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut open = store::open_intents(&self.db, &ids).await?;
        let (unsettled, fresh): (Vec<renewal::Model>, Vec<renewal::Model>) =
            rows.into_iter().partition(|r| open.contains_key(&r.id));
        let mut summary = ChargeSummary::default();
        let mut failures = Failures::new();

        // 1. Open intents first: our own records, then the gateway, decide them.
        let mut reconciling = Vec::with_capacity(unsettled.len());
        for row in unsettled {
            let Some(intent) = open.remove(&row.id) else { continue };
            match orders::service::find_order(&self.db, &intent.order_no).await? {
                Some(order) => reconciling.push(Ready { row, order, intent, contact: None }),
                None => {
                    failures.push((row.id, anyhow::anyhow!("order {} is missing", intent.order_no).into()))
                }
            }
        }
        let (mut decided, mut to_call) = self.reconcile(reconciling, &mut summary).await?;

        // 2. Retired plans followed (R18), then the others: orders, temporary grants and intents in one
        // transaction.
        let (fresh, retired) = self.follow_retired_plans(fresh, as_of, at).await?;
        summary.declined += retired;
        let prepared = if fresh.len() > 1 {
            match self.prepare(fresh.clone(), at).await {
                Ok(ready) => ready,
                Err(err) => {
                    tracing::warn!(error = %format!("{err:#}"), "batch preparation failed; preparing one by one");
                    self.prepare_each(fresh, at, &mut failures).await
                }
            }
        } else {
            self.prepare_each(fresh, at, &mut failures).await
        };
        for ready in prepared {
            if ready.row.payment_token.is_none() {
                let outcome = ChargeOutcome::Declined { reason: crate::rules::NO_PAYMENT_METHOD.to_owned() };
                decided.push(ready.decided(outcome));
            } else {
                to_call.push(ready);
            }
        }

        // 3. The gateway, with no transaction open.
        decided.extend(self.call_gateway(to_call, &mut summary).await?);

        // 4. Every decided answer in one transaction.
        if decided.len() > 1 {
            let ids: Vec<i64> = decided.iter().map(|d| d.row.id).collect();
            match self.settle(decided.clone(), as_of, at).await {
                Ok(settled) => summary.merge(settled),
                Err(err) => {
                    tracing::warn!(error = %format!("{err:#}"), renewals = ?ids, "batch settlement failed; settling one by one");
                    self.settle_each(decided, as_of, at, &mut summary, &mut failures).await;
                }
            }
        } else {
            self.settle_each(decided, as_of, at, &mut summary, &mut failures).await;
        }
        Ok((summary, failures))
    }

    async fn settle_each(
        &self,
        decided: Vec<Decided>,
        as_of: NaiveDate,
        at: DateTime<Utc>,
        summary: &mut ChargeSummary,
        failures: &mut Failures,
    ) {
        for one in decided {
            let id = one.row.id;
            match self.settle(vec![one], as_of, at).await {
                Ok(settled) => summary.merge(settled),
                Err(err) => failures.push((id, err)),
            }
        }
    }

    async fn prepare_each(
        &self,
        rows: Vec<renewal::Model>,
        at: DateTime<Utc>,
        failures: &mut Failures,
    ) -> Vec<Ready> {
        let mut ready = Vec::with_capacity(rows.len());
        for row in rows {
            let id = row.id;
            match self.prepare(vec![row], at).await {
                Ok(one) => ready.extend(one),
                Err(err) => failures.push((id, err)),
            }
        }
        ready
    }

    /// Decides what it can of the renewals with an open intent: an order already paid under it settles as
    /// charged from our own records, without asking the gateway; else the gateway's record of the key
    /// decides; a key the gateway never saw is charged (the same key: at most once); a gateway that cannot
    /// say leaves the intent open for a later claim.
    async fn reconcile(
        &self,
        open: Vec<Ready>,
        summary: &mut ChargeSummary,
    ) -> Result<(Vec<Decided>, Vec<Ready>), RenewalsError> {
        let numbers: Vec<&str> = open.iter().map(|r| r.intent.order_no.as_str()).collect();
        let paid = orders::service::paid_transactions(&self.db, &numbers).await?;
        let mut decided = Vec::new();
        let mut lookups = tokio::task::JoinSet::new();
        for ready in open {
            if let Some(transaction_id) = paid.get(&ready.intent.order_no) {
                let outcome = ChargeOutcome::Approved { transaction_id: transaction_id.clone() };
                decided.push(ready.decided(outcome));
                continue;
            }
            let (gateway, limit) = (self.gateway.clone(), self.limit.clone());
            lookups.spawn(async move {
                let _permit = limit.acquire_owned().await;
                let answer = gateway.lookup(&ready.intent.idempotency_key).await;
                (ready, answer)
            });
        }
        let mut to_call = Vec::new();
        while let Some(joined) = lookups.join_next().await {
            let (ready, answer) = joined.map_err(anyhow::Error::new)?;
            match answer {
                Ok(Some(outcome)) => decided.push(ready.decided(outcome)),
                Ok(None) => to_call.push(ready),
                Err(err) => {
                    tracing::warn!(renewal = ready.row.id, error = %err, "reconciliation lookup failed; retried later");
                    summary.unknown += 1;
                }
            }
        }
        Ok((decided, to_call))
    }

    /// One transaction: the AUTO order of each renewal's cycle (created once), the temporary digital
    /// grants of first attempts, and the charge intent of the next attempt.
    async fn prepare(
        &self,
        rows: Vec<renewal::Model>,
        at: DateTime<Utc>,
    ) -> Result<Vec<Ready>, RenewalsError> {
        // Everything read through other connections (accounts, the catalog cache) is read before the
        // transaction opens: a transaction waiting for a second connection of a busy pool would deadlock it.
        let contacts = members::service::contacts_of(
            &self.db,
            &rows.iter().map(|r| (r.customer_id, r.member_id)).collect::<Vec<_>>(),
        )
        .await?;
        let member_ids: Vec<MemberId> = rows.iter().filter_map(|r| r.member_id).collect();
        let accounts = members::service::accounts_of(&self.db, &member_ids).await?;
        let mut autos = Vec::new();
        for row in rows.iter().filter(|r| r.charge_order_no.is_none()) {
            let contact = contacts
                .get(&row.customer_id)
                .ok_or_else(|| anyhow::anyhow!("customer of renewal {} is missing", row.id))?;
            autos.push(auto_order(row, contact, &accounts));
        }
        let plans = self.orders.plans(&autos).await?;
        let txn = begin_write(&self.db).await?;
        let mut created = self.orders.create_auto_batch(&txn, &autos, &plans, at).await?.into_iter();
        let retried: Vec<&str> = rows.iter().filter_map(|r| r.charge_order_no.as_deref()).collect();
        let mut existing = orders::service::find_orders(&txn, &retried).await?;
        let mut orders = Vec::with_capacity(rows.len());
        for row in &rows {
            let order = match &row.charge_order_no {
                Some(no) => existing.remove(no),
                None => created.next(),
            };
            orders.push(order.ok_or_else(|| anyhow::anyhow!("the order of renewal {} vanished", row.id))?);
        }
        let first: Vec<renewal::Model> = rows.iter().filter(|r| r.attempts == 0).cloned().collect();
        self.grant_temporary(&txn, &first, &accounts, at).await?;
        let intents: Vec<charge::ActiveModel> = rows
            .iter()
            .zip(&orders)
            .map(|(row, order)| new_intent(row.id, row.attempts + 1, &order.order_no, order.total_amount, at))
            .collect();
        for chunk in intents.chunks(500) {
            charge::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
        }
        let mut written = store::open_intents(&txn, &rows.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
        for (row, order) in rows.iter().zip(&orders) {
            self.record_attempt(&txn, row.id, row.attempts + 1, Some(&order.order_no)).await?;
        }
        txn.commit().await?;
        rows.into_iter()
            .zip(orders)
            .map(|(row, order)| {
                let intent = written
                    .remove(&row.id)
                    .ok_or_else(|| anyhow::anyhow!("intent of renewal {} vanished", row.id))?;
                let contact = contacts.get(&row.customer_id).cloned();
                Ok(Ready { row, order, intent, contact })
            })
            .collect()
    }

    /// R9's temporary digital access for the members of first attempts while the charge is under way
    /// (kept separate from the paid term), one statement set per digital product.
    async fn grant_temporary(
        &self,
        txn: &DatabaseTransaction,
        rows: &[renewal::Model],
        accounts: &HashMap<MemberId, Account>,
        at: DateTime<Utc>,
    ) -> Result<(), RenewalsError> {
        let days = self.settings.temporary_days;
        if days == 0 || rows.is_empty() {
            return Ok(());
        }
        let today = self.calendar.date_of(at);
        let until = today.checked_add_days(Days::new(u64::from(days))).unwrap_or(today);
        let mut by_code: HashMap<String, Vec<(MemberId, Account)>> = HashMap::new();
        for row in rows {
            let Some((member_id, account)) =
                row.member_id.and_then(|id| accounts.get(&id).map(|a| (id, a.clone())))
            else {
                continue;
            };
            for code in row.product_codes.iter() {
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

    /// Calls the gateway for each ready renewal, concurrently: the decided answers, with transient errors
    /// closed (nothing charged; retried after a backoff) and lost answers asked once more, else left open.
    async fn call_gateway(
        &self,
        ready: Vec<Ready>,
        summary: &mut ChargeSummary,
    ) -> Result<Vec<Decided>, RenewalsError> {
        let mut calls = tokio::task::JoinSet::new();
        for one in ready {
            let request = ChargeRequest {
                idempotency_key: one.intent.idempotency_key.clone(),
                payment_token: one
                    .row
                    .payment_token
                    .as_ref()
                    .map(|t| t.expose().to_owned())
                    .unwrap_or_default(),
                amount: one.intent.amount,
            };
            let (gateway, limit, timeout) = (self.gateway.clone(), self.limit.clone(), self.gateway_timeout);
            calls.spawn(async move {
                let _permit = limit.acquire_owned().await;
                let answer = tokio::time::timeout(timeout, gateway.charge(&request))
                    .await
                    .unwrap_or(Err(GatewayError::Timeout));
                (one, answer)
            });
        }
        let mut decided = Vec::new();
        while let Some(joined) = calls.join_next().await {
            let (one, answer) = joined.map_err(anyhow::Error::new)?;
            match answer {
                Ok(outcome) => decided.push(one.decided(outcome)),
                Err(GatewayError::Transient(message)) => {
                    self.transient(&one.row, &one.intent, &message).await?;
                    summary.errors += 1;
                }
                Err(GatewayError::Timeout) => {
                    mark_intent(&self.db, one.intent.id, IntentStatus::Unknown, None).await?;
                    // Ask once straight away; if the gateway cannot say yet, a later claim asks again.
                    match self.gateway.lookup(&one.intent.idempotency_key).await {
                        Ok(Some(outcome)) => decided.push(one.decided(outcome)),
                        _ => summary.unknown += 1,
                    }
                }
            }
        }
        Ok(decided)
    }
}

impl Ready {
    fn decided(self, outcome: ChargeOutcome) -> Decided {
        Decided { row: self.row, order: self.order, intent: self.intent, contact: self.contact, outcome }
    }
}

/// The AUTO order of `row`'s cycle: its plan as one line, its payer and member, the receiver and invoice
/// copied from the origin order (the payer's name and a paper invoice when there was none).
fn auto_order(
    row: &renewal::Model,
    contact: &members::service::Contact,
    accounts: &HashMap<MemberId, Account>,
) -> AutoOrder {
    // A renewal without an origin order has no receiver: the payer's name below.
    let mut receiver = row.receiver.as_ref().map(|json| json.get().clone()).unwrap_or_default();
    if receiver.name.trim().is_empty() {
        receiver.name = contact.name.clone().unwrap_or_else(|| contact.customer_no.clone());
    }
    let invoice = row.invoice.as_ref().map(|json| json.get().clone());
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
        payment_token: row.payment_token.clone(),
        card_last4: row.payment_card.clone(),
    }
}
