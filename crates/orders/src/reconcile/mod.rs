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
use chrono::{DateTime, NaiveDate, Utc};
use platform_core::Money;
use sea_orm::DatabaseConnection;
use std::collections::HashMap;

mod keep;
mod ours;

pub use keep::{report_of, summary_of};

/// Rows per statement.
pub(crate) const CHUNK: usize = 1000;
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

impl From<payments::Settled> for SettlementRow {
    fn from(settled: payments::Settled) -> Self {
        SettlementRow { transaction_id: settled.transaction_id, amount: settled.amount }
    }
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

    pub(crate) fn parse(raw: &str) -> Option<Finding> {
        [Finding::Stray, Finding::Missing, Finding::Mismatch].into_iter().find(|f| f.as_str() == raw)
    }

    pub(crate) fn follow_up(self) -> followups::Kind {
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
    let mut day = ours::captured_between(db, from, until).await?;
    let paid_amount: i64 = day.values().map(|o| o.captured).sum();
    // Settled transactions captured on another day (or never).
    let elsewhere: Vec<&str> =
        settled.keys().filter(|t| !day.contains_key(t.as_str())).map(String::as_str).collect();
    let mut others = ours::payments_of(db, &elsewhere).await?;
    let mut items = Vec::new();
    let mut matched = 0_u64;
    for (transaction_id, amount) in &settled {
        let ours = day.remove(transaction_id.as_str()).or_else(|| others.remove(transaction_id.as_str()));
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
    keep::keep(db, report).await
}

/// Items by finding, then transaction.
pub(crate) fn by_finding(a: &Item, b: &Item) -> std::cmp::Ordering {
    (a.finding, &a.transaction_id).cmp(&(b.finding, &b.transaction_id))
}
