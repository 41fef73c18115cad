//! End-to-end tests: the real server on an ephemeral port (in-process, and the real `platform` binary),
//! spoken to over HTTP. Every test runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL too.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test helpers fail the test loudly")]

mod access;
mod aftersale;
mod binary;
mod browser;
mod catalog;
mod catalog_admin;
mod console;
mod constraints;
mod doctor;
mod entitlements;
mod erp;
mod hostile;
mod job_runs;
mod lifecycle;
mod limits;
mod members;
mod metrics;
mod nested;
mod operations;
mod orders;
mod payments;
mod queries;
mod renewals;
mod support;
mod tokens;
mod webhooks;
