//! **R20, skip and resume** (seed 000 tasks 7–8, スキップ(おやすみ) / 再開). A MONTHLY renewal skips its next
//! `cycles` charges: its deduct date moves that many months from where it was (the *anchor*, counted from
//! it each time, so Jan 31 skipped once is Feb 28/29 and twice Mar 31, as R9 would have charged them), and
//! no access is bought for the skipped months. `resumeRenewal` undoes the rest of a skip: the renewal is
//! due again on the first skipped cycle that has not passed. Each change is an event and an e-mail to the
//! payer; the R8 notice follows the moved date. A renewal being charged is not changed.

use crate::entity::renewal;
use crate::service::{Renewal, ensure_idle, find_renewal};
use crate::store::status_of;
use crate::{RenewalStatus, RenewalsError};
use chrono::{DateTime, NaiveDate, Utc};
use members::Principal;
use platform_core::RenewalId;
use platform_core::db::begin_write;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait};
use serde_json::json;

/// Most monthly cycles a renewal may have skipped at once.
pub const MAX_SKIPPED: i32 = 12;

/// **R20:** the deduct date of a renewal due on `anchor` with `cycles` monthly cycles skipped.
pub fn skipped_date(anchor: NaiveDate, cycles: i32) -> NaiveDate {
    entitlements::rules::add_months(anchor, u32::try_from(cycles).unwrap_or(0))
}

/// **R20:** where a resumed skip is due: the first of its cycles (`anchor` + k months, k = 0…`cycles`) not
/// before `today`.
pub fn resumed_date(anchor: NaiveDate, cycles: i32, today: NaiveDate) -> NaiveDate {
    (0..=cycles)
        .map(|k| skipped_date(anchor, k))
        .find(|day| *day >= today)
        .unwrap_or_else(|| skipped_date(anchor, cycles))
}

/// Skips the next `cycles` (1–12 in all) charges of MONTHLY renewal `id`, which `caller` may act on.
pub async fn skip(
    db: &DatabaseConnection,
    caller: &Principal,
    id: RenewalId,
    cycles: i32,
    settings: &platform_core::settings::RenewalSettings,
    at: DateTime<Utc>,
) -> Result<Renewal, RenewalsError> {
    let txn = begin_write(db).await?;
    crate::access::require(&txn, caller, id).await?;
    skip_in(&txn, id, cycles, settings, at).await?;
    txn.commit().await?;
    found(db, id).await
}

/// [`skip`] in the caller's transaction: the batch change with one request.
pub async fn skip_in(
    txn: &impl ConnectionTrait,
    id: RenewalId,
    cycles: i32,
    settings: &platform_core::settings::RenewalSettings,
    at: DateTime<Utc>,
) -> Result<(), RenewalsError> {
    let mut answers =
        crate::many::change_many(txn, &[(id, crate::many::Change::Skip { cycles })], settings, at).await?;
    answers.pop().unwrap_or(Ok(crate::many::Done::AsItWas)).map(|_| ())
}

/// Undoes the rest of renewal `id`'s skip (`caller` may act on it): due again on the first skipped cycle
/// not before `today`.
pub async fn resume(
    db: &DatabaseConnection,
    caller: &Principal,
    id: RenewalId,
    today: NaiveDate,
    settings: &platform_core::settings::RenewalSettings,
    at: DateTime<Utc>,
) -> Result<Renewal, RenewalsError> {
    let txn = begin_write(db).await?;
    crate::access::require(&txn, caller, id).await?;
    resume_in(&txn, id, today, settings, at).await?;
    txn.commit().await?;
    found(db, id).await
}

/// [`resume`] in the caller's transaction.
pub async fn resume_in(
    txn: &impl ConnectionTrait,
    id: RenewalId,
    today: NaiveDate,
    settings: &platform_core::settings::RenewalSettings,
    at: DateTime<Utc>,
) -> Result<(), RenewalsError> {
    let row = changeable(txn, id).await?;
    let Some(anchor) = row.skip_anchor else {
        return Err(RenewalsError::Conflict(format!("renewal {id} is not skipping")));
    };
    let from = row.deduct_date;
    let to = resumed_date(anchor, row.skipped_cycles, today);
    let mut resumed = row;
    resumed.skip_anchor = None;
    resumed.skipped_cycles = 0;
    resumed.deduct_date = to;
    resumed.notice_sent_on = None;
    resumed.updated_at = at;
    record_change(txn, "renewal.resumed", "RESUME", resumed, json!({ "from": from, "to": to }), settings, at)
        .await
}

pub(crate) async fn found(db: &DatabaseConnection, id: RenewalId) -> Result<Renewal, RenewalsError> {
    find_renewal(db, id).await?.ok_or_else(|| anyhow::anyhow!("renewal {id} vanished").into())
}

/// The PENDING renewal `id`, not being charged.
async fn changeable(txn: &impl ConnectionTrait, id: RenewalId) -> Result<renewal::Model, RenewalsError> {
    let row = renewal::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| RenewalsError::NotFound { field: "renewalId", message: format!("no renewal {id}") })?;
    ensure_idle(txn, &row).await?;
    let status = status_of(&row)?;
    if status != RenewalStatus::Pending {
        return Err(RenewalsError::Conflict(format!(
            "renewal {id} is {status:?}; only pending renewals change"
        )));
    }
    Ok(row)
}

/// The changed row written, with its event and the payer's confirmation e-mail, in the caller's
/// transaction.
pub(crate) async fn record_change(
    txn: &impl ConnectionTrait,
    event_type: &'static str,
    action: &'static str,
    row: renewal::Model,
    extra: serde_json::Value,
    settings: &platform_core::settings::RenewalSettings,
    at: DateTime<Utc>,
) -> Result<(), RenewalsError> {
    crate::many::record(txn, vec![(row, event_type, action, extra)], settings, at).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn r20_skipped_cycles_count_from_the_anchor_as_the_charges_would_have() {
        let jan31 = d(2027, 1, 31);
        assert_eq!(skipped_date(jan31, 1), d(2027, 2, 28));
        assert_eq!(skipped_date(jan31, 2), d(2027, 3, 31), "not Feb 28 + 1 month");
        assert_eq!(skipped_date(d(2028, 1, 31), 1), d(2028, 2, 29), "a leap year");
        assert_eq!(skipped_date(jan31, 0), jan31);
    }

    #[test]
    fn r20_a_resume_is_due_on_the_first_skipped_cycle_not_passed() {
        let jan31 = d(2027, 1, 31);
        assert_eq!(resumed_date(jan31, 3, d(2027, 1, 10)), jan31, "before the first skipped charge");
        assert_eq!(resumed_date(jan31, 3, d(2027, 2, 1)), d(2027, 2, 28));
        assert_eq!(resumed_date(jan31, 3, d(2027, 3, 1)), d(2027, 3, 31));
        assert_eq!(resumed_date(jan31, 3, d(2027, 4, 30)), d(2027, 4, 30), "the skip's own end");
        assert_eq!(resumed_date(jan31, 3, d(2027, 6, 1)), d(2027, 4, 30), "never past the skip");
    }
}
