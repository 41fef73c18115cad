//! Members and customers against real databases: SQLite always, PostgreSQL when TEST_DATABASE_URL is set.

#![allow(clippy::unwrap_used, reason = "test helpers fail the test loudly")]

mod customers;
mod members;

use chrono::{DateTime, TimeZone, Utc};
use sea_orm::{ConnectionTrait, Statement};

pub(crate) fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, 3, 0, 0).unwrap()
}

pub(crate) async fn count(db: &impl ConnectionTrait, table: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}
