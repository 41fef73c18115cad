//! R5 for stored renewals: the deduct date their holder's entitlements give, and moving it.

use crate::RenewalsError;
use crate::entity::renewal;
use crate::rules::deduct_date;
use crate::store::event;
use chrono::{DateTime, NaiveDate, Utc};
use members::{Account, service as members_service};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, IntoActiveModel};
use serde_json::json;
use std::collections::BTreeSet;

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

pub(super) async fn reschedule(
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

pub(super) fn join(codes: &BTreeSet<String>) -> String {
    codes.iter().map(String::as_str).collect::<Vec<_>>().join(",")
}
