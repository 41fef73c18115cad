//! **R8, deduct notices.** `notice_days` before the deduct date the payer gets a notice e-mail; for a
//! MONTHLY plan only before the first cycle. Each renewal's notice is queued once (a conditional update of
//! `notice_sent_on` and the outbox's dedupe key, in one transaction), and a notice a late run missed is
//! still sent while the deduct date is in the future.

use crate::RenewalStatus;
use crate::RenewalsError;
use crate::entity::renewal;
use crate::mail::{mail_data, recipient};
use catalog::RenewalPeriod;
use chrono::{DateTime, Days, NaiveDate, Utc};
use notify::email::{self, EmailKind, NewEmail};
use platform_core::db::begin_write;
use platform_core::settings::RenewalSettings;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;
use std::collections::HashMap;

/// Renewals read per page.
const PAGE: u64 = 500;

/// Queues the notices due as of `as_of`; returns how many were queued.
pub async fn send_due(
    db: &DatabaseConnection,
    settings: &RenewalSettings,
    as_of: NaiveDate,
    at: DateTime<Utc>,
) -> Result<u64, RenewalsError> {
    let until = as_of.checked_add_days(Days::new(u64::from(settings.notice_days))).unwrap_or(as_of);
    let mut periods: HashMap<String, Option<RenewalPeriod>> = HashMap::new();
    let mut queued = 0;
    let mut after = 0;
    loop {
        let page = renewal::Entity::find()
            .filter(renewal::Column::Id.gt(after))
            .filter(renewal::Column::RenewStatus.eq(i16::from(RenewalStatus::Pending.code())))
            .filter(renewal::Column::NoticeSentOn.is_null())
            .filter(renewal::Column::DeductDate.gt(as_of))
            .filter(renewal::Column::DeductDate.lte(until))
            .order_by_asc(renewal::Column::Id)
            .limit(PAGE)
            .all(db)
            .await?;
        let Some(last) = page.last() else { return Ok(queued) };
        after = last.id;
        for row in page {
            let period = match periods.get(&row.promotion_code) {
                Some(known) => *known,
                None => {
                    let found = catalog::service::find_promotion(db, &row.promotion_code).await?;
                    let period = found.and_then(|p| p.renewal_period);
                    periods.insert(row.promotion_code.clone(), period);
                    period
                }
            };
            if period == Some(RenewalPeriod::Monthly) && row.cycle > 1 {
                continue;
            }
            if notify(db, settings, &row, as_of, at).await? {
                queued += 1;
            }
        }
    }
}

async fn notify(
    db: &DatabaseConnection,
    settings: &RenewalSettings,
    row: &renewal::Model,
    as_of: NaiveDate,
    at: DateTime<Utc>,
) -> Result<bool, RenewalsError> {
    let txn = begin_write(db).await?;
    let marked = renewal::Entity::update_many()
        .col_expr(renewal::Column::NoticeSentOn, Some(as_of).into())
        .filter(renewal::Column::Id.eq(row.id))
        .filter(renewal::Column::NoticeSentOn.is_null())
        .exec(&txn)
        .await?;
    if marked.rows_affected != 1 {
        return Ok(false);
    }
    let (to, name) = recipient(&txn, row).await?;
    let mut data = mail_data(row, &name, None, &settings.card_update_url);
    data["cycle"] = json!(row.cycle);
    let email = NewEmail {
        kind: EmailKind::RenewalNotice,
        dedupe_key: format!("renewal_notice:{}", row.id),
        to,
        regarding: format!("renewal:{}", row.id),
        data,
    };
    email::queue(&txn, email, at).await?;
    txn.commit().await?;
    Ok(true)
}
