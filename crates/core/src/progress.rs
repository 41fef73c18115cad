//! How far a long piece of work has got: items processed and failed so far, shared between the worker and
//! whoever records it (a job run records the counts as it beats, and keeps them when the work fails
//! half-way).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of a piece of work. Cheap to clone; clones share the counts.
#[derive(Debug, Clone, Default)]
pub struct Progress(Arc<Counts>);

#[derive(Debug, Default)]
struct Counts {
    processed: AtomicU64,
    failed: AtomicU64,
}

impl Progress {
    /// Adds `processed` items done and `failed` items that failed.
    pub fn add(&self, processed: u64, failed: u64) {
        self.0.processed.fetch_add(processed, Ordering::Relaxed);
        self.0.failed.fetch_add(failed, Ordering::Relaxed);
    }

    /// The counts so far: (processed, failed).
    pub fn counts(&self) -> (u64, u64) {
        (self.0.processed.load(Ordering::Relaxed), self.0.failed.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_counts() {
        let progress = Progress::default();
        let worker = progress.clone();
        worker.add(3, 1);
        worker.add(2, 0);
        assert_eq!(progress.counts(), (5, 1));
    }
}
