//! Catalog: products (產品代碼), items (料號) including the issue calendar, and promotions (方案), plus the
//! R1 price split that turns a paid promotion into item amounts.
//!
//! Owns the tables `products`, `items`, `promotions` and `promotion_items`; other crates read them only
//! through the functions here. Depends on `platform-core` alone.

pub mod admin;
mod codes;
pub mod demo;
mod entity;
mod error;
pub mod model;
pub mod rules;
pub mod service;

pub use codes::ProductCodes;
pub use error::CatalogError;
pub use model::{
    Cadence, Category, Item, PriceChange, Product, ProductKind, Promotion, PromotionDefinition,
    PromotionItem, RenewalPeriod, Status,
};

use platform_core::cache::TtlCache;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::Duration;

/// Promotion lookups kept at most (unknown codes included).
const MAX_CACHED_PROMOTIONS: usize = 10_000;

/// The catalog as the API reads it: the database plus a cache of promotion lookups.
///
/// The public catalog is read on every EC page and changes a few times a day, so `promotion(code)` is
/// served from memory for `cache_ttl` (setting `catalog.cache_ttl_ms`); unknown codes are remembered too.
#[derive(Debug, Clone)]
pub struct Catalog {
    db: DatabaseConnection,
    cache: Arc<TtlCache<Option<Arc<Promotion>>>>,
}

impl Catalog {
    /// A catalog reading `db`, caching promotion lookups for `cache_ttl`.
    pub fn new(db: DatabaseConnection, cache_ttl: Duration) -> Self {
        Catalog { db, cache: Arc::new(TtlCache::new(cache_ttl, MAX_CACHED_PROMOTIONS)) }
    }

    /// The promotion with its items, or `None` for an unknown code.
    pub async fn promotion(&self, code: &str) -> Result<Option<Arc<Promotion>>, CatalogError> {
        if let Some(hit) = self.cache.get(code) {
            return Ok(hit);
        }
        let found = service::find_promotion(&self.db, code).await?.map(Arc::new);
        self.cache.put(code, found.clone());
        Ok(found)
    }

    /// A page of promotions matching `filter` after the code `after`.
    pub async fn promotions(
        &self,
        filter: service::PromotionFilter,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<Promotion>, CatalogError> {
        service::list_promotions(&self.db, filter, after, limit).await
    }

    /// Forgets every cached lookup: called after this instance changed the catalog (the others see the
    /// change within the cache TTL).
    pub fn changed(&self) {
        self.cache.clear();
    }

    /// The item, or `None`.
    pub async fn item(&self, item_no: &str) -> Result<Option<Item>, CatalogError> {
        service::find_item(&self.db, item_no).await
    }
}
