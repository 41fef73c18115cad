//! The operators' report for admins (R16): `opsReport(date)`.

use crate::access::Require;
use crate::error::{coded, internal};
use crate::{ApiState, Date};
use async_graphql::{Context, Json, Object, Result, SimpleObject};
use platform_core::ErrorCode;

#[derive(Default)]
pub(crate) struct ReportQuery;

#[Object]
impl ReportQuery {
    /// The R16 report of business date `date` (default today so far): each daily count beside the
    /// average of the four previous same weekdays, the charge success rate, the 14-day cash forecast, the
    /// backlogs and jobs now, and the alerts. Admins only.
    #[graphql(guard = "Require::Admin")]
    async fn ops_report(&self, ctx: &Context<'_>, date: Option<Date>) -> Result<OpsReport> {
        let state = ctx.data::<ApiState>()?;
        let now = state.clock.now();
        let today = state.jobs.calendar.date_of(now);
        let date = date.map_or(today, |d| d.0);
        ops::report::check_date(date, today).map_err(|message| coded(ErrorCode::BadUserInput, message))?;
        let report = jobs::report(&state.jobs, date, now).await.map_err(internal)?;
        Ok(OpsReport::from(report))
    }
}

/// A daily count and the average of the four previous same weekdays.
#[derive(SimpleObject)]
pub(crate) struct ReportFigure {
    /// `orders`, `paidOrders`, `renewalsDue`, `charged`, `chargeFailed`, `entitlementsGranted` …
    name: String,
    value: u64,
    average: f64,
}

/// Renewals due on one day of the forecast.
#[derive(SimpleObject)]
pub(crate) struct ForecastDay {
    date: Date,
    renewals: u64,
    amount: i64,
}

/// An alert a rule raises.
#[derive(SimpleObject)]
pub(crate) struct ReportAlert {
    rule: String,
    priority: String,
    title: String,
}

/// The report of one business date.
#[derive(SimpleObject)]
pub(crate) struct OpsReport {
    date: Date,
    counts: Vec<ReportFigure>,
    /// charged ÷ (charged + failed) over the day's attempts, in percent; null without attempts.
    charge_success_rate: Option<f64>,
    paid_total: i64,
    charged_amount: i64,
    forecast: Vec<ForecastDay>,
    /// What the daily rules find on the day.
    alerts: Vec<ReportAlert>,
    /// The day's reconciliation with the gateway's settlement (R23); null until it ran.
    reconciliation: Option<ReportReconciliation>,
    /// The summary as Slack gets it.
    summary: Vec<String>,
    /// Everything, as `platform report --format json` prints it.
    detail: Json<serde_json::Value>,
}

/// A day's reconciliation (R23): the gateway's settled transactions against our captured payments.
#[derive(SimpleObject)]
pub(crate) struct ReportReconciliation {
    /// `FILE` (`platform reconcile --settlement`) or `GATEWAY` (`RECONCILE_PAYMENTS`).
    source: String,
    /// Transactions settled.
    transactions: u64,
    /// Matched with a payment of the same amount.
    matched: u64,
    /// Transactions no payment holds (PAYMENT_WITHOUT_ORDER follow-ups).
    stray: u64,
    /// Payments captured and not settled (PAYMENT_NOT_SETTLED).
    missing: u64,
    /// Amounts that differ (PAYMENT_AMOUNT_MISMATCH).
    mismatched: u64,
    /// TWD settled.
    settled_amount: i64,
    /// TWD we captured.
    captured_amount: i64,
}

impl From<ops::Report> for OpsReport {
    fn from(r: ops::Report) -> Self {
        OpsReport {
            date: Date(r.date),
            counts: r
                .counts
                .iter()
                .map(|(name, f)| ReportFigure { name: name.clone(), value: f.value, average: f.average })
                .collect(),
            charge_success_rate: r.charge_success_rate,
            paid_total: r.paid_total,
            charged_amount: r.charges.charged_amount,
            forecast: r
                .forecast
                .iter()
                .map(|d| ForecastDay { date: Date(d.date), renewals: d.renewals, amount: d.amount })
                .collect(),
            alerts: r
                .alerts
                .iter()
                .map(|a| ReportAlert {
                    rule: a.rule.clone(),
                    priority: a.priority.as_str().to_owned(),
                    title: a.title.clone(),
                })
                .collect(),
            reconciliation: r.reconciliation.clone().map(|c| ReportReconciliation {
                source: c.source,
                transactions: c.transactions,
                matched: c.matched,
                stray: c.stray,
                missing: c.missing,
                mismatched: c.mismatched,
                settled_amount: c.settled_amount,
                captured_amount: c.captured_amount,
            }),
            summary: ops::render::summary_lines(&r),
            detail: Json(serde_json::to_value(&r).unwrap_or_default()),
        }
    }
}
