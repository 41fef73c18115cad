//! Renewals (續訂單): one future automatic charge of a renewable promotion for a customer.
//!
//! Owns the `renewals` table: `createRenewal` with the R4 supersede rules and R5 deduct dates, reading and
//! stopping renewals (issue #6, first part). Notices, the charge run, the gateway and e-mails are still to
//! come. Depends on core, catalog, members, orders and entitlements, never the other way round.

pub mod auto;
pub mod bulk;
pub mod charge;
mod entity;
mod error;
pub mod import;
pub mod notice;
pub mod rules;
pub mod service;
mod status;

pub use error::RenewalsError;
pub use status::RenewalStatus;
