//! Renewal storage: `createRenewal` with the R4 supersede rules and R5 deduct dates, reading and stopping
//! renewals. Each change is one write transaction with its events (R12).

use crate::entity::renewal;
use crate::rules::{Supersede, supersede};
pub(crate) use crate::store::{event, key_taken};
use crate::{RenewalStatus, RenewalsError};
use catalog::ProductCodes;
use chrono::{DateTime, NaiveDate, Utc};
use members::{Account, service as members_service};
use platform_core::BusinessCalendar;
use platform_core::Money;
use platform_core::RenewalId;
use platform_core::db::begin_write;
use platform_core::json::JsonText;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use std::collections::BTreeSet;

mod deduct;
mod manage;
mod read;

use deduct::reschedule;
pub(crate) use deduct::{Holder, deduct_dates_of, holder_deduct_date, move_deduct_date};
use manage::check_card;
pub(crate) use manage::ensure_idle;
pub use manage::{stop_renewal, update_payment};
use read::to_renewal;
pub use read::{Subscriber, find_renewal, live_renewal_ids, renewal_for, renewals_for, renewals_of};

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
    pub id: RenewalId,
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
    pub deduct_price: Money,
    /// Shipping fee added to the charge.
    pub shipping_fee: Money,
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
    pub superseded_by: Option<RenewalId>,
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
        message: format!("the customer has no entitlement to {codes} yet: nothing to renew"),
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
    let new_set: BTreeSet<&str> = codes.iter().collect();
    let decisions: Vec<(renewal::Model, Supersede)> = pending
        .into_iter()
        .map(|o| {
            let decision = supersede(&o.product_codes.iter().collect(), &new_set);
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
        product_codes: Set(codes.clone()),
        product_name: Set(Some(plan.name.clone())),
        deduct_date: Set(deduct),
        deduct_price: Set(plan.total_amount),
        shipping_fee: Set(Money::ZERO),
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
) -> Result<(catalog::Promotion, ProductCodes), RenewalsError> {
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
pub(crate) fn renewed_products(plan: &catalog::Promotion) -> ProductCodes {
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
    receiver: JsonText<orders::Receiver>,
    invoice: JsonText<orders::Invoice>,
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
            receiver: crate::store::json(order.receiver)?,
            invoice: crate::store::json(order.invoice)?,
            card_last4: order.card_last4,
        })
    }
}
