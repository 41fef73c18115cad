//! Orders (訂單): creation with promotion expansion (R1) and line statuses (R2), payments, member
//! binding, and the order events of the log (R12).
//!
//! Owns the tables `orders`, `order_lines` and `payments`. Depends on core, catalog and members.

mod entity;
mod error;
pub mod figures;
pub mod invoice;
pub mod model;
pub mod rules;
pub mod service;

pub use error::OrdersError;
pub use invoice::Invoice;
pub use model::{
    LineInput, NewOrder, Order, OrderFilter, OrderLine, OrderSource, OrderStatus, Payer, Payment,
    PaymentReport, PaymentResult, PaymentStatus, Receiver,
};
