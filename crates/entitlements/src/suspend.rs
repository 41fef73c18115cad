//! **R20, suspending a print delivery** (seed 000 おやすみ, 止寄 during a trip): a holder's magazine is held
//! for `issues` issues from `fromVolume` on, and the term grows by them — `endVolume`, its date and the due
//! date move, and R5 follows (the caller moves the renewals in the same transaction). A suspension never
//! starts at an issue already published, lies within the coverage, and one is open at a time per
//! entitlement; asking again for the open one answers it. Resuming early gives back the issues not reached
//! yet: the suspension keeps only those already held.

use crate::entity::{entitlement, suspension};
use crate::grant::issue_calendar;
use crate::model::DueChange;
use crate::rules::Calendar;
use crate::{EntitlementsError, SubscribeStatus};
use catalog::ProductKind;
use chrono::{DateTime, NaiveDate, Utc};
use platform_core::events::{self, NewEvent};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;

/// At most this many issues in one suspension (a year of a biweekly).
pub const MAX_SUSPENDED_ISSUES: i32 = 26;

/// A suspension of a holder's delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspension {
    /// The holder's customer number.
    pub customer_no: String,
    /// The product.
    pub product_code: String,
    /// The first issue held.
    pub from_volume: i32,
    /// Issues held (after an early resume: those already held).
    pub issues: i32,
    /// Why (the subscriber's words).
    pub reason: Option<String>,
    /// The holder's `endVolume` now.
    pub end_volume: Option<i32>,
    /// The holder's `rightDueDate` now.
    pub right_due_date: Option<NaiveDate>,
    /// When it was asked.
    pub created_at: DateTime<Utc>,
    /// When it was resumed early.
    pub resumed_at: Option<DateTime<Utc>>,
}

/// What to suspend.
#[derive(Debug, Clone)]
pub struct SuspendInput {
    /// The holder's customer number.
    pub customer_no: String,
    /// The print product.
    pub product_code: String,
    /// The first issue to hold (not published yet, within the coverage).
    pub from_volume: i32,
    /// How many (1 to [`MAX_SUSPENDED_ISSUES`]).
    pub issues: i32,
    /// Why.
    pub reason: Option<String>,
}

/// Suspends per `input` in the caller's transaction `txn` on business date `today`; the due change R5
/// follows (`None` when the same suspension was open already and nothing changed).
pub async fn suspend(
    txn: &impl ConnectionTrait,
    input: &SuspendInput,
    today: NaiveDate,
    at: DateTime<Utc>,
) -> Result<(Suspension, Option<DueChange>), EntitlementsError> {
    let reason = input.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.chars().count() > 500 || r.chars().any(char::is_control)) {
        return Err(invalid("reason", "at most 500 printable characters"));
    }
    if !(1..=MAX_SUSPENDED_ISSUES).contains(&input.issues) {
        return Err(invalid("issues", format!("1-{MAX_SUSPENDED_ISSUES} issues")));
    }
    let (row, calendar) = print_entitlement(txn, &input.customer_no, &input.product_code).await?;
    let last_published = calendar.last_published_by(today);
    if let Some(open) = open_suspension(txn, row.id, last_published).await? {
        if open.from_volume == input.from_volume && open.issues == input.issues {
            return Ok((to_suspension(open, &row, &input.customer_no), None));
        }
        return Err(EntitlementsError::Conflict(format!(
            "delivery of {} is already suspended from volume {} for {} issue(s); resume it first",
            input.product_code, open.from_volume, open.issues
        )));
    }
    if last_published.is_some_and(|last| input.from_volume <= last) {
        return Err(invalid(
            "fromVolume",
            format!(
                "volume {} is published already: a suspension starts at a coming issue",
                input.from_volume
            ),
        ));
    }
    let end = row.end_volume.unwrap_or(i32::MIN);
    if input.from_volume > end || !is_live(&row) {
        return Err(invalid(
            "fromVolume",
            format!("volume {} is not within the holder's coverage (to volume {end})", input.from_volume),
        ));
    }
    let held = suspension::ActiveModel {
        entitlement_id: Set(row.id),
        from_volume: Set(input.from_volume),
        issues: Set(input.issues),
        reason: Set(reason.map(str::to_owned)),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let (updated, change) = move_end(txn, row, input.issues, &calendar, at).await?;
    let payload = json!({ "customerNo": input.customer_no, "productCode": input.product_code,
                          "fromVolume": held.from_volume, "issues": held.issues, "reason": held.reason,
                          "endVolume": updated.end_volume, "rightDueDate": updated.right_due_date });
    events::append(
        txn,
        NewEvent {
            event_type: "entitlement.suspended",
            subject: format!("entitlement:{}", updated.id),
            payload,
        },
        at,
    )
    .await?;
    Ok((to_suspension(held, &updated, &input.customer_no), Some(change)))
}

/// Resumes the open suspension of `customer_no`'s `product_code` on `today`: the issues not reached yet are
/// given back. `NOT_FOUND` when none is open.
pub async fn resume(
    txn: &impl ConnectionTrait,
    customer_no: &str,
    product_code: &str,
    today: NaiveDate,
    at: DateTime<Utc>,
) -> Result<(Suspension, DueChange), EntitlementsError> {
    let (row, calendar) = print_entitlement(txn, customer_no, product_code).await?;
    let last_published = calendar.last_published_by(today);
    let open =
        open_suspension(txn, row.id, last_published).await?.ok_or_else(|| EntitlementsError::NotFound {
            field: "productCode",
            message: format!("the delivery of {product_code} is not suspended"),
        })?;
    let held = last_published.map_or(0, |last| (last - open.from_volume + 1).clamp(0, open.issues));
    let given_back = open.issues - held;
    let asked = open.issues;
    let mut next = open.into_active_model();
    next.issues = Set(held);
    next.resumed_at = Set(Some(at));
    let resumed = next.update(txn).await?;
    let (updated, change) = move_end(txn, row, -given_back, &calendar, at).await?;
    let payload = json!({ "customerNo": customer_no, "productCode": product_code, "fromVolume": resumed.from_volume,
                          "issuesAsked": asked, "issuesHeld": held, "endVolume": updated.end_volume,
                          "rightDueDate": updated.right_due_date });
    events::append(
        txn,
        NewEvent {
            event_type: "entitlement.resumed",
            subject: format!("entitlement:{}", updated.id),
            payload,
        },
        at,
    )
    .await?;
    Ok((to_suspension(resumed, &updated, customer_no), change))
}

/// The suspensions of `customer_no`'s `product_code`, oldest first.
pub async fn suspensions_of(
    db: &impl ConnectionTrait,
    customer_no: &str,
    product_code: &str,
) -> Result<Vec<Suspension>, EntitlementsError> {
    let Some(customer) = members::service::customer_id(db, customer_no).await? else { return Ok(Vec::new()) };
    let Some(row) = entitlement::Entity::find()
        .filter(entitlement::Column::HolderCustomerId.eq(customer))
        .filter(entitlement::Column::ProductCode.eq(product_code))
        .one(db)
        .await?
    else {
        return Ok(Vec::new());
    };
    let rows = suspension::Entity::find()
        .filter(suspension::Column::EntitlementId.eq(row.id))
        .order_by_asc(suspension::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|s| to_suspension(s, &row, customer_no)).collect())
}

/// The locked print entitlement of `customer_no` to `product_code`, with the product's issue calendar.
async fn print_entitlement(
    txn: &impl ConnectionTrait,
    customer_no: &str,
    product_code: &str,
) -> Result<(entitlement::Model, Calendar), EntitlementsError> {
    let product = catalog::service::find_product(txn, product_code).await?.ok_or_else(|| {
        EntitlementsError::NotFound { field: "productCode", message: format!("no product {product_code}") }
    })?;
    if product.kind != ProductKind::Volume || product.digital {
        return Err(invalid(
            "productCode",
            format!("{product_code} is not a print magazine: only deliveries are suspended"),
        ));
    }
    let customer = members::service::customer_id(txn, customer_no).await?.ok_or_else(|| {
        EntitlementsError::NotFound { field: "customerNo", message: format!("no customer {customer_no}") }
    })?;
    let mut query = entitlement::Entity::find()
        .filter(entitlement::Column::HolderCustomerId.eq(customer))
        .filter(entitlement::Column::ProductCode.eq(product_code));
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    let row = query.one(txn).await?.ok_or_else(|| EntitlementsError::NotFound {
        field: "productCode",
        message: format!("customer {customer_no} holds no {product_code}"),
    })?;
    Ok((row, issue_calendar(txn, &product).await?))
}

/// The suspension of entitlement `id` not resumed and not over by the last published issue.
async fn open_suspension(
    txn: &impl ConnectionTrait,
    id: i64,
    last_published: Option<i32>,
) -> Result<Option<suspension::Model>, EntitlementsError> {
    let open = suspension::Entity::find()
        .filter(suspension::Column::EntitlementId.eq(id))
        .filter(suspension::Column::ResumedAt.is_null())
        .order_by_desc(suspension::Column::Id)
        .one(txn)
        .await?;
    Ok(open.filter(|s| last_published.is_none_or(|last| s.from_volume + s.issues - 1 > last)))
}

fn is_live(row: &entitlement::Model) -> bool {
    let status = u8::try_from(row.subscribe_status).ok().and_then(SubscribeStatus::from_code);
    matches!(status, Some(SubscribeStatus::Current | SubscribeStatus::Complimentary))
}

/// Moves `row`'s end by `issues` (negative: back) with its dates from `calendar`.
async fn move_end(
    txn: &impl ConnectionTrait,
    row: entitlement::Model,
    issues: i32,
    calendar: &Calendar,
    at: DateTime<Utc>,
) -> Result<(entitlement::Model, DueChange), EntitlementsError> {
    let mut next = row.clone();
    if let Some(end) = row.end_volume {
        let end = end + issues;
        let ended = calendar.date_of(end).map_err(|e| anyhow::anyhow!("{e}"))?;
        let due = calendar.date_of(end + 1).map_err(|e| anyhow::anyhow!("{e}"))?;
        next.end_volume = Some(end);
        next.end_volume_date = Some(ended.date);
        next.right_due_date = Some(due.date);
        next.estimated = ended.estimated || due.estimated;
    }
    next.updated_at = at;
    let updated = crate::grant::changes(&next).update(txn).await?;
    let change = DueChange {
        holder_customer_id: updated.holder_customer_id,
        holder_member_id: updated.holder_member_id,
        product_code: updated.product_code.clone(),
        right_due_date: updated.right_due_date,
    };
    Ok((updated, change))
}

fn to_suspension(row: suspension::Model, held: &entitlement::Model, customer_no: &str) -> Suspension {
    Suspension {
        customer_no: customer_no.to_owned(),
        product_code: held.product_code.clone(),
        from_volume: row.from_volume,
        issues: row.issues,
        reason: row.reason,
        end_volume: held.end_volume,
        right_due_date: held.right_due_date,
        created_at: row.created_at,
        resumed_at: row.resumed_at,
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> EntitlementsError {
    EntitlementsError::Invalid { field, message: message.into() }
}
