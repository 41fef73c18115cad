//! The ERP's files over GraphQL for admins (R21), page by page, cell for cell what `platform export` writes:
//! `entitlementsExport` (the 雜誌權益檔) and `mailingList` (who receives issue N).

use crate::ApiState;
use crate::access::Require;
use crate::error::{coded, internal};
use async_graphql::{Context, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use importer::export::{ExportFilter, Invalid, MAILING_COLUMNS, erp_header, erp_page, mailing_page};
use platform_core::ErrorCode;

/// Most rows in a page.
const MAX_FIRST: i32 = 500;

#[derive(Default)]
pub(crate) struct ExportQuery;

/// A page of an export: its header and rows, cell for cell the CSV's.
#[derive(SimpleObject)]
pub(crate) struct ExportPage {
    /// The column names.
    header: Vec<String>,
    /// The rows, each a cell per column.
    rows: Vec<Vec<String>>,
    /// Pass as `after` for the next page.
    end_cursor: Option<String>,
    /// Whether more rows follow.
    has_next_page: bool,
}

fn first_of(first: Option<i32>) -> Result<usize> {
    let first = first.unwrap_or(100);
    if !(1..=MAX_FIRST).contains(&first) {
        return Err(coded(ErrorCode::BadUserInput, format!("first: 1–{MAX_FIRST}")));
    }
    Ok(usize::try_from(first).unwrap_or(100))
}

fn refused(err: anyhow::Error) -> async_graphql::Error {
    match err.downcast_ref::<Invalid>() {
        Some(invalid) => coded(ErrorCode::BadUserInput, invalid.0.trim_start_matches("--").to_owned()),
        None => internal(err),
    }
}

#[Object]
impl ExportQuery {
    /// The VOLUME entitlements (and the 全閱讀 pass) in the ERP 雜誌權益檔 columns, one row per customer by
    /// customer (R21): what `platform export entitlements` writes and `entitlements-erp` reads back. Only
    /// customers with an entitlement changed since `changedSince`, only `product`'s. Admins only.
    #[graphql(guard = "Require::Admin")]
    async fn entitlements_export(
        &self,
        ctx: &Context<'_>,
        changed_since: Option<DateTime<Utc>>,
        #[graphql(validator(max_length = 8))] product: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ExportPage> {
        let state = ctx.data::<ApiState>()?;
        let limit = first_of(first)?;
        let after = match after {
            Some(raw) => raw
                .parse::<i64>()
                .map_err(|_| coded(ErrorCode::BadUserInput, "after: not a cursor of this export"))?,
            None => 0,
        };
        let filter = ExportFilter { changed_since, product };
        let (rows, more) = erp_page(&state.db, &filter, after, limit).await.map_err(refused)?;
        Ok(ExportPage {
            header: erp_header(),
            end_cursor: rows.last().map(|r| r.customer_id.to_string()),
            rows: rows.into_iter().map(|r| r.cells).collect(),
            has_next_page: more,
        })
    }

    /// Every receiver covered for issue `volume` of magazine `product` (寄送名單, R21), from the grant ledger,
    /// suspended issues left out, by customer number: what `platform export mailing-list` writes. Admins
    /// only.
    #[graphql(guard = "Require::Admin")]
    async fn mailing_list(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(max_length = 8))] product: String,
        volume: i32,
        first: Option<i32>,
        #[graphql(validator(max_length = 40))] after: Option<String>,
    ) -> Result<ExportPage> {
        let state = ctx.data::<ApiState>()?;
        let limit = first_of(first)?;
        let (rows, more) =
            mailing_page(&state.db, &product, volume, after.as_deref(), limit).await.map_err(refused)?;
        Ok(ExportPage {
            header: MAILING_COLUMNS.iter().map(|c| (*c).to_owned()).collect(),
            end_cursor: rows.last().map(|r| r.customer_no.clone()),
            rows: rows.into_iter().map(|r| r.cells).collect(),
            has_next_page: more,
        })
    }
}
