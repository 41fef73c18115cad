//! Renewal storage: `createRenewal` with the R4 supersede rules and R5 deduct dates, reading and stopping
//! renewals. Each change is one write transaction with its events (R12).

use crate::entity::renewal;
use crate::rules::{Supersede, deduct_date, supersede};
pub(crate) use crate::store::{event, key_taken, status_of};
use crate::{RenewalStatus, RenewalsError};
use chrono::{DateTime, NaiveDate, Utc};
use members::{Account, service as members_service};
use platform_core::BusinessCalendar;
use platform_core::db::begin_write;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use std::collections::{BTreeSet, HashMap};

/// `createRenewal`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewRenewal {
    /// The payer.
    pub customer_no: String,
    /// The member, whose digital entitlements count for the deduct date.
    pub member_account: Option<String>,
    /// A renewable promotion; the renewal charges its renewal plan.
    pub promotion_code: String,
    /// The order it renews.
    pub origin_order_no: Option<String>,
    /// Gateway token; stored, never returned.
    pub payment_token: Option<String>,
    /// Last 4 digits of the card.
    pub card_last4: Option<String>,
    /// Set by the jobs that create renewals (R7: `order:<no>`): a second creation with the same key is
    /// `CONFLICT`. `None` for renewals created by hand.
    pub creation_key: Option<String>,
    /// Renewed by an app store (R21): status APP (5), never charged by the platform, superseding nothing
    /// (the store renews it: `recordAppRenewal`).
    pub store: bool,
}

/// A renewal (續訂單).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renewal {
    /// Id.
    pub id: i64,
    /// The payer.
    pub customer_no: String,
    /// The member, if any.
    pub member_account: Option<String>,
    /// The plan charged.
    pub promotion_code: String,
    /// Its product codes, sorted.
    pub product_codes: Vec<String>,
    /// The day of the charge (R5).
    pub deduct_date: NaiveDate,
    /// What is charged.
    pub deduct_price: i64,
    /// Shipping fee added to the charge.
    pub shipping_fee: i64,
    /// The plan's name.
    pub product_name: Option<String>,
    /// `AUTO` (created by the platform), or the legacy source of an imported renewal.
    pub source: String,
    /// The source's reference (the origin order's, or `renewal:<id>` of the previous cycle).
    pub source_code: Option<String>,
    /// R6.
    pub status: RenewalStatus,
    /// 1 for the first renewal of an order, then +1.
    pub cycle: i32,
    /// The order it renews.
    pub origin_order_no: Option<String>,
    /// Card last 4.
    pub payment_card: Option<String>,
    /// Whether a gateway token is kept.
    pub has_payment_token: bool,
    /// Why the last charge failed.
    pub failure_reason: Option<String>,
    /// The renewal that replaced this one (R4).
    pub superseded_by: Option<i64>,
    /// Charge attempts so far (R9).
    pub attempts: i32,
    /// The next automatic retry after a failed charge.
    pub next_retry_on: Option<NaiveDate>,
    /// The AUTO order of this cycle's charge, once the charge started.
    pub charge_order_no: Option<String>,
    /// R20: monthly cycles skipped from `skipped_from` (0 when none).
    pub skipped_cycles: i32,
    /// R20: the deduct date before the skip.
    pub skipped_from: Option<NaiveDate>,
    /// R20: why it was cancelled (`PRICE`, `NOT_USING`, …), when it was.
    pub cancel_reason: Option<String>,
    /// R20: the words given with the cancellation.
    pub cancel_note: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// What `createRenewal` did (R4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreationAction {
    /// A new renewal was created.
    Created,
    /// The new plan is part of a pending renewal: nothing new, that one was rescheduled.
    MergedIntoExisting,
}

/// The answer of `createRenewal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewalCreation {
    /// What happened.
    pub action: CreationAction,
    /// The new renewal, or the existing one merged into.
    pub renewal: Renewal,
    /// Pending renewals replaced (now SUPERSEDED).
    pub superseded: Vec<Renewal>,
    /// Pending renewals kept, with their deduct dates recomputed.
    pub rescheduled: Vec<Renewal>,
}

/// **R4 + R5:** creates the renewal of `input.promotion_code` for the customer, comparing its product set
/// N with each pending renewal's set O: N ⊇ O supersedes O, N ⊊ O only reschedules O (no new renewal),
/// otherwise both live and O is rescheduled. All in one transaction; nothing is written on error.
pub async fn create_renewal(
    db: &DatabaseConnection,
    calendar: BusinessCalendar,
    input: NewRenewal,
    at: DateTime<Utc>,
) -> Result<RenewalCreation, RenewalsError> {
    let today = calendar.date_of(at);
    check_card(input.card_last4.as_deref())?;
    let (plan, codes) = renewal_plan(db, &input.promotion_code).await?;
    let customer_no = input.customer_no.trim().to_owned();
    let origin = match input.origin_order_no.as_deref().map(str::trim).filter(|no| !no.is_empty()) {
        Some(no) => Some(Origin::load(db, no, &customer_no).await?),
        None => None,
    };
    let member_account =
        input.member_account.clone().or_else(|| origin.as_ref().and_then(|o| o.member_account.clone()));
    let account = member_account
        .as_deref()
        .map(Account::parse)
        .transpose()
        .map_err(|e| RenewalsError::Invalid { field: "memberAccount", message: e.to_string() })?;
    let payment_token = input
        .payment_token
        .clone()
        .filter(|t| !t.trim().is_empty())
        .or_else(|| origin.as_ref().and_then(|o| o.payment_token.clone()));
    let card_last4 = input.card_last4.clone().or_else(|| origin.as_ref().and_then(|o| o.card_last4.clone()));

    let txn = begin_write(db).await?;
    let customer_id = members_service::customer_id(&txn, &customer_no).await?.ok_or_else(|| {
        RenewalsError::NotFound { field: "customerNo", message: format!("no customer {customer_no}") }
    })?;
    let member_id = match &account {
        Some(account) => Some(members_service::member_id(&txn, account).await?.ok_or_else(|| {
            RenewalsError::NotFound { field: "memberAccount", message: format!("no member {account}") }
        })?),
        None => None,
    };
    let holder = Holder { customer_no: &customer_no, account: account.as_ref() };
    let deduct = holder.deduct_date(&txn, &codes).await?.ok_or_else(|| RenewalsError::Invalid {
        field: "promotionCode",
        message: format!("the customer has no entitlement to {} yet: nothing to renew", join(&codes)),
    })?;
    if deduct < today {
        return Err(RenewalsError::Invalid {
            field: "promotionCode",
            message: format!(
                "the deduct date {deduct} would be in the past: the entitlement has already run out"
            ),
        });
    }
    // A store's renewal stands apart from the platform's: it supersedes nothing and nothing supersedes it.
    let pending = if input.store {
        Vec::new()
    } else {
        renewal::Entity::find()
            .filter(renewal::Column::CustomerId.eq(customer_id))
            .filter(renewal::Column::RenewStatus.eq(i16::from(RenewalStatus::Pending.code())))
            .order_by_asc(renewal::Column::Id)
            .lock_exclusive()
            .all(&txn)
            .await?
    };
    if let Some(busy) = pending.iter().find(|o| o.lease_until.is_some_and(|until| until > Utc::now())) {
        return Err(RenewalsError::Conflict(format!(
            "renewal {} of this customer is being charged right now; try again in a few minutes",
            busy.id
        )));
    }
    let new_set: BTreeSet<&str> = codes.iter().map(String::as_str).collect();
    let decisions: Vec<(renewal::Model, Supersede)> = pending
        .into_iter()
        .map(|o| {
            let decision =
                supersede(&o.product_codes.split(',').filter(|c| !c.is_empty()).collect(), &new_set);
            (o, decision)
        })
        .collect();

    if let Some((existing, _)) = decisions.iter().find(|(_, d)| *d == Supersede::UpdateExistingOnly) {
        let merged = reschedule(&txn, &holder, existing.clone(), at).await?;
        let renewal = to_renewal(&txn, merged).await?;
        txn.commit().await?;
        return Ok(RenewalCreation {
            action: CreationAction::MergedIntoExisting,
            renewal,
            superseded: Vec::new(),
            rescheduled: Vec::new(),
        });
    }

    let created = renewal::ActiveModel {
        customer_id: Set(customer_id),
        member_id: Set(member_id),
        promotion_code: Set(plan.promotion_code.clone()),
        product_codes: Set(join(&codes)),
        product_name: Set(Some(plan.name.clone())),
        deduct_date: Set(deduct),
        deduct_price: Set(plan.total_amount.amount()),
        shipping_fee: Set(0),
        payment: Set(if input.store { "APP".to_owned() } else { "信用卡".to_owned() }),
        payment_method: Set(Some(if input.store { "APP" } else { "CREDIT_CARD" }.to_owned())),
        payment_card: Set(card_last4.filter(|_| !input.store)),
        payment_token: Set(payment_token.filter(|_| !input.store).map(platform_core::tokens::Token::new)),
        renew_status: Set(i16::from(
            if input.store { RenewalStatus::App } else { RenewalStatus::Pending }.code(),
        )),
        cycle: Set(1),
        source: Set(if input.store { "APP" } else { "AUTO" }.to_owned()),
        source_code: Set(origin.as_ref().and_then(|o| o.source_code.clone())),
        origin_order_no: Set(origin.as_ref().map(|o| o.order_no.clone())),
        creation_key: Set(input.creation_key.clone()),
        receiver: Set(origin.as_ref().map(|o| o.receiver.clone())),
        invoice: Set(origin.as_ref().map(|o| o.invoice.clone())),
        attempts: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|err| key_taken(err, input.creation_key.as_deref()))?;
    let mut superseded = Vec::new();
    let mut rescheduled = Vec::new();
    for (existing, decision) in decisions {
        match decision {
            Supersede::ReplaceExisting => {
                let mut old = existing.into_active_model();
                old.renew_status = Set(i16::from(RenewalStatus::Superseded.code()));
                old.superseded_by_id = Set(Some(created.id));
                old.updated_at = Set(at);
                let old = old.update(&txn).await?;
                event(&txn, "renewal.superseded", &old, json!({ "supersededBy": created.id }), at).await?;
                superseded.push(to_renewal(&txn, old).await?);
            }
            Supersede::KeepBoth => {
                rescheduled.push(to_renewal(&txn, reschedule(&txn, &holder, existing, at).await?).await?)
            }
            Supersede::UpdateExistingOnly => {}
        }
    }
    event(
        &txn,
        "renewal.created",
        &created,
        json!({ "deductDate": created.deduct_date, "deductPrice": created.deduct_price }),
        at,
    )
    .await?;
    let renewal = to_renewal(&txn, created).await?;
    txn.commit().await?;
    Ok(RenewalCreation { action: CreationAction::Created, renewal, superseded, rescheduled })
}

/// The renewal plan of renewable promotion `promotion_code` (its `renewalPromotionCode`, default itself)
/// and the product codes it renews.
pub(crate) async fn renewal_plan(
    db: &impl ConnectionTrait,
    promotion_code: &str,
) -> Result<(catalog::Promotion, BTreeSet<String>), RenewalsError> {
    let promotion = catalog::service::find_promotion(db, promotion_code.trim()).await?.ok_or_else(|| {
        RenewalsError::NotFound {
            field: "promotionCode",
            message: format!("no promotion {}", promotion_code),
        }
    })?;
    if !promotion.is_renewable() {
        return Err(RenewalsError::Invalid {
            field: "promotionCode",
            message: format!("{} is not a renewable promotion", promotion.promotion_code),
        });
    }
    let plan_code =
        promotion.renewal_promotion_code.clone().unwrap_or_else(|| promotion.promotion_code.clone());
    let plan = catalog::service::find_promotion(db, &plan_code).await?.ok_or_else(|| {
        anyhow::anyhow!("renewal plan {plan_code} of {} is missing", promotion.promotion_code)
    })?;
    let codes = renewed_products(&plan);
    Ok((plan, codes))
}

/// The products a plan renews: those of its items with a term.
pub(crate) fn renewed_products(plan: &catalog::Promotion) -> BTreeSet<String> {
    plan.items
        .iter()
        .filter(|i| {
            i.item.term_issues.is_some() || i.item.term_months.is_some() || i.item.term_days.is_some()
        })
        .filter_map(|i| i.item.product_code.clone())
        .collect()
}

/// What a renewal copies from the order it renews (R7): receiver, invoice, card and member.
struct Origin {
    order_no: String,
    member_account: Option<String>,
    source_code: Option<String>,
    receiver: String,
    invoice: String,
    payment_token: Option<String>,
    card_last4: Option<String>,
}

impl Origin {
    async fn load(
        db: &DatabaseConnection,
        order_no: &str,
        customer_no: &str,
    ) -> Result<Origin, RenewalsError> {
        let order = orders::service::find_order(db, order_no).await?.ok_or_else(|| {
            RenewalsError::NotFound { field: "originOrderNo", message: format!("no order {order_no}") }
        })?;
        if order.payer_customer_no != customer_no {
            return Err(RenewalsError::Invalid {
                field: "originOrderNo",
                message: format!("order {order_no} was paid by another customer"),
            });
        }
        if order.payment_status != orders::PaymentStatus::Paid {
            return Err(RenewalsError::Invalid {
                field: "originOrderNo",
                message: format!("order {order_no} is not paid"),
            });
        }
        Ok(Origin {
            payment_token: orders::service::payment_token_of(db, order_no).await?,
            order_no: order.order_no,
            member_account: order.member_account.map(|a| a.to_string()),
            source_code: order.source_code,
            receiver: serde_json::to_string(&order.receiver).map_err(anyhow::Error::new)?,
            invoice: serde_json::to_string(&order.invoice).map_err(anyhow::Error::new)?,
            card_last4: order.card_last4,
        })
    }
}

/// The renewal with this id, or `None`.
pub async fn find_renewal(db: &impl ConnectionTrait, id: i64) -> Result<Option<Renewal>, RenewalsError> {
    match renewal::Entity::find_by_id(id).one(db).await? {
        Some(row) => Ok(Some(to_renewal(db, row).await?)),
        None => Ok(None),
    }
}

/// The renewals of a customer and/or a member, optionally in one status, oldest first.
pub async fn renewals_of(
    db: &impl ConnectionTrait,
    customer_no: Option<&str>,
    account: Option<&Account>,
    status: Option<RenewalStatus>,
) -> Result<Vec<Renewal>, RenewalsError> {
    let mut query = renewal::Entity::find().order_by_asc(renewal::Column::Id);
    if let Some(no) = customer_no {
        let Some(id) = members_service::customer_id(db, no).await? else { return Ok(Vec::new()) };
        query = query.filter(renewal::Column::CustomerId.eq(id));
    }
    if let Some(account) = account {
        let Some(id) = members_service::member_id(db, account).await? else { return Ok(Vec::new()) };
        query = query.filter(renewal::Column::MemberId.eq(id));
    }
    if let Some(status) = status {
        query = query.filter(renewal::Column::RenewStatus.eq(i16::from(status.code())));
    }
    to_renewals(db, query.all(db).await?).await
}

/// A subscriber (a customer and/or a member) and a product, to find its live renewal of.
pub type Subscriber = (Option<String>, Option<Account>, String);

/// For each `(customer number, account, product)`: the ids of the live (pending or failed) renewals of that
/// customer and/or member covering the product, oldest first — a few queries whatever the number.
pub async fn live_renewal_ids(
    db: &impl ConnectionTrait,
    wanted: &[Subscriber],
) -> Result<Vec<Vec<i64>>, RenewalsError> {
    let mut nos: Vec<String> = wanted.iter().filter_map(|(no, _, _)| no.clone()).collect();
    let mut accounts: Vec<Account> = wanted.iter().filter_map(|(_, account, _)| account.clone()).collect();
    nos.sort_unstable();
    nos.dedup();
    accounts.sort_unstable();
    accounts.dedup();
    let (customers, members) = members_service::ids_of(db, &nos, &accounts).await?;
    let live = [RenewalStatus::Pending, RenewalStatus::Failed].map(|s| i16::from(s.code()));
    let mut rows: Vec<(i64, i64, Option<i64>, String)> = Vec::new();
    let customer_ids: Vec<i64> = customers.values().copied().collect();
    let member_ids: Vec<i64> = members.values().copied().collect();
    for (column, ids) in
        [(renewal::Column::CustomerId, customer_ids), (renewal::Column::MemberId, member_ids)]
    {
        for chunk in ids.chunks(1_000) {
            let found: Vec<(i64, i64, Option<i64>, String)> = renewal::Entity::find()
                .select_only()
                .columns([
                    renewal::Column::Id,
                    renewal::Column::CustomerId,
                    renewal::Column::MemberId,
                    renewal::Column::ProductCodes,
                ])
                .filter(renewal::Column::RenewStatus.is_in(live))
                .filter(column.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(db)
                .await?;
            rows.extend(found);
        }
    }
    rows.sort_unstable();
    rows.dedup();
    let mut by_customer: HashMap<i64, Vec<usize>> = HashMap::new();
    let mut by_member: HashMap<i64, Vec<usize>> = HashMap::new();
    for (at, (_, customer, member, _)) in rows.iter().enumerate() {
        by_customer.entry(*customer).or_default().push(at);
        if let Some(member) = member {
            by_member.entry(*member).or_default().push(at);
        }
    }
    Ok(wanted
        .iter()
        .map(|(no, account, product)| {
            let customer = no.as_ref().map(|no| customers.get(no).copied());
            let member = account.as_ref().map(|account| members.get(account).copied());
            let candidates = match (customer, member) {
                (Some(None), _) | (_, Some(None)) | (None, None) => return Vec::new(),
                (Some(Some(id)), _) => by_customer.get(&id),
                (None, Some(Some(id))) => by_member.get(&id),
            };
            candidates
                .into_iter()
                .flatten()
                .map(|at| &rows[*at])
                .filter(|(_, c, m, codes)| {
                    customer.flatten().is_none_or(|id| id == *c)
                        && member.flatten().is_none_or(|id| Some(id) == *m)
                        && codes.split(',').any(|code| code == product)
                })
                .map(|(id, ..)| *id)
                .collect()
        })
        .collect())
}

/// Stops a pending or failed renewal (status 0); `renewal.stopped`.
pub async fn stop_renewal(
    db: &DatabaseConnection,
    id: i64,
    at: DateTime<Utc>,
) -> Result<Renewal, RenewalsError> {
    let txn = begin_write(db).await?;
    let row = renewal::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| RenewalsError::NotFound { field: "renewalId", message: format!("no renewal {id}") })?;
    ensure_idle(&txn, &row).await?;
    let status = status_of(&row)?;
    if status == RenewalStatus::Stopped {
        drop(txn);
        return find_renewal(db, id).await?.ok_or_else(|| anyhow::anyhow!("renewal vanished").into());
    }
    if !matches!(status, RenewalStatus::Pending | RenewalStatus::Failed) {
        return Err(RenewalsError::Conflict(format!(
            "renewal {id} is {status:?}; only pending or failed renewals stop"
        )));
    }
    let mut next = row.into_active_model();
    next.renew_status = Set(i16::from(RenewalStatus::Stopped.code()));
    next.updated_at = Set(at);
    let stopped = next.update(&txn).await?;
    event(&txn, "renewal.stopped", &stopped, json!({}), at).await?;
    let renewal = to_renewal(&txn, stopped).await?;
    txn.commit().await?;
    Ok(renewal)
}

/// Replaces the card of a pending or failed renewal: a new gateway token and, optionally, its last 4 digits.
/// `renewal.payment_updated` (without the token).
pub async fn update_payment(
    db: &DatabaseConnection,
    id: i64,
    payment_token: &str,
    card_last4: Option<&str>,
    at: DateTime<Utc>,
) -> Result<Renewal, RenewalsError> {
    let token = payment_token.trim();
    if token.is_empty() || token.len() > 256 || token.chars().any(char::is_control) {
        return Err(RenewalsError::Invalid {
            field: "paymentToken",
            message: "must be 1-256 characters, without control characters".into(),
        });
    }
    check_card(card_last4)?;
    let txn = begin_write(db).await?;
    let row = renewal::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| RenewalsError::NotFound { field: "renewalId", message: format!("no renewal {id}") })?;
    ensure_idle(&txn, &row).await?;
    let status = status_of(&row)?;
    if !matches!(status, RenewalStatus::Pending | RenewalStatus::Failed) {
        return Err(RenewalsError::Conflict(format!(
            "renewal {id} is {status:?}; only pending or failed renewals take a new card"
        )));
    }
    let mut next = row.into_active_model();
    next.payment_token = Set(Some(platform_core::tokens::Token::new(token)));
    next.payment_card = Set(card_last4.map(str::to_owned));
    next.updated_at = Set(at);
    let updated = next.update(&txn).await?;
    event(&txn, "renewal.payment_updated", &updated, json!({ "paymentCard": updated.payment_card }), at)
        .await?;
    let renewal = to_renewal(&txn, updated).await?;
    txn.commit().await?;
    Ok(renewal)
}

/// Refuses to touch a renewal while a charge of it is under way or its answer is not settled yet.
pub(crate) async fn ensure_idle(
    db: &impl ConnectionTrait,
    row: &renewal::Model,
) -> Result<(), RenewalsError> {
    let leased = row.lease_until.is_some_and(|until| until > Utc::now());
    if leased || crate::store::open_intent(db, row.id).await?.is_some() {
        return Err(RenewalsError::Conflict(format!(
            "renewal {} is being charged right now; try again in a few minutes",
            row.id
        )));
    }
    Ok(())
}

/// The customer and member whose entitlements decide deduct dates.
pub(crate) struct Holder<'a> {
    pub(crate) customer_no: &'a str,
    pub(crate) account: Option<&'a Account>,
}

impl Holder<'_> {
    /// R5 for `codes`: the day before the earliest due date among the holder's entitlements to them.
    pub(crate) async fn deduct_date(
        &self,
        db: &impl ConnectionTrait,
        codes: &BTreeSet<String>,
    ) -> Result<Option<NaiveDate>, RenewalsError> {
        let held =
            entitlements::query::entitlements_of(db, Some(self.customer_no), self.account, None).await?;
        Ok(deduct_date(
            held.iter().filter(|e| codes.contains(&e.product_code)).filter_map(|e| e.right_due_date),
        ))
    }
}

/// R5 for a stored renewal: the deduct date its holder's current entitlements give.
pub(crate) async fn holder_deduct_date(
    db: &impl ConnectionTrait,
    row: &renewal::Model,
) -> Result<Option<NaiveDate>, RenewalsError> {
    let customer_no = members_service::customer_nos_of(db, &[row.customer_id])
        .await?
        .remove(&row.customer_id)
        .unwrap_or_default();
    let account = match row.member_id {
        Some(id) => members_service::accounts_of(db, &[id]).await?.remove(&id),
        None => None,
    };
    let codes = row.product_codes.split(',').filter(|c| !c.is_empty()).map(str::to_owned).collect();
    Holder { customer_no: &customer_no, account: account.as_ref() }.deduct_date(db, &codes).await
}

async fn reschedule(
    db: &impl ConnectionTrait,
    holder: &Holder<'_>,
    existing: renewal::Model,
    at: DateTime<Utc>,
) -> Result<renewal::Model, RenewalsError> {
    let codes: BTreeSet<String> =
        existing.product_codes.split(',').filter(|c| !c.is_empty()).map(str::to_owned).collect();
    let Some(deduct) = holder.deduct_date(db, &codes).await? else { return Ok(existing) };
    move_deduct_date(db, existing, deduct, at).await
}

/// Sets `existing`'s deduct date to `deduct` and records `renewal.rescheduled`.
pub(crate) async fn move_deduct_date(
    db: &impl ConnectionTrait,
    existing: renewal::Model,
    deduct: NaiveDate,
    at: DateTime<Utc>,
) -> Result<renewal::Model, RenewalsError> {
    let from = existing.deduct_date;
    // R20: a skip keeps counting its months from wherever R5 now puts the cycle.
    let (anchor, skipped) = (existing.skip_anchor.map(|_| deduct), existing.skipped_cycles);
    let deduct = match anchor {
        Some(anchor) => crate::change::skipped_date(anchor, skipped),
        None => deduct,
    };
    let mut next = existing.into_active_model();
    next.deduct_date = Set(deduct);
    next.skip_anchor = Set(anchor);
    next.updated_at = Set(at);
    let updated = next.update(db).await?;
    event(db, "renewal.rescheduled", &updated, json!({ "from": from, "to": deduct }), at).await?;
    Ok(updated)
}

fn check_card(card_last4: Option<&str>) -> Result<(), RenewalsError> {
    match card_last4 {
        Some(card) if card.len() != 4 || !card.chars().all(|c| c.is_ascii_digit()) => {
            Err(RenewalsError::Invalid {
                field: "cardLast4",
                message: "must be the last 4 digits of the card".into(),
            })
        }
        _ => Ok(()),
    }
}

fn join(codes: &BTreeSet<String>) -> String {
    codes.iter().map(String::as_str).collect::<Vec<_>>().join(",")
}

async fn to_renewal(db: &impl ConnectionTrait, row: renewal::Model) -> Result<Renewal, RenewalsError> {
    to_renewals(db, vec![row]).await?.pop().ok_or_else(|| anyhow::anyhow!("renewal vanished").into())
}

/// The renewals of `rows`, their customers' numbers and members' accounts read in one query.
async fn to_renewals(
    db: &impl ConnectionTrait,
    rows: Vec<renewal::Model>,
) -> Result<Vec<Renewal>, RenewalsError> {
    let member_ids: Vec<i64> = rows.iter().filter_map(|r| r.member_id).collect();
    let customer_ids: Vec<i64> = rows.iter().map(|r| r.customer_id).collect();
    let (accounts, numbers) = members_service::keys_of(db, &member_ids, &customer_ids).await?;
    rows.into_iter()
        .map(|row| {
            let customer_no = numbers.get(&row.customer_id).cloned().unwrap_or_default();
            let member_account = row.member_id.and_then(|id| accounts.get(&id)).map(ToString::to_string);
            renewal_of(row, customer_no, member_account)
        })
        .collect()
}

fn renewal_of(
    row: renewal::Model,
    customer_no: String,
    member_account: Option<String>,
) -> Result<Renewal, RenewalsError> {
    let status = status_of(&row)?;
    Ok(Renewal {
        id: row.id,
        customer_no,
        member_account,
        promotion_code: row.promotion_code,
        product_codes: row.product_codes.split(',').filter(|c| !c.is_empty()).map(str::to_owned).collect(),
        deduct_date: row.deduct_date,
        deduct_price: row.deduct_price,
        shipping_fee: row.shipping_fee,
        product_name: row.product_name,
        source: row.source,
        source_code: row.source_code,
        status,
        cycle: row.cycle,
        origin_order_no: row.origin_order_no,
        payment_card: row.payment_card,
        has_payment_token: row.payment_token.is_some(),
        failure_reason: row.failure_reason,
        superseded_by: row.superseded_by_id,
        attempts: row.attempts,
        next_retry_on: row.next_retry_on,
        charge_order_no: row.charge_order_no,
        skipped_cycles: row.skipped_cycles,
        skipped_from: row.skip_anchor,
        cancel_reason: row.cancel_reason,
        cancel_note: row.cancel_note,
        created_at: row.created_at,
    })
}
