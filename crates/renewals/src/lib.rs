//! Renewals (續訂單): one future automatic charge of a renewable promotion for a customer.
//!
//! Owns the `renewals` and `renewal_charges` tables: `createRenewal` with the R4 supersede rules and R5
//! deduct dates, reading, stopping and re-carding renewals, R7 creation from paid orders, R8 notices and
//! the R9 charge run. `store` is the bottom layer every module uses; `rules` holds the pure rules.
//! Depends on core, catalog, members, orders, entitlements, notify and payments, never the other way round.

mod access;
pub mod app;
pub mod auto;
pub mod bulk;
pub mod cancel;
pub mod change;
pub mod charge;
mod entity;
mod error;
pub mod figures;
pub mod follow;
pub mod import;
mod mail;
pub mod many;
pub mod notice;
pub mod prices;
pub mod rules;
pub mod service;
mod status;
mod store;

pub use error::RenewalsError;
pub use status::RenewalStatus;

/// The unique constraints whose violations renewals turns into its own outcomes.
pub const UNIQUE_KEYS: [platform_core::db::UniqueKey; 1] = [store::CREATION_KEY];
