//! **R18, price changes of pending renewals** (run by `SEND_NOTICES`, daily). For the latest scheduled
//! change of each renewal plan (to `new` from `effective_from`):
//! 1. on its effective day it becomes the plan's own price (what new subscriptions pay);
//! 2. each pending renewal of the plan at another price whose payer was not told yet is told now — once:
//!    a notice row per (change, renewal) and the e-mail's dedupe key; a renewal's next cycle inherits
//!    its predecessor's notice (no second e-mail);
//! 3. a renewal takes the new price when its deduct date is on or after `effective_from` and at least
//!    `catalog.price_notice_days` after its payer was told; a renewal due sooner keeps the old price for
//!    that cycle, and its next cycle takes the new one.

use crate::entity::{price_notice, renewal};
use crate::mail::{mail_data, recipient};
use crate::store::event_of;
use crate::{RenewalStatus, RenewalsError};
use catalog::PriceChange;
use chrono::{DateTime, Days, NaiveDate, Utc};
use notify::email::{self, EmailKind, NewEmail};
use platform_core::db::begin_write;
use platform_core::events;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;
use std::collections::HashMap;

/// Renewals read per page.
const PAGE: u64 = 500;

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PriceSummary {
    /// Plans whose own price changed today.
    pub plans: u64,
    /// Payers told (notices queued).
    pub noticed: u64,
    /// Renewals moved to a new price.
    pub repriced: u64,
}

/// Applies every plan's latest price change as of business day `as_of`.
pub async fn apply_due(
    db: &DatabaseConnection,
    settings: &platform_core::settings::RenewalSettings,
    notice_days: u32,
    as_of: NaiveDate,
    at: DateTime<Utc>,
) -> Result<PriceSummary, RenewalsError> {
    let mut summary = PriceSummary::default();
    let txn = begin_write(db).await?;
    summary.plans = catalog::admin::apply_due_price_changes(&txn, as_of, at).await?;
    txn.commit().await?;
    for change in catalog::admin::latest_price_changes(db).await? {
        let mut after = 0;
        loop {
            let page = renewal::Entity::find()
                .filter(renewal::Column::Id.gt(after))
                .filter(renewal::Column::PromotionCode.eq(change.promotion_code.as_str()))
                .filter(renewal::Column::RenewStatus.eq(i16::from(RenewalStatus::Pending.code())))
                .filter(renewal::Column::DeductPrice.ne(change.new_amount.amount()))
                .order_by_asc(renewal::Column::Id)
                .limit(PAGE)
                .all(db)
                .await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            let done = page_of(db, settings, &change, notice_days, page, as_of, at).await?;
            summary.noticed += done.noticed;
            summary.repriced += done.repriced;
        }
    }
    Ok(summary)
}

/// One page of a plan's pending renewals at another price: told, then repriced where the rule allows.
async fn page_of(
    db: &DatabaseConnection,
    settings: &platform_core::settings::RenewalSettings,
    change: &PriceChange,
    notice_days: u32,
    rows: Vec<renewal::Model>,
    as_of: NaiveDate,
    at: DateTime<Utc>,
) -> Result<PriceSummary, RenewalsError> {
    let mut summary = PriceSummary::default();
    // Who was told already, themselves or as the cycle before (`creation_key` `after:<id>`).
    let previous: HashMap<i64, i64> = rows
        .iter()
        .filter_map(|r| Some((r.id, r.creation_key.as_deref()?.strip_prefix("after:")?.parse().ok()?)))
        .collect();
    let mut asked: Vec<i64> = rows.iter().map(|r| r.id).collect();
    asked.extend(previous.values());
    let told: HashMap<i64, NaiveDate> = price_notice::Entity::find()
        .select_only()
        .column(price_notice::Column::RenewalId)
        .column(price_notice::Column::SentOn)
        .filter(price_notice::Column::PriceChangeId.eq(change.id))
        .filter(price_notice::Column::RenewalId.is_in(asked))
        .into_tuple::<(i64, NaiveDate)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let txn = begin_write(db).await?;
    let mut notices = Vec::new();
    let mut mails = Vec::new();
    let mut repriced_events = Vec::new();
    for row in &rows {
        let sent_on = match told.get(&row.id) {
            Some(day) => *day,
            None => {
                let (sent_on, inherited) = match previous.get(&row.id).and_then(|p| told.get(p)) {
                    Some(day) => (*day, true),
                    None => (as_of, false),
                };
                notices.push(price_notice::ActiveModel {
                    price_change_id: Set(change.id),
                    renewal_id: Set(row.id),
                    sent_on: Set(sent_on),
                });
                if !inherited {
                    mails.push(notice_mail(&txn, settings, change, row, notice_days, as_of).await?);
                }
                sent_on
            }
        };
        if takes_new_price(row.deduct_date, change.effective_from, sent_on, notice_days) {
            let updated = renewal::Entity::update_many()
                .col_expr(renewal::Column::DeductPrice, Expr::value(change.new_amount.amount()))
                .col_expr(renewal::Column::UpdatedAt, Expr::value(at))
                .filter(renewal::Column::Id.eq(row.id))
                .filter(renewal::Column::RenewStatus.eq(i16::from(RenewalStatus::Pending.code())))
                .filter(renewal::Column::ChargeOrderNo.is_null())
                // Not while a charge runner holds it: its charge is at the price it read.
                .filter(
                    Condition::any()
                        .add(renewal::Column::LeaseUntil.is_null())
                        .add(renewal::Column::LeaseUntil.lt(at)),
                )
                .exec(&txn)
                .await?;
            if updated.rows_affected == 1 {
                summary.repriced += 1;
                repriced_events.push(event_of(
                    "renewal.price_changed",
                    row,
                    json!({ "oldPrice": row.deduct_price, "newPrice": change.new_amount.amount(),
                            "priceChangeId": change.id }),
                ));
            }
        }
    }
    summary.noticed = mails.len() as u64;
    for chunk in notices.chunks(PAGE as usize) {
        price_notice::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([price_notice::Column::PriceChangeId, price_notice::Column::RenewalId])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    email::queue_many(&txn, mails, at).await?;
    events::append_many(&txn, repriced_events, at).await?;
    txn.commit().await?;
    Ok(summary)
}

/// **R18:** whether a cycle due on `deduct` is charged at a change's new price: on or after the change,
/// and at least `notice_days` after its payer was told.
pub fn takes_new_price(
    deduct: NaiveDate,
    effective_from: NaiveDate,
    told_on: NaiveDate,
    notice_days: u32,
) -> bool {
    let noticed_enough =
        told_on.checked_add_days(Days::new(u64::from(notice_days))).is_some_and(|d| deduct >= d);
    deduct >= effective_from && noticed_enough
}

async fn notice_mail(
    txn: &sea_orm::DatabaseTransaction,
    settings: &platform_core::settings::RenewalSettings,
    change: &PriceChange,
    row: &renewal::Model,
    notice_days: u32,
    as_of: NaiveDate,
) -> Result<NewEmail, RenewalsError> {
    let (to, name) = recipient(txn, row).await?;
    let mut data = mail_data(row, &name, None, &settings.card_update_url);
    data["oldPrice"] = json!(row.deduct_price);
    data["newPrice"] = json!(change.new_amount.amount());
    data["effectiveFrom"] = json!(change.effective_from);
    let first = takes_new_price(row.deduct_date, change.effective_from, as_of, notice_days)
        .then_some(row.deduct_date);
    data["firstChargeAtNewPrice"] = json!(first);
    Ok(NewEmail {
        kind: EmailKind::PriceChangeNotice,
        dedupe_key: format!("price_notice:{}:{}", change.id, row.id),
        to,
        regarding: format!("renewal:{}", row.id),
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn r18_a_new_price_needs_its_effective_day_and_the_notice_period() {
        let told = d(2026, 12, 1);
        let from = d(2026, 12, 15);
        // (deduct date, new price?)
        for (deduct, expected) in [
            (d(2026, 12, 11), false), // due in 10 days: before the change and the notice period
            (d(2026, 12, 20), false), // after the change but only 19 days after the notice
            (d(2026, 12, 31), true),  // 30 days after the notice, after the change
            (d(2027, 1, 11), true),   // the next cycle of the one due in 10 days
        ] {
            assert_eq!(takes_new_price(deduct, from, told, 30), expected, "{deduct}");
        }
        assert!(!takes_new_price(d(2027, 1, 11), d(2027, 2, 1), told, 30), "before the change itself");
    }
}
