//! Shared kernel of the platform: money, business dates and the clock, settings, the error-code table and
//! opening the database.
//!
//! Every other crate depends on this one; it depends on no domain crate and owns no table.

pub mod bulk;
pub mod cache;
pub mod db;
pub mod error;
pub mod events;
pub mod ids;
pub mod json;
pub mod lease;
pub mod money;
pub mod progress;
pub mod settings;
pub mod time;
pub mod tokens;

pub use error::ErrorCode;
pub use ids::{CustomerId, MemberId, OrderId, RenewalId};
pub use money::Money;
pub use progress::Progress;
pub use settings::Settings;
pub use time::{BusinessCalendar, Clock};
