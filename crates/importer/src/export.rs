//! `platform export entitlements`: the ERP 雜誌權益檔 back to the ERP (R21, seed 004 雜誌權益檔移回-ERP), the
//! inverse of the `entitlements-erp` import: one row per customer, `CUSTOMER_ID` (the ERP id; the customer
//! number where the customer has none), `CUSTOMER_NO`, then per product `XX_SUB_END_DATE` / `XX_SUB_END_VOLUMN`
//! / `XX_ACC_SENIORITY` (KC, the 全閱讀 pass, from the member linked to the customer: `KC_SUB_END_DATE` =
//! its due date, `KC_ACC_SENIORITY`). Importing the file into a database with the same catalog, customers
//! and links, as of the same day, reproduces the same entitlements: an end date the issue calendar
//! estimated is left empty, so the import estimates it again (and marks it so); seniority has three decimals.
//!
//! Customers are read in ranges of their ids and written as they are read, so a file of any size streams.
//! What is read is the domains' (`entitlements::export`, `entitlements::mailing::receivers`,
//! `members::service::last_customer_id`); this module lays it out as the ERP's files.

use crate::kinds::entitlements_erp::{PRODUCTS, calendars};
use chrono::{DateTime, NaiveDate, Utc};
use entitlements::export::{Held, PASS, held_by_customers};
use entitlements::mailing::{Receiver, receivers};
use sea_orm::DatabaseConnection;
use std::collections::BTreeMap;
use std::io::Write;

/// What the caller asked for cannot be exported (an unknown product, a bad issue number): the message
/// says which argument. Every other error is unexpected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

/// Customers read per query.
const RANGE: i64 = 5000;

/// Which entitlements to export.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportFilter {
    /// Only customers with an entitlement changed at or after this instant (their whole row is written).
    pub changed_since: Option<DateTime<Utc>>,
    /// Only this product (`GCV`, `KCW` …).
    pub product: Option<String>,
}

/// The ERP prefixes written, in the import's column order (the skipped products have no columns).
fn prefixes() -> Vec<(&'static str, &'static str)> {
    PRODUCTS.iter().filter_map(|(prefix, code)| code.map(|c| (*prefix, c))).collect()
}

/// The export's header: `CUSTOMER_ID`, `CUSTOMER_NO`, then each product's columns.
pub fn erp_header() -> Vec<String> {
    let mut header = vec!["CUSTOMER_ID".to_owned(), "CUSTOMER_NO".to_owned()];
    for (prefix, code) in prefixes() {
        header.push(format!("{prefix}_SUB_END_DATE"));
        if code != PASS {
            header.push(format!("{prefix}_SUB_END_VOLUMN"));
        }
        header.push(format!("{prefix}_ACC_SENIORITY"));
    }
    header
}

/// One customer's row of the export, its cells in [`erp_header`] order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErpRow {
    /// The customer's row id (the order and the cursor).
    pub customer_id: i64,
    /// Every cell.
    pub cells: Vec<String>,
}

/// Up to `limit` customers' rows of the export after customer row id `after`, by id, and whether more
/// follow.
pub async fn erp_page(
    db: &DatabaseConnection,
    filter: &ExportFilter,
    after: i64,
    limit: usize,
) -> anyhow::Result<(Vec<ErpRow>, bool)> {
    let prefixes = prefixes();
    if let Some(product) = &filter.product
        && !prefixes.iter().any(|(_, code)| code == product)
    {
        let known: Vec<&str> = prefixes.iter().map(|(_, c)| *c).collect();
        return Err(Invalid(format!("--product: {product} is not one of {}", known.join(", "))).into());
    }
    let calendars = calendars(db).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let last = members::service::last_customer_id(db).await?.map_or(-1, |id| id.0);
    let mut rows = Vec::new();
    let mut from = after.saturating_add(1);
    while from <= last {
        let to = from.saturating_add(RANGE);
        let mut by_customer: BTreeMap<i64, Vec<Held>> = BTreeMap::new();
        for row in read_range(db, filter, from, to).await? {
            by_customer.entry(row.customer).or_default().push(row);
        }
        for (customer_id, held) in &by_customer {
            if filter.changed_since.is_some() && !held.iter().any(|h| h.changed) {
                continue;
            }
            if rows.len() == limit {
                return Ok((rows, true));
            }
            rows.push(ErpRow { customer_id: *customer_id, cells: cells(held, &prefixes, &calendars) });
        }
        from = to;
    }
    Ok((rows, false))
}

/// A customer's cells.
fn cells(
    held: &[Held],
    prefixes: &[(&str, &str)],
    calendars: &std::collections::HashMap<String, entitlements::rules::Calendar>,
) -> Vec<String> {
    let Some(first) = held.first() else { return Vec::new() };
    let mut record =
        vec![first.erp_id.clone().unwrap_or_else(|| first.customer_no.clone()), first.customer_no.clone()];
    for (_, code) in prefixes {
        let h = held.iter().find(|h| h.product_code == *code);
        if *code == PASS {
            record.push(h.and_then(|h| h.right_due_date).map(erp_date).unwrap_or_default());
            record.push(h.map(|h| seniority(h.seniority_thousandths)).unwrap_or_default());
            continue;
        }
        let Some(h) = h.filter(|h| h.end_volume.is_some_and(|v| v > 0)) else {
            record.extend([String::new(), String::new(), String::new()]);
            continue;
        };
        let volume = h.end_volume.unwrap_or_default();
        // A date the calendar only estimates is left to the import to estimate again.
        let estimated = calendars
            .get(*code)
            .and_then(|c| c.date_of(i32::try_from(volume).ok()?).ok())
            .is_some_and(|d| d.estimated && Some(d.date) == h.end_volume_date);
        let date = if estimated { None } else { h.end_volume_date };
        record.push(date.map(erp_date).unwrap_or_default());
        record.push(volume.to_string());
        record.push(seniority(h.seniority_thousandths));
    }
    record
}

/// Rows written per page of the CSV.
const PAGE: usize = 5000;

/// Writes the export of `filter` to `out` as CSV, page by page; returns how many customer rows.
pub async fn entitlements_erp(
    db: &DatabaseConnection,
    filter: &ExportFilter,
    out: impl Write,
) -> anyhow::Result<u64> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(erp_header())?;
    let (mut written, mut after) = (0, 0);
    loop {
        let (rows, more) = erp_page(db, filter, after, PAGE).await?;
        for row in &rows {
            writer.write_record(&row.cells)?;
        }
        writer.flush()?;
        written += rows.len() as u64;
        match rows.last() {
            Some(last) if more => after = last.customer_id,
            _ => return Ok(written),
        }
    }
}

/// The entitlements of customers with ids in `[from, to)`, as the filter asks.
async fn read_range(
    db: &DatabaseConnection,
    filter: &ExportFilter,
    from: i64,
    to: i64,
) -> anyhow::Result<Vec<Held>> {
    let since = filter.changed_since.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let magazines: Vec<&str> = prefixes().iter().map(|(_, c)| *c).filter(|c| *c != PASS).collect();
    Ok(held_by_customers(db, &magazines, filter.product.as_deref(), since, from, to).await?)
}

/// `2030/07/31`, as the ERP writes dates.
fn erp_date(date: NaiveDate) -> String {
    date.format("%Y/%m/%d").to_string()
}

/// Thousandths as a number with three decimals: `20842` → `20.842`.
fn seniority(thousandths: i64) -> String {
    format!("{}.{:03}", thousandths / 1000, thousandths % 1000)
}

/// The columns of the mailing list.
pub const MAILING_COLUMNS: [&str; 9] =
    ["CUSTOMER_NO", "NAME", "PHONE", "MOBILE", "COUNTRY", "POSTAL_CODE", "CITY", "STREET", "END_VOLUME"];

/// One receiver of the mailing list, its cells in [`MAILING_COLUMNS`] order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailingRow {
    /// The customer number (the order and the cursor).
    pub customer_no: String,
    /// Every cell.
    pub cells: Vec<String>,
}

/// A receiver's row.
fn mailing_row(receiver: Receiver) -> MailingRow {
    let text = |v: Option<String>| v.unwrap_or_default();
    let cells = vec![
        receiver.customer_no.clone(),
        text(receiver.name),
        text(receiver.phone),
        text(receiver.mobile),
        text(receiver.country),
        text(receiver.postal_code),
        text(receiver.city),
        text(receiver.street),
        receiver.end_volume.to_string(),
    ];
    MailingRow { customer_no: receiver.customer_no, cells }
}

async fn check_mailing(db: &DatabaseConnection, product_code: &str, volume: i32) -> anyhow::Result<()> {
    let product = catalog::service::find_product(db, product_code).await?;
    if !product.is_some_and(|p| p.kind == catalog::ProductKind::Volume) {
        return Err(Invalid(format!(
            "--product: {product_code} is not a magazine (a VOLUME product) of the catalog"
        ))
        .into());
    }
    if volume < 1 {
        return Err(Invalid(format!("--volume: {volume} is not an issue number")).into());
    }
    Ok(())
}

/// Up to `limit` receivers covered for issue `volume` of magazine `product_code` (see
/// `entitlements::mailing`) after customer number `after`, by customer number, and whether more follow: one
/// query.
pub async fn mailing_page(
    db: &DatabaseConnection,
    product_code: &str,
    volume: i32,
    after: Option<&str>,
    limit: usize,
) -> anyhow::Result<(Vec<MailingRow>, bool)> {
    check_mailing(db, product_code, volume).await?;
    let read =
        receivers(db.get_database_backend(), product_code, volume, after, Some(limit.saturating_add(1)));
    let mut rows: Vec<MailingRow> = read.all(db).await?.into_iter().map(mailing_row).collect();
    let more = rows.len() > limit;
    rows.truncate(limit);
    Ok((rows, more))
}

/// Writes `platform export mailing-list` as CSV, streamed from one query (memory stays flat whatever the
/// number of receivers). Returns how many receivers.
pub async fn mailing_list(
    db: &DatabaseConnection,
    product_code: &str,
    volume: i32,
    out: impl Write,
) -> anyhow::Result<u64> {
    use futures_util::TryStreamExt;
    check_mailing(db, product_code, volume).await?;
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(MAILING_COLUMNS)?;
    let read = receivers(db.get_database_backend(), product_code, volume, None, None);
    let mut stream = read.stream(db).await?;
    let mut written = 0;
    while let Some(receiver) = stream.try_next().await? {
        writer.write_record(&mailing_row(receiver).cells)?;
        written += 1;
    }
    writer.flush()?;
    Ok(written)
}
