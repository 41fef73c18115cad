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
use renewals::cancel::CancelReason;
use renewals::change::resume_in as resume_skip_in;
use renewals::many::{Change, change_many};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement, TransactionTrait};

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
    pub renewal_id: Option<platform_core::RenewalId>,
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

/// Applies `change` in `txn` (which the caller commits or rolls back): the batch with one change.
pub async fn apply(
    txn: &DatabaseTransaction,
    calendar: BusinessCalendar,
    settings: &RenewalSettings,
    change: &SubscriptionChange,
    at: DateTime<Utc>,
) -> Result<Applied, AfterSaleError> {
    let mut answers = apply_batch(txn, calendar, settings, std::slice::from_ref(change), at).await?;
    answers.pop().unwrap_or(Ok(Applied::Before))
}

/// Applies `changes` in `txn`, one answer per change in order; a refused change writes nothing and the
/// others land. Skips and cancellations go through [`renewals::many::change_many`] together (a few reads
/// whatever the number); suspensions and resumes one by one, each in a savepoint. Two changes of one
/// subscriber should not share a batch (the import keeps them apart). `Err` only when the database fails.
pub async fn apply_batch(
    txn: &DatabaseTransaction,
    calendar: BusinessCalendar,
    settings: &RenewalSettings,
    changes: &[SubscriptionChange],
    at: DateTime<Utc>,
) -> Result<Vec<Result<Applied, AfterSaleError>>, AfterSaleError> {
    let keys: Vec<String> = changes.iter().map(SubscriptionChange::key).collect();
    // Every new key is claimed at once (the primary key decides); the refused ones are let go at the end.
    let claimed = claim(txn, &keys, at).await?;
    let mut answers: Vec<Option<Result<Applied, AfterSaleError>>> =
        (0..changes.len()).map(|_| None).collect();
    // Skips and cancellations: their renewals found together, then changed together.
    let mut wanted: Vec<(usize, renewals::service::Subscriber)> = Vec::new();
    let mut named: Vec<(usize, platform_core::RenewalId)> = Vec::new();
    for (i, change) in changes.iter().enumerate() {
        if keys[i].len() > 400 {
            answers[i] = Some(Err(invalid("row", "too long to be a subscription change")));
        } else if !claimed.contains(&keys[i]) {
            answers[i] = Some(Ok(Applied::Before));
        } else if matches!(change.action, Action::Skip | Action::Cancel) {
            match (change.renewal_id, &change.product_code) {
                (Some(id), _) => named.push((i, id)),
                (None, None) => answers[i] = Some(Err(invalid("productCode", "required, or a renewalId"))),
                (None, Some(_)) if change.customer_no.is_none() && change.account.is_none() => {
                    answers[i] =
                        Some(Err(invalid("customerNo", "give customerNo or account, or a renewalId")));
                }
                (None, Some(product)) => {
                    wanted.push((i, (change.customer_no.clone(), change.account.clone(), product.clone())));
                }
            }
        }
    }
    let subscribers: Vec<renewals::service::Subscriber> = wanted.iter().map(|(_, s)| s.clone()).collect();
    for ((i, (_, _, product)), ids) in
        wanted.iter().zip(renewals::service::live_renewal_ids(txn, &subscribers).await?)
    {
        match ids.as_slice() {
            [one] => named.push((*i, *one)),
            [] => {
                answers[*i] = Some(Err(AfterSaleError::Renewals(renewals::RenewalsError::NotFound {
                    field: "productCode",
                    message: format!("the subscriber has no live renewal of {product}"),
                })));
            }
            several => {
                let message =
                    format!("the subscriber has {} live renewals of {product}: name one", several.len());
                answers[*i] = Some(Err(invalid("renewalId", message)));
            }
        }
    }
    named.sort_by_key(|(i, _)| *i);
    let requests: Vec<(platform_core::RenewalId, Change)> =
        named.iter().map(|(i, id)| (*id, renewal_change(&changes[*i]))).collect();
    let done = change_many(txn, &requests, settings, at).await?;
    for ((i, _), answer) in named.iter().zip(done) {
        answers[*i] = Some(answer.map(|_| Applied::Applied).map_err(AfterSaleError::from));
    }
    // Suspensions and resumes, one by one.
    for (i, change) in changes.iter().enumerate() {
        if answers[i].is_some() {
            continue;
        }
        let savepoint = txn.begin().await?;
        match one_by_one(&savepoint, calendar, settings, change, at).await {
            Ok(()) => {
                savepoint.commit().await?;
                answers[i] = Some(Ok(Applied::Applied));
            }
            Err(err) if refusal(&err) => {
                savepoint.rollback().await?;
                answers[i] = Some(Err(err));
            }
            Err(err) => return Err(err),
        }
    }
    let refused: Vec<&str> = answers
        .iter()
        .zip(&keys)
        .filter(|(answer, key)| matches!(answer, Some(Err(_))) && claimed.contains(*key))
        .map(|(_, key)| key.as_str())
        .collect();
    let_go(txn, &refused).await?;
    Ok(answers.into_iter().map(|a| a.unwrap_or(Ok(Applied::Before))).collect())
}

/// A refusal of the change (bad input, not found, a conflict), not a failure of the database.
pub fn refusal(err: &AfterSaleError) -> bool {
    use platform_core::ErrorCode;
    use platform_core::error::HasErrorCode;
    matches!(err.code(), ErrorCode::BadUserInput | ErrorCode::NotFound | ErrorCode::Conflict)
}

fn renewal_change(change: &SubscriptionChange) -> Change {
    match change.action {
        Action::Skip => Change::Skip { cycles: change.count.unwrap_or(1) },
        _ => {
            let words = change.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
            let named = words
                .and_then(|w| CancelReason::ALL.into_iter().find(|r| r.as_str().eq_ignore_ascii_case(w)));
            match (named, words) {
                (Some(reason), _) => Change::Cancel { reason, note: None, immediate: false },
                (None, note) => Change::Cancel {
                    reason: CancelReason::Other,
                    note: Some(note.unwrap_or("from the subscription-changes file").to_owned()),
                    immediate: false,
                },
            }
        }
    }
}

/// A suspension or a resume.
async fn one_by_one(
    txn: &impl ConnectionTrait,
    calendar: BusinessCalendar,
    settings: &RenewalSettings,
    change: &SubscriptionChange,
    at: DateTime<Utc>,
) -> Result<(), AfterSaleError> {
    match change.action {
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
        _ => {
            if let (Some(customer), Some(product), None) =
                (&change.customer_no, &change.product_code, change.renewal_id)
            {
                match resume_in(txn, calendar, customer, product, at).await {
                    Ok(_) => return Ok(()),
                    Err(AfterSaleError::Entitlements(
                        entitlements::EntitlementsError::NotFound { .. }
                        | entitlements::EntitlementsError::Invalid { .. },
                    )) => {}
                    Err(other) => return Err(other),
                }
            }
            let id = renewal_of(txn, change).await?;
            resume_skip_in(txn, id, calendar.date_of(at), settings, at).await?;
        }
    }
    Ok(())
}

/// Claims the keys among `keys` not applied before; those it claimed.
async fn claim(
    txn: &impl ConnectionTrait,
    keys: &[String],
    at: DateTime<Utc>,
) -> Result<std::collections::HashSet<String>, AfterSaleError> {
    let backend = txn.get_database_backend();
    let mut claimed = std::collections::HashSet::new();
    let short: Vec<&String> = keys.iter().filter(|k| k.len() <= 400).collect();
    for chunk in short.chunks(1_000) {
        let rows = (0..chunk.len())
            .map(|n| match backend {
                DbBackend::Postgres => format!("(${}, ${})", 2 * n + 1, 2 * n + 2),
                _ => "(?, ?)".to_owned(),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO applied_changes (change_key, applied_at) VALUES {rows} ON CONFLICT DO NOTHING RETURNING change_key"
        );
        let values: Vec<sea_orm::Value> = chunk.iter().flat_map(|k| [k.as_str().into(), at.into()]).collect();
        for row in txn.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await? {
            claimed.insert(row.try_get_by_index::<String>(0)?);
        }
    }
    Ok(claimed)
}

/// Lets go of `keys` (changes refused: not applied).
async fn let_go(txn: &impl ConnectionTrait, keys: &[&str]) -> Result<(), AfterSaleError> {
    let backend = txn.get_database_backend();
    for key in keys {
        let sql = match backend {
            DbBackend::Postgres => "DELETE FROM applied_changes WHERE change_key = $1",
            _ => "DELETE FROM applied_changes WHERE change_key = ?",
        };
        txn.execute_raw(Statement::from_sql_and_values(backend, sql, [(*key).into()])).await?;
    }
    Ok(())
}

/// The renewal a change names: by id, or the subscriber's one live renewal of the product.
async fn renewal_of(
    txn: &impl ConnectionTrait,
    change: &SubscriptionChange,
) -> Result<platform_core::RenewalId, AfterSaleError> {
    if let Some(id) = change.renewal_id {
        return Ok(id);
    }
    let product = required(change.product_code.clone(), "productCode", "or a renewalId")?;
    if change.customer_no.is_none() && change.account.is_none() {
        return Err(invalid("customerNo", "give customerNo or account, or a renewalId"));
    }
    let wanted = [(change.customer_no.clone(), change.account.clone(), product.clone())];
    let live = renewals::service::live_renewal_ids(txn, &wanted).await?.pop().unwrap_or_default();
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
