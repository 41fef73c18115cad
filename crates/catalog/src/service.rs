//! Catalog queries (the writes are [`crate::admin`]'s). Functions take any connection or transaction (`&impl ConnectionTrait`).

use crate::CatalogError;
use crate::entity::{item, product, promotion, promotion_item};
use crate::model::{Cadence, Category, Item, Product, Promotion, PromotionItem, Status};
use platform_core::Money;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;

/// Rows per multi-row INSERT: well under SQLite's 32,766 bind parameters for the widest catalog table.
const CHUNK: usize = 1000;

/// The promotion with its items, or `None` when no promotion has that code.
pub async fn find_promotion(
    db: &impl ConnectionTrait,
    code: &str,
) -> Result<Option<Promotion>, CatalogError> {
    let Some(row) = promotion::Entity::find_by_id(code.to_owned()).one(db).await? else {
        return Ok(None);
    };
    let mut items = items_of_promotions(db, std::slice::from_ref(&row.promotion_code)).await?;
    let own = items.remove(&row.promotion_code).unwrap_or_default();
    Ok(Some(promotion_from(row, own)))
}

/// The promotions of `codes` that exist, each with its items, in no particular order.
pub async fn find_promotions(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> Result<Vec<Promotion>, CatalogError> {
    let mut found = Vec::with_capacity(codes.len());
    for chunk in codes.chunks(CHUNK) {
        let rows = promotion::Entity::find()
            .filter(promotion::Column::PromotionCode.is_in(chunk.to_vec()))
            .all(db)
            .await?;
        let mut items =
            items_of_promotions(db, &rows.iter().map(|r| r.promotion_code.clone()).collect::<Vec<_>>())
                .await?;
        found.extend(rows.into_iter().map(|row| {
            let own = items.remove(&row.promotion_code).unwrap_or_default();
            promotion_from(row, own)
        }));
    }
    Ok(found)
}

/// The stored promotions of `codes` as the definitions that wrote them (their items by number only: what
/// the writer compares against).
pub(crate) async fn find_definitions(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> Result<Vec<crate::PromotionDefinition>, CatalogError> {
    let mut found = Vec::with_capacity(codes.len());
    for chunk in codes.chunks(CHUNK) {
        let rows = promotion::Entity::find()
            .filter(promotion::Column::PromotionCode.is_in(chunk.to_vec()))
            .all(db)
            .await?;
        let lines = promotion_item::Entity::find()
            .filter(promotion_item::Column::PromotionCode.is_in(chunk.to_vec()))
            .order_by_asc(promotion_item::Column::PromotionCode)
            .order_by_asc(promotion_item::Column::Position)
            .all(db)
            .await?;
        let mut by_code: HashMap<String, Vec<(String, Money, i32)>> = HashMap::new();
        for line in lines {
            by_code.entry(line.promotion_code).or_default().push((
                line.item_no,
                line.selling_price,
                line.quantity,
            ));
        }
        found.extend(rows.into_iter().map(|row| {
            let items = by_code.remove(&row.promotion_code).unwrap_or_default();
            crate::PromotionDefinition { promotion: promotion_from(row, Vec::new()), items }
        }));
    }
    Ok(found)
}

/// Which promotions a list holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PromotionFilter {
    /// Only ACTIVE or only INACTIVE (retired) ones; `None`: both.
    pub status: Option<Status>,
    /// Only renewal plans (`true`) or only one-off promotions (`false`).
    pub renewable: Option<bool>,
}

/// Up to `limit` promotions matching `filter` ordered by code, starting after the code `after`, each with
/// its items. Two queries whatever the page size.
pub async fn list_promotions(
    db: &impl ConnectionTrait,
    filter: PromotionFilter,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<Promotion>, CatalogError> {
    let mut query = promotion::Entity::find().order_by_asc(promotion::Column::PromotionCode).limit(limit);
    if let Some(after) = after {
        query = query.filter(promotion::Column::PromotionCode.gt(after));
    }
    if let Some(status) = filter.status {
        query = query.filter(promotion::Column::Status.eq(status));
    }
    match filter.renewable {
        Some(true) => query = query.filter(promotion::Column::RenewalPeriod.is_not_null()),
        Some(false) => query = query.filter(promotion::Column::RenewalPeriod.is_null()),
        None => {}
    }
    let rows = query.all(db).await?;
    let codes: Vec<String> = rows.iter().map(|r| r.promotion_code.clone()).collect();
    let mut items = items_of_promotions(db, &codes).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let own = items.remove(&row.promotion_code).unwrap_or_default();
            promotion_from(row, own)
        })
        .collect())
}

/// The codes of every promotion that renews automatically (R7's filter).
pub async fn renewable_promotion_codes(db: &impl ConnectionTrait) -> Result<Vec<String>, CatalogError> {
    Ok(promotion::Entity::find()
        .select_only()
        .column(promotion::Column::PromotionCode)
        .filter(promotion::Column::RenewalPeriod.is_not_null())
        .order_by_asc(promotion::Column::PromotionCode)
        .into_tuple::<String>()
        .all(db)
        .await?)
}

/// The item, or `None`.
pub async fn find_item(db: &impl ConnectionTrait, item_no: &str) -> Result<Option<Item>, CatalogError> {
    Ok(item::Entity::find_by_id(item_no.to_owned()).one(db).await?.map(item_from))
}

/// Which items a list holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemFilter {
    /// Only the items of this product.
    pub product_code: Option<String>,
    /// Only items of this category.
    pub category: Option<Category>,
    /// Only ACTIVE or only INACTIVE (retired) ones; `None`: both.
    pub status: Option<Status>,
    /// Calendar issues (`true`), sellable items and terms (`false`), or both (`None`).
    pub issues: Option<bool>,
}

/// Up to `limit` items matching `filter` ordered by number, after the number `after`.
pub async fn list_items(
    db: &impl ConnectionTrait,
    filter: &ItemFilter,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<Item>, CatalogError> {
    let mut query = item::Entity::find().order_by_asc(item::Column::ItemNo).limit(limit);
    if let Some(after) = after {
        query = query.filter(item::Column::ItemNo.gt(after));
    }
    if let Some(code) = &filter.product_code {
        query = query.filter(item::Column::ProductCode.eq(code.as_str()));
    }
    if let Some(category) = filter.category {
        query = query.filter(item::Column::Category.eq(category));
    }
    if let Some(status) = filter.status {
        query = query.filter(item::Column::ItemStatus.eq(status));
    }
    match filter.issues {
        Some(true) => query = query.filter(item::Column::MzVolume.is_not_null()),
        Some(false) => query = query.filter(item::Column::MzVolume.is_null()),
        None => {}
    }
    Ok(query.all(db).await?.into_iter().map(item_from).collect())
}

/// Up to `limit` products ordered by code, after the code `after`.
pub async fn list_products(
    db: &impl ConnectionTrait,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<Product>, CatalogError> {
    let mut query = product::Entity::find().order_by_asc(product::Column::ProductCode).limit(limit);
    if let Some(after) = after {
        query = query.filter(product::Column::ProductCode.gt(after));
    }
    Ok(query.all(db).await?.into_iter().map(product_from).collect())
}

/// The products of `codes` that exist, by code.
pub async fn find_products(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> Result<HashMap<String, Product>, CatalogError> {
    let mut found = HashMap::new();
    for chunk in codes.chunks(CHUNK) {
        let rows = product::Entity::find()
            .filter(product::Column::ProductCode.is_in(chunk.to_vec()))
            .all(db)
            .await?;
        found.extend(rows.into_iter().map(|r| (r.product_code.clone(), product_from(r))));
    }
    Ok(found)
}

/// The items of `numbers` that exist, by number.
pub async fn find_items(
    db: &impl ConnectionTrait,
    numbers: &[String],
) -> Result<HashMap<String, Item>, CatalogError> {
    let mut found = HashMap::new();
    for chunk in numbers.chunks(CHUNK) {
        let rows = item::Entity::find().filter(item::Column::ItemNo.is_in(chunk.to_vec())).all(db).await?;
        found.extend(rows.into_iter().map(|r| (r.item_no.clone(), item_from(r))));
    }
    Ok(found)
}

/// The product, or `None`.
pub async fn find_product(db: &impl ConnectionTrait, code: &str) -> Result<Option<Product>, CatalogError> {
    Ok(product::Entity::find_by_id(code.to_owned()).one(db).await?.map(product_from))
}

/// The issue calendar of a product: `(volume, publish date)` of its active calendar items, by volume.
pub async fn issues_of(
    db: &impl ConnectionTrait,
    product_code: &str,
) -> Result<Vec<(i32, chrono::NaiveDate)>, CatalogError> {
    let rows = item::Entity::find()
        .filter(item::Column::ProductCode.eq(product_code))
        .filter(item::Column::ItemStatus.eq(crate::Status::Active))
        .filter(item::Column::MzVolume.is_not_null())
        .order_by_asc(item::Column::MzVolume)
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|r| Some((r.mz_volume?, r.publish_date?))).collect())
}

async fn items_of_promotions(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> Result<HashMap<String, Vec<PromotionItem>>, CatalogError> {
    let mut by_promotion: HashMap<String, Vec<PromotionItem>> = HashMap::new();
    if codes.is_empty() {
        return Ok(by_promotion);
    }
    // The lines, then their items by primary key: a join lets the planner scan every item for a large page.
    let lines = promotion_item::Entity::find()
        .filter(promotion_item::Column::PromotionCode.is_in(codes.iter().cloned()))
        .order_by_asc(promotion_item::Column::PromotionCode)
        .order_by_asc(promotion_item::Column::Position)
        .all(db)
        .await?;
    let mut numbers: Vec<String> = lines.iter().map(|l| l.item_no.clone()).collect();
    numbers.sort();
    numbers.dedup();
    let items = find_items(db, &numbers).await?;
    for line in lines {
        // The foreign key guarantees the item; a missing one means the database is not ours.
        let item = items
            .get(&line.item_no)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("promotion item {} has no item row", line.item_no))?;
        by_promotion.entry(line.promotion_code).or_default().push(PromotionItem {
            position: line.position,
            selling_price: line.selling_price,
            quantity: line.quantity,
            item,
        });
    }
    Ok(by_promotion)
}

pub(crate) fn promotion_from(row: promotion::Model, items: Vec<PromotionItem>) -> Promotion {
    Promotion {
        promotion_code: row.promotion_code,
        name: row.name,
        total_amount: row.total_amount,
        renewal_period: row.renewal_period,
        renewal_promotion_code: row.renewal_promotion_code,
        status: row.status,
        valid_from: row.valid_from,
        valid_to: row.valid_to,
        items,
    }
}

pub(crate) fn item_from(row: item::Model) -> Item {
    Item {
        item_no: row.item_no,
        name: row.name,
        category: row.category,
        sub_category: row.sub_category,
        product_code: row.product_code,
        term_issues: row.term_issues,
        term_months: row.term_months,
        term_days: row.term_days,
        mz_volume: row.mz_volume,
        publish_date: row.publish_date,
        item_status: row.item_status,
        list_price: row.list_price,
    }
}

pub(crate) fn product_from(row: product::Model) -> Product {
    let cadence = match (row.cadence_days, row.cadence_months) {
        (Some(days), _) => u32::try_from(days).ok().map(Cadence::Days),
        (None, Some(months)) => u32::try_from(months).ok().map(Cadence::Months),
        (None, None) => None,
    };
    Product {
        product_code: row.product_code,
        name: row.name,
        kind: row.kind,
        digital: row.digital,
        sub_category: row.sub_category,
        cadence,
    }
}
