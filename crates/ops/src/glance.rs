//! What the console shows at a glance: a finished day's headline figures judged by the daily rules, and the
//! per-day trends of a month. The headline reads only what the daily rules look at (the full report also
//! reads grants, e-mails by kind, the forecast and the jobs), so a page can show it in a few queries; its
//! figures are the report's (`Report::daily_input` and [`Headline::input`] are built from the same reads).

use crate::report::{Figure, day_bounds};
use crate::rules::{RuleInput, Scope};
use chrono::{DateTime, Days, NaiveDate, Utc};
use platform_core::BusinessCalendar;
use platform_core::settings::AlertThresholds;
use sea_orm::ConnectionTrait;
use serde::Serialize;

/// Same weekdays averaged (as the report).
const WEEKS_BACK: u64 = 4;

/// A finished day's figures that the daily rules judge, with what they find.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Headline {
    /// The business date.
    pub date: NaiveDate,
    /// Orders created on it, beside the average of the four previous same weekdays.
    pub orders: Figure,
    /// Charge attempts approved and declined, and the amount approved.
    pub charged: u64,
    pub failed: u64,
    pub charged_amount: i64,
    /// charged ÷ (charged + failed), in percent.
    pub charge_success_rate: Option<f64>,
    /// Follow-ups opened on it, and that as a percentage of its orders.
    pub follow_ups_opened: u64,
    pub follow_up_rate: Option<f64>,
    /// Webhook deliveries given up and e-mails not sent on it.
    pub dead_deliveries: u64,
    pub failed_emails: u64,
    /// What the daily rules find.
    pub alerts: Vec<crate::Alert>,
}

impl Headline {
    /// What the daily rules look at.
    pub fn input(&self) -> RuleInput {
        RuleInput {
            charged: self.charged,
            failed: self.failed,
            orders: self.orders,
            follow_ups_opened: self.follow_ups_opened,
            dead_deliveries: self.dead_deliveries,
            failed_emails: self.failed_emails,
            ..RuleInput::default()
        }
    }
}

/// The headline of business date `date` (follow-ups as of `now`).
pub async fn headline(
    db: &impl ConnectionTrait,
    calendar: BusinessCalendar,
    date: NaiveDate,
    now: DateTime<Utc>,
    thresholds: &AlertThresholds,
) -> anyhow::Result<Headline> {
    let (from, to) = day_bounds(calendar, date);
    let value = orders::figures::count_between(db, from, to).await?;
    let mut previous = Vec::new();
    for weeks in 1..=WEEKS_BACK {
        if let Some(d) = date.checked_sub_days(Days::new(7 * weeks)) {
            let (f, t) = day_bounds(calendar, d);
            previous.push(orders::figures::count_between(db, f, t).await?);
        }
    }
    let average =
        if previous.is_empty() { 0.0 } else { previous.iter().sum::<u64>() as f64 / previous.len() as f64 };
    let charges = renewals::figures::charges(db, date, from, to).await?;
    let follow_ups = followups::manage::counts(db, from, to, now).await?;
    let deliveries = notify::figures::deliveries(db, from, to).await?;
    let emails = notify::figures::emails(db, from, to).await?;
    let mut headline = Headline {
        date,
        orders: Figure { value, average },
        charged: charges.charged,
        failed: charges.failed(),
        charged_amount: charges.charged_amount,
        charge_success_rate: crate::rules::success_rate(charges.charged, charges.failed()),
        follow_ups_opened: follow_ups.opened,
        follow_up_rate: (value > 0).then(|| follow_ups.opened as f64 * 100.0 / value as f64),
        dead_deliveries: deliveries.iter().map(|d| d.dead).sum(),
        failed_emails: emails.failed,
        alerts: Vec::new(),
    };
    headline.alerts = crate::rules::evaluate(Scope::Daily, &headline.input(), thresholds).1;
    Ok(headline)
}

/// One day of the trends.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrendDay {
    /// The business date.
    pub date: NaiveDate,
    /// Orders created, and their amount.
    pub orders: u64,
    pub order_amount: i64,
    /// Charge attempts approved and declined, and the amount approved.
    pub charged: u64,
    pub failed: u64,
    pub charged_amount: i64,
    /// charged ÷ (charged + failed), in percent.
    pub charge_success_rate: Option<f64>,
}

/// The `days` business days ending with `last`, oldest first: one grouped scan per table.
pub async fn trend(
    db: &impl ConnectionTrait,
    calendar: BusinessCalendar,
    last: NaiveDate,
    days: u32,
) -> anyhow::Result<Vec<TrendDay>> {
    let dates: Vec<NaiveDate> =
        (0..days).rev().filter_map(|back| last.checked_sub_days(Days::new(back.into()))).collect();
    let mut bounds: Vec<_> = dates.iter().map(|d| calendar.start_of(*d)).collect();
    if let Some(end) = dates.last().map(|d| day_bounds(calendar, *d).1) {
        bounds.push(end);
    }
    let orders = orders::figures::created_per_period(db, &bounds).await?;
    let charges = renewals::figures::settled_per_period(db, &bounds).await?;
    Ok(dates
        .iter()
        .zip(orders.iter().zip(&charges))
        .map(|(date, ((orders, order_amount), charge))| TrendDay {
            date: *date,
            orders: *orders,
            order_amount: *order_amount,
            charged: charge.charged,
            failed: charge.failed,
            charged_amount: charge.charged_amount,
            charge_success_rate: crate::rules::success_rate(charge.charged, charge.failed),
        })
        .collect())
}
