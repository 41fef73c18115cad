//! Money: an integer amount in TWD (no minor unit). Never a float.
//!
//! Every amount the platform takes in — a line, a shipping fee, an order's total, a payment, a price, a
//! renewal's charge, an imported fee — is at most [`Money::MAX`] (SPEC §3), checked where it enters by
//! [`Money::bounded`] and again by a database CHECK on each money column. The bound keeps every amount and
//! every sum the API shows inside a GraphQL `Int` (32 bits), so a payment can always carry an order's total,
//! and it keeps a typo such as `FREIGHT_CHARGE = 99999999999` from ever being charged. `Money` is also the
//! column type of every amount column (sea-orm `DeriveValueType`), so rows carry it end to end.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount of money in TWD. Arithmetic is checked: an overflow is an error, never a wrap.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    Deserialize,
    sea_orm::DeriveValueType,
)]
#[serde(transparent)]
pub struct Money(i64);

impl Money {
    /// Zero TWD.
    pub const ZERO: Money = Money(0);

    /// The largest amount anything may carry: NT$100,000,000.
    pub const MAX: Money = Money(100_000_000);

    /// An amount taken in at an edge: `0..=MAX`, else an error the caller reports against its field.
    pub fn bounded(twd: i64) -> Result<Money, AmountError> {
        if (0..=Money::MAX.0).contains(&twd) { Ok(Money(twd)) } else { Err(AmountError) }
    }

    /// `self + other` while the sum stays within [`Money::MAX`] (an order's total, say).
    pub fn bounded_add(self, other: Money) -> Result<Money, AmountError> {
        self.0.checked_add(other.0).ok_or(AmountError).and_then(Money::bounded)
    }

    /// An amount of `twd` dollars.
    pub const fn new(twd: i64) -> Self {
        Money(twd)
    }

    /// The amount in TWD.
    pub const fn amount(self) -> i64 {
        self.0
    }

    /// True when the amount is below zero.
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    /// `self - other`, or `None` on overflow.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }
}

/// An amount outside `0..=Money::MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be between 0 and 100000000 TWD")]
pub struct AmountError;

impl From<i64> for Money {
    fn from(value: i64) -> Self {
        Money(value)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TWD {}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked_arithmetic_reports_overflow() {
        assert_eq!(Money::new(2).checked_add(Money::new(3)), Some(Money::new(5)));
        assert_eq!(Money::new(i64::MAX).checked_add(Money::new(1)), None);
        assert_eq!(Money::new(i64::MIN).checked_sub(Money::new(1)), None);
        assert!(Money::new(-1).is_negative());
        assert_eq!(Money::new(3480).to_string(), "TWD 3480");
    }

    #[test]
    fn amounts_taken_in_are_bounded() {
        assert_eq!(Money::bounded(0), Ok(Money::ZERO));
        assert_eq!(Money::bounded(100_000_000), Ok(Money::MAX));
        assert_eq!(Money::bounded(100_000_001), Err(AmountError));
        assert_eq!(Money::bounded(-1), Err(AmountError));
        assert_eq!(Money::bounded(99_999_999_999), Err(AmountError));
        assert_eq!(Money::MAX.bounded_add(Money::new(1)), Err(AmountError));
        assert_eq!(Money::new(i64::MAX).bounded_add(Money::new(1)), Err(AmountError));
        assert!(i32::try_from(Money::MAX.amount()).is_ok(), "every amount fits a GraphQL Int");
    }

    #[test]
    fn money_is_stored_as_a_bigint_and_serialized_as_its_number() {
        assert_eq!(sea_orm::Value::from(Money::new(3480)), sea_orm::Value::BigInt(Some(3480)));
        assert_eq!(serde_json::to_value(Money::new(3480)).unwrap(), serde_json::json!(3480));
    }
}
