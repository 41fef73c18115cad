//! Renewals against real databases: SQLite always, PostgreSQL when TEST_DATABASE_URL is set.

#![allow(clippy::unwrap_used, reason = "test helpers fail the test loudly")]

mod access;
mod charge;
mod ecpay;
mod fixtures;
mod jobs;
mod prices;
mod retired;
mod settle;
mod skips;
mod supersede;
