//! The R16 report of a business date: what happened on it, beside the average of the four previous same
//! weekdays, the 14-day cash forecast, the backlogs and the jobs now, and the alerts.

use chrono::{DateTime, Days, NaiveDate, Utc};
use notify::figures::{EmailFigures, EndpointFigures};
use orders::figures::OrderCount;
use platform_core::BusinessCalendar;
use platform_core::settings::AlertThresholds;
use renewals::figures::{ChargeFigures, ForecastDay};
use sea_orm::ConnectionTrait;
use serde::Serialize;

/// Days of the cash forecast.
pub const FORECAST_DAYS: u32 = 14;
/// Same weekdays averaged.
const WEEKS_BACK: u64 = 4;

/// A daily count and the average of the four previous same weekdays.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Figure {
    /// On the day.
    pub value: u64,
    /// The average of the four previous same weekdays.
    pub average: f64,
}

/// A scheduled job's health now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobHealth {
    /// `CHARGE_RENEWALS` …
    pub name: String,
    /// Its interval (a daily job: 86,400).
    pub every_secs: u64,
    /// The last time it ran without error (a tick with nothing to do counts).
    pub last_ok_at: Option<DateTime<Utc>>,
    /// The last time it failed.
    pub last_failed_at: Option<DateTime<Utc>>,
    /// Why, without secrets.
    pub last_error: Option<String>,
    /// No successful run within twice its interval.
    pub late: bool,
    /// Its latest outcome was a failure.
    pub failed: bool,
}

/// The counts of one day, each averaged over the four previous same weekdays in the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DayCounts {
    pub orders: u64,
    pub paid_orders: u64,
    pub renewals_due: u64,
    pub charged: u64,
    pub charge_failed: u64,
    pub entitlements_granted: u64,
    pub entitlements_failed: u64,
    pub entitlements_expired: u64,
    pub follow_ups_opened: u64,
    pub follow_ups_resolved: u64,
    pub webhooks_delivered: u64,
    pub webhooks_dead: u64,
    pub emails_sent: u64,
    pub emails_failed: u64,
}

impl DayCounts {
    fn fields(&self) -> [(&'static str, u64); 14] {
        [
            ("orders", self.orders),
            ("paidOrders", self.paid_orders),
            ("renewalsDue", self.renewals_due),
            ("charged", self.charged),
            ("chargeFailed", self.charge_failed),
            ("entitlementsGranted", self.entitlements_granted),
            ("entitlementsFailed", self.entitlements_failed),
            ("entitlementsExpired", self.entitlements_expired),
            ("followUpsOpened", self.follow_ups_opened),
            ("followUpsResolved", self.follow_ups_resolved),
            ("webhooksDelivered", self.webhooks_delivered),
            ("webhooksDead", self.webhooks_dead),
            ("emailsSent", self.emails_sent),
            ("emailsFailed", self.emails_failed),
        ]
    }
}

/// The report of one business date.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The business date reported on.
    pub date: NaiveDate,
    /// When the report was made.
    pub generated_at: DateTime<Utc>,
    /// Each daily count (`orders`, `charged` …) with the average of the four previous same weekdays.
    pub counts: Vec<(String, Figure)>,
    /// Orders created on the day by source and payment status, with amounts.
    pub orders: Vec<OrderCount>,
    /// The amount of the day's orders that are paid.
    pub paid_total: i64,
    /// Renewals due on the day and the charge attempts settled on it.
    pub charges: ChargeFigures,
    /// charged ÷ (charged + failed) over the day's attempts, in percent.
    pub charge_success_rate: Option<f64>,
    /// Renewals due on each of the next 14 days.
    pub forecast: Vec<ForecastDay>,
    /// Follow-ups open now, by priority, and how many are overdue.
    pub follow_ups_open: Vec<(String, u64)>,
    pub follow_ups_overdue: u64,
    /// Webhook deliveries of the day per endpoint, and the backlog now.
    pub webhooks: Vec<EndpointFigures>,
    /// E-mails of the day and the queue now.
    pub emails: EmailFigures,
    /// Every scheduled job.
    pub jobs: Vec<JobHealth>,
    /// What the daily rules find on the day.
    pub alerts: Vec<crate::Alert>,
    /// Alerts open now (any rule), oldest first.
    pub open_alerts: Vec<crate::alerts::OpenAlert>,
    /// The day's reconciliation with the gateway's settlement (R23), once it ran.
    pub reconciliation: Option<Reconciliation>,
}

/// The counts of a day's reconciliation (R23).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reconciliation {
    /// `FILE` or `GATEWAY`.
    pub source: String,
    /// Transactions settled.
    pub transactions: u64,
    /// Of them, matched with a payment of the same amount.
    pub matched: u64,
    /// Transactions no payment holds (PAYMENT_WITHOUT_ORDER).
    pub stray: u64,
    /// Payments captured and not settled (PAYMENT_NOT_SETTLED).
    pub missing: u64,
    /// Amounts that differ (PAYMENT_AMOUNT_MISMATCH).
    pub mismatched: u64,
    /// The settlement's total, TWD.
    pub settled_amount: i64,
    /// What we captured, TWD.
    pub captured_amount: i64,
}

impl From<orders::reconcile::Report> for Reconciliation {
    fn from(r: orders::reconcile::Report) -> Self {
        Reconciliation {
            source: r.source.as_str().to_owned(),
            transactions: r.transactions,
            matched: r.matched,
            stray: r.stray,
            missing: r.missing,
            mismatched: r.mismatched,
            settled_amount: r.settled_amount.amount(),
            captured_amount: r.paid_amount.amount(),
        }
    }
}

impl Report {
    /// The figure of a daily count by name (`orders`, `charged` …).
    pub fn figure(&self, name: &str) -> Figure {
        self.counts.iter().find(|(n, _)| n == name).map(|(_, f)| *f).unwrap_or_default()
    }
}

/// Builds the report of `date` (an error when the date is malformed is the caller's: see
/// [`check_date`]).
pub async fn build(
    db: &impl ConnectionTrait,
    calendar: BusinessCalendar,
    date: NaiveDate,
    now: DateTime<Utc>,
    jobs: Vec<JobHealth>,
    thresholds: &AlertThresholds,
) -> anyhow::Result<Report> {
    let day = read_day(db, calendar, date, now).await?;
    let mut previous = Vec::new();
    for weeks in 1..=WEEKS_BACK {
        if let Some(d) = date.checked_sub_days(Days::new(7 * weeks)) {
            previous.push(read_day(db, calendar, d, now).await?.counts());
        }
    }
    let today = day.counts();
    let counts = today
        .fields()
        .iter()
        .enumerate()
        .map(|(i, (name, value))| {
            let sum: u64 = previous.iter().map(|p| p.fields()[i].1).sum();
            let average = if previous.is_empty() { 0.0 } else { sum as f64 / previous.len() as f64 };
            ((*name).to_owned(), Figure { value: *value, average })
        })
        .collect::<Vec<_>>();
    let Day { orders, charges, follow_ups, webhooks, emails, .. } = day;
    let paid_total = orders.iter().filter(|o| o.payment_status == "PAID").map(|o| o.amount).sum();
    let forecast = renewals::figures::forecast(db, date, FORECAST_DAYS).await?;
    let mut report = Report {
        date,
        generated_at: now,
        charge_success_rate: crate::rules::success_rate(charges.charged, charges.failed()),
        counts,
        orders,
        paid_total,
        charges,
        forecast,
        follow_ups_open: follow_ups
            .open_by_priority
            .iter()
            .map(|(p, n)| (p.as_str().to_owned(), *n))
            .collect(),
        follow_ups_overdue: follow_ups.overdue,
        webhooks,
        emails,
        jobs,
        alerts: Vec::new(),
        open_alerts: crate::alerts::open(db).await?,
        reconciliation: orders::reconcile::summary_of(db, date).await?.map(Reconciliation::from),
    };
    report.alerts = crate::rules::evaluate(crate::Scope::Daily, &report.daily_input(), thresholds).1;
    Ok(report)
}

impl Report {
    /// What the daily rules look at in this report (the `DAILY_REPORT` job evaluates the same).
    pub fn daily_input(&self) -> crate::rules::RuleInput {
        crate::rules::RuleInput {
            charged: self.charges.charged,
            failed: self.charges.failed(),
            orders: self.figure("orders"),
            follow_ups_opened: self.figure("followUpsOpened").value,
            dead_deliveries: self.figure("webhooksDead").value,
            failed_emails: self.figure("emailsFailed").value,
            ..crate::rules::RuleInput::default()
        }
    }
}

/// Everything read of one business date: each domain's figures, once.
struct Day {
    orders: Vec<OrderCount>,
    charges: ChargeFigures,
    granted: entitlements::figures::EntitlementFigures,
    follow_ups: followups::manage::Counts,
    webhooks: Vec<EndpointFigures>,
    emails: EmailFigures,
}

impl Day {
    fn counts(&self) -> DayCounts {
        DayCounts {
            orders: self.orders.iter().map(|o| o.orders).sum(),
            paid_orders: self.orders.iter().filter(|o| o.payment_status == "PAID").map(|o| o.orders).sum(),
            renewals_due: self.charges.due,
            charged: self.charges.charged,
            charge_failed: self.charges.failed(),
            entitlements_granted: self.granted.granted,
            entitlements_failed: self.granted.failed,
            entitlements_expired: self.granted.expired,
            follow_ups_opened: self.follow_ups.opened,
            follow_ups_resolved: self.follow_ups.resolved,
            webhooks_delivered: self.webhooks.iter().map(|w| w.delivered).sum(),
            webhooks_dead: self.webhooks.iter().map(|w| w.dead).sum(),
            emails_sent: self.emails.sent,
            emails_failed: self.emails.failed,
        }
    }
}

/// Reads one business date (follow-ups open and overdue as of `now`).
async fn read_day(
    db: &impl ConnectionTrait,
    calendar: BusinessCalendar,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<Day> {
    let (from, to) = day_bounds(calendar, date);
    Ok(Day {
        orders: orders::figures::created_between(db, from, to).await?,
        charges: renewals::figures::charges(db, date, from, to).await?,
        granted: entitlements::figures::between(db, from, to).await?,
        follow_ups: followups::manage::counts(db, from, to, now).await?,
        webhooks: notify::figures::deliveries(db, from, to).await?,
        emails: notify::figures::emails(db, from, to).await?,
    })
}
/// The instants a business date spans: `[its start, the next day's start)`.
pub fn day_bounds(calendar: BusinessCalendar, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let next = date.succ_opt().unwrap_or(date);
    (calendar.start_of(date), calendar.start_of(next))
}

/// Most days back and ahead of today a report may be asked for.
const MAX_DAYS_BACK: u64 = 3660;

/// Checks a report date against today: not after today, not more than ten years back.
pub fn check_date(date: NaiveDate, today: NaiveDate) -> Result<(), String> {
    if date > today {
        return Err(format!("date: {date} is after today ({today}); a report covers a day that has begun"));
    }
    if today.checked_sub_days(Days::new(MAX_DAYS_BACK)).is_some_and(|earliest| date < earliest) {
        return Err(format!("date: {date} is more than ten years back"));
    }
    Ok(())
}
