//! Notifications from the event log (R12): webhook endpoints, signed deliveries (Standard Webhooks) with
//! retries and replay. E-mails come with the renewals issue.
//!
//! Owns the tables `webhook_endpoints` and `webhook_deliveries`; reads `events` through core. Depends on
//! core only: it never looks into a domain's tables.

pub mod dispatch;
pub mod endpoints;
mod entity;
mod error;
pub mod model;
pub mod signature;

pub use dispatch::{DispatchSettings, DispatchSummary, Dispatcher};
pub use error::NotifyError;
pub use model::{Delivery, DeliveryStatus, Endpoint, NewEndpoint};
