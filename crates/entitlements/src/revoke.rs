//! **R19 revocation rules**, pure: what a cancelled or returned line takes back of its holder's
//! entitlement, always from the end of the coverage (the line's share is the last one served).
//! - VOLUME: the line's issues not yet published — at most the issues it granted, at most those still to
//!   come after the last published one.
//! - PERIOD: the unused part of the line's term — the due date moves back by the term, but never before
//!   today (what was used stays used); an expired pass loses nothing.

use crate::entity::{entitlement, grant};
use crate::grant::{Term, issue_calendar};
use crate::model::DueChange;
use crate::rules::{Calendar, Period};
use crate::{EntitlementsError, SubscribeStatus};
use catalog::ProductKind;
use chrono::{DateTime, Utc};
use chrono::{Days, NaiveDate};
use orders::service::TakenLine;
use platform_core::BusinessCalendar;
use platform_core::events::{self, NewEvent};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QuerySelect,
};
use serde_json::json;

/// The new `endVolume` of a VOLUME entitlement ending at `end_volume` when a line of `issues` issues is
/// revoked and the last issue published by today is `last_published` (`None`: none yet).
pub fn volume_end_after_revoking(end_volume: i32, issues: u32, last_published: Option<i32>) -> i32 {
    let unpublished = match last_published {
        Some(last) => end_volume.saturating_sub(last).max(0),
        None => end_volume.max(0),
    };
    let taken = i32::try_from(issues).unwrap_or(i32::MAX).min(unpublished);
    end_volume - taken
}

/// The new `rightDueDate` of a PERIOD entitlement due on `due` when a line of `term` is revoked on `today`.
pub fn period_due_after_revoking(due: NaiveDate, term: Period, today: NaiveDate) -> NaiveDate {
    if due <= today {
        return due;
    }
    period_start(due, term).max(today)
}

/// Where a term of `term` ending on `due` started.
fn period_start(due: NaiveDate, term: Period) -> NaiveDate {
    match term {
        Period::Months(months) => {
            due.checked_sub_months(chrono::Months::new(months)).unwrap_or(NaiveDate::MIN)
        }
        Period::Days(days) => due.checked_sub_days(Days::new(u64::from(days))).unwrap_or(NaiveDate::MIN),
    }
}

/// **R19:** takes back what `lines` granted, in the caller's transaction `txn`: one REVOKE ledger row per
/// granted line, the entitlement changed from the end of its coverage, its status ended when nothing is
/// left to serve, and `entitlement.revoked`. A line never granted (not yet, or failed) has nothing to take.
pub async fn revoke_lines(
    txn: &impl ConnectionTrait,
    calendar: BusinessCalendar,
    lines: &[TakenLine],
    at: DateTime<Utc>,
) -> Result<Vec<DueChange>, EntitlementsError> {
    let today = calendar.date_of(at);
    let mut changed = Vec::new();
    // Two lines of one entitlement: the second starts from what the first left.
    let mut written: std::collections::HashMap<i64, entitlement::Model> = std::collections::HashMap::new();
    for granted in granted_lines(txn, lines, true).await? {
        let Granted { line, ledger, term, row, issues } = granted;
        let row = written.get(&row.id).cloned().unwrap_or(row);
        let quantity = u32::try_from(line.quantity.max(0)).unwrap_or(0);
        let mut next = row.clone();
        let taken = take(&mut next, term, quantity, issues.as_ref(), today);
        if let (Some(end), Some(start), Some(calendar)) =
            (next.end_volume, next.start_volume, issues.as_ref())
            && end < start
        {
            // The term in force lost its issues from the end: when other grants still cover the holder, the
            // term in force is the last one moved back by what was taken (never before the earliest).
            let moved_back = start - taken.and_then(|t| t.issues).unwrap_or(0);
            if let Some(earlier) = term_in_force(txn, row.id, line.line_id, end).await? {
                let start = moved_back.max(earlier);
                next.start_volume = Some(start);
                next.start_volume_date = calendar.date_of(start).ok().map(|d| d.date);
            }
        }
        let seniority =
            ledger.seniority_thousandths * i64::from(line.quantity) / i64::from(line.bought.max(1));
        next.seniority_thousandths = (next.seniority_thousandths - seniority).max(0);
        let ended = next.right_due_date.is_some_and(|due| due <= today)
            && next.temporary_until.is_none_or(|until| until < today);
        if taken.is_some() && ended {
            let stored = u8::try_from(next.subscribe_status).ok().and_then(SubscribeStatus::from_code);
            let stored = stored.ok_or_else(|| {
                anyhow::anyhow!("entitlement {}: unknown subscribe status {}", next.id, next.subscribe_status)
            })?;
            let status = stored.after_expiry();
            if let Some(status) = status {
                next.subscribe_status = i16::from(status.code());
            }
        }
        next.updated_at = at;
        let updated = crate::grant::changes(&next).update(txn).await?;
        written.insert(updated.id, updated.clone());
        grant::ActiveModel {
            entitlement_id: Set(Some(updated.id)),
            revoked_line_id: Set(Some(line.line_id)),
            kind: Set("REVOKE".to_owned()),
            outcome: Set("REVOKED".to_owned()),
            start_volume: Set(updated.start_volume),
            end_volume: Set(updated.end_volume),
            right_due_date: Set(updated.right_due_date),
            seniority_thousandths: Set(-seniority),
            granted_at: Set(at),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        let payload = json!({ "orderLineId": line.line_id, "itemNo": line.item_no, "quantity": line.quantity,
                              "productCode": updated.product_code, "holderCustomerId": updated.holder_customer_id,
                              "holderMemberId": updated.holder_member_id, "issuesTaken": taken.and_then(|t| t.issues),
                              "fromRightDueDate": row.right_due_date, "rightDueDate": updated.right_due_date,
                              "endVolume": updated.end_volume, "subscribeStatusCode": updated.subscribe_status });
        let subject = format!("entitlement:{}", updated.id);
        events::append(txn, NewEvent { event_type: "entitlement.revoked", subject, payload }, at).await?;
        changed.push(DueChange {
            holder_customer_id: updated.holder_customer_id,
            holder_member_id: updated.holder_member_id,
            product_code: updated.product_code,
            right_due_date: updated.right_due_date,
        });
    }
    Ok(changed)
}

/// The unused share of each of `lines` today, as `(line id, taken, of)`: what revoking it would take (issues
/// or days) out of what it granted — nothing is written. A line never granted has no share. (Two lines of
/// one entitlement are each measured against the entitlement as it stands.)
pub async fn unused_shares(
    txn: &impl ConnectionTrait,
    calendar: BusinessCalendar,
    lines: &[TakenLine],
    at: DateTime<Utc>,
) -> Result<Vec<(i64, i64, i64)>, EntitlementsError> {
    let today = calendar.date_of(at);
    let mut shares = Vec::new();
    for Granted { line, term, row, issues, .. } in granted_lines(txn, lines, false).await? {
        let quantity = u32::try_from(line.quantity.max(0)).unwrap_or(0);
        let mut next = row.clone();
        let Some(taken) = take(&mut next, term, quantity, issues.as_ref(), today) else { continue };
        let share = match (taken.issues, term) {
            (Some(issues), Term::Issues(n)) => (i64::from(issues), i64::from(n) * i64::from(quantity)),
            (_, Term::Months(n)) | (_, Term::Days(n)) => {
                let period = if matches!(term, Term::Months(_)) {
                    Period::Months(times(n, quantity))
                } else {
                    Period::Days(times(n, quantity))
                };
                let (Some(due), Some(new_due)) = (row.right_due_date, next.right_due_date) else { continue };
                ((due - new_due).num_days(), (due - period_start(due, period)).num_days())
            }
            _ => continue,
        };
        shares.push((line.line_id, share.0, share.1.max(1)));
    }
    Ok(shares)
}

fn times(n: i32, quantity: u32) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(0).saturating_mul(quantity)
}

/// A granted line with what revoking it needs.
struct Granted<'a> {
    line: &'a TakenLine,
    ledger: grant::Model,
    term: Term,
    row: entitlement::Model,
    issues: Option<Calendar>,
}

/// The granted ones of `lines`, each with its ledger row, its item's term, its entitlement (locked for the
/// transaction when `lock`, on PostgreSQL) and the product's issue calendar (VOLUME).
async fn granted_lines<'a>(
    txn: &impl ConnectionTrait,
    lines: &'a [TakenLine],
    lock: bool,
) -> Result<Vec<Granted<'a>>, EntitlementsError> {
    let ids: Vec<i64> = lines.iter().map(|l| l.line_id).collect();
    let ledger: Vec<grant::Model> = grant::Entity::find()
        .filter(grant::Column::OrderLineId.is_in(ids))
        .filter(grant::Column::Outcome.eq("GRANTED"))
        .all(txn)
        .await?;
    let mut found = Vec::new();
    for line in lines {
        let Some(granted) = ledger.iter().find(|g| g.order_line_id == Some(line.line_id)) else { continue };
        let Some(entitlement_id) = granted.entitlement_id else { continue };
        let Some(item) = catalog::service::find_item(txn, &line.item_no).await? else { continue };
        let Some(term) = Term::of(&item) else { continue };
        let mut query = entitlement::Entity::find_by_id(entitlement_id);
        if lock && txn.get_database_backend() == DbBackend::Postgres {
            query = query.lock_exclusive();
        }
        let Some(row) = query.one(txn).await? else { continue };
        let Some(product) = catalog::service::find_product(txn, &row.product_code).await? else { continue };
        let issues = match product.kind {
            ProductKind::Volume => Some(issue_calendar(txn, &product).await?),
            ProductKind::Period => None,
        };
        found.push(Granted { line, ledger: granted.clone(), term, row, issues });
    }
    Ok(found)
}

/// The start of the earliest other granted term of entitlement `id` that starts on or before `end`.
async fn term_in_force(
    txn: &impl ConnectionTrait,
    id: i64,
    revoked_line: i64,
    end: i32,
) -> Result<Option<i32>, EntitlementsError> {
    let starts: Vec<Option<i32>> = grant::Entity::find()
        .select_only()
        .column(grant::Column::StartVolume)
        .filter(grant::Column::EntitlementId.eq(id))
        .filter(grant::Column::Kind.eq("ORDER"))
        .filter(grant::Column::Outcome.eq("GRANTED"))
        .filter(grant::Column::OrderLineId.ne(revoked_line))
        .filter(grant::Column::StartVolume.lte(end))
        .into_tuple()
        .all(txn)
        .await?;
    Ok(starts.into_iter().flatten().min())
}

/// What a revocation took.
#[derive(Debug, Clone, Copy)]
struct Taken {
    issues: Option<i32>,
}

/// Applies the rules above to `row` for `quantity` units of a line of `term`; `None` when nothing was taken.
fn take(
    row: &mut entitlement::Model,
    term: Term,
    quantity: u32,
    issues: Option<&Calendar>,
    today: NaiveDate,
) -> Option<Taken> {
    let times = |n: i32| times(n, quantity);
    match (term, issues, row.end_volume) {
        (Term::Issues(n), Some(calendar), Some(end)) => {
            let last_published = calendar.last_published_by(today);
            let new_end = volume_end_after_revoking(end, times(n), last_published);
            if new_end == end {
                return None;
            }
            row.end_volume = Some(new_end);
            row.end_volume_date = calendar.date_of(new_end).ok().map(|d| d.date).or(row.start_volume_date);
            row.right_due_date = calendar.date_of(new_end + 1).ok().map(|d| d.date).or(row.right_due_date);
            Some(Taken { issues: Some(end - new_end) })
        }
        (Term::Months(n), _, _) | (Term::Days(n), _, _) => {
            let period = match term {
                Term::Months(_) => Period::Months(times(n)),
                _ => Period::Days(times(n)),
            };
            let due = row.right_due_date?;
            let new_due = period_due_after_revoking(due, period, today);
            if new_due == due {
                return None;
            }
            row.right_due_date = Some(new_due);
            Some(Taken { issues: None })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn r19_volume_revocation_takes_the_lines_unpublished_issues_from_the_end() {
        // (name, end volume, issues of the line, last published, new end)
        let cases = [
            ("one grant of 26, nothing published yet", 800, 26, Some(774), 774),
            ("one grant of 26, 10 published", 800, 26, Some(784), 784),
            ("two grants (52), the middle order's 26 returned, 10 published", 826, 26, Some(784), 800),
            ("three grants (78), the middle order's 26 returned", 852, 26, Some(784), 826),
            ("everything published: nothing to take", 800, 26, Some(800), 800),
            ("no issue published at all", 26, 26, None, 0),
        ];
        for (name, end, issues, last, expected) in cases {
            assert_eq!(volume_end_after_revoking(end, issues, last), expected, "{name}");
        }
    }

    #[test]
    fn r19_period_revocation_takes_the_unused_part_of_the_term() {
        let due = d(2027, 12, 1);
        let year = Period::Months(12);
        assert_eq!(
            period_due_after_revoking(due, year, d(2026, 12, 1)),
            d(2026, 12, 1),
            "cancelled on day 0"
        );
        assert_eq!(period_due_after_revoking(due, year, d(2027, 6, 1)), d(2027, 6, 1), "mid-term: today");
        assert_eq!(period_due_after_revoking(due, year, d(2028, 1, 1)), due, "after expiry: nothing");
        // A pass of two years, the later year's line revoked on day 0 of the pass: back by one year.
        assert_eq!(period_due_after_revoking(d(2028, 12, 1), year, d(2026, 12, 1)), d(2027, 12, 1));
        assert_eq!(period_due_after_revoking(due, Period::Days(30), d(2027, 1, 1)), d(2027, 11, 1));
    }
}
