//! **R20 changes of many renewals at once** — skips and end-of-term cancellations — in the caller's
//! transaction with a fixed number of reads whatever the number (the rows, their open intents, their plans,
//! their payers), the changed renewals, their events and e-mails each written with multi-row statements. The
//! mutations are this with one request; the `subscription-changes` import sends a batch. Each request is
//! checked on its own: a refused one writes nothing and the others land.

use crate::cancel::{CancelReason, checked_note};
use crate::change::MAX_SKIPPED;
use crate::entity::renewal;
use crate::mail::{addressee, mail_data};
use crate::store::{event_of, open_intents, status_of};
use crate::{RenewalStatus, RenewalsError};
use catalog::RenewalPeriod;
use chrono::{DateTime, Utc};
use notify::email::{self, EmailKind, NewEmail};
use platform_core::RenewalId;
use platform_core::events::{self, NewEvent};
use platform_core::settings::RenewalSettings;
use platform_core::{CustomerId, MemberId};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement, Value};
use serde_json::json;
use std::collections::HashMap;

/// A change of one renewal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Skip the next `cycles` monthly charges.
    Skip {
        /// 1–12 in all.
        cycles: i32,
    },
    /// Cancel at the end of the term.
    Cancel {
        /// One of the fixed reasons.
        reason: CancelReason,
        /// The payer's or operator's words (required for OTHER).
        note: Option<String>,
        /// IMMEDIATE (the after-sale flow takes the current term back) rather than at the end of the term.
        immediate: bool,
    },
}

/// What happened to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// Changed now.
    Changed,
    /// Nothing to do: it was so already (a cancelled renewal cancelled again).
    AsItWas,
}

/// Applies `requests` (renewal id, change) — each renewal at most once — in `txn`; one answer per request,
/// in order. `Err` of the whole call only when the database fails.
pub async fn change_many(
    txn: &impl ConnectionTrait,
    requests: &[(RenewalId, Change)],
    settings: &RenewalSettings,
    at: DateTime<Utc>,
) -> Result<Vec<Result<Done, RenewalsError>>, RenewalsError> {
    let ids: Vec<i64> = requests.iter().map(|(id, _)| id.0).collect();
    let mut rows: HashMap<i64, renewal::Model> = HashMap::new();
    for chunk in ids.chunks(1_000) {
        for row in
            renewal::Entity::find().filter(renewal::Column::Id.is_in(chunk.iter().copied())).all(txn).await?
        {
            rows.insert(row.id, row);
        }
    }
    let busy = open_intents(txn, &ids).await?;
    let mut plans: HashMap<String, Option<RenewalPeriod>> = HashMap::new();
    for (id, change) in requests {
        if let (Change::Skip { .. }, Some(row)) = (change, rows.get(&id.0))
            && !plans.contains_key(&row.promotion_code)
        {
            let plan = catalog::service::find_promotion(txn, &row.promotion_code).await?;
            plans.insert(row.promotion_code.clone(), plan.and_then(|p| p.renewal_period));
        }
    }
    let mut answers = Vec::with_capacity(requests.len());
    let mut changed: Vec<(renewal::Model, &'static str, &'static str, serde_json::Value)> = Vec::new();
    for (id, change) in requests {
        let Some(row) = rows.get(&id.0) else {
            answers.push(Err(RenewalsError::NotFound {
                field: "renewalId",
                message: format!("no renewal {id}"),
            }));
            continue;
        };
        let leased = row.lease_until.is_some_and(|until| until > Utc::now());
        let answer = if leased || busy.contains_key(&id.0) {
            Err(RenewalsError::Conflict(format!(
                "renewal {id} is being charged right now; try again in a few minutes"
            )))
        } else {
            next_of(row, change, plans.get(&row.promotion_code).copied().flatten(), at)
        };
        match answer {
            Ok(Some((next, event_type, action, extra))) => {
                changed.push((next, event_type, action, extra));
                answers.push(Ok(Done::Changed));
            }
            Ok(None) => answers.push(Ok(Done::AsItWas)),
            Err(err) => answers.push(Err(err)),
        }
    }
    record(txn, changed, settings, at).await?;
    Ok(answers)
}

/// What `change` makes of `row` (`None`: nothing to do), or why it is refused.
#[allow(clippy::type_complexity, reason = "the row, its event, the e-mail's action and the event's extra")]
fn next_of(
    row: &renewal::Model,
    change: &Change,
    period: Option<RenewalPeriod>,
    at: DateTime<Utc>,
) -> Result<Option<(renewal::Model, &'static str, &'static str, serde_json::Value)>, RenewalsError> {
    let id = row.id;
    let status = status_of(row)?;
    let mut next = row.clone();
    next.updated_at = at;
    match change {
        Change::Skip { cycles } => {
            if !(1..=MAX_SKIPPED).contains(cycles) {
                return Err(RenewalsError::Invalid {
                    field: "cycles", message: format!("1–{MAX_SKIPPED}")
                });
            }
            if status != RenewalStatus::Pending {
                return Err(RenewalsError::Conflict(format!(
                    "renewal {id} is {status:?}; only pending renewals change"
                )));
            }
            if period != Some(RenewalPeriod::Monthly) {
                return Err(RenewalsError::Invalid {
                    field: "renewalId",
                    message: format!(
                        "renewal {id} is not of a MONTHLY plan; only monthly cycles are skipped"
                    ),
                });
            }
            let total = row.skipped_cycles + cycles;
            if total > MAX_SKIPPED {
                return Err(RenewalsError::Invalid {
                    field: "cycles",
                    message: format!(
                        "{} cycles are skipped already; at most {MAX_SKIPPED} in all",
                        row.skipped_cycles
                    ),
                });
            }
            let anchor = row.skip_anchor.unwrap_or(row.deduct_date);
            next.skip_anchor = Some(anchor);
            next.skipped_cycles = total;
            next.deduct_date = crate::change::skipped_date(anchor, total);
            next.notice_sent_on = None;
            let extra = json!({ "cycles": cycles, "skippedCycles": total, "from": row.deduct_date, "to": next.deduct_date });
            Ok(Some((next, "renewal.skipped", "SKIP", extra)))
        }
        Change::Cancel { reason, note, immediate } => {
            let note = checked_note(*reason, note.as_deref())?;
            if status == RenewalStatus::Stopped && row.cancel_reason.is_some() {
                return Ok(None);
            }
            // A failed renewal is cancelled too (it would only be retried).
            if !matches!(status, RenewalStatus::Pending | RenewalStatus::Failed) {
                return Err(RenewalsError::Conflict(format!(
                    "renewal {id} is {status:?}; only pending or failed renewals cancel"
                )));
            }
            next.renew_status = i16::from(RenewalStatus::Stopped.code());
            next.cancel_reason = Some(reason.as_str().to_owned());
            next.cancel_note = note.map(str::to_owned);
            next.next_retry_on = None;
            let extra = if *immediate {
                json!({ "reason": reason.as_str(), "note": note, "effective": "IMMEDIATE", "orderNo": row.origin_order_no })
            } else {
                json!({ "reason": reason.as_str(), "note": note, "effective": "END_OF_TERM",
                        "renewsNoMoreAfter": row.deduct_date })
            };
            Ok(Some((next, "renewal.cancelled", "CANCEL", extra)))
        }
    }
}

/// Writes the changed rows, their events and the payers' confirmation e-mails.
#[allow(clippy::type_complexity, reason = "the row, its event, the e-mail's action and the event's extra")]
pub(crate) async fn record(
    txn: &impl ConnectionTrait,
    changed: Vec<(renewal::Model, &'static str, &'static str, serde_json::Value)>,
    settings: &RenewalSettings,
    at: DateTime<Utc>,
) -> Result<(), RenewalsError> {
    if changed.is_empty() {
        return Ok(());
    }
    let payers: Vec<(CustomerId, Option<MemberId>)> =
        changed.iter().map(|(r, ..)| (r.customer_id, r.member_id)).collect();
    let contacts = members::service::contacts_of(txn, &payers).await?;
    let written: Vec<&renewal::Model> = changed.iter().map(|(row, ..)| row).collect();
    write_rows(txn, &written).await?;
    let mut events: Vec<NewEvent> = Vec::with_capacity(changed.len());
    let mut mails: Vec<NewEmail> = Vec::with_capacity(changed.len());
    for (row, event_type, action, extra) in changed {
        let (to, name) = addressee(contacts.get(&row.customer_id));
        let mut data = mail_data(&row, &name, None, &settings.card_update_url);
        data["action"] = json!(action);
        data["skippedCycles"] = json!(row.skipped_cycles);
        data["change"] = extra.clone();
        mails.push(NewEmail {
            kind: EmailKind::SubscriptionChanged,
            // One per change: what the renewal became, and when.
            dedupe_key: format!(
                "subscription_changed:{}:{action}:{}:{}:{}",
                row.id,
                row.skipped_cycles,
                row.deduct_date,
                at.timestamp_micros()
            ),
            to,
            regarding: format!("renewal:{}", row.id),
            data,
        });
        events.push(event_of(event_type, &row, extra));
    }
    events::append_many(txn, events, at).await?;
    email::queue_many(txn, mails, at).await?;
    Ok(())
}

/// The columns a change writes, with their SQL types (PostgreSQL needs them on bound values in VALUES).
const WRITTEN: [(&str, &str); 9] = [
    ("renew_status", "smallint"),
    ("cancel_reason", "varchar"),
    ("cancel_note", "varchar"),
    ("next_retry_on", "date"),
    ("skip_anchor", "date"),
    ("skipped_cycles", "integer"),
    ("deduct_date", "date"),
    ("notice_sent_on", "date"),
    ("updated_at", "timestamptz"),
];

/// Writes the changed columns of `rows` with one `WITH v AS (VALUES …) UPDATE … FROM v` per 1,000 rows.
async fn write_rows(txn: &impl ConnectionTrait, rows: &[&renewal::Model]) -> Result<(), RenewalsError> {
    let backend = txn.get_database_backend();
    let postgres = backend == DbBackend::Postgres;
    let width = WRITTEN.len() + 1;
    for chunk in rows.chunks(1_000) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * width);
        let mut tuples = Vec::with_capacity(chunk.len());
        for (n, row) in chunk.iter().enumerate() {
            values.extend([
                Value::from(row.id),
                Value::from(row.renew_status),
                Value::from(row.cancel_reason.clone()),
                Value::from(row.cancel_note.clone()),
                Value::from(row.next_retry_on),
                Value::from(row.skip_anchor),
                Value::from(row.skipped_cycles),
                Value::from(row.deduct_date),
                Value::from(row.notice_sent_on),
                Value::from(row.updated_at),
            ]);
            let marks: Vec<String> = std::iter::once("bigint")
                .chain(WRITTEN.iter().map(|(_, kind)| *kind))
                .enumerate()
                .map(|(k, kind)| {
                    if postgres { format!("CAST(${} AS {kind})", n * width + k + 1) } else { "?".to_owned() }
                })
                .collect();
            tuples.push(format!("({})", marks.join(", ")));
        }
        let names: Vec<&str> = std::iter::once("id").chain(WRITTEN.iter().map(|(name, _)| *name)).collect();
        let sets: Vec<String> = WRITTEN.iter().map(|(name, _)| format!("{name} = v.{name}")).collect();
        let sql = format!(
            "WITH v({}) AS (VALUES {}) UPDATE renewals SET {} FROM v WHERE renewals.id = v.id",
            names.join(", "),
            tuples.join(", "),
            sets.join(", ")
        );
        txn.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    }
    Ok(())
}
