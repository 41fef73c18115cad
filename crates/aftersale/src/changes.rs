//! **R20 from a file** (seed 000 tasks 7–10: the evening's スキップ / 再開 / 解約 spreadsheet): one
//! subscription change applied through the same domain functions as the mutations, in the caller's
//! transaction, once per change key — a re-run of the file applies nothing twice (a skip adds cycles each
//! time it is applied, so its key is what makes the import safe to repeat).

use crate::AfterSaleError;
use crate::delivery::{resume_in, suspend_in};
use chrono::{DateTime, Utc};
use entitlements::suspend::SuspendInput;
use members::Account;
use platform_core::BusinessCalendar;
use platform_core::settings::RenewalSettings;
use renewals::cancel::{CancelReason, at_term_end_in};
use renewals::change::{resume_in as resume_skip_in, skip_in};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

/// What a row asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Skip `count` monthly renewals (おやすみ).
    Skip,
    /// Resume: the delivery suspension of the product if one is open, else the renewal's skip (再開).
    Resume,
    /// Hold `count` issues of a print product from volume `from` (止寄).
    Suspend,
    /// Cancel the renewal at the end of its term (解約).
    Cancel,
}

impl Action {
    /// From the file's spelling.
    pub fn parse(raw: &str) -> Option<Action> {
        match raw.trim().to_ascii_uppercase().as_str() {
            "SKIP" => Some(Action::Skip),
            "RESUME" => Some(Action::Resume),
            "SUSPEND" => Some(Action::Suspend),
            "CANCEL" => Some(Action::Cancel),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Action::Skip => "SKIP",
            Action::Resume => "RESUME",
            Action::Suspend => "SUSPEND",
            Action::Cancel => "CANCEL",
        }
    }
}

/// One subscription change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionChange {
    /// The subscriber's customer number (required to suspend).
    pub customer_no: Option<String>,
    /// Or its member account.
    pub account: Option<Account>,
    /// What to do.
    pub action: Action,
    /// The product (with the subscriber, it names the renewal or the delivery).
    pub product_code: Option<String>,
    /// Or the renewal itself.
    pub renewal_id: Option<i64>,
    /// SUSPEND: the first volume held; otherwise a date or label that tells two changes apart.
    pub from: Option<String>,
    /// SKIP: cycles; SUSPEND: issues.
    pub count: Option<i32>,
    /// CANCEL: one of the fixed reasons, or free words (then OTHER with them as the note).
    pub reason: Option<String>,
}

impl SubscriptionChange {
    /// The change's key: the same change named the same way is applied once.
    pub fn key(&self) -> String {
        let target = match (self.renewal_id, &self.customer_no, &self.account) {
            (Some(id), _, _) => format!("renewal:{id}"),
            (None, Some(no), _) => format!("customer:{no}"),
            (None, None, Some(account)) => format!("member:{account}"),
            (None, None, None) => "-".to_owned(),
        };
        format!(
            "subscription-change:{}:{target}:{}:{}:{}",
            self.action.as_str(),
            self.product_code.as_deref().unwrap_or("-"),
            self.from.as_deref().unwrap_or("-"),
            self.count.map_or_else(|| "-".to_owned(), |c| c.to_string())
        )
    }
}

/// What applying a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Applied now.
    Applied,
    /// Applied before under the same key: nothing was written.
    Before,
}

/// Applies `change` in `txn` (which the caller commits or rolls back).
pub async fn apply(
    txn: &impl ConnectionTrait,
    calendar: BusinessCalendar,
    settings: &RenewalSettings,
    change: &SubscriptionChange,
    at: DateTime<Utc>,
) -> Result<Applied, AfterSaleError> {
    if !claim(txn, &change.key(), at).await? {
        return Ok(Applied::Before);
    }
    match change.action {
        Action::Skip => {
            let id = renewal_of(txn, change).await?;
            skip_in(txn, id, change.count.unwrap_or(1), settings, at).await?;
        }
        Action::Cancel => {
            let id = renewal_of(txn, change).await?;
            let words = change.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
            let named = words
                .and_then(|w| CancelReason::ALL.into_iter().find(|r| r.as_str().eq_ignore_ascii_case(w)));
            let (reason, note) = match (named, words) {
                (Some(reason), _) => (reason, None),
                (None, note) => (CancelReason::Other, note.or(Some("from the subscription-changes file"))),
            };
            at_term_end_in(txn, id, reason, note, settings, at).await?;
        }
        Action::Suspend => {
            let input = SuspendInput {
                customer_no: required(change.customer_no.clone(), "customerNo", "to suspend a delivery")?,
                product_code: required(change.product_code.clone(), "productCode", "to suspend a delivery")?,
                from_volume: change
                    .from
                    .as_deref()
                    .and_then(|f| f.trim().parse().ok())
                    .ok_or_else(|| invalid("from", "the first volume to hold, a number"))?,
                issues: change.count.unwrap_or(1),
                reason: change.reason.clone(),
            };
            suspend_in(txn, calendar, &input, at).await?;
        }
        Action::Resume => {
            if let (Some(customer), Some(product), None) =
                (&change.customer_no, &change.product_code, change.renewal_id)
            {
                match resume_in(txn, calendar, customer, product, at).await {
                    Ok(_) => return Ok(Applied::Applied),
                    Err(AfterSaleError::Entitlements(entitlements::EntitlementsError::NotFound {
                        ..
                    })) => {}
                    Err(AfterSaleError::Entitlements(entitlements::EntitlementsError::Invalid {
                        ..
                    })) => {}
                    Err(other) => return Err(other),
                }
            }
            let id = renewal_of(txn, change).await?;
            resume_skip_in(txn, id, calendar.date_of(at), settings, at).await?;
        }
    }
    Ok(Applied::Applied)
}

/// Records `key` as applied; `false` when it was already.
async fn claim(txn: &impl ConnectionTrait, key: &str, at: DateTime<Utc>) -> Result<bool, AfterSaleError> {
    if key.len() > 400 {
        return Err(invalid("row", "too long to be a subscription change"));
    }
    let backend = txn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "INSERT INTO applied_changes (change_key, applied_at) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        }
        _ => "INSERT INTO applied_changes (change_key, applied_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
    };
    let done = txn.execute_raw(Statement::from_sql_and_values(backend, sql, [key.into(), at.into()])).await?;
    Ok(done.rows_affected() == 1)
}

/// The renewal a change names: by id, or the subscriber's one live renewal of the product.
async fn renewal_of(txn: &impl ConnectionTrait, change: &SubscriptionChange) -> Result<i64, AfterSaleError> {
    if let Some(id) = change.renewal_id {
        return Ok(id);
    }
    let product = required(change.product_code.clone(), "productCode", "or a renewalId")?;
    if change.customer_no.is_none() && change.account.is_none() {
        return Err(invalid("customerNo", "give customerNo or account, or a renewalId"));
    }
    let live = renewals::service::live_renewal_ids(
        txn,
        change.customer_no.as_deref(),
        change.account.as_ref(),
        &product,
    )
    .await?;
    match live.as_slice() {
        [one] => Ok(*one),
        [] => Err(AfterSaleError::Renewals(renewals::RenewalsError::NotFound {
            field: "productCode",
            message: format!("the subscriber has no live renewal of {product}"),
        })),
        _ => Err(invalid(
            "renewalId",
            format!("the subscriber has {} live renewals of {product}: name one", live.len()),
        )),
    }
}

fn required(value: Option<String>, field: &'static str, why: &str) -> Result<String, AfterSaleError> {
    value.filter(|v| !v.trim().is_empty()).ok_or_else(|| invalid(field, format!("required {why}")))
}

fn invalid(field: &'static str, message: impl Into<String>) -> AfterSaleError {
    AfterSaleError::Renewals(renewals::RenewalsError::Invalid { field, message: message.into() })
}
