//! Domain types of entitlements.

use crate::SubscribeStatus;
use chrono::{DateTime, NaiveDate, Utc};

/// Who holds an entitlement: a customer (print products) or a member (digital products).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// A customer number.
    Customer(String),
    /// A member account.
    Member(String),
}

/// An entitlement (權益) of one holder to one product, with the seed's fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Entitlement {
    /// The holder.
    pub holder: Holder,
    /// Product code, e.g. `GCV`.
    pub product_code: String,
    /// 權益起期.
    pub start_volume: Option<i32>,
    /// 權益起日.
    pub start_volume_date: Option<NaiveDate>,
    /// 截訂期.
    pub end_volume: Option<i32>,
    /// 截訂日.
    pub end_volume_date: Option<NaiveDate>,
    /// Covered until this date (publish date of the first uncovered issue, or a pass's due date).
    pub right_due_date: Option<NaiveDate>,
    /// 年資 in thousandths of a year.
    pub seniority_thousandths: i64,
    /// Status.
    pub subscribe_status: SubscribeStatus,
    /// A temporary grant (R11) covers until this date.
    pub temporary_until: Option<NaiveDate>,
    /// Some date came from the cadence because the calendar does not reach it yet.
    pub estimated: bool,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// What one run of the grant computation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GrantSummary {
    /// Lines granted now.
    pub granted: u32,
    /// Lines that could not be granted (recorded with a reason).
    pub failed: u32,
    /// Digital lines waiting for the order to be bound to a member.
    pub pending_member: u32,
}

/// An entitlement whose coverage a change moved (a revocation, a suspension): whose, of what, and its new
/// due date — what R5 follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueChange {
    /// The holder's customer row id (print).
    pub holder_customer_id: Option<platform_core::CustomerId>,
    /// The holder's member row id (digital).
    pub holder_member_id: Option<platform_core::MemberId>,
    /// The product.
    pub product_code: String,
    /// Its `rightDueDate` now.
    pub right_due_date: Option<NaiveDate>,
}
