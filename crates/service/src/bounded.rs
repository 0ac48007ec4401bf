//! A bounded map for the service's caches: at most so many entries and so much weight (the
//! policy text an entry was compiled from, where entries vary), the oldest entries evicted
//! first. Reads take a shared lock only, so the hot path never waits on another reader.

use std::collections::{HashMap, VecDeque};
use std::sync::RwLock;

/// How much one cache may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bound {
    /// At most this many entries.
    pub entries: usize,
    /// At most this much summed weight (bytes of policy text, or 1 per entry).
    pub weight: usize,
}

impl Bound {
    /// A bound on the entry count alone (entries of about one size).
    pub const fn entries(entries: usize) -> Bound {
        Bound {
            entries,
            weight: usize::MAX,
        }
    }
}

#[derive(Debug)]
struct Inner<V> {
    map: HashMap<String, (V, usize)>,
    /// Keys in insertion order: the front is evicted first.
    order: VecDeque<String>,
    weight: usize,
}

/// Drops the oldest entry; `false` when there was none.
fn evict_oldest<V>(inner: &mut Inner<V>) -> bool {
    let Some(oldest) = inner.order.pop_front() else {
        return false;
    };
    if let Some((_, weight)) = inner.map.remove(&oldest) {
        inner.weight = inner.weight.saturating_sub(weight);
    }
    true
}

/// A map of cached values by key that never holds more than its [`Bound`].
#[derive(Debug)]
pub(crate) struct BoundedMap<V> {
    bound: Bound,
    inner: RwLock<Inner<V>>,
    /// Lookups that found an entry, and those that did not (`/metrics`' hit rates).
    hits: std::sync::atomic::AtomicU64,
    misses: std::sync::atomic::AtomicU64,
}

impl<V: Clone> BoundedMap<V> {
    pub(crate) fn new(bound: Bound) -> BoundedMap<V> {
        BoundedMap {
            bound,
            inner: RwLock::new(Inner {
                map: HashMap::new(),
                order: VecDeque::new(),
                weight: 0,
            }),
            hits: std::sync::atomic::AtomicU64::new(0),
            misses: std::sync::atomic::AtomicU64::new(0),
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<V> {
        let inner = self.inner.read().ok()?;
        let found = inner.map.get(key).map(|(value, _)| value.clone());
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        found
    }

    /// Lookups so far: (found, not found).
    pub(crate) fn lookups(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.hits.load(Relaxed), self.misses.load(Relaxed))
    }

    /// Inserts with weight 1.
    pub(crate) fn insert(&self, key: &str, value: V) {
        self.insert_weighted(key, value, 1);
    }

    /// Inserts, evicting the oldest entries until the bound holds. An entry heavier than the
    /// whole bound is not kept at all (the caller still has its value).
    pub(crate) fn insert_weighted(&self, key: &str, value: V, weight: usize) {
        if weight > self.bound.weight || self.bound.entries == 0 {
            return;
        }
        let Ok(mut inner) = self.inner.write() else {
            return;
        };
        let inner = &mut *inner;
        if let Some(slot) = inner.map.get_mut(key) {
            // A key seen again keeps its place in the eviction order (no O(n) reordering).
            inner.weight = inner.weight.saturating_sub(slot.1).saturating_add(weight);
            *slot = (value, weight);
        } else {
            while inner.map.len() >= self.bound.entries
                || inner.weight.saturating_add(weight) > self.bound.weight
            {
                if !evict_oldest(inner) {
                    break;
                }
            }
            inner.map.insert(key.to_owned(), (value, weight));
            inner.order.push_back(key.to_owned());
            inner.weight = inner.weight.saturating_add(weight);
        }
        while inner.weight > self.bound.weight {
            if !evict_oldest(inner) {
                break;
            }
        }
    }

    pub(crate) fn clear(&self) {
        if let Ok(mut inner) = self.inner.write() {
            inner.map.clear();
            inner.order.clear();
            inner.weight = 0;
        }
    }

    /// (entries, weight) held now.
    pub(crate) fn usage(&self) -> (usize, usize) {
        self.inner
            .read()
            .map(|inner| (inner.map.len(), inner.weight))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finding_3_bounded_map_stays_within_entries_and_weight() {
        let map = BoundedMap::new(Bound {
            entries: 10,
            weight: 100,
        });
        for n in 0..1_000usize {
            map.insert_weighted(&format!("k{n}"), n, 7);
            let (entries, weight) = map.usage();
            assert!(entries <= 10 && weight <= 100, "{entries} {weight}");
        }
        // The newest entries are the ones kept.
        assert_eq!(map.get("k999"), Some(999));
        assert_eq!(map.get("k0"), None);
        // Re-inserting a key replaces it rather than counting twice.
        map.insert_weighted("k999", 1, 7);
        assert_eq!(map.usage().0, map.usage().1 / 7);
        // Heavier than the whole bound: not kept.
        map.insert_weighted("huge", 0, 101);
        assert_eq!(map.get("huge"), None);
        map.clear();
        assert_eq!(map.usage(), (0, 0));
    }
}
