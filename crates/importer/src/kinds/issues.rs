//! `issues`: the issue calendar, as the items seed 004's SQL reads it (`itemNo, name, category,
//! subCategory, productCode, mzVolume, publishDate, itemStatus`). Only `productCode`, `mzVolume` and
//! `publishDate` are required: `itemNo` defaults to `<productCode><mzVolume:06>` like the demo calendar,
//! `name` to the stored name or `<product> 第N期`, `category` to the stored one or MAGAZINE (DIGITAL for a
//! digital edition; 雜誌 and 數位 accepted), `itemStatus` to ACTIVE (the seed's `Active`). The product must
//! be a VOLUME product. Written through the catalog's writer (R18's rules, `catalog.item_changed`), and
//! issues that extend the calendar correct the entitlements whose dates were estimated past its end (R3).

use super::catalog_rows::{self, Rows, category, status};
use crate::source::{Column, Header, Record, optional, required};
use crate::{ImportError, Keyed, Loader, Options, Outcome, Parsed, parse};
use catalog::{Category, Item, ProductKind, Status};
use chrono::NaiveDate;
use sea_orm::DatabaseConnection;
use std::collections::HashSet;

pub(crate) struct Issues;

const COLUMNS: &[Column] = &[
    optional("itemNo"),
    optional("name"),
    optional("category"),
    optional("subCategory"),
    required("productCode"),
    required("mzVolume"),
    required("publishDate"),
    optional("itemStatus"),
];

/// One issue as the file gives it; what it leaves empty comes from the stored item or the product.
pub(crate) struct IssueRow {
    item_no: String,
    name: Option<String>,
    category: Option<Category>,
    sub_category: Option<String>,
    product_code: String,
    volume: i32,
    publish_date: NaiveDate,
    status: Status,
}

impl Keyed for IssueRow {
    fn keys(&self) -> Vec<String> {
        vec![self.item_no.clone(), format!("{}\u{1f}{}", self.product_code, self.volume)]
    }
}

impl Loader for Issues {
    type Row = IssueRow;

    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn parse(
        &self,
        header: &Header,
        record: &Record,
        _options: &Options,
    ) -> Result<Parsed<IssueRow>, String> {
        let get = |column| header.get(record, column);
        let product_code = get("productCode").unwrap_or_default().to_uppercase();
        let volume = parse::int("mzVolume", get("mzVolume").unwrap_or_default())?;
        let volume = i32::try_from(volume)
            .ok()
            .filter(|v| *v >= 1)
            .ok_or_else(|| format!("mzVolume: {volume} is not a volume number"))?;
        let category = get("category").map(category).transpose()?;
        if category.is_some_and(|c| !matches!(c, Category::Magazine | Category::Digital)) {
            return Err("category: an issue is a MAGAZINE or DIGITAL item".to_owned());
        }
        let item_no = match get("itemNo") {
            Some(no) => parse::text("itemNo", no, 32)?,
            None => format!("{product_code}{volume:06}"),
        };
        Ok(Parsed::one(IssueRow {
            item_no,
            name: get("name").map(|v| parse::text("name", v, 200)).transpose()?,
            category,
            sub_category: get("subCategory").map(|v| parse::text("subCategory", v, 200)).transpose()?,
            product_code,
            volume,
            publish_date: parse::date("publishDate", get("publishDate").unwrap_or_default())?,
            status: status("itemStatus", get("itemStatus"))?,
        }))
    }

    async fn merge(
        &self,
        db: &DatabaseConnection,
        batch: Vec<(u64, IssueRow)>,
        options: &Options,
    ) -> Result<Outcome, ImportError> {
        let codes: Vec<String> =
            batch.iter().map(|(_, r)| r.product_code.clone()).collect::<HashSet<_>>().into_iter().collect();
        let products = catalog::service::find_products(db, &codes).await.map_err(anyhow::Error::new)?;
        let numbers: Vec<String> = batch.iter().map(|(_, r)| r.item_no.clone()).collect();
        let stored = catalog::service::find_items(db, &numbers).await.map_err(anyhow::Error::new)?;
        let mut refused = Vec::new();
        let mut items = Vec::with_capacity(batch.len());
        let mut lines = Vec::with_capacity(batch.len());
        for (line, row) in batch {
            let Some(product) = products.get(&row.product_code).filter(|p| p.kind == ProductKind::Volume)
            else {
                refused.push((line, format!("productCode: no VOLUME product {}", row.product_code)));
                continue;
            };
            let old = stored.get(&row.item_no);
            if old.is_some_and(|o| {
                o.mz_volume.is_none() || o.product_code.as_deref() != Some(&row.product_code)
            }) {
                let message = format!(
                    "itemNo: {} is an item that is not an issue of {}",
                    row.item_no, row.product_code
                );
                refused.push((line, message));
                continue;
            }
            let default_category = if product.digital { Category::Digital } else { Category::Magazine };
            items.push(Item {
                name: row
                    .name
                    .or_else(|| old.map(|o| o.name.clone()))
                    .unwrap_or_else(|| format!("{} 第{}期", product.name, row.volume)),
                category: row.category.or(old.map(|o| o.category)).unwrap_or(default_category),
                sub_category: row.sub_category.or_else(|| old.and_then(|o| o.sub_category.clone())),
                product_code: Some(row.product_code),
                term_issues: None,
                term_months: None,
                term_days: None,
                mz_volume: Some(row.volume),
                publish_date: Some(row.publish_date),
                item_status: row.status,
                list_price: old.and_then(|o| o.list_price),
                item_no: row.item_no,
            });
            lines.push(vec![line]);
        }
        let mut outcome =
            catalog_rows::merge(db, options, false, Rows::Items { items: &items, issues: true }, &lines)
                .await?;
        outcome.rejects.extend(refused);
        outcome.rejects.sort_by_key(|r| r.0);
        Ok(outcome)
    }
}
