//! Keeping a day's reconciliation: its report (one row per day), its findings (once per kind and
//! transaction, with their follow-ups), and reading them back.

use super::{CHUNK, Finding, Item, Report, Source, by_finding};
use crate::OrdersError;
use crate::entity::{reconciliation, reconciliation_item};
use chrono::NaiveDate;
use platform_core::Money;
use platform_core::db::begin_write;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;
use std::collections::HashSet;

/// Stores `report` as its day's, its new findings with their follow-ups.
pub(super) async fn keep(db: &DatabaseConnection, mut report: Report) -> Result<Report, OrdersError> {
    let txn = begin_write(db).await?;
    let date = report.date;
    // Findings seen before (this day or another): they keep their first day and open nothing again.
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let ids: Vec<&str> = report.items.iter().map(|i| i.transaction_id.as_str()).collect();
    for chunk in ids.chunks(CHUNK) {
        let rows = reconciliation_item::Entity::find()
            .select_only()
            .column(reconciliation_item::Column::Kind)
            .column(reconciliation_item::Column::TransactionId)
            .filter(reconciliation_item::Column::TransactionId.is_in(chunk.iter().copied()))
            .into_tuple::<(String, String)>()
            .all(&txn)
            .await?;
        seen.extend(rows);
    }
    let current: HashSet<(&str, &str)> =
        report.items.iter().map(|i| (i.finding.as_str(), i.transaction_id.as_str())).collect();
    // What this day found before and no longer does.
    let stale: Vec<i64> = reconciliation_item::Entity::find()
        .filter(reconciliation_item::Column::BusinessDate.eq(date))
        .all(&txn)
        .await?
        .into_iter()
        .filter(|row| !current.contains(&(row.kind.as_str(), row.transaction_id.as_str())))
        .map(|row| row.id)
        .collect();
    for chunk in stale.chunks(CHUNK) {
        reconciliation_item::Entity::delete_many()
            .filter(reconciliation_item::Column::Id.is_in(chunk.iter().copied()))
            .exec(&txn)
            .await?;
    }
    let new: Vec<&Item> = report
        .items
        .iter()
        .filter(|i| !seen.contains(&(i.finding.as_str().to_owned(), i.transaction_id.clone())))
        .collect();
    let rows: Vec<reconciliation_item::ActiveModel> = new
        .iter()
        .map(|i| reconciliation_item::ActiveModel {
            business_date: Set(date),
            kind: Set(i.finding.as_str().to_owned()),
            transaction_id: Set(i.transaction_id.clone()),
            order_no: Set(i.order_no.clone()),
            expected: Set(i.expected),
            settled: Set(i.settled),
            found_at: Set(report.run_at),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(CHUNK) {
        reconciliation_item::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
    }
    let follow_ups: Vec<followups::NewFollowUp> = new.iter().map(|i| follow_up(date, i)).collect();
    report.opened = followups::open_many(&txn, follow_ups, report.run_at).await?.len() as u64;
    let summary = reconciliation::ActiveModel {
        business_date: Set(date),
        source: Set(report.source.as_str().to_owned()),
        transactions: Set(count(report.transactions)),
        matched: Set(count(report.matched)),
        stray: Set(count(report.stray)),
        missing: Set(count(report.missing)),
        mismatched: Set(count(report.mismatched)),
        settled_amount: Set(report.settled_amount),
        paid_amount: Set(report.paid_amount),
        run_at: Set(report.run_at),
    };
    reconciliation::Entity::insert(summary)
        .on_conflict(
            OnConflict::column(reconciliation::Column::BusinessDate)
                .update_columns([
                    reconciliation::Column::Source,
                    reconciliation::Column::Transactions,
                    reconciliation::Column::Matched,
                    reconciliation::Column::Stray,
                    reconciliation::Column::Missing,
                    reconciliation::Column::Mismatched,
                    reconciliation::Column::SettledAmount,
                    reconciliation::Column::PaidAmount,
                    reconciliation::Column::RunAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    txn.commit().await?;
    Ok(report)
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The follow-up of a new finding.
fn follow_up(date: NaiveDate, item: &Item) -> followups::NewFollowUp {
    let amount = |m: Option<Money>| m.map(|m| m.amount()).unwrap_or_default();
    let order_no = item.order_no.as_deref().unwrap_or_default();
    let (subject, summary) = match item.finding {
        Finding::Stray => (
            format!("transaction:{}", item.transaction_id),
            format!(
                "gateway transaction {} of {} TWD settled on {date} has no payment of ours",
                item.transaction_id,
                amount(item.settled)
            ),
        ),
        Finding::Missing => (
            format!("order:{order_no}"),
            format!(
                "order {order_no}: {} TWD captured on {date} ({}) is not in the gateway's settlement",
                amount(item.expected),
                item.transaction_id
            ),
        ),
        Finding::Mismatch => (
            format!("order:{order_no}"),
            format!(
                "order {order_no}: the gateway settled {} TWD of {}, we captured {}",
                amount(item.settled),
                item.transaction_id,
                amount(item.expected)
            ),
        ),
    };
    let detail = json!({ "date": date, "finding": item.finding.as_str(), "transactionId": item.transaction_id,
                         "orderNo": item.order_no, "expected": item.expected.map(|m| m.amount()),
                         "settled": item.settled.map(|m| m.amount()) });
    followups::NewFollowUp::new(item.finding.follow_up(), subject, summary, detail)
}

/// The kept report of `date`, with the findings first found on it; `None` before it was reconciled.
pub async fn report_of(db: &impl ConnectionTrait, date: NaiveDate) -> Result<Option<Report>, OrdersError> {
    let Some(mut report) = summary_of(db, date).await? else { return Ok(None) };
    report.items = reconciliation_item::Entity::find()
        .filter(reconciliation_item::Column::BusinessDate.eq(date))
        .order_by_asc(reconciliation_item::Column::Kind)
        .order_by_asc(reconciliation_item::Column::TransactionId)
        .all(db)
        .await?
        .into_iter()
        .map(|item| {
            Ok(Item {
                finding: Finding::parse(&item.kind)
                    .ok_or_else(|| anyhow::anyhow!("unknown reconciliation finding {:?}", item.kind))?,
                transaction_id: item.transaction_id,
                order_no: item.order_no,
                expected: item.expected,
                settled: item.settled,
            })
        })
        .collect::<Result<Vec<Item>, OrdersError>>()?;
    report.items.sort_by(by_finding);
    Ok(Some(report))
}

/// The kept report of `date` without its items (the daily report's line); `None` before it was reconciled.
pub async fn summary_of(db: &impl ConnectionTrait, date: NaiveDate) -> Result<Option<Report>, OrdersError> {
    let Some(row) = reconciliation::Entity::find_by_id(date).one(db).await? else { return Ok(None) };
    let counted =
        |n: i64| u64::try_from(n).map_err(|_| anyhow::anyhow!("a negative count in the report of {date}"));
    Ok(Some(Report {
        date,
        source: match row.source.as_str() {
            "GATEWAY" => Source::Gateway,
            "FILE" => Source::File,
            other => return Err(anyhow::anyhow!("unknown reconciliation source {other:?}").into()),
        },
        transactions: counted(row.transactions)?,
        matched: counted(row.matched)?,
        stray: counted(row.stray)?,
        missing: counted(row.missing)?,
        mismatched: counted(row.mismatched)?,
        settled_amount: row.settled_amount,
        paid_amount: row.paid_amount,
        items: Vec::new(),
        opened: 0,
        run_at: row.run_at,
    }))
}
