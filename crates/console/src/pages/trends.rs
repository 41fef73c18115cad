//! 趨勢 Trends: the last 30 days' orders, charge success rate and amounts charged, as inline SVG charts drawn
//! here, each with its numbers in a table.

use super::render;
use crate::Console;
use crate::chart;
use crate::guard::Operator;
use crate::view::internal;
use axum::extract::State;
use axum::response::Response;
use minijinja::{Value, context};

/// Days shown.
const DAYS: u32 = 30;

/// `GET /ops/trends`.
pub(crate) async fn page(State(console): State<Console>, operator: Operator) -> Response {
    let today = console.jobs.calendar.date_of(console.jobs.clock.now());
    let days = match ops::glance::trend(&console.jobs.db, console.jobs.calendar, today, DAYS).await {
        Ok(days) => days,
        Err(err) => return internal(&err),
    };
    let label = |d: &ops::glance::TrendDay| d.date.format("%m-%d").to_string();
    let orders: Vec<_> = days.iter().map(|d| (label(d), Some(d.orders as f64))).collect();
    let rate: Vec<_> = days.iter().map(|d| (label(d), d.charge_success_rate)).collect();
    let amount: Vec<_> = days.iter().map(|d| (label(d), Some(d.charged_amount as f64))).collect();
    let values = context! {
        days,
        orders_chart => Value::from_safe_string(chart::bars("每日訂單 Orders per day", &orders, None)),
        rate_chart => Value::from_safe_string(chart::line("扣款成功率 Charge success rate (%)", &rate, Some(100.0))),
        amount_chart => Value::from_safe_string(chart::bars("扣款金額 Amount charged (TWD)", &amount, None)),
    };
    render(&console, &operator, "trends", "trends.html", values)
}
