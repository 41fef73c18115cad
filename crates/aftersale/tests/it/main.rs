//! After-sale flows on SQLite and PostgreSQL: R19 cancellations and returns, R20 suspensions, IMMEDIATE
//! cancellations.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test helpers fail the test loudly")]

mod capture;
mod delivery;
mod fixtures;
mod returns;
mod subscription;
