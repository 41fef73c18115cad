//! Members and customers against real databases: SQLite always, PostgreSQL when TEST_DATABASE_URL is set.

#![allow(clippy::unwrap_used, reason = "test helpers fail the test loudly")]

mod customers;
mod members;

use chrono::{DateTime, TimeZone, Utc};

pub(crate) fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, 3, 0, 0).unwrap()
}

pub(crate) use test_support::count;
