//! Orders against real databases: SQLite always, PostgreSQL when TEST_DATABASE_URL is set.

#![allow(clippy::unwrap_used, reason = "test helpers fail the test loudly")]

mod access;
mod create;
mod payments;
mod reconcile;
mod refunds;

use catalog::Catalog;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use members::{Change, CustomerInput};
use orders::OrderSource;
use orders::model::{LineInput, NewOrder, Payer, Receiver};
use orders::service::OrderService;
use platform_core::BusinessCalendar;
use std::time::Duration;
use test_support::TestDb;

pub(crate) fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, hour, 0, 0).unwrap()
}

/// A service over `db` with the demo catalog loaded.
pub(crate) async fn service(db: &TestDb) -> OrderService {
    catalog::demo::load(&db.conn, NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()).await.unwrap();
    let catalog = Catalog::new(db.conn.clone(), Duration::from_secs(5));
    OrderService::new(db.conn.clone(), catalog, BusinessCalendar::default(), "A01".to_owned())
}

/// An EC order for a new payer with the given lines.
pub(crate) fn order(key: &str, lines: &[(&str, i32, i64)]) -> NewOrder {
    NewOrder {
        idempotency_key: key.to_owned(),
        source: Some(OrderSource::Ec),
        payer: Payer::New(Box::new(CustomerInput {
            name: Change::Set("王小明".into()),
            ..CustomerInput::default()
        })),
        receiver: Receiver {
            name: "王小明".into(),
            mobile: Some("0912345678".into()),
            ..Receiver::default()
        },
        lines: lines
            .iter()
            .map(|(item_no, quantity, amount)| LineInput {
                item_no: (*item_no).to_owned(),
                quantity: *quantity,
                amount: *amount,
            })
            .collect(),
        ..NewOrder::default()
    }
}

pub(crate) use test_support::count;
