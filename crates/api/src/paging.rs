//! `first`/`after` arguments of connections.

use crate::error::coded;
use async_graphql::Result;
use async_graphql::connection::CursorType;
use platform_core::ErrorCode;

/// Page size when `first` is not given.
pub(crate) const DEFAULT_PAGE: i32 = 20;
/// Largest page.
pub(crate) const MAX_PAGE: i32 = 100;

/// Validated page arguments: the page size and the decoded cursor.
pub(crate) struct Page<C> {
    /// Rows wanted.
    pub(crate) first: usize,
    /// Where to continue.
    pub(crate) after: Option<C>,
}

impl<C: CursorType> Page<C> {
    /// Checks `first` (1–100, default 20) and decodes `after`.
    pub(crate) fn parse(first: Option<i32>, after: Option<String>) -> Result<Self> {
        let first = first.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&first) {
            return Err(coded(ErrorCode::BadUserInput, format!("first: must be between 1 and {MAX_PAGE}")));
        }
        let after = after
            .map(|cursor| C::decode_cursor(&cursor))
            .transpose()
            .map_err(|_| coded(ErrorCode::BadUserInput, "after: not a cursor returned by this API"))?;
        Ok(Page { first: usize::try_from(first).unwrap_or(1), after })
    }

    /// Rows to fetch: one more than wanted, to learn whether there is a next page.
    pub(crate) fn limit(&self) -> u64 {
        self.first as u64 + 1
    }
}
