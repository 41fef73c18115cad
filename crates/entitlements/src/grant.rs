//! R3: turning paid order lines into entitlements, exactly once per line, each in its own transaction with
//! its ledger row and its `entitlement.granted` / `entitlement.failed` event.

use crate::entity::{entitlement, grant};
use crate::model::GrantSummary;
use crate::rules::{
    Calendar, Covered, Issue, Period, SeniorityTerm, period_due, seniority_thousandths, volume_term,
};
use crate::{EntitlementsError, SubscribeStatus};
use catalog::{Item, Product, ProductKind};
use chrono::{DateTime, Utc};
use orders::service::PaidLine;
use platform_core::BusinessCalendar;
use platform_core::db::begin_write;
use platform_core::events::{self, NewEvent};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QuerySelect,
};
use serde_json::json;

/// A paid order line is granted once: its ledger row is the claim.
pub const LINE_GRANTED: platform_core::db::UniqueKey = platform_core::db::UniqueKey {
    name: "entitlement_grants_order_line_id_key",
    columns: "entitlement_grants.order_line_id",
};

/// Grants the entitlements of paid order `order_no` that are not granted yet, and marks the order ready for
/// the ERP (R21 `order.ready`) once all of them are. Safe to call any number of times and from several
/// instances at once: each line is granted at most once (the ledger's unique key), the order marked once.
pub async fn grant_order(
    db: &DatabaseConnection,
    calendar: BusinessCalendar,
    order_no: &str,
    at: DateTime<Utc>,
) -> Result<GrantSummary, EntitlementsError> {
    let lines = orders::service::paid_lines(db, order_no).await?;
    let ids: Vec<i64> = lines.iter().map(|l| l.line_id).collect();
    let recorded = grant::Entity::find().filter(grant::Column::OrderLineId.is_in(ids)).all(db).await?;
    let failed_before = recorded.iter().any(|g| g.outcome == "FAILED");
    let done: Vec<i64> = recorded.into_iter().filter_map(|g| g.order_line_id).collect();
    let has_lines = !lines.is_empty();
    let mut summary = GrantSummary::default();
    for line in lines.into_iter().filter(|l| !done.contains(&l.line_id)) {
        let Some(item) = catalog::service::find_item(db, &line.item_no).await? else { continue };
        let Some(term) = Term::of(&item) else { continue };
        let Some(product_code) = item.product_code.as_deref() else { continue };
        let Some(product) = catalog::service::find_product(db, product_code).await? else { continue };
        let holder = if product.digital {
            line.member_id.map(Holder::Member)
        } else {
            Some(Holder::Customer(line.payer_customer_id))
        };
        let Some(holder) = holder else {
            summary.pending_member += 1;
            continue;
        };
        match grant_line(db, calendar, &line, &product, term, holder, at).await? {
            Some(true) => summary.granted += 1,
            Some(false) => summary.failed += 1,
            None => {}
        }
    }
    // R21: every line that gives an entitlement has it (none failed, none waits for a member): the order
    // is ready for the ERP (marked once, whoever gets here first).
    if has_lines && !failed_before && summary.failed == 0 && summary.pending_member == 0 {
        orders::service::mark_ready(db, &[order_no], at).await?;
    }
    Ok(summary)
}

/// Grants every paid order since `since` (the sweep that catches anything a trigger missed).
pub async fn grant_paid_since(
    db: &DatabaseConnection,
    calendar: BusinessCalendar,
    since: DateTime<Utc>,
    at: DateTime<Utc>,
) -> Result<GrantSummary, EntitlementsError> {
    let mut total = GrantSummary::default();
    for order_no in orders::service::paid_since(db, since).await? {
        let one = grant_order(db, calendar, &order_no, at).await?;
        total.granted += one.granted;
        total.failed += one.failed;
        total.pending_member += one.pending_member;
    }
    Ok(total)
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Term {
    Issues(i32),
    Months(i32),
    Days(i32),
}

impl Term {
    pub(crate) fn of(item: &Item) -> Option<Term> {
        item.term_issues
            .map(Term::Issues)
            .or(item.term_months.map(Term::Months))
            .or(item.term_days.map(Term::Days))
    }

    fn times(self, quantity: i32) -> Term {
        match self {
            Term::Issues(n) => Term::Issues(n.saturating_mul(quantity)),
            Term::Months(n) => Term::Months(n.saturating_mul(quantity)),
            Term::Days(n) => Term::Days(n.saturating_mul(quantity)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Holder {
    Customer(platform_core::CustomerId),
    Member(platform_core::MemberId),
}

/// The entitlement row of `holder` for `product_code`, created (CURRENT, nothing covered) when missing, and
/// locked for the rest of the transaction on PostgreSQL (SQLite's write transaction already excludes others).
pub(crate) async fn locked_entitlement(
    db: &impl ConnectionTrait,
    holder: Holder,
    product_code: &str,
    at: DateTime<Utc>,
) -> Result<entitlement::Model, EntitlementsError> {
    entitlement::Entity::insert(empty_row(holder, product_code, at))
        .on_conflict(OnConflict::columns(holder_key_columns(holder)).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    let mut query = entitlement::Entity::find().filter(entitlement::Column::ProductCode.eq(product_code));
    query = match holder {
        Holder::Customer(id) => query.filter(entitlement::Column::HolderCustomerId.eq(id)),
        Holder::Member(id) => query.filter(entitlement::Column::HolderMemberId.eq(id)),
    };
    query.lock_exclusive().one(db).await?.ok_or_else(|| anyhow::anyhow!("entitlement vanished").into())
}

/// A new entitlement of `holder` to `product_code`: CURRENT, nothing covered yet.
pub(crate) fn empty_row(holder: Holder, product_code: &str, at: DateTime<Utc>) -> entitlement::ActiveModel {
    let (customer, member) = match holder {
        Holder::Customer(id) => (Some(id), None),
        Holder::Member(id) => (None, Some(id)),
    };
    entitlement::ActiveModel {
        holder_customer_id: Set(customer),
        holder_member_id: Set(member),
        product_code: Set(product_code.to_owned()),
        seniority_thousandths: Set(0),
        subscribe_status: Set(i16::from(SubscribeStatus::Current.code())),
        estimated: Set(false),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
}

/// The unique key of a holder's entitlement to a product.
pub(crate) fn holder_key_columns(holder: Holder) -> [entitlement::Column; 2] {
    match holder {
        Holder::Customer(_) => [entitlement::Column::HolderCustomerId, entitlement::Column::ProductCode],
        Holder::Member(_) => [entitlement::Column::HolderMemberId, entitlement::Column::ProductCode],
    }
}

/// Grants one line; `Some(true)` granted, `Some(false)` failed (recorded), `None` already done elsewhere.
async fn grant_line(
    db: &DatabaseConnection,
    calendar: BusinessCalendar,
    line: &PaidLine,
    product: &Product,
    term: Term,
    holder: Holder,
    at: DateTime<Utc>,
) -> Result<Option<bool>, EntitlementsError> {
    let txn = begin_write(db).await?;
    let claimed = grant::ActiveModel {
        order_line_id: Set(Some(line.line_id)),
        kind: Set("ORDER".to_owned()),
        outcome: Set("PENDING".to_owned()),
        seniority_thousandths: Set(0),
        granted_at: Set(at),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let ledger = match claimed {
        Ok(row) => row,
        Err(err) if LINE_GRANTED.violated_by(&err) => return Ok(None),
        Err(err) => return Err(err.into()),
    };
    let row = locked_entitlement(&txn, holder, &product.product_code, at).await?;
    let issues = match (product.kind, term) {
        (ProductKind::Volume, Term::Issues(_)) => Some(issue_calendar(&txn, product).await?),
        _ => None,
    };
    let computed = compute(&row, line, product, term, issues.as_ref(), calendar, at);
    let subject = format!("entitlement:{}", row.id);
    let base = json!({ "orderNo": line.order_no, "orderLineId": line.line_id, "productCode": product.product_code,
                       "holderCustomerId": row.holder_customer_id, "holderMemberId": row.holder_member_id });
    let outcome = match computed {
        Ok(computed) => {
            let mut next = row.clone();
            apply(&mut next, &computed, line.complimentary, at);
            let next = changes(&next);
            let updated = next.update(&txn).await?;
            grant::Entity::update(grant::ActiveModel {
                id: Set(ledger.id),
                entitlement_id: Set(Some(updated.id)),
                ..granted_ledger(&computed)
            })
            .exec(&txn)
            .await?;
            let payload = granted_payload(base, &updated);
            events::append(&txn, NewEvent { event_type: "entitlement.granted", subject, payload }, at)
                .await?;
            true
        }
        Err(reason) => {
            grant::Entity::update(grant::ActiveModel {
                id: Set(ledger.id),
                entitlement_id: Set(Some(row.id)),
                outcome: Set("FAILED".to_owned()),
                reason: Set(Some(reason.clone())),
                ..Default::default()
            })
            .exec(&txn)
            .await?;
            let mut payload = base;
            payload["reason"] = json!(reason);
            followups::open(&txn, failed_follow_up(&payload, &line.order_no, &reason), at).await?;
            events::append(&txn, NewEvent { event_type: "entitlement.failed", subject, payload }, at).await?;
            false
        }
    };
    txn.commit().await?;
    Ok(Some(outcome))
}

/// R17: a paid line whose entitlement could not be computed needs a person (the customer paid and has
/// nothing); one open follow-up per order.
pub(crate) fn failed_follow_up(
    payload: &serde_json::Value,
    order_no: &str,
    reason: &str,
) -> followups::NewFollowUp {
    followups::NewFollowUp::new(
        followups::Kind::EntitlementFailed,
        format!("order:{order_no}"),
        format!("order {order_no}: an entitlement could not be granted ({reason})"),
        payload.clone(),
    )
}

/// What one line adds to an entitlement (R3).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Computed {
    start_volume: Option<i32>,
    start_date: Option<chrono::NaiveDate>,
    end_volume: Option<i32>,
    end_date: Option<chrono::NaiveDate>,
    due: chrono::NaiveDate,
    estimated: bool,
    seniority: i64,
}

/// The issue calendar of VOLUME product `product`.
pub async fn issue_calendar(
    db: &impl ConnectionTrait,
    product: &Product,
) -> Result<Calendar, EntitlementsError> {
    let issues = catalog::service::issues_of(db, &product.product_code).await?;
    Ok(Calendar::new(
        issues.into_iter().map(|(volume, publish_date)| Issue { volume, publish_date }).collect(),
        product.cadence,
    ))
}

/// **R3** for one line against the entitlement `row` as it stands: VOLUME terms count from the payment's
/// business date against the issue calendar `issues`; a pass extends from today (so a digital line granted
/// when the order is bound later loses no days). `Err` with the reason when the line cannot be granted.
pub(crate) fn compute(
    row: &entitlement::Model,
    line: &PaidLine,
    product: &Product,
    term: Term,
    issues: Option<&Calendar>,
    calendar: BusinessCalendar,
    at: DateTime<Utc>,
) -> Result<Computed, String> {
    let paid_on = calendar.date_of(line.paid_at);
    let today = calendar.date_of(at);
    let term = term.times(line.quantity.max(1));
    let period = |due, seniority| Computed {
        start_volume: None,
        start_date: None,
        end_volume: None,
        end_date: None,
        due,
        estimated: false,
        seniority,
    };
    match (product.kind, term, issues) {
        (ProductKind::Volume, Term::Issues(count), Some(issues)) => {
            let covered = row
                .end_volume
                .zip(row.right_due_date)
                .map(|(end_volume, right_due_date)| Covered { end_volume, right_due_date });
            let t = volume_term(issues, covered, paid_on, count).map_err(|e| e.to_string())?;
            let count = u32::try_from(count).map_err(|_| format!("a term of {count} issues"))?;
            let seniority =
                product.cadence.map_or(0, |c| seniority_thousandths(SeniorityTerm::Issues(count, c)));
            Ok(Computed {
                start_volume: Some(t.start_volume),
                start_date: Some(t.start_volume_date),
                end_volume: Some(t.end_volume),
                end_date: Some(t.end_volume_date),
                due: t.right_due_date,
                estimated: t.estimated,
                seniority,
            })
        }
        (ProductKind::Period, Term::Months(months), _) => {
            let months = u32::try_from(months).map_err(|_| format!("a term of {months} months"))?;
            let due = period_due(row.right_due_date, today, Period::Months(months));
            Ok(period(due, seniority_thousandths(SeniorityTerm::Months(months))))
        }
        (ProductKind::Period, Term::Days(days), _) => {
            let days = u32::try_from(days).map_err(|_| format!("a term of {days} days"))?;
            let due = period_due(row.right_due_date, today, Period::Days(days));
            Ok(period(due, seniority_thousandths(SeniorityTerm::Days(days))))
        }
        (kind, _, _) => Err(format!("item term does not fit a {kind:?} product")),
    }
}

/// The entitlement after `computed`: CURRENT (or COMPLIMENTARY for a gift), seniority added.
pub(crate) fn apply(
    row: &mut entitlement::Model,
    computed: &Computed,
    complimentary: bool,
    at: DateTime<Utc>,
) {
    if computed.start_volume.is_some() {
        row.start_volume = computed.start_volume;
        row.start_volume_date = computed.start_date;
        row.end_volume = computed.end_volume;
        row.end_volume_date = computed.end_date;
    }
    row.right_due_date = Some(computed.due);
    row.estimated = computed.estimated;
    row.seniority_thousandths += computed.seniority;
    let status = if complimentary { SubscribeStatus::Complimentary } else { SubscribeStatus::Current };
    row.subscribe_status = i16::from(status.code());
    row.updated_at = at;
}

/// The update writing what [`apply`] changed.
pub(crate) fn changes(row: &entitlement::Model) -> entitlement::ActiveModel {
    entitlement::ActiveModel {
        id: Set(row.id),
        start_volume: Set(row.start_volume),
        start_volume_date: Set(row.start_volume_date),
        end_volume: Set(row.end_volume),
        end_volume_date: Set(row.end_volume_date),
        right_due_date: Set(row.right_due_date),
        estimated: Set(row.estimated),
        seniority_thousandths: Set(row.seniority_thousandths),
        subscribe_status: Set(row.subscribe_status),
        updated_at: Set(row.updated_at),
        ..Default::default()
    }
}

/// The ledger fields of a granted line.
pub(crate) fn granted_ledger(computed: &Computed) -> grant::ActiveModel {
    grant::ActiveModel {
        outcome: Set("GRANTED".to_owned()),
        start_volume: Set(computed.start_volume),
        end_volume: Set(computed.end_volume),
        right_due_date: Set(Some(computed.due)),
        seniority_thousandths: Set(computed.seniority),
        ..Default::default()
    }
}

/// The payload of `entitlement.granted`.
pub(crate) fn granted_payload(
    mut base: serde_json::Value,
    updated: &entitlement::Model,
) -> serde_json::Value {
    base["startVolume"] = json!(updated.start_volume);
    base["endVolume"] = json!(updated.end_volume);
    base["endVolumeDate"] = json!(updated.end_volume_date);
    base["rightDueDate"] = json!(updated.right_due_date);
    base["subscribeStatusCode"] = json!(updated.subscribe_status);
    base["estimated"] = json!(updated.estimated);
    base
}
