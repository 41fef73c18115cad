//! Renewals (續訂單): one future automatic charge of a renewable promotion for a customer.
//!
//! Will own the renewal tables, the R4 supersede rules, R5 deduct dates, notices and the daily charge run
//! (issue #6). What is here now are the pure rules and the seed's status codes, which do not depend on
//! storage. Depends on core, catalog, members, orders and entitlements, never the other way round.

pub mod rules;
mod status;

pub use status::RenewalStatus;
