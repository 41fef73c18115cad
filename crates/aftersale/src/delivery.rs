//! **R20, suspending and resuming a print delivery** (seed 000 tasks 7–8: スキップ(おやすみ) / 再開): the
//! entitlements domain holds the issues and grows the term; in the same transaction the holder's renewals
//! follow the new due date (R5) and the subscriber's confirmation e-mail is queued.

use crate::AfterSaleError;
use chrono::{DateTime, Utc};
use entitlements::DueChange;
use entitlements::suspend::{self, SuspendInput, Suspension};
use notify::email::{self, EmailKind, NewEmail};
use platform_core::BusinessCalendar;
use platform_core::db::begin_write;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::json;

/// Suspends a delivery per `input`; asking again for the open suspension answers it.
pub async fn suspend_delivery(
    db: &DatabaseConnection,
    calendar: BusinessCalendar,
    input: &SuspendInput,
    at: DateTime<Utc>,
) -> Result<Suspension, AfterSaleError> {
    let txn = begin_write(db).await?;
    let held = suspend_in(&txn, calendar, input, at).await?;
    txn.commit().await?;
    Ok(held)
}

/// [`suspend_delivery`] in the caller's transaction.
pub async fn suspend_in(
    txn: &impl ConnectionTrait,
    calendar: BusinessCalendar,
    input: &SuspendInput,
    at: DateTime<Utc>,
) -> Result<Suspension, AfterSaleError> {
    let (held, change) = suspend::suspend(txn, input, calendar.date_of(at), at).await?;
    if let Some(change) = change {
        follow(txn, &change, &held, "SUSPEND", at).await?;
    }
    Ok(held)
}

/// Resumes the open suspension of `customer_no`'s `product_code`.
pub async fn resume_delivery(
    db: &DatabaseConnection,
    calendar: BusinessCalendar,
    customer_no: &str,
    product_code: &str,
    at: DateTime<Utc>,
) -> Result<Suspension, AfterSaleError> {
    let txn = begin_write(db).await?;
    let resumed = resume_in(&txn, calendar, customer_no, product_code, at).await?;
    txn.commit().await?;
    Ok(resumed)
}

/// [`resume_delivery`] in the caller's transaction.
pub async fn resume_in(
    txn: &impl ConnectionTrait,
    calendar: BusinessCalendar,
    customer_no: &str,
    product_code: &str,
    at: DateTime<Utc>,
) -> Result<Suspension, AfterSaleError> {
    let (resumed, change) = suspend::resume(txn, customer_no, product_code, calendar.date_of(at), at).await?;
    follow(txn, &change, &resumed, "RESUME", at).await?;
    Ok(resumed)
}

/// R5 for the holder's renewals and the confirmation e-mail.
async fn follow(
    txn: &impl ConnectionTrait,
    change: &DueChange,
    held: &Suspension,
    action: &str,
    at: DateTime<Utc>,
) -> Result<(), AfterSaleError> {
    renewals::follow::follow_due_changes(txn, std::slice::from_ref(change), at).await?;
    let Some(customer) = change.holder_customer_id else { return Ok(()) };
    let contacts = members::service::contacts_of(txn, &[(customer, None)]).await?;
    let contact = contacts.get(&customer);
    let name = contact.map(|c| c.name.clone().unwrap_or_else(|| c.customer_no.clone())).unwrap_or_default();
    let mail = NewEmail {
        kind: EmailKind::DeliveryChanged,
        dedupe_key: format!(
            "delivery_changed:{}:{}:{action}:{}:{}",
            held.customer_no,
            held.product_code,
            held.from_volume,
            at.timestamp_micros()
        ),
        to: contact.and_then(|c| c.email.clone()),
        regarding: format!("customer:{}", held.customer_no),
        data: json!({ "customerName": name, "action": action, "productCode": held.product_code,
                      "fromVolume": held.from_volume, "issues": held.issues, "endVolume": held.end_volume,
                      "rightDueDate": held.right_due_date }),
    };
    email::queue(txn, mail, at).await?;
    Ok(())
}
