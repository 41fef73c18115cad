//! R11: temporary entitlements granted by operators (客服臨時權益).

use crate::EntitlementsError;
use crate::entity::grant;
use crate::grant::{Holder as RowHolder, locked_entitlement};
use crate::model::{Entitlement, Holder};
use crate::query::from_row;
use catalog::ProductKind;
use chrono::{DateTime, Days};
use members::{Account, service as members_service};
use platform_core::BusinessCalendar;
use platform_core::db::begin_write;
use platform_core::events::{self, NewEvent};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, IntoActiveModel};
use serde_json::json;

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
    let row = locked_entitlement(&txn, RowHolder::Member(member_id), product_code, at).await?;
    let today = calendar.date_of(at);
    let until = today.checked_add_days(Days::new(u64::from(days.unsigned_abs()))).unwrap_or(today);
    let until = row.temporary_until.map_or(until, |current| current.max(until));
    let mut next = row.into_active_model();
    next.temporary_until = Set(Some(until));
    next.updated_at = Set(at);
    let updated = next.update(&txn).await?;
    grant::ActiveModel {
        entitlement_id: Set(Some(updated.id)),
        kind: Set("TEMPORARY".to_owned()),
        outcome: Set("GRANTED".to_owned()),
        right_due_date: Set(Some(until)),
        seniority_thousandths: Set(0),
        granted_at: Set(at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let payload = json!({ "account": account.as_str(), "productCode": product_code, "days": days,
                          "temporaryUntil": until, "rightDueDate": updated.right_due_date });
    let subject = format!("entitlement:{}", updated.id);
    events::append(&txn, NewEvent { event_type: "entitlement.temporary_granted", subject, payload }, at)
        .await?;
    txn.commit().await?;
    Ok(from_row(updated, Holder::Member(account.to_string())))
}
