//! 預測 Forecast: the renewals due on each of the next 14 days, with their count and amount (R16's cash
//! forecast).

use super::render;
use crate::Console;
use crate::chart;
use crate::guard::Operator;
use crate::view::internal;
use axum::extract::State;
use axum::response::Response;
use minijinja::{Value, context};

/// `GET /ops/forecast`.
pub(crate) async fn page(State(console): State<Console>, operator: Operator) -> Response {
    let today = console.jobs.calendar.date_of(console.jobs.clock.now());
    let days = match renewals::figures::forecast(&console.jobs.db, today, ops::report::FORECAST_DAYS).await {
        Ok(days) => days,
        Err(err) => return internal(&err.into()),
    };
    let points: Vec<_> =
        days.iter().map(|d| (d.date.format("%m-%d").to_string(), Some(d.amount as f64))).collect();
    let values = context! {
        total_renewals => days.iter().map(|d| d.renewals).sum::<u64>(),
        total_amount => days.iter().map(|d| d.amount).sum::<i64>(),
        days,
        chart => Value::from_safe_string(chart::bars("預計扣款 Renewals due (TWD)", &points, None)),
    };
    render(&console, &operator, "forecast", "forecast.html", values)
}
