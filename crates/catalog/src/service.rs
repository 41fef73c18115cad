//! Catalog queries and upserts. Functions take any connection or transaction (`&impl ConnectionTrait`).

use crate::CatalogError;
use crate::entity::{item, product, promotion, promotion_item};
use crate::model::{Cadence, Item, Product, Promotion, PromotionItem};
use platform_core::Money;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionSession, TransactionTrait,
};
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

/// Up to `limit` promotions ordered by code, starting after the code `after`, each with its items.
/// Two queries whatever the page size.
pub async fn list_promotions(
    db: &impl ConnectionTrait,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<Promotion>, CatalogError> {
    let mut query = promotion::Entity::find().order_by_asc(promotion::Column::PromotionCode).limit(limit);
    if let Some(after) = after {
        query = query.filter(promotion::Column::PromotionCode.gt(after));
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
    let rows = promotion_item::Entity::find()
        .filter(promotion_item::Column::PromotionCode.is_in(codes.iter().cloned()))
        .order_by_asc(promotion_item::Column::PromotionCode)
        .order_by_asc(promotion_item::Column::Position)
        .find_also_related(item::Entity)
        .all(db)
        .await?;
    for (line, item) in rows {
        // The foreign key guarantees the item; a missing one means the database is not ours.
        let item = item.ok_or_else(|| anyhow::anyhow!("promotion item {} has no item row", line.item_no))?;
        by_promotion.entry(line.promotion_code).or_default().push(PromotionItem {
            position: line.position,
            selling_price: Money::new(line.selling_price),
            quantity: line.quantity,
            item: item_from(item),
        });
    }
    Ok(by_promotion)
}

fn promotion_from(row: promotion::Model, items: Vec<PromotionItem>) -> Promotion {
    Promotion {
        promotion_code: row.promotion_code,
        name: row.name,
        total_amount: Money::new(row.total_amount),
        renewal_period: row.renewal_period,
        renewal_promotion_code: row.renewal_promotion_code,
        status: row.status,
        items,
    }
}

fn item_from(row: item::Model) -> Item {
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
    }
}

fn product_from(row: product::Model) -> Product {
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

/// A promotion to create or replace, naming its items by number.
#[derive(Debug, Clone)]
pub struct PromotionDefinition {
    /// Code, name, price, renewal plan and status; `items` is ignored.
    pub promotion: Promotion,
    /// `(item_no, selling_price, quantity)` in order.
    pub items: Vec<(String, Money, i32)>,
}

/// Creates or updates products by code.
pub async fn upsert_products(db: &impl ConnectionTrait, products: &[Product]) -> Result<(), CatalogError> {
    let now = chrono::Utc::now();
    for chunk in products.chunks(CHUNK) {
        let rows = chunk.iter().map(|p| {
            let (days, months) = match p.cadence {
                Some(Cadence::Days(d)) => (i32::try_from(d).ok(), None),
                Some(Cadence::Months(m)) => (None, i32::try_from(m).ok()),
                None => (None, None),
            };
            product::ActiveModel {
                product_code: Set(p.product_code.clone()),
                name: Set(p.name.clone()),
                kind: Set(p.kind),
                digital: Set(p.digital),
                sub_category: Set(p.sub_category.clone()),
                cadence_days: Set(days),
                cadence_months: Set(months),
                created_at: Set(now),
                updated_at: Set(now),
            }
        });
        product::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::column(product::Column::ProductCode)
                    .update_columns([
                        product::Column::Name,
                        product::Column::Kind,
                        product::Column::Digital,
                        product::Column::SubCategory,
                        product::Column::CadenceDays,
                        product::Column::CadenceMonths,
                        product::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Creates or updates items (including calendar issues) by item number.
pub async fn upsert_items(db: &impl ConnectionTrait, items: &[Item]) -> Result<(), CatalogError> {
    let now = chrono::Utc::now();
    for chunk in items.chunks(CHUNK) {
        let rows = chunk.iter().map(|i| item::ActiveModel {
            item_no: Set(i.item_no.clone()),
            name: Set(i.name.clone()),
            category: Set(i.category),
            sub_category: Set(i.sub_category.clone()),
            product_code: Set(i.product_code.clone()),
            term_issues: Set(i.term_issues),
            term_months: Set(i.term_months),
            term_days: Set(i.term_days),
            mz_volume: Set(i.mz_volume),
            publish_date: Set(i.publish_date),
            item_status: Set(i.item_status),
            created_at: Set(now),
            updated_at: Set(now),
        });
        item::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::column(item::Column::ItemNo)
                    .update_columns([
                        item::Column::Name,
                        item::Column::Category,
                        item::Column::SubCategory,
                        item::Column::ProductCode,
                        item::Column::TermIssues,
                        item::Column::TermMonths,
                        item::Column::TermDays,
                        item::Column::MzVolume,
                        item::Column::PublishDate,
                        item::Column::ItemStatus,
                        item::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Creates or replaces a promotion and its items, in one transaction.
pub async fn upsert_promotion<C>(db: &C, definition: &PromotionDefinition) -> Result<(), CatalogError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let p = &definition.promotion;
    if p.total_amount.is_negative() {
        return Err(CatalogError::Invalid { field: "totalAmount", message: "must not be negative".into() });
    }
    if definition.items.is_empty() {
        return Err(CatalogError::Invalid { field: "promotionItems", message: "must not be empty".into() });
    }
    if definition.items.iter().any(|(_, price, quantity)| price.is_negative() || *quantity <= 0) {
        return Err(CatalogError::Invalid {
            field: "promotionItems",
            message: "sellingPrice must not be negative and quantity must be positive".into(),
        });
    }
    let now = chrono::Utc::now();
    let txn = platform_core::db::begin_write(db).await?;
    promotion::Entity::insert(promotion::ActiveModel {
        promotion_code: Set(p.promotion_code.clone()),
        name: Set(p.name.clone()),
        total_amount: Set(p.total_amount.amount()),
        renewal_period: Set(p.renewal_period),
        renewal_promotion_code: Set(p.renewal_promotion_code.clone()),
        status: Set(p.status),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(promotion::Column::PromotionCode)
            .update_columns([
                promotion::Column::Name,
                promotion::Column::TotalAmount,
                promotion::Column::RenewalPeriod,
                promotion::Column::RenewalPromotionCode,
                promotion::Column::Status,
                promotion::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    promotion_item::Entity::delete_many()
        .filter(promotion_item::Column::PromotionCode.eq(p.promotion_code.as_str()))
        .exec(&txn)
        .await?;
    let rows = definition.items.iter().zip(0..).map(|((item_no, price, quantity), position)| {
        promotion_item::ActiveModel {
            promotion_code: Set(p.promotion_code.clone()),
            position: Set(position),
            item_no: Set(item_no.clone()),
            selling_price: Set(price.amount()),
            quantity: Set(*quantity),
            created_at: Set(now),
            updated_at: Set(now),
        }
    });
    promotion_item::Entity::insert_many(rows).exec_without_returning(&txn).await?;
    txn.commit().await?;
    Ok(())
}
