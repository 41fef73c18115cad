//! R17, the follow-up queue: work a person must do (a renewal that failed for good, a payment that does not
//! match its order, a webhook delivery given up, a raised alert …).
//!
//! Follow-ups are opened by the domains in the transaction of the change that causes them
//! ([`open_many`], [`open`]), at most one open per (kind, subject): the table's `open_key` is unique while
//! a follow-up is open and cleared when it closes. Admins list, assign, note, resolve and dismiss them
//! ([`manage`]); every change appends a `follow_up.*` event.
//!
//! Owns the tables `follow_ups` and `follow_up_notes`. Depends on core only, so every domain can open one.

mod entity;
mod error;
pub mod manage;
mod model;
mod open;

pub use error::FollowUpError;
pub use model::{FollowUp, FollowUpFilter, Kind, NewFollowUp, Note, Priority, Status};
pub use open::{open, open_many};
