//! Entitlements against real databases: SQLite always, PostgreSQL when TEST_DATABASE_URL is set.

#![allow(clippy::unwrap_used, reason = "test helpers fail the test loudly")]

mod expiry;
mod grants;
mod mailing;

use catalog::Catalog;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use members::{Change, CustomerInput};
use orders::model::{LineInput, NewOrder, Payer, PaymentReport, PaymentResult, Receiver};
use orders::service::OrderService;
use orders::{Order, OrderSource};
use platform_core::BusinessCalendar;
use std::time::Duration;
use test_support::TestDb;

pub(crate) fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

/// 10:00 in Taipei on `day` of November 2026.
pub(crate) fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, 2, 0, 0).unwrap()
}

pub(crate) async fn orders(db: &TestDb) -> OrderService {
    catalog::demo::load(&db.conn, today()).await.unwrap();
    let catalog = Catalog::new(db.conn.clone(), Duration::from_secs(5));
    OrderService::new(db.conn.clone(), catalog, BusinessCalendar::default(), "A01".to_owned())
}

/// Creates and pays an order of `lines` for payer `payer` (created when new) and returns it.
pub(crate) async fn paid_order(
    orders: &OrderService,
    key: &str,
    payer: Payer,
    lines: &[(&str, i32, i64)],
    complimentary: bool,
    paid: DateTime<Utc>,
) -> Order {
    let input = NewOrder {
        idempotency_key: key.to_owned(),
        source: Some(OrderSource::Ec),
        payer,
        receiver: Receiver { name: "王小明".into(), ..Receiver::default() },
        lines: lines
            .iter()
            .map(|(item_no, quantity, amount)| LineInput {
                item_no: (*item_no).into(),
                quantity: *quantity,
                amount: *amount,
            })
            .collect(),
        complimentary,
        ..NewOrder::default()
    };
    let (order, _) = orders.create(input, paid).await.unwrap();
    if order.total_amount.amount() == 0 {
        return order;
    }
    let report = PaymentReport {
        order_no: order.order_no.clone(),
        transaction_id: format!("T-{key}"),
        status: PaymentResult::Paid,
        amount: order.total_amount.amount(),
        paid_at: Some(paid),
    };
    orders.record_payment(report, paid).await.unwrap()
}

pub(crate) fn new_payer() -> Payer {
    Payer::New(Box::new(CustomerInput { name: Change::Set("王小明".into()), ..CustomerInput::default() }))
}

pub(crate) use test_support::count;
