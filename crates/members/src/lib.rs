//! Members (會員, online accounts) and customers (訂戶, ERP subscribers) and the links between them.
//!
//! Will own the member, customer and link tables (issue #3). What is here now is the account rule every
//! later domain relies on. Depends on core and catalog; orders depend on it.

mod account;

pub use account::{Account, AccountError};
