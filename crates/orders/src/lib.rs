//! Orders (訂單): creation with promotion expansion (R1) and line statuses (R2), payments, member
//! binding, and the order events of the log (R12).
//!
//! Payments are captured at once or, with delayed capture, by `CAPTURE_PAYMENTS`
//! ([`service::OrderService::capture_payments`]), and reconciled with the gateway's settlement
//! ([`reconcile`], R23).
//!
//! Owns the tables `orders`, `order_lines`, `payments`, refunds, returns, shipments and the reconciliation
//! reports. Depends on core, catalog, members, followups and payments.

pub mod bulk;
mod entity;
mod error;
pub mod figures;
pub mod invoice;
pub mod model;
pub mod reconcile;
pub mod rules;
pub mod service;

pub use error::OrdersError;
pub use invoice::Invoice;
pub use model::{
    CaptureStatus, LineInput, NewOrder, Order, OrderFilter, OrderLine, OrderSource, OrderStatus, Payer,
    Payment, PaymentReport, PaymentResult, PaymentStatus, Receiver,
};
pub use service::UNIQUE_KEYS;
