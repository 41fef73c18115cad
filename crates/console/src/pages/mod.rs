//! The console's pages and the routes to them. Each handler reads what its page shows through the
//! domains' functions and renders one template; only the follow-up forms change anything.

mod followups;
mod forecast;
mod jobs;
mod search;
mod today;
mod trends;

use crate::guard::Operator;
use crate::{Console, guard, login};
use axum::Router;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::Response;
use axum::routing::{get, post};
use minijinja::{Value, context};

/// Every route under `/ops`, behind the network check.
pub(crate) fn routes(console: Console) -> Router {
    Router::new()
        .route("/ops", get(today::page))
        .route("/ops/trends", get(trends::page))
        .route("/ops/forecast", get(forecast::page))
        .route("/ops/follow-ups", get(followups::list))
        .route("/ops/follow-ups/{id}", get(followups::detail))
        .route("/ops/follow-ups/{id}/{action}", post(followups::act))
        .route("/ops/jobs", get(jobs::page))
        .route("/ops/search", get(search::search))
        .route("/ops/orders/{order_no}", get(search::order))
        .route("/ops/customers/{customer_no}", get(search::customer))
        .route("/ops/members/{account}", get(search::member))
        .route("/ops/login", get(login::form).post(login::submit))
        .route("/ops/link/{key}", get(login::link_form))
        .route("/ops/link", post(login::link_submit))
        .route("/ops/logout", post(login::logout))
        .layer(middleware::from_fn_with_state(console.clone(), guard::network_and_headers))
        .with_state(console)
}

/// Renders `template` for `operator` with the page's own `values` (merged with what the layout needs).
pub(crate) fn render(
    console: &Console,
    operator: &Operator,
    nav: &str,
    template: &str,
    values: Value,
) -> Response {
    render_status(console, operator, nav, template, values, StatusCode::OK)
}

/// [`render`] with another status.
pub(crate) fn render_status(
    console: &Console,
    operator: &Operator,
    nav: &str,
    template: &str,
    values: Value,
    status: StatusCode,
) -> Response {
    let base = context! {
        admin => operator.subject.as_str(),
        csrf => operator.csrf.as_str(),
        nav,
        zone => console.jobs.calendar.zone().name(),
    };
    console.view.page(status, template, context! { ..base, ..values })
}
