//! After the sale (R19, R20): cancelling an order, taking back returned lines, and what follows from
//! either — the lines' entitlements revoked, the affected renewals' deduct dates moved (R5), the renewals a
//! cancelled order opened stopped, the money refunded once through the gateway (or recorded when the
//! channel refunds), and an e-mail to the payer.
//!
//! It sits above renewals because it uses orders, entitlements and renewals in one transaction; nothing
//! below depends on it.

pub mod changes;
pub mod delivery;
mod error;
pub mod returns;
pub mod subscription;

pub use error::AfterSaleError;
