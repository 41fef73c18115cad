//! Entitlements (權益): what a holder may receive of a product — magazine issues by volume, digital access by
//! due date. The R3 computation on payment and member binding (exactly once per order line, with an
//! append-only grant ledger), R10 expiry, and R11 temporary grants.
//!
//! Owns the tables `entitlements` and `entitlement_grants`. Depends on core, catalog, members and orders;
//! renewals depend on it.

pub mod batch;
pub mod bulk;
pub mod calendar;
mod entity;
mod error;
pub mod expire;
pub mod export;
pub mod figures;
pub mod grant;
pub mod import;
pub mod mailing;
pub mod model;
pub mod query;
pub mod revoke;
pub mod rules;
mod status;
pub mod suspend;
pub mod temporary;

pub use error::EntitlementsError;
pub use model::{DueChange, Entitlement, GrantSummary, Holder};
pub use status::SubscribeStatus;

/// The unique constraints whose violations entitlements turns into its own outcomes.
pub const UNIQUE_KEYS: [platform_core::db::UniqueKey; 1] = [grant::LINE_GRANTED];
