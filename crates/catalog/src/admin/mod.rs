//! **R18 catalog administration.** Admins change the catalog here, never by SQL: products, items and
//! promotions upserted in batches ([`write`]; a single change is a batch of one), retired rather than
//! deleted, and renewal plans' price changes scheduled. Every change is a `catalog.*` event.

mod rows;
pub mod validate;
mod write;

pub use write::{upsert_items, upsert_products, upsert_promotions};

use crate::CatalogError;
use crate::entity::{price_change, promotion};
use crate::model::{Item, PriceChange, Product, Promotion, PromotionDefinition, Status};
use crate::service::{find_item, find_product, find_promotion};
use chrono::{DateTime, NaiveDate, Utc};
use platform_core::Money;
use platform_core::db::begin_write;
use platform_core::events::{self, NewEvent};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    TransactionSession, TransactionTrait,
};
use serde_json::json;

/// What a batch upsert did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    /// Rows created.
    pub inserted: u64,
    /// Rows that existed and changed.
    pub updated: u64,
    /// Rows that existed as given.
    pub unchanged: u64,
    /// Rows refused by R18, by their index in the batch: nothing of them was written.
    pub refused: Vec<Refusal>,
}

/// A refused row of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Its index in the batch.
    pub index: usize,
    /// The field that breaks the rule.
    pub field: &'static str,
    /// Why.
    pub message: String,
}

impl Written {
    /// The single change's answer: its refusal as an error.
    fn single(mut self) -> Result<(), CatalogError> {
        match self.refused.pop() {
            Some(refusal) => Err(CatalogError::Invalid { field: refusal.field, message: refusal.message }),
            None => Ok(()),
        }
    }
}

/// Creates or updates one product, in a transaction of its own; returns it as stored.
pub async fn upsert_product<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    product: &Product,
    at: DateTime<Utc>,
) -> Result<Product, CatalogError> {
    let txn = begin_write(db).await?;
    upsert_products(&txn, std::slice::from_ref(product), at).await?.single()?;
    let stored = find_product(&txn, &product.product_code).await?.ok_or_else(vanished)?;
    txn.commit().await?;
    Ok(stored)
}

/// Creates or updates one item, in a transaction of its own; returns it as stored.
pub async fn upsert_item<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    item: &Item,
    at: DateTime<Utc>,
) -> Result<Item, CatalogError> {
    let txn = begin_write(db).await?;
    upsert_items(&txn, std::slice::from_ref(item), at).await?.single()?;
    let stored = find_item(&txn, &item.item_no).await?.ok_or_else(vanished)?;
    txn.commit().await?;
    Ok(stored)
}

/// Creates or replaces one promotion, in a transaction of its own; returns it as stored.
pub async fn upsert_promotion<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    definition: &PromotionDefinition,
    at: DateTime<Utc>,
) -> Result<Promotion, CatalogError> {
    let txn = begin_write(db).await?;
    upsert_promotions(&txn, std::slice::from_ref(definition), at).await?.single()?;
    let stored = find_promotion(&txn, &definition.promotion.promotion_code).await?.ok_or_else(vanished)?;
    txn.commit().await?;
    Ok(stored)
}

/// Takes an item off sale (R18: nothing used is deleted). Retiring a retired item changes nothing.
pub async fn retire_item<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    item_no: &str,
    at: DateTime<Utc>,
) -> Result<Item, CatalogError> {
    let txn = begin_write(db).await?;
    let Some(mut current) = find_item(&txn, item_no).await? else {
        return Err(CatalogError::NotFound(format!("itemNo: no item {item_no}")));
    };
    if current.item_status == Status::Active {
        current.item_status = Status::Inactive;
        upsert_items(&txn, std::slice::from_ref(&current), at).await?.single()?;
    }
    txn.commit().await?;
    Ok(current)
}

/// Takes a promotion off sale: new orders refuse it, its pending renewals move to its successor or fail
/// with `PLAN_RETIRED` at their next charge. Retiring a retired promotion changes nothing.
pub async fn retire_promotion<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    code: &str,
    at: DateTime<Utc>,
) -> Result<Promotion, CatalogError> {
    let txn = begin_write(db).await?;
    let Some(current) = find_promotion(&txn, code).await? else {
        return Err(CatalogError::NotFound(format!("promotionCode: no promotion {code}")));
    };
    if current.status == Status::Active {
        promotion::Entity::update_many()
            .col_expr(promotion::Column::Status, Expr::value(Status::Inactive.as_str()))
            .col_expr(promotion::Column::UpdatedAt, Expr::value(at))
            .filter(promotion::Column::PromotionCode.eq(code))
            .exec(&txn)
            .await?;
        let event = NewEvent {
            event_type: "catalog.promotion_changed",
            subject: format!("promotion:{code}"),
            payload: json!({ "promotionCode": code, "change": "retired", "status": "INACTIVE" }),
        };
        events::append(&txn, event, at).await?;
    }
    let stored = find_promotion(&txn, code).await?.ok_or_else(vanished)?;
    txn.commit().await?;
    Ok(stored)
}

/// **R18:** schedules renewal plan `code`'s price to become `new_amount` from `effective_from` (after
/// `today`). Pending renewals change price only this way, each payer told at least
/// `catalog.price_notice_days` before the first charge at the new price (the `PRICE_CHANGES` job). The
/// same change scheduled again is answered with the first; another change while one is pending is a
/// conflict.
pub async fn schedule_price_change<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    code: &str,
    new_amount: Money,
    effective_from: NaiveDate,
    today: NaiveDate,
    by: &str,
    at: DateTime<Utc>,
) -> Result<PriceChange, CatalogError> {
    validate::amount("newAmount", new_amount)
        .map_err(|b| CatalogError::Invalid { field: b.field, message: b.message })?;
    if effective_from <= today {
        return Err(CatalogError::Invalid {
            field: "effectiveFrom",
            message: format!("{effective_from} is not after today ({today})"),
        });
    }
    let txn = begin_write(db).await?;
    let Some(plan) = find_promotion(&txn, code).await? else {
        return Err(CatalogError::NotFound(format!("promotionCode: no promotion {code}")));
    };
    if !plan.is_renewable() {
        return Err(CatalogError::Invalid {
            field: "promotionCode",
            message: format!("{code} is not a renewal plan; change its totalAmount instead"),
        });
    }
    let pending = price_change::Entity::find()
        .filter(price_change::Column::PromotionCode.eq(code))
        .filter(price_change::Column::EffectiveFrom.gt(today))
        .one(&txn)
        .await?;
    if let Some(pending) = pending {
        let pending = change_from(pending);
        txn.rollback().await?;
        if pending.new_amount == new_amount && pending.effective_from == effective_from {
            return Ok(pending);
        }
        return Err(CatalogError::Conflict(format!(
            "promotionCode: a change of {code} to {} from {} is already scheduled",
            pending.new_amount.amount(),
            pending.effective_from
        )));
    }
    let row = price_change::ActiveModel {
        promotion_code: Set(code.to_owned()),
        new_amount: Set(new_amount),
        effective_from: Set(effective_from),
        created_by: Set(by.chars().take(200).collect()),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let change = change_from(row);
    let event = NewEvent {
        event_type: "catalog.price_change_scheduled",
        subject: format!("promotion:{code}"),
        payload: json!({
            "promotionCode": code, "priceChangeId": change.id, "oldAmount": plan.total_amount.amount(),
            "newAmount": new_amount.amount(), "effectiveFrom": effective_from,
        }),
    };
    events::append(&txn, event, at).await?;
    txn.commit().await?;
    Ok(change)
}

/// The latest scheduled price change of each renewal plan (the one its pending renewals move to).
pub async fn latest_price_changes(db: &impl ConnectionTrait) -> Result<Vec<PriceChange>, CatalogError> {
    let rows = price_change::Entity::find()
        .order_by_asc(price_change::Column::PromotionCode)
        .order_by_desc(price_change::Column::EffectiveFrom)
        .all(db)
        .await?;
    let mut latest: Vec<PriceChange> = Vec::new();
    for row in rows {
        if latest.last().is_none_or(|l| l.promotion_code != row.promotion_code) {
            latest.push(change_from(row));
        }
    }
    Ok(latest)
}

/// The price changes of plan `code`, newest first.
pub async fn price_changes_of(
    db: &impl ConnectionTrait,
    code: &str,
) -> Result<Vec<PriceChange>, CatalogError> {
    let rows = price_change::Entity::find()
        .filter(price_change::Column::PromotionCode.eq(code))
        .order_by_desc(price_change::Column::EffectiveFrom)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(change_from).collect())
}

/// On its effective day a price change becomes the plan's own price (what new subscriptions pay):
/// every latest change due by `today` whose plan still has another price.
pub async fn apply_due_price_changes(
    db: &impl ConnectionTrait,
    today: NaiveDate,
    at: DateTime<Utc>,
) -> Result<u64, CatalogError> {
    let mut applied = 0;
    for change in latest_price_changes(db).await?.into_iter().filter(|c| c.effective_from <= today) {
        let updated = promotion::Entity::update_many()
            .col_expr(promotion::Column::TotalAmount, Expr::value(change.new_amount.amount()))
            .col_expr(promotion::Column::UpdatedAt, Expr::value(at))
            .filter(promotion::Column::PromotionCode.eq(change.promotion_code.as_str()))
            .filter(promotion::Column::TotalAmount.ne(change.new_amount.amount()))
            .exec(db)
            .await?;
        if updated.rows_affected > 0 {
            applied += 1;
            let event = NewEvent {
                event_type: "catalog.promotion_changed",
                subject: format!("promotion:{}", change.promotion_code),
                payload: json!({
                    "promotionCode": change.promotion_code, "change": "price_changed",
                    "totalAmount": change.new_amount.amount(), "priceChangeId": change.id,
                }),
            };
            events::append(db, event, at).await?;
        }
    }
    Ok(applied)
}

fn change_from(row: price_change::Model) -> PriceChange {
    PriceChange {
        id: row.id,
        promotion_code: row.promotion_code,
        new_amount: row.new_amount,
        effective_from: row.effective_from,
        created_by: row.created_by,
    }
}

fn vanished() -> CatalogError {
    CatalogError::Unexpected(anyhow::anyhow!("the row written is not there"))
}
