//! A small time-bounded, size-bounded in-memory cache.
//!
//! Used for read-mostly public data (promotion lookups, catalog responses). Several server instances may
//! share one database: a change made through one of them is seen by the others within the TTL. Past its
//! size bound the cache is emptied at once: cheap, and safe against clients that walk random keys.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};
use std::time::{Duration, Instant};

/// Values by string key, each kept for a fixed time.
#[derive(Debug)]
pub struct TtlCache<V> {
    ttl: Duration,
    max_entries: usize,
    entries: RwLock<HashMap<String, (Instant, V)>>,
}

impl<V: Clone> TtlCache<V> {
    /// A cache keeping up to `max_entries` entries for `ttl` each; a zero `ttl` keeps nothing.
    pub fn new(ttl: Duration, max_entries: usize) -> Self {
        TtlCache { ttl, max_entries, entries: RwLock::new(HashMap::new()) }
    }

    /// Whether the cache keeps anything at all.
    pub fn is_enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    /// The value of `key` if it is still fresh.
    pub fn get(&self, key: &str) -> Option<V> {
        if !self.is_enabled() {
            return None;
        }
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        entries.get(key).filter(|(at, _)| at.elapsed() < self.ttl).map(|(_, value)| value.clone())
    }

    /// Remembers `value` for `key`.
    pub fn put(&self, key: &str, value: V) {
        if !self.is_enabled() {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= self.max_entries {
            entries.clear();
        }
        entries.insert(key.to_owned(), (Instant::now(), value));
    }

    /// Forgets everything.
    pub fn clear(&self) {
        self.entries.write().unwrap_or_else(PoisonError::into_inner).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_zero_ttl_keeps_nothing() {
        let cache = TtlCache::new(Duration::from_millis(30), 10);
        cache.put("a", 1);
        assert_eq!(cache.get("a"), Some(1));
        assert_eq!(cache.get("b"), None);
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(cache.get("a"), None);

        let off = TtlCache::new(Duration::ZERO, 10);
        off.put("a", 1);
        assert_eq!(off.get("a"), None);
        assert!(!off.is_enabled());
    }

    #[test]
    fn size_bound_and_clear() {
        let cache = TtlCache::new(Duration::from_secs(60), 2);
        cache.put("a", 1);
        cache.put("b", 2);
        cache.put("c", 3);
        assert_eq!((cache.get("a"), cache.get("c")), (None, Some(3)));
        cache.clear();
        assert_eq!(cache.get("c"), None);
    }
}
