//! Members (會員, online accounts) and customers (訂戶, ERP subscribers), the links between them
//! (seed 004's MEMBERSUBNO), and the access rule of SPEC §3 that every domain reuses.
//!
//! Owns the tables `members`, `issued_uuids`, `customers` and `member_customers`. Depends on core and
//! catalog; orders depend on it.

pub mod access;
mod account;
pub mod bulk;
mod entity;
mod error;
pub mod model;
pub mod service;
pub mod validate;

pub use access::{AccessError, Principal, Role};
pub use account::{Account, AccountError};
pub use error::MembersError;
pub use model::{Address, Change, Customer, CustomerInput, Member, MemberInput, Upserted};
pub use service::UNIQUE_KEYS;
pub use validate::MAX_PROFILE_BYTES;
