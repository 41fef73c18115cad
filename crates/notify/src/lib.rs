//! Notifications from the event log (R12): webhook endpoints, signed deliveries (Standard Webhooks) with
//! retries and replay; the e-mail outbox with its templates and SMTP sending.
//!
//! Owns the tables `webhook_endpoints`, `webhook_deliveries` and `emails`; reads `events` through core. Depends on
//! core only: it never looks into a domain's tables.

pub mod bulk;
pub mod dispatch;
pub mod email;
pub mod endpoints;
mod entity;
mod error;
pub mod figures;
pub mod model;
pub mod outbound;
pub mod signature;
pub mod slack;

pub use dispatch::{DispatchSettings, DispatchSummary, Dispatcher};
pub use error::NotifyError;
pub use model::{Delivery, DeliveryStatus, Endpoint, NewEndpoint};
pub use outbound::OutboundPolicy;
