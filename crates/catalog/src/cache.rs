//! A small time-bounded cache of promotion lookups.
//!
//! The public catalog is read on every EC page and changes a few times a day, so `promotion(code)` is served
//! from memory for `ttl` (settings `catalog.cache_ttl_ms`). Unknown codes are remembered too, so a client
//! asking for the same missing code does not reach the database each time. Several server instances may share
//! one database: a change made through one of them is seen by the others within `ttl`.

use crate::model::Promotion;
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

/// Entries kept at most; past that the cache is emptied (cheap, and bounded against clients that walk
/// random codes).
const MAX_ENTRIES: usize = 10_000;

type Entry = (Instant, Option<Arc<Promotion>>);

/// Promotion lookups by code, each kept for a fixed time.
#[derive(Debug)]
pub struct PromotionCache {
    ttl: Duration,
    entries: RwLock<HashMap<String, Entry>>,
}

impl PromotionCache {
    /// A cache that keeps entries for `ttl`; a zero `ttl` keeps nothing.
    pub fn new(ttl: Duration) -> Self {
        PromotionCache { ttl, entries: RwLock::new(HashMap::new()) }
    }

    /// The cached lookup of `code` if it is still fresh: `Some(None)` means "known not to exist".
    pub fn get(&self, code: &str) -> Option<Option<Arc<Promotion>>> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        entries.get(code).filter(|(at, _)| at.elapsed() < self.ttl).map(|(_, value)| value.clone())
    }

    /// Remembers the lookup of `code`.
    pub fn put(&self, code: &str, value: Option<Arc<Promotion>>) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(code.to_owned(), (Instant::now(), value));
    }

    /// Forgets everything, e.g. after this instance changed the catalog.
    pub fn clear(&self) {
        self.entries.write().unwrap_or_else(PoisonError::into_inner).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use platform_core::Money;

    fn promotion(code: &str) -> Arc<Promotion> {
        Arc::new(Promotion {
            promotion_code: code.into(),
            name: "n".into(),
            total_amount: Money::new(1),
            renewal_period: None,
            renewal_promotion_code: None,
            status: Status::Active,
            items: vec![],
        })
    }

    #[test]
    fn entries_expire_and_zero_ttl_keeps_nothing() {
        let cache = PromotionCache::new(Duration::from_millis(30));
        cache.put("A", Some(promotion("A")));
        cache.put("MISSING", None);
        assert_eq!(cache.get("A").flatten().map(|p| p.promotion_code.clone()), Some("A".into()));
        assert_eq!(cache.get("MISSING"), Some(None));
        assert_eq!(cache.get("OTHER"), None);
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(cache.get("A"), None);

        let off = PromotionCache::new(Duration::ZERO);
        off.put("A", Some(promotion("A")));
        assert_eq!(off.get("A"), None);
    }

    #[test]
    fn clear_forgets() {
        let cache = PromotionCache::new(Duration::from_secs(60));
        cache.put("A", None);
        cache.clear();
        assert_eq!(cache.get("A"), None);
    }
}
