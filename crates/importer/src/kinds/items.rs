//! `items`: the ERP's 料號 export, one row per item (sellable items, subscription terms, calendar issues):
//! `itemNo, name, category, subCategory, productCode, termIssues, termMonths, termDays, listPrice,
//! itemStatus, mzVolume, publishDate`. Written through the catalog's writer with R18's validation: an
//! unknown product, a term that does not fit its product's kind, a negative price are rejected.

use super::catalog_rows::{self, Rows, category, status};
use crate::source::{Column, Header, Record, optional, required};
use crate::{ImportError, Keyed, Loader, Options, Outcome, Parsed, parse};
use catalog::Item;
use platform_core::Money;
use sea_orm::DatabaseConnection;

pub(crate) struct Items;

const COLUMNS: &[Column] = &[
    required("itemNo"),
    required("name"),
    required("category"),
    optional("subCategory"),
    optional("productCode"),
    optional("termIssues"),
    optional("termMonths"),
    optional("termDays"),
    optional("listPrice"),
    optional("itemStatus"),
    optional("mzVolume"),
    optional("publishDate"),
];

pub(crate) struct ItemRow(Item);

impl Keyed for ItemRow {
    fn keys(&self) -> Vec<String> {
        // A calendar issue's (product, volume) too: two rows of a batch never claim the same one.
        let mut keys = vec![self.0.item_no.clone()];
        if let (Some(code), Some(volume)) = (&self.0.product_code, self.0.mz_volume) {
            keys.push(format!("{code}\u{1f}{volume}"));
        }
        keys
    }
}

/// An optional whole number that fits an `i32`.
pub(crate) fn small_int(column: &str, raw: Option<&str>) -> Result<Option<i32>, String> {
    raw.map(|v| {
        parse::int(column, v)
            .and_then(|n| i32::try_from(n).map_err(|_| format!("{column}: {n} is too large")))
    })
    .transpose()
}

impl Loader for Items {
    type Row = ItemRow;

    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn parse(&self, header: &Header, record: &Record, _options: &Options) -> Result<Parsed<ItemRow>, String> {
        let get = |column| header.get(record, column);
        let item = Item {
            item_no: parse::text("itemNo", get("itemNo").unwrap_or_default(), 32)?,
            name: parse::text("name", get("name").unwrap_or_default(), 200)?,
            category: category(get("category").unwrap_or_default())?,
            sub_category: get("subCategory").map(|v| parse::text("subCategory", v, 200)).transpose()?,
            product_code: get("productCode")
                .map(|v| parse::text("productCode", v, 16).map(|c| c.to_uppercase()))
                .transpose()?,
            term_issues: small_int("termIssues", get("termIssues"))?,
            term_months: small_int("termMonths", get("termMonths"))?,
            term_days: small_int("termDays", get("termDays"))?,
            list_price: get("listPrice").map(|v| parse::int("listPrice", v).map(Money::new)).transpose()?,
            item_status: status("itemStatus", get("itemStatus"))?,
            mz_volume: small_int("mzVolume", get("mzVolume"))?,
            publish_date: get("publishDate").map(|v| parse::date("publishDate", v)).transpose()?,
        };
        Ok(Parsed::one(ItemRow(item)))
    }

    async fn merge(
        &self,
        db: &DatabaseConnection,
        batch: Vec<(u64, ItemRow)>,
        options: &Options,
    ) -> Result<Outcome, ImportError> {
        let lines: Vec<Vec<u64>> = batch.iter().map(|(line, _)| vec![*line]).collect();
        let items: Vec<Item> = batch.into_iter().map(|(_, row)| row.0).collect();
        catalog_rows::merge(db, options, false, Rows::Items { items: &items, issues: false }, &lines).await
    }
}
