//! Orders (訂單): orders and their lines, payments and member binding.
//!
//! Will own the order, line and payment tables and the transactional event outbox writes of R12 (issue #4).
//! What is here now is the pure R2 rule and the vocabulary orders share. Depends on core, catalog and members.

pub mod rules;

/// Where an order came from (SPEC §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderSource {
    /// An EC frontend.
    Ec,
    /// The publisher's app.
    App,
    /// 91APP.
    NineOneApp,
    /// A renewal charge (續訂單).
    Auto,
    /// Migrated from the legacy ERP.
    Import,
}

/// The status of an order line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineStatus {
    /// Accepted for fulfilment (seed: 立即 Confirm).
    Confirmed,
}
