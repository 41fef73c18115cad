//! Webhooks and e-mails against real databases, a real HTTP receiver and a real SMTP listener in the test
//! process. Webhooks: signatures verified on
//! receipt (and by the Standard Webhooks reference library when python3 has it), retries until a failing
//! receiver recovers, order per subject, 410, redirects, timeouts, replay. SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, reason = "test helpers fail the test loudly")]

mod emails;
mod receiver;
mod webhooks;
