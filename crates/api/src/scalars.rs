//! Custom scalars.

use async_graphql::{ID, InputValueError, InputValueResult, Result, Scalar, ScalarType, Value};
use chrono::NaiveDate;

/// A calendar date `YYYY-MM-DD` in the business time zone (publish dates, due dates, deduct dates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Date)
                .map_err(|_| InputValueError::custom(format!("expected a date YYYY-MM-DD, got {s:?}"))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// The row id an `ID` argument names; anything else is `BAD_USER_INPUT` naming `field`.
pub(crate) fn parse_id(field: &str, id: &ID) -> Result<i64> {
    id.parse::<i64>().map_err(|_| {
        crate::error::coded(platform_core::ErrorCode::BadUserInput, format!("{field}: not an id of this API"))
    })
}

/// A member account as an argument gives it (trimmed, lower-cased); a malformed one is the members
/// domain's `BAD_USER_INPUT`.
pub(crate) fn parse_account(raw: &str) -> Result<members::Account> {
    members::Account::parse(raw).map_err(|e| crate::error::from_domain(members::MembersError::from(e)))
}

/// [`parse_account`] of an optional argument.
pub(crate) fn parse_optional_account(raw: Option<&str>) -> Result<Option<members::Account>> {
    raw.map(parse_account).transpose()
}
