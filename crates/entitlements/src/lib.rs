//! Entitlements (權益): what a holder may receive of a product — magazine issues by volume, digital access by
//! due date.
//!
//! Will own the entitlement and grant-ledger tables, the R3 computation, R10 expiry and R11 temporary grants
//! (issue #5). What is here now are the seed's status codes and the pure R10 transition. Depends on core,
//! catalog, members and orders; renewals depend on it.

pub mod rules;
mod status;

pub use status::SubscribeStatus;
