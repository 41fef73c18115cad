//! **R23 reconciliation** (seed 000 task 13, pre_orders; the five hours a day the operators spent matching
//! authorisations with orders by hand): a gateway's settlement of one business day — its file
//! (`platform reconcile`) or its answer (`RECONCILE_PAYMENTS`) — matched with our captured payments of
//! that day. Every settled transaction should be a payment of ours for the same amount, and every payment
//! we captured that day should be settled. What differs opens a follow-up, once per (kind, transaction):
//!
//! - a transaction no payment of ours holds → PAYMENT_WITHOUT_ORDER (`transaction:<id>`);
//! - a payment captured that day the settlement does not hold → PAYMENT_NOT_SETTLED (`order:<no>`);
//! - a transaction settled for another amount than we captured → PAYMENT_AMOUNT_MISMATCH (`order:<no>`).
//!
//! A transaction settled on another day than we captured it (a capture near midnight) matches its payment
//! wherever it is. One report per day is kept (a rerun replaces it); what a rerun no longer finds is dropped
//! from the day's findings, and a finding seen before opens nothing again.

use crate::OrdersError;
use crate::entity::{order, payment, reconciliation, reconciliation_item};
use crate::model::CaptureStatus;
use chrono::{DateTime, NaiveDate, Utc};
use platform_core::Money;
use platform_core::db::begin_write;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;
use std::collections::{HashMap, HashSet};

/// Rows per statement.
const CHUNK: usize = 1000;
/// Most transactions in one day's settlement.
pub const MAX_SETTLEMENT_ROWS: usize = 1_000_000;

/// One transaction of a settlement (amounts of the same transaction are added up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementRow {
    /// The gateway's id, as our payments hold it.
    pub transaction_id: String,
    /// What was settled.
    pub amount: Money,
}

/// Where a settlement came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The gateway's settlement file.
    File,
    /// The gateway's answer to a settlement query.
    Gateway,
}

impl Source {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Source::File => "FILE",
            Source::Gateway => "GATEWAY",
        }
    }
}

/// What a reconciliation found of one transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Finding {
    /// Settled, but no payment of ours holds it.
    Stray,
    /// Captured by us that day, not settled.
    Missing,
    /// Settled for another amount than we captured.
    Mismatch,
}

impl Finding {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Finding::Stray => "STRAY",
            Finding::Missing => "MISSING",
            Finding::Mismatch => "MISMATCH",
        }
    }

    fn parse(raw: &str) -> Option<Finding> {
        [Finding::Stray, Finding::Missing, Finding::Mismatch].into_iter().find(|f| f.as_str() == raw)
    }

    fn follow_up(self) -> followups::Kind {
        match self {
            Finding::Stray => followups::Kind::PaymentWithoutOrder,
            Finding::Missing => followups::Kind::PaymentNotSettled,
            Finding::Mismatch => followups::Kind::PaymentAmountMismatch,
        }
    }
}

/// One difference between the settlement and our payments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// What it is.
    pub finding: Finding,
    /// The transaction.
    pub transaction_id: String,
    /// Its order, when a payment of ours holds it.
    pub order_no: Option<String>,
    /// What we captured.
    pub expected: Option<Money>,
    /// What the gateway settled.
    pub settled: Option<Money>,
}

/// The reconciliation report of one business day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The day.
    pub date: NaiveDate,
    /// File or gateway.
    pub source: Source,
    /// Transactions in the settlement.
    pub transactions: u64,
    /// Of them, matched with a payment of the same amount.
    pub matched: u64,
    /// Transactions no payment of ours holds.
    pub stray: u64,
    /// Payments captured that day and not settled.
    pub missing: u64,
    /// Transactions settled for another amount.
    pub mismatched: u64,
    /// The settlement's total.
    pub settled_amount: Money,
    /// What we captured that day.
    pub paid_amount: Money,
    /// The differences, by finding then transaction (of a kept report: those first found on its day).
    pub items: Vec<Item>,
    /// Follow-ups opened by this run (findings seen before open none).
    pub opened: u64,
    /// When it ran.
    pub run_at: DateTime<Utc>,
}

/// A payment of ours: its order and what we captured.
struct Ours {
    order_no: String,
    captured: i64,
}

/// Reconciles `rows`, the settlement of business day `date` (`[from, until)`), with our payments, keeping
/// the day's report and opening the follow-ups of new findings, all in one transaction.
pub async fn reconcile(
    db: &DatabaseConnection,
    date: NaiveDate,
    (from, until): (DateTime<Utc>, DateTime<Utc>),
    source: Source,
    rows: Vec<SettlementRow>,
    at: DateTime<Utc>,
) -> Result<Report, OrdersError> {
    if rows.len() > MAX_SETTLEMENT_ROWS {
        return Err(OrdersError::invalid(
            "settlement",
            format!("more than {MAX_SETTLEMENT_ROWS} transactions"),
        ));
    }
    let mut settled: HashMap<String, i64> = HashMap::with_capacity(rows.len());
    for row in rows {
        *settled.entry(row.transaction_id).or_default() += row.amount.amount();
    }
    let mut day = captured_between(db, from, until).await?;
    let paid_amount: i64 = day.values().map(|o| o.captured).sum();
    // Settled transactions captured on another day (or never).
    let elsewhere: Vec<&str> =
        settled.keys().filter(|t| !day.contains_key(t.as_str())).map(String::as_str).collect();
    let others = payments_of(db, &elsewhere).await?;
    let mut items = Vec::new();
    let mut matched = 0_u64;
    for (transaction_id, amount) in &settled {
        let ours = day.remove(transaction_id.as_str()).or_else(|| {
            others
                .get(transaction_id.as_str())
                .map(|o| Ours { order_no: o.order_no.clone(), captured: o.captured })
        });
        match ours {
            None => items.push(Item {
                finding: Finding::Stray,
                transaction_id: transaction_id.clone(),
                order_no: None,
                expected: None,
                settled: Some(Money::new(*amount)),
            }),
            Some(ours) if ours.captured != *amount => items.push(Item {
                finding: Finding::Mismatch,
                transaction_id: transaction_id.clone(),
                order_no: Some(ours.order_no),
                expected: Some(Money::new(ours.captured)),
                settled: Some(Money::new(*amount)),
            }),
            Some(_) => matched += 1,
        }
    }
    items.extend(day.into_iter().map(|(transaction_id, ours)| Item {
        finding: Finding::Missing,
        transaction_id,
        order_no: Some(ours.order_no),
        expected: Some(Money::new(ours.captured)),
        settled: None,
    }));
    items.sort_by(by_finding);
    let found = |finding: Finding| items.iter().filter(|i| i.finding == finding).count() as u64;
    let report = Report {
        date,
        source,
        transactions: settled.len() as u64,
        matched,
        stray: found(Finding::Stray),
        missing: found(Finding::Missing),
        mismatched: found(Finding::Mismatch),
        settled_amount: Money::new(settled.values().sum()),
        paid_amount: Money::new(paid_amount),
        items,
        opened: 0,
        run_at: at,
    };
    keep(db, report).await
}

/// Stores `report` as its day's, its new findings with their follow-ups.
async fn keep(db: &DatabaseConnection, mut report: Report) -> Result<Report, OrdersError> {
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
            expected: Set(i.expected.map(|m| m.amount())),
            settled: Set(i.settled.map(|m| m.amount())),
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
        settled_amount: Set(report.settled_amount.amount()),
        paid_amount: Set(report.paid_amount.amount()),
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

/// Items by finding, then transaction.
fn by_finding(a: &Item, b: &Item) -> std::cmp::Ordering {
    (a.finding, &a.transaction_id).cmp(&(b.finding, &b.transaction_id))
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

/// Our payments captured in `[from, until)`, by transaction.
async fn captured_between(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<HashMap<String, Ours>, OrdersError> {
    let rows: Vec<(String, i64, Option<i64>, i64)> = payment::Entity::find()
        .select_only()
        .column(payment::Column::TransactionId)
        .column(payment::Column::OrderId)
        .column(payment::Column::CapturedAmount)
        .column(payment::Column::Amount)
        .filter(payment::Column::CaptureStatus.eq(CaptureStatus::Captured))
        .filter(payment::Column::CapturedAt.gte(from))
        .filter(payment::Column::CapturedAt.lt(until))
        .into_tuple()
        .all(db)
        .await?;
    with_order_numbers(db, rows).await
}

/// Our captured payments of `transactions`, by transaction.
async fn payments_of(
    db: &impl ConnectionTrait,
    transactions: &[&str],
) -> Result<HashMap<String, Ours>, OrdersError> {
    let mut rows = Vec::new();
    for chunk in transactions.chunks(CHUNK) {
        let found: Vec<(String, i64, Option<i64>, i64)> = payment::Entity::find()
            .select_only()
            .column(payment::Column::TransactionId)
            .column(payment::Column::OrderId)
            .column(payment::Column::CapturedAmount)
            .column(payment::Column::Amount)
            .filter(payment::Column::CaptureStatus.eq(CaptureStatus::Captured))
            .filter(payment::Column::TransactionId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        rows.extend(found);
    }
    with_order_numbers(db, rows).await
}

async fn with_order_numbers(
    db: &impl ConnectionTrait,
    rows: Vec<(String, i64, Option<i64>, i64)>,
) -> Result<HashMap<String, Ours>, OrdersError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.1).collect::<HashSet<_>>().into_iter().collect();
    let mut numbers: HashMap<i64, String> = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let found: Vec<(i64, Option<String>)> = order::Entity::find()
            .select_only()
            .column(order::Column::Id)
            .column(order::Column::OrderNo)
            .filter(order::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        numbers.extend(found.into_iter().map(|(id, no)| (id, no.unwrap_or_default())));
    }
    Ok(rows
        .into_iter()
        .map(|(transaction_id, order_id, captured, amount)| {
            let order_no = numbers.get(&order_id).cloned().unwrap_or_default();
            (transaction_id, Ours { order_no, captured: captured.unwrap_or(amount) })
        })
        .collect())
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
                expected: item.expected.map(Money::new),
                settled: item.settled.map(Money::new),
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
        settled_amount: Money::new(row.settled_amount),
        paid_amount: Money::new(row.paid_amount),
        items: Vec::new(),
        opened: 0,
        run_at: row.run_at,
    }))
}
