//! R11: temporary entitlements granted by operators (客服臨時權益).

use crate::EntitlementsError;
use crate::grant::{Holder as RowHolder, locked_entitlement};
use crate::model::{Entitlement, Holder};
use crate::query::from_row;
use catalog::ProductKind;
use chrono::{DateTime, Days};
use members::{Account, service as members_service};
use platform_core::BusinessCalendar;
use platform_core::db::begin_write;
use sea_orm::DatabaseConnection;

/// Longest temporary grant, in days.
pub const MAX_TEMPORARY_DAYS: i32 = 366;

/// Grants member `account` `days` days of digital/PERIOD product `product_code` from today: its
/// `temporaryUntil` becomes at least today + days, and effective access is the later of that and the paid
/// due date. Emits `entitlement.temporary_granted`.
pub async fn grant_temporary(
    db: &DatabaseConnection,
    calendar: BusinessCalendar,
    account: &Account,
    product_code: &str,
    days: i32,
    at: DateTime<chrono::Utc>,
) -> Result<Entitlement, EntitlementsError> {
    if !(1..=MAX_TEMPORARY_DAYS).contains(&days) {
        return Err(EntitlementsError::Invalid {
            field: "days",
            message: format!("must be 1-{MAX_TEMPORARY_DAYS}"),
        });
    }
    let product = catalog::service::find_product(db, product_code).await?.ok_or_else(|| {
        EntitlementsError::NotFound { field: "productCode", message: format!("no product {product_code}") }
    })?;
    if !(product.digital || product.kind == ProductKind::Period) {
        return Err(EntitlementsError::Invalid {
            field: "productCode",
            message: format!("{product_code} is a print product; temporary grants are for digital products"),
        });
    }
    let txn = begin_write(db).await?;
    let member_id = members_service::member_id(&txn, account).await?.ok_or_else(|| {
        EntitlementsError::NotFound { field: "account", message: format!("no member {account}") }
    })?;
    // The batch path with one member: the same rows, ledger and event as the charge run's temporary access.
    let today = calendar.date_of(at);
    let until = today.checked_add_days(Days::new(u64::from(days.unsigned_abs()))).unwrap_or(today);
    let members = [(member_id, account.clone())];
    crate::batch::extend_temporary_in(&txn, &members, product_code, until, days.unsigned_abs(), at).await?;
    let updated = locked_entitlement(&txn, RowHolder::Member(member_id), product_code, at).await?;
    txn.commit().await?;
    Ok(from_row(updated, Holder::Member(account.to_string())))
}
