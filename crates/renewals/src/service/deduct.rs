//! R5 for stored renewals: the deduct date their holder's entitlements give, and moving it.

use crate::RenewalsError;
use crate::entity::renewal;
use crate::rules::deduct_date;
use crate::store::event;
use catalog::ProductCodes;
use chrono::{DateTime, NaiveDate, Utc};
use members::Account;
use platform_core::{CustomerId, MemberId};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, IntoActiveModel};
use serde_json::json;
use std::collections::HashMap;

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
        codes: &ProductCodes,
    ) -> Result<Option<NaiveDate>, RenewalsError> {
        let held =
            entitlements::query::entitlements_of(db, Some(self.customer_no), self.account, None).await?;
        Ok(deduct_date(
            held.iter().filter(|e| codes.contains(&e.product_code)).filter_map(|e| e.right_due_date),
        ))
    }
}

/// R5 for a stored renewal: the deduct date its holder's current entitlements give (the batch of one of
/// [`deduct_dates_of`]).
pub(crate) async fn holder_deduct_date(
    db: &impl ConnectionTrait,
    row: &renewal::Model,
) -> Result<Option<NaiveDate>, RenewalsError> {
    Ok(deduct_dates_of(db, &[row]).await?.remove(&row.id))
}

/// R5 for stored renewals, by renewal id: the day before the earliest due date among the entitlements of
/// each renewal's products held by its customer or its member. Those with no such due date are left out.
/// Two queries per 500 holders, whatever the number of renewals.
pub(crate) async fn deduct_dates_of(
    db: &impl ConnectionTrait,
    rows: &[&renewal::Model],
) -> Result<HashMap<i64, NaiveDate>, RenewalsError> {
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let customers: Vec<CustomerId> = rows.iter().map(|r| r.customer_id).collect();
    let members: Vec<MemberId> = rows.iter().filter_map(|r| r.member_id).collect();
    let mut codes: Vec<String> =
        rows.iter().flat_map(|r| r.product_codes.iter().map(str::to_owned)).collect();
    codes.sort_unstable();
    codes.dedup();
    let dues = entitlements::query::due_dates_of(db, &customers, &members, &codes).await?;
    let mut by_holder: HashMap<(bool, i64, &str), NaiveDate> = HashMap::new();
    for due in &dues {
        if let Some(id) = due.customer_id {
            by_holder.insert((false, id.0, due.product_code.as_str()), due.right_due_date);
        }
        if let Some(id) = due.member_id {
            by_holder.insert((true, id.0, due.product_code.as_str()), due.right_due_date);
        }
    }
    Ok(rows
        .iter()
        .filter_map(|r| {
            let dates = r.product_codes.iter().flat_map(|code| {
                let of_customer = by_holder.get(&(false, r.customer_id.0, code)).copied();
                let of_member = r.member_id.and_then(|m| by_holder.get(&(true, m.0, code)).copied());
                [of_customer, of_member]
            });
            deduct_date(dates.flatten()).map(|day| (r.id, day))
        })
        .collect())
}

pub(super) async fn reschedule(
    db: &impl ConnectionTrait,
    holder: &Holder<'_>,
    existing: renewal::Model,
    at: DateTime<Utc>,
) -> Result<renewal::Model, RenewalsError> {
    let codes = existing.product_codes.clone();
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
