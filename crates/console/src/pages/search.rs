//! 搜尋 Search: an order number, customer number or member account leads to that subject's page: an order
//! with its lines, payments, follow-ups and event timeline; a customer or member with its orders and their
//! timeline.

use super::followups::{TIMELINE, subject_link};
use super::{render, render_status};
use crate::Console;
use crate::guard::Operator;
use crate::view::internal;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use members::Account;
use minijinja::{Value, context};
use orders::{Order, OrderFilter};
use platform_core::events::Event;
use sea_orm::ActiveEnum;
use serde::Deserialize;

/// Longest search text.
const MAX_QUERY: usize = 200;
/// Orders listed on a customer's or member's page.
const ORDERS: u64 = 50;

#[derive(Deserialize, Default)]
pub(crate) struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// `GET /ops/search?q=`: to the page of the order, customer or member it names.
pub(crate) async fn search(
    State(console): State<Console>,
    operator: Operator,
    Query(query): Query<SearchQuery>,
) -> Response {
    let q = query.q.trim();
    let db = &console.jobs.db;
    if !q.is_empty() && q.chars().count() <= MAX_QUERY && !q.chars().any(char::is_control) {
        match orders::service::find_order(db, q).await {
            Ok(Some(order)) => {
                return Redirect::to(&format!("/ops/orders/{}", encode(&order.order_no))).into_response();
            }
            Ok(None) => {}
            Err(err) => return internal(&anyhow::anyhow!(err)),
        }
        match members::service::customer_id(db, q).await {
            Ok(Some(_)) => return Redirect::to(&format!("/ops/customers/{}", encode(q))).into_response(),
            Ok(None) => {}
            Err(err) => return internal(&anyhow::anyhow!(err)),
        }
        if let Ok(account) = Account::parse(q) {
            match members::service::member_id(db, &account).await {
                Ok(Some(_)) => {
                    return Redirect::to(&format!("/ops/members/{}", encode(account.as_str())))
                        .into_response();
                }
                Ok(None) => {}
                Err(err) => return internal(&anyhow::anyhow!(err)),
            }
        }
    }
    let values = context! {
        title => "找不到 Nothing found",
        message => format!("沒有符合「{q}」的訂單、客戶或會員。No order number, customer number or member account is {q:?}."),
    };
    render_status(&console, &operator, "", "message.html", values, StatusCode::NOT_FOUND)
}

/// A path segment with everything but letters, digits and `-_.@` percent-encoded.
fn encode(raw: &str) -> String {
    raw.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.@".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `GET /ops/orders/{order_no}`.
pub(crate) async fn order(
    State(console): State<Console>,
    operator: Operator,
    Path(order_no): Path<String>,
) -> Response {
    let db = &console.jobs.db;
    if order_no.len() > MAX_QUERY {
        return not_found(&console, &operator, "such order");
    }
    let order = match orders::service::find_order(db, &order_no).await {
        Ok(Some(order)) => order,
        Ok(None) => return not_found(&console, &operator, &format!("order {order_no:?}")),
        Err(err) => return internal(&anyhow::anyhow!(err)),
    };
    let subject = format!("order:{}", order.order_no);
    let filter = followups::FollowUpFilter {
        statuses: followups::Status::ALL.to_vec(),
        subject: Some(subject.clone()),
        ..followups::FollowUpFilter::default()
    };
    let now = console.jobs.clock.now();
    let follow_ups = match followups::manage::list(db, &filter, None, 50, now).await {
        Ok(rows) => rows,
        Err(err) => return internal(&anyhow::anyhow!(err)),
    };
    let events = match platform_core::events::of_subjects(db, &[subject], TIMELINE).await {
        Ok(events) => events,
        Err(err) => return internal(&err.into()),
    };
    let values = context! {
        kind => "order",
        title => format!("訂單 Order {}", order.order_no),
        order => order_view(&order),
        follow_ups => follow_ups.iter().map(|f| context! {
            id => f.id, kind => f.kind.as_str(), status => f.status.as_str(), summary => f.summary,
            level => f.priority.as_str().to_ascii_lowercase(), priority => f.priority.as_str(),
        }).collect::<Vec<_>>(),
        timeline => timeline(&events),
    };
    render(&console, &operator, "", "subject.html", values)
}

/// `GET /ops/customers/{customer_no}`.
pub(crate) async fn customer(
    State(console): State<Console>,
    operator: Operator,
    Path(customer_no): Path<String>,
) -> Response {
    if customer_no.len() > MAX_QUERY {
        return not_found(&console, &operator, "such customer");
    }
    let filter = OrderFilter { customer_no: Some(customer_no.clone()), ..OrderFilter::default() };
    holder(&console, &operator, filter, format!("客戶 Customer {customer_no}")).await
}

/// `GET /ops/members/{account}`.
pub(crate) async fn member(
    State(console): State<Console>,
    operator: Operator,
    Path(account): Path<String>,
) -> Response {
    let Ok(parsed) = Account::parse(&account) else {
        return not_found(&console, &operator, &format!("member {account:?}"));
    };
    let filter = OrderFilter { member: Some(parsed), ..OrderFilter::default() };
    holder(&console, &operator, filter, format!("會員 Member {account}")).await
}

/// A customer's or member's page: its latest orders and their timeline.
async fn holder(console: &Console, operator: &Operator, filter: OrderFilter, title: String) -> Response {
    let orders = match console.jobs.orders.list(&filter, None, ORDERS).await {
        Ok(orders) => orders,
        Err(err) => return internal(&anyhow::anyhow!(err)),
    };
    let subjects: Vec<String> = orders.iter().map(|o| format!("order:{}", o.order.order_no)).collect();
    let events = match platform_core::events::of_subjects(&console.jobs.db, &subjects, TIMELINE).await {
        Ok(events) => events,
        Err(err) => return internal(&err.into()),
    };
    let values = context! {
        kind => "holder",
        title,
        orders => orders.iter().map(|o| order_view(&o.order)).collect::<Vec<_>>(),
        timeline => timeline(&events),
    };
    render(console, operator, "", "subject.html", values)
}

fn not_found(console: &Console, operator: &Operator, what: &str) -> Response {
    let values = context! { title => "找不到 Not found", message => format!("No {what}.") };
    render_status(console, operator, "", "message.html", values, StatusCode::NOT_FOUND)
}

/// What a template shows of an order (a card's last four digits at most, never its token).
fn order_view(o: &Order) -> Value {
    context! {
        order_no => o.order_no,
        source => o.source.to_value(),
        status => o.status.to_value(),
        payment_status => o.payment_status.to_value(),
        member => o.member_account.as_ref().map(|a| a.as_str().to_owned()),
        payer => o.payer_customer_no,
        receiver => o.receiver.name,
        total => o.total_amount.amount(),
        card_last4 => o.card_last4,
        created_at => o.created_at.to_rfc3339(),
        paid_at => o.paid_at.map(|t| t.to_rfc3339()),
        cancelled_at => o.cancelled_at.map(|t| t.to_rfc3339()),
        ready_at => o.ready_at.map(|t| t.to_rfc3339()),
        erp_order_no => o.erp_order_no,
        shipped_at => o.shipped_at.map(|t| t.to_rfc3339()),
        channel_order_id => o.channel_order_id,
        lines => o.lines.iter().map(|l| context! {
            position => l.position, item_no => l.item_no, product_code => l.product_code,
            quantity => l.quantity, returned => l.returned_quantity, shipped => l.shipped_quantity,
            amount => l.amount.amount(),
            status => l.status.to_value(),
        }).collect::<Vec<_>>(),
        payments => o.payments.iter().map(|p| context! {
            transaction_id => p.transaction_id, status => format!("{:?}", p.status).to_uppercase(),
            amount => p.amount.amount(), paid_at => p.paid_at.to_rfc3339(),
        }).collect::<Vec<_>>(),
    }
}

/// Events as a timeline, newest first: when, what, about what, and the payload.
pub(crate) fn timeline(events: &[Event]) -> Vec<Value> {
    events
        .iter()
        .map(|e| {
            context! {
                at => e.occurred_at.to_rfc3339(),
                event_type => e.event_type,
                subject => e.subject,
                subject_link => subject_link(&e.subject),
                payload => serde_json::to_string(&e.payload).unwrap_or_default(),
            }
        })
        .collect()
}
