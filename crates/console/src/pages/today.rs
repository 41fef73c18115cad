//! 今日 Today: today's orders by source and payment status; yesterday's charge success rate, order count and
//! follow-up rate against their thresholds, coloured by the priority of the alert each raises; open alerts.

use super::render;
use crate::Console;
use crate::guard::Operator;
use crate::view::internal;
use axum::extract::State;
use axum::response::Response;
use minijinja::context;
use ops::report::day_bounds;

/// `GET /ops`.
pub(crate) async fn page(State(console): State<Console>, operator: Operator) -> Response {
    match read(&console).await {
        Ok(values) => render(&console, &operator, "today", "today.html", values),
        Err(err) => internal(&err),
    }
}

async fn read(console: &Console) -> anyhow::Result<minijinja::Value> {
    let (db, calendar) = (&console.jobs.db, console.jobs.calendar);
    let thresholds = &console.jobs.settings.ops.alerts;
    let now = console.jobs.clock.now();
    let today = calendar.date_of(now);
    let yesterday = today.pred_opt().unwrap_or(today);
    let (from, to) = day_bounds(calendar, today);
    let orders = orders::figures::created_between(db, from, to).await?;
    let total_orders: u64 = orders.iter().map(|o| o.orders).sum();
    let total_amount: i64 = orders.iter().map(|o| o.amount).sum();
    let headline = ops::glance::headline(db, calendar, yesterday, now, thresholds).await?;
    let level = |rule: &str| {
        headline
            .alerts
            .iter()
            .find(|a| a.rule == rule)
            .map_or("ok".to_owned(), |a| a.priority.as_str().to_ascii_lowercase())
    };
    let attempts = headline.charged + headline.failed;
    let open_alerts = ops::alerts::open(db).await?;
    Ok(context! {
        today,
        yesterday,
        orders,
        total_orders,
        total_amount,
        headline,
        charge_level => level("CHARGE_SUCCESS_DAY"),
        charge_judged => attempts >= thresholds.min_charge_attempts,
        orders_level => level("ORDER_VOLUME"),
        follow_up_level => level("FOLLOW_UP_RATE"),
        thresholds => context! {
            min_charge_success_pct => thresholds.min_charge_success_pct,
            min_charge_attempts => thresholds.min_charge_attempts,
            orders_low_pct => thresholds.orders_low_pct,
            orders_high_pct => thresholds.orders_high_pct,
            max_follow_up_pct => thresholds.max_follow_up_pct,
        },
        open_alerts => open_alerts.iter().map(|a| context! {
            rule => a.rule, priority => a.priority.to_ascii_lowercase(), message => a.message,
            raised_at => a.raised_at.to_rfc3339(), follow_up_id => a.follow_up_id,
        }).collect::<Vec<_>>(),
    })
}
