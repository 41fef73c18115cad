//! The catalog's one writer: products, items and promotions upserted in batches (the API's single change
//! is a batch of one, the import's a file's batch, the demo catalog another), each row validated against
//! the catalog (R18), compared with what is stored, and only what changed written, with its `catalog.*`
//! event. Every function writes in the caller's transaction; refused rows are reported, never written.

use super::rows::{item_row, product_row, promotion_item_rows, promotion_row};
use super::validate::{self, Broken, PlanLink};
use super::{Refusal, Written};
use crate::entity::{item, product, promotion, promotion_item};
use crate::model::{Item, Product, PromotionDefinition};
use crate::service::{find_definitions, find_items as items_by_no, find_products as products_by_code};
use crate::{CatalogError, ProductKind};
use chrono::{DateTime, Utc};
use platform_core::events::{self, NewEvent};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;
use std::collections::{HashMap, HashSet};

/// Keys per `IN (…)` and rows per multi-row INSERT: under SQLite's bind-parameter limit.
const CHUNK: usize = 1000;

/// Creates or updates `products` by code.
pub async fn upsert_products(
    db: &impl ConnectionTrait,
    products: &[Product],
    at: DateTime<Utc>,
) -> Result<Written, CatalogError> {
    let codes: Vec<String> = products.iter().map(|p| p.product_code.clone()).collect();
    let stored = products_by_code(db, &codes).await?;
    let item_kinds = item_kinds_of(db, &codes).await?;
    let (written, changed) = sort_out(
        products,
        &stored,
        |p| &p.product_code,
        |p| {
            let other_kind =
                item_kinds.get(&p.product_code).is_some_and(|kinds| kinds.iter().any(|k| *k != p.kind));
            validate::product(p, other_kind)
        },
    );
    for chunk in changed.chunks(CHUNK) {
        let rows = chunk.iter().map(|(p, _)| product_row(p, at));
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
    let events = changed.iter().map(|(p, existed)| NewEvent {
        event_type: "catalog.product_changed",
        subject: format!("product:{}", p.product_code),
        payload: json!({
            "productCode": p.product_code, "change": change(*existed), "name": p.name,
            "kind": p.kind.as_str(), "digital": p.digital,
        }),
    });
    events::append_many(db, events.collect(), at).await?;
    Ok(written)
}

/// Creates or updates `items` (calendar issues included) by item number.
pub async fn upsert_items(
    db: &impl ConnectionTrait,
    items: &[Item],
    at: DateTime<Utc>,
) -> Result<Written, CatalogError> {
    let codes: HashSet<String> = items.iter().filter_map(|i| i.product_code.clone()).collect();
    let products = products_by_code(db, &codes.into_iter().collect::<Vec<_>>()).await?;
    let numbers: Vec<String> = items.iter().map(|i| i.item_no.clone()).collect();
    let stored = items_by_no(db, &numbers).await?;
    let volumes = volume_owners(db, items).await?;
    let (written, changed) = sort_out(
        items,
        &stored,
        |i| &i.item_no,
        |i| {
            validate::item(i, &products)?;
            match (&i.product_code, i.mz_volume) {
                (Some(code), Some(volume)) => match volumes.get(&(code.clone(), volume)) {
                    Some(owner) if *owner != i.item_no => Err(Broken {
                        field: "mzVolume",
                        message: format!("volume {volume} of {code} is already item {owner}"),
                    }),
                    _ => Ok(()),
                },
                _ => Ok(()),
            }
        },
    );
    for chunk in changed.chunks(CHUNK) {
        let rows = chunk.iter().map(|(i, _)| item_row(i, at));
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
                        item::Column::ListPrice,
                        item::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    let events = changed.iter().map(|(i, existed)| NewEvent {
        event_type: "catalog.item_changed",
        subject: format!("item:{}", i.item_no),
        payload: json!({
            "itemNo": i.item_no, "change": change(*existed), "productCode": i.product_code,
            "itemStatus": i.item_status.as_str(),
        }),
    });
    events::append_many(db, events.collect(), at).await?;
    Ok(written)
}

/// Creates or replaces promotions and their items by code.
pub async fn upsert_promotions(
    db: &impl ConnectionTrait,
    definitions: &[PromotionDefinition],
    at: DateTime<Utc>,
) -> Result<Written, CatalogError> {
    let numbers: HashSet<String> =
        definitions.iter().flat_map(|d| d.items.iter().map(|(no, _, _)| no.clone())).collect();
    let items = items_by_no(db, &numbers.into_iter().collect::<Vec<_>>()).await?;
    let codes: Vec<String> = definitions.iter().map(|d| d.promotion.promotion_code.clone()).collect();
    let stored: HashMap<String, PromotionDefinition> = find_definitions(db, &codes)
        .await?
        .into_iter()
        .map(|d| (d.promotion.promotion_code.clone(), d))
        .collect();
    let plans = plan_links(db, definitions).await?;
    let normalized: Vec<PromotionDefinition> = definitions.iter().map(normalized).collect();
    let (written, changed) = sort_out(
        &normalized,
        &stored,
        |d| &d.promotion.promotion_code,
        |d| validate::promotion(d, &items, &plans),
    );
    for chunk in changed.chunks(CHUNK) {
        let rows = chunk.iter().map(|(d, _)| promotion_row(d, at));
        promotion::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::column(promotion::Column::PromotionCode)
                    .update_columns([
                        promotion::Column::Name,
                        promotion::Column::TotalAmount,
                        promotion::Column::RenewalPeriod,
                        promotion::Column::RenewalPromotionCode,
                        promotion::Column::Status,
                        promotion::Column::ValidFrom,
                        promotion::Column::ValidTo,
                        promotion::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
        let replaced: Vec<&str> = chunk
            .iter()
            .filter(|(_, existed)| *existed)
            .map(|(d, _)| d.promotion.promotion_code.as_str())
            .collect();
        if !replaced.is_empty() {
            promotion_item::Entity::delete_many()
                .filter(promotion_item::Column::PromotionCode.is_in(replaced))
                .exec(db)
                .await?;
        }
        let lines: Vec<promotion_item::ActiveModel> =
            chunk.iter().flat_map(|(d, _)| promotion_item_rows(d, at)).collect();
        for lines in lines.chunks(CHUNK) {
            promotion_item::Entity::insert_many(lines.to_vec()).exec_without_returning(db).await?;
        }
    }
    let events = changed.iter().map(|(d, existed)| {
        let p = &d.promotion;
        NewEvent {
            event_type: "catalog.promotion_changed",
            subject: format!("promotion:{}", p.promotion_code),
            payload: json!({
                "promotionCode": p.promotion_code, "change": change(*existed),
                "totalAmount": p.total_amount.amount(), "status": p.status.as_str(),
                "validFrom": p.valid_from, "validTo": p.valid_to,
            }),
        }
    });
    events::append_many(db, events.collect(), at).await?;
    Ok(written)
}

/// `rows` checked by `check` and compared with what is `stored` under their `key`: the counts, the
/// refusals, and the rows to write (with whether each existed).
fn sort_out<'a, T: PartialEq>(
    rows: &'a [T],
    stored: &HashMap<String, T>,
    key: impl Fn(&T) -> &String,
    check: impl Fn(&T) -> Result<(), Broken>,
) -> (Written, Vec<(&'a T, bool)>) {
    let mut written = Written::default();
    let mut changed = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        if let Err(broken) = check(row) {
            written.refuse(index, broken);
            continue;
        }
        match stored.get(key(row)) {
            Some(old) if old == row => written.unchanged += 1,
            old => {
                written.count(old.is_some());
                changed.push((row, old.is_some()));
            }
        }
    }
    (written, changed)
}

/// Every promotion a chain of renewal plans starting in `definitions` can reach: the batch's own (as
/// they will be) and the stored ones, read a link at a time (a chain is a few plans long).
async fn plan_links(
    db: &impl ConnectionTrait,
    definitions: &[PromotionDefinition],
) -> Result<HashMap<String, PlanLink>, CatalogError> {
    let mut links: HashMap<String, PlanLink> = definitions
        .iter()
        .map(|d| {
            let link = PlanLink {
                renewal_period: d.promotion.renewal_period,
                renewal_promotion_code: d.promotion.renewal_promotion_code.clone(),
            };
            (d.promotion.promotion_code.clone(), link)
        })
        .collect();
    let mut wanted: Vec<String> = links.values().filter_map(|l| l.renewal_promotion_code.clone()).collect();
    for _ in 0..8 {
        wanted.retain(|c| !links.contains_key(c));
        wanted.sort();
        wanted.dedup();
        if wanted.is_empty() {
            break;
        }
        let mut found = Vec::new();
        for chunk in wanted.chunks(CHUNK) {
            found.extend(
                promotion::Entity::find()
                    .filter(promotion::Column::PromotionCode.is_in(chunk.to_vec()))
                    .all(db)
                    .await?,
            );
        }
        wanted = found.iter().filter_map(|r| r.renewal_promotion_code.clone()).collect();
        for row in found {
            let link = PlanLink {
                renewal_period: row.renewal_period,
                renewal_promotion_code: row.renewal_promotion_code,
            };
            links.insert(row.promotion_code, link);
        }
    }
    Ok(links)
}

/// `d` as it is stored: a renewal plan naming itself is stored as naming nothing (the same plan).
fn normalized(d: &PromotionDefinition) -> PromotionDefinition {
    let mut d = d.clone();
    if d.promotion.renewal_promotion_code.as_deref() == Some(d.promotion.promotion_code.as_str()) {
        d.promotion.renewal_promotion_code = None;
    }
    d.promotion.items.clear();
    d
}

/// Who holds each (product, volume) the calendar issues of `items` name: the stored item, else the first
/// of the batch (one issue per product and volume).
async fn volume_owners(
    db: &impl ConnectionTrait,
    items: &[Item],
) -> Result<HashMap<(String, i32), String>, CatalogError> {
    let wanted: HashSet<(String, i32)> =
        items.iter().filter_map(|i| Some((i.product_code.clone()?, i.mz_volume?))).collect();
    let mut owners = HashMap::new();
    let codes: HashSet<&String> = wanted.iter().map(|(code, _)| code).collect();
    let volumes: Vec<i32> = wanted.iter().map(|(_, v)| *v).collect::<HashSet<_>>().into_iter().collect();
    for chunk in volumes.chunks(CHUNK) {
        let rows = item::Entity::find()
            .filter(item::Column::ProductCode.is_in(codes.iter().map(|c| c.as_str())))
            .filter(item::Column::MzVolume.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        for row in rows {
            if let (Some(code), Some(volume)) = (row.product_code, row.mz_volume) {
                owners.insert((code, volume), row.item_no);
            }
        }
    }
    for i in items {
        if let (Some(code), Some(volume)) = (&i.product_code, i.mz_volume) {
            owners.entry((code.clone(), volume)).or_insert_with(|| i.item_no.clone());
        }
    }
    Ok(owners)
}

/// The kinds of item each product has: VOLUME for issues and issue terms, PERIOD for day and month terms.
async fn item_kinds_of(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> Result<HashMap<String, HashSet<ProductKind>>, CatalogError> {
    let mut kinds: HashMap<String, HashSet<ProductKind>> = HashMap::new();
    for chunk in codes.chunks(CHUNK) {
        let rows =
            item::Entity::find().filter(item::Column::ProductCode.is_in(chunk.to_vec())).all(db).await?;
        for row in rows {
            let kind = if row.mz_volume.is_some() || row.term_issues.is_some() {
                ProductKind::Volume
            } else if row.term_months.is_some() || row.term_days.is_some() {
                ProductKind::Period
            } else {
                continue;
            };
            if let Some(code) = row.product_code {
                kinds.entry(code).or_default().insert(kind);
            }
        }
    }
    Ok(kinds)
}

fn change(existed: bool) -> &'static str {
    if existed { "updated" } else { "created" }
}

impl Written {
    fn refuse(&mut self, index: usize, broken: Broken) {
        self.refused.push(Refusal { index, field: broken.field, message: broken.message });
    }

    fn count(&mut self, existed: bool) {
        if existed {
            self.updated += 1;
        } else {
            self.inserted += 1;
        }
    }
}
