//! `issues`: the issue calendar, as the items seed 004's SQL reads it (`itemNo, name, category,
//! subCategory, productCode, mzVolume, publishDate, itemStatus`). Only `productCode`, `mzVolume` and
//! `publishDate` are required: `itemNo` defaults to `<productCode><mzVolume:06>` like the demo calendar,
//! `name` to `<product> 第N期`, `category` to MAGAZINE (DIGITAL for a digital edition, as the demo
//! calendar has them; 雜誌 and 數位 accepted), `itemStatus` to ACTIVE (the seed's `Active`). The product must be a VOLUME product. Issues that extend the calendar correct the entitlements
//! whose dates were estimated past its end (R3).

use super::{Merge, Staged};
use crate::source::{Column, Header, Record, optional, required};
use crate::stage::{Cell, SqlType};
use crate::{ImportError, Loader, Options, Outcome, Parsed, parse};
use sea_orm::DatabaseConnection;

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

const STAGED: &[(&str, SqlType)] = &[
    ("item_no", SqlType::Text),
    ("name", SqlType::Text),
    ("category", SqlType::Text),
    ("sub_category", SqlType::Text),
    ("product_code", SqlType::Text),
    ("mz_volume", SqlType::Int),
    ("publish_date", SqlType::Date),
    ("item_status", SqlType::Text),
];

const CHECKS: &[&str] = &[
    // What the row leaves empty keeps the stored value.
    "UPDATE import_stage SET name = COALESCE(name, (SELECT i.name FROM items i WHERE i.item_no = import_stage.item_no)), \
     sub_category = COALESCE(sub_category, (SELECT i.sub_category FROM items i WHERE i.item_no = import_stage.item_no))",
    "UPDATE import_stage SET reject = 'productCode: no VOLUME product ' || product_code \
     WHERE reject IS NULL AND NOT EXISTS (SELECT 1 FROM products p \
     WHERE p.product_code = import_stage.product_code AND p.kind = 'VOLUME')",
    "UPDATE import_stage SET reject = 'itemNo: ' || item_no || ' is an item that is not an issue of ' || product_code \
     WHERE reject IS NULL AND EXISTS (SELECT 1 FROM items i WHERE i.item_no = import_stage.item_no \
     AND (i.mz_volume IS NULL OR i.product_code IS NULL OR i.product_code <> import_stage.product_code))",
    "UPDATE import_stage SET reject = 'mzVolume: volume ' || mz_volume || ' of ' || product_code \
     || ' is already another item' \
     WHERE reject IS NULL AND EXISTS (SELECT 1 FROM items i WHERE i.product_code = import_stage.product_code \
     AND i.mz_volume = import_stage.mz_volume AND i.item_no <> import_stage.item_no)",
];

const EXISTING: &str =
    "SELECT COUNT(*) FROM import_stage s JOIN items i ON i.item_no = s.item_no WHERE s.reject IS NULL";

const UPSERT: &str = "INSERT INTO items (item_no, name, category, sub_category, product_code, mz_volume, \
     publish_date, item_status, created_at, updated_at) \
     SELECT s.item_no, COALESCE(s.name, (SELECT p.name FROM products p WHERE p.product_code = s.product_code) \
     || ' 第' || s.mz_volume || '期'), COALESCE(s.category, (SELECT CASE WHEN p.digital THEN 'DIGITAL' \
     ELSE 'MAGAZINE' END FROM products p WHERE p.product_code = s.product_code)), s.sub_category, s.product_code, s.mz_volume, s.publish_date, \
     s.item_status, $1, $1 FROM import_stage s WHERE s.reject IS NULL \
     ON CONFLICT (item_no) DO UPDATE SET name = excluded.name, sub_category = excluded.sub_category, \
     publish_date = excluded.publish_date, item_status = excluded.item_status, updated_at = excluded.updated_at \
     WHERE items.name IS DISTINCT FROM excluded.name OR items.sub_category IS DISTINCT FROM excluded.sub_category \
     OR items.publish_date IS DISTINCT FROM excluded.publish_date \
     OR items.item_status IS DISTINCT FROM excluded.item_status";

/// R3: dates estimated past the end of the calendar become the publish dates now known.
const CORRECT_ESTIMATES: &str = "UPDATE entitlements SET \
     start_volume_date = COALESCE((SELECT i.publish_date FROM items i WHERE i.product_code = entitlements.product_code \
     AND i.mz_volume = entitlements.start_volume), start_volume_date), \
     end_volume_date = COALESCE((SELECT i.publish_date FROM items i WHERE i.product_code = entitlements.product_code \
     AND i.mz_volume = entitlements.end_volume), end_volume_date), \
     right_due_date = (SELECT i.publish_date FROM items i WHERE i.product_code = entitlements.product_code \
     AND i.mz_volume = entitlements.end_volume + 1), \
     estimated = FALSE, updated_at = $1 \
     WHERE estimated = TRUE AND product_code IN (SELECT product_code FROM import_stage WHERE reject IS NULL) \
     AND EXISTS (SELECT 1 FROM items i WHERE i.product_code = entitlements.product_code \
     AND i.mz_volume = entitlements.end_volume + 1)";

impl Loader for Issues {
    type Row = Staged;

    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn parse(&self, header: &Header, record: &Record, _options: &Options) -> Result<Parsed<Staged>, String> {
        let get = |column| header.get(record, column);
        let product_code = get("productCode").unwrap_or_default().to_uppercase();
        let volume = parse::int("mzVolume", get("mzVolume").unwrap_or_default())?;
        if !(1..=i64::from(i32::MAX)).contains(&volume) {
            return Err(format!("mzVolume: {volume} is not a volume number"));
        }
        let publish_date = parse::date("publishDate", get("publishDate").unwrap_or_default())?;
        let category = match get("category").map(str::to_uppercase).as_deref() {
            None => None,
            Some("MAGAZINE" | "雜誌") => Some("MAGAZINE"),
            Some("DIGITAL" | "數位") => Some("DIGITAL"),
            Some(other) => {
                return Err(format!("category: an issue is a MAGAZINE or DIGITAL item, not {other:?}"));
            }
        };
        let status = match get("itemStatus").map(str::to_uppercase).as_deref() {
            None | Some("ACTIVE") => "ACTIVE",
            Some("INACTIVE") => "INACTIVE",
            Some(other) => return Err(format!("itemStatus: {other:?} is neither Active nor Inactive")),
        };
        let item_no = match get("itemNo") {
            Some(no) => parse::text("itemNo", no, 32)?,
            None => format!("{product_code}{volume:06}"),
        };
        let volume_key = format!("{product_code}\u{1f}{volume}");
        let cells = vec![
            Cell::Text(item_no.clone()),
            get("name").map(|v| parse::text("name", v, 200)).transpose()?.into(),
            category.map(str::to_owned).into(),
            get("subCategory").map(|v| parse::text("subCategory", v, 200)).transpose()?.into(),
            Cell::Text(product_code),
            Cell::Int(volume),
            Cell::Date(publish_date),
            Cell::Text(status.to_owned()),
        ];
        Ok(Parsed::one(Staged { keys: vec![item_no, volume_key], cells }))
    }

    async fn merge(
        &self,
        db: &DatabaseConnection,
        batch: Vec<(u64, Staged)>,
        options: &Options,
    ) -> Result<Outcome, ImportError> {
        Merge {
            columns: STAGED,
            checks: CHECKS,
            existing: Some(EXISTING),
            upserts: &[UPSERT],
            after: &[CORRECT_ESTIMATES],
        }
        .run(db, batch, options)
        .await
    }
}
