//! R3 grants and R9's temporary grants in batches, in the caller's transaction (the renewal charge run
//! settles a few hundred renewals at once). The rules are those of the one-line path ([`crate::grant`]):
//! the same [`compute`]/[`apply`], exactly once per order line (the ledger's unique key), the same events.

use crate::EntitlementsError;
use crate::entity::{entitlement, grant};
use crate::grant::{
    Holder, Term, apply, changes, compute, empty_row, granted_ledger, granted_payload, holder_key_columns,
    issue_calendar,
};
use crate::model::GrantSummary;
use crate::rules::Calendar;
use catalog::{Item, Product, ProductKind};
use chrono::{DateTime, NaiveDate, Utc};
use members::Account;
use platform_core::BusinessCalendar;
use platform_core::MemberId;
use platform_core::events::{self, NewEvent};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use std::collections::HashMap;

/// Rows per multi-row statement.
const CHUNK: usize = 500;

/// Grants the not yet granted lines of paid orders `order_nos` in `txn`.
pub async fn grant_orders_in(
    txn: &impl ConnectionTrait,
    calendar: BusinessCalendar,
    order_nos: &[String],
    at: DateTime<Utc>,
) -> Result<GrantSummary, EntitlementsError> {
    let mut summary = GrantSummary::default();
    let mut items: HashMap<String, Option<Item>> = HashMap::new();
    let mut products: HashMap<String, Option<Product>> = HashMap::new();
    let mut todo = Vec::new();
    for line in orders::service::paid_lines_of(txn, order_nos).await? {
        if !items.contains_key(&line.item_no) {
            items.insert(line.item_no.clone(), catalog::service::find_item(txn, &line.item_no).await?);
        }
        let Some(item) = items.get(&line.item_no).cloned().flatten() else { continue };
        let Some(term) = Term::of(&item) else { continue };
        let Some(code) = item.product_code.clone() else { continue };
        if !products.contains_key(&code) {
            products.insert(code.clone(), catalog::service::find_product(txn, &code).await?);
        }
        let Some(product) = products.get(&code).cloned().flatten() else { continue };
        let holder = if product.digital {
            line.member_id.map(Holder::Member)
        } else {
            Some(Holder::Customer(line.payer_customer_id))
        };
        match holder {
            Some(holder) => todo.push((line, product, term, holder)),
            None => summary.pending_member += 1,
        }
    }
    let claimed = claim_lines(txn, todo.iter().map(|(line, ..)| line.line_id).collect(), at).await?;
    todo.retain(|(line, ..)| claimed.contains_key(&line.line_id));
    let mut rows =
        locked_rows(txn, todo.iter().map(|(_, p, _, h)| (*h, p.product_code.clone())).collect(), at).await?;
    let mut calendars: HashMap<String, Calendar> = HashMap::new();
    let mut events = Vec::new();
    let mut follow_ups = Vec::new();
    let mut touched = Vec::new();
    for (line, product, term, holder) in &todo {
        let key = (*holder, product.product_code.clone());
        let row = rows.get_mut(&key).ok_or_else(|| anyhow::anyhow!("entitlement vanished"))?;
        let issues = match (product.kind, term) {
            (ProductKind::Volume, Term::Issues(_)) => {
                if !calendars.contains_key(&product.product_code) {
                    calendars.insert(product.product_code.clone(), issue_calendar(txn, product).await?);
                }
                calendars.get(&product.product_code)
            }
            _ => None,
        };
        let ledger_id = claimed.get(&line.line_id).copied().unwrap_or_default();
        let subject = format!("entitlement:{}", row.id);
        let base = json!({ "orderNo": line.order_no, "orderLineId": line.line_id, "productCode": product.product_code,
                           "holderCustomerId": row.holder_customer_id, "holderMemberId": row.holder_member_id });
        match compute(row, line, product, *term, issues, calendar, at) {
            Ok(computed) => {
                apply(row, &computed, line.complimentary, at);
                grant::Entity::update(grant::ActiveModel {
                    id: Set(ledger_id),
                    entitlement_id: Set(Some(row.id)),
                    ..granted_ledger(&computed)
                })
                .exec(txn)
                .await?;
                events.push(NewEvent {
                    event_type: "entitlement.granted",
                    subject,
                    payload: granted_payload(base, row),
                });
                touched.push(key);
                summary.granted += 1;
            }
            Err(reason) => {
                grant::Entity::update(grant::ActiveModel {
                    id: Set(ledger_id),
                    entitlement_id: Set(Some(row.id)),
                    outcome: Set("FAILED".to_owned()),
                    reason: Set(Some(reason.clone())),
                    ..Default::default()
                })
                .exec(txn)
                .await?;
                let mut payload = base;
                payload["reason"] = json!(reason);
                follow_ups.push(crate::grant::failed_follow_up(&payload, &line.order_no, &reason));
                events.push(NewEvent { event_type: "entitlement.failed", subject, payload });
                summary.failed += 1;
            }
        }
    }
    touched.sort_unstable_by_key(|(h, c)| (holder_key(*h), c.clone()));
    touched.dedup();
    for key in touched {
        if let Some(row) = rows.get(&key) {
            entitlement::Entity::update(changes(row)).exec(txn).await?;
        }
    }
    events::append_many(txn, events, at).await?;
    followups::open_many(txn, follow_ups, at).await?;
    Ok(summary)
}

/// Extends `temporaryUntil` of `product_code` to at least `until` for each member (R9's temporary digital
/// access during a charge; R11's rule), with its ledger row and `entitlement.temporary_granted`.
pub async fn extend_temporary_in(
    txn: &impl ConnectionTrait,
    members: &[(MemberId, Account)],
    product_code: &str,
    until: NaiveDate,
    days: u32,
    at: DateTime<Utc>,
) -> Result<(), EntitlementsError> {
    if members.is_empty() {
        return Ok(());
    }
    let keys = members.iter().map(|(id, _)| (Holder::Member(*id), product_code.to_owned())).collect();
    let rows = locked_rows(txn, keys, at).await?;
    let ids: Vec<MemberId> = members.iter().map(|(id, _)| *id).collect();
    for chunk in ids.chunks(CHUNK) {
        entitlement::Entity::update_many()
            .col_expr(entitlement::Column::TemporaryUntil, Expr::value(until))
            .col_expr(entitlement::Column::UpdatedAt, Expr::value(at))
            .filter(entitlement::Column::HolderMemberId.is_in(chunk.iter().copied()))
            .filter(entitlement::Column::ProductCode.eq(product_code))
            .filter(
                sea_orm::Condition::any()
                    .add(entitlement::Column::TemporaryUntil.is_null())
                    .add(entitlement::Column::TemporaryUntil.lt(until)),
            )
            .exec(txn)
            .await?;
    }
    let mut ledger = Vec::with_capacity(members.len());
    let mut events = Vec::with_capacity(members.len());
    for (member_id, account) in members {
        let Some(row) = rows.get(&(Holder::Member(*member_id), product_code.to_owned())) else { continue };
        let effective = row.temporary_until.map_or(until, |current| current.max(until));
        ledger.push(grant::ActiveModel {
            entitlement_id: Set(Some(row.id)),
            kind: Set("TEMPORARY".to_owned()),
            outcome: Set("GRANTED".to_owned()),
            right_due_date: Set(Some(effective)),
            seniority_thousandths: Set(0),
            granted_at: Set(at),
            ..Default::default()
        });
        events.push(NewEvent {
            event_type: "entitlement.temporary_granted",
            subject: format!("entitlement:{}", row.id),
            payload: json!({ "account": account.as_str(), "productCode": product_code, "days": days,
                             "temporaryUntil": effective, "rightDueDate": row.right_due_date }),
        });
    }
    for chunk in ledger.chunks(CHUNK) {
        grant::Entity::insert_many(chunk.to_vec()).exec_without_returning(txn).await?;
    }
    events::append_many(txn, events, at).await?;
    Ok(())
}

/// Writes a PENDING ledger row for each line not granted yet; returns line id → ledger id of the rows
/// this call wrote (a line granted elsewhere is skipped).
async fn claim_lines(
    txn: &impl ConnectionTrait,
    line_ids: Vec<i64>,
    at: DateTime<Utc>,
) -> Result<HashMap<i64, i64>, EntitlementsError> {
    let mut claimed = HashMap::new();
    for chunk in line_ids.chunks(CHUNK) {
        let rows = chunk.iter().map(|id| grant::ActiveModel {
            order_line_id: Set(Some(*id)),
            kind: Set("ORDER".to_owned()),
            outcome: Set("PENDING".to_owned()),
            seniority_thousandths: Set(0),
            granted_at: Set(at),
            ..Default::default()
        });
        grant::Entity::insert_many(rows.collect::<Vec<_>>())
            .on_conflict(OnConflict::column(grant::Column::OrderLineId).do_nothing().to_owned())
            .exec_without_returning(txn)
            .await?;
        // A ledger row is PENDING only inside the transaction that wrote it: these are ours.
        let mine = grant::Entity::find()
            .select_only()
            .column(grant::Column::OrderLineId)
            .column(grant::Column::Id)
            .filter(grant::Column::OrderLineId.is_in(chunk.iter().copied()))
            .filter(grant::Column::Outcome.eq("PENDING"))
            .into_tuple::<(Option<i64>, i64)>()
            .all(txn)
            .await?;
        claimed.extend(mine.into_iter().filter_map(|(line, id)| line.map(|line| (line, id))));
    }
    Ok(claimed)
}

/// The entitlement rows of `keys`, created (CURRENT, nothing covered) when missing and locked for the
/// transaction on PostgreSQL.
async fn locked_rows(
    txn: &impl ConnectionTrait,
    mut keys: Vec<(Holder, String)>,
    at: DateTime<Utc>,
) -> Result<HashMap<(Holder, String), entitlement::Model>, EntitlementsError> {
    keys.sort_unstable_by_key(|(h, c)| (holder_key(*h), c.clone()));
    keys.dedup();
    let mut found = HashMap::new();
    for member in [false, true] {
        let of_kind: Vec<&(Holder, String)> =
            keys.iter().filter(|(h, _)| matches!(h, Holder::Member(_)) == member).collect();
        for chunk in of_kind.chunks(CHUNK) {
            let Some((first, _)) = chunk.first() else { continue };
            let [holder_column, _] = holder_key_columns(*first);
            let rows = chunk.iter().map(|(holder, code)| empty_row(*holder, code, at));
            entitlement::Entity::insert_many(rows.collect::<Vec<_>>())
                .on_conflict(OnConflict::columns(holder_key_columns(*first)).do_nothing().to_owned())
                .exec_without_returning(txn)
                .await?;
            let mut codes: Vec<&str> = chunk.iter().map(|(_, c)| c.as_str()).collect();
            codes.sort_unstable();
            codes.dedup();
            let loaded = entitlement::Entity::find()
                .filter(holder_column.is_in(chunk.iter().map(|(h, _)| holder_key(*h).1)))
                .filter(entitlement::Column::ProductCode.is_in(codes))
                .order_by_asc(entitlement::Column::Id)
                .lock_exclusive()
                .all(txn)
                .await?;
            for row in loaded {
                let holder = match (row.holder_member_id, row.holder_customer_id) {
                    (Some(id), _) => Holder::Member(id),
                    (None, Some(id)) => Holder::Customer(id),
                    (None, None) => continue,
                };
                found.insert((holder, row.product_code.clone()), row);
            }
        }
    }
    Ok(found)
}

/// A sortable, hashable form of a holder: (0 customer | 1 member, id).
fn holder_key(holder: Holder) -> (u8, i64) {
    match holder {
        Holder::Customer(id) => (0, id.0),
        Holder::Member(id) => (1, id.0),
    }
}
