//! Latency histograms with fixed buckets, updated with atomics (no lock on the request path),
//! and the store's own: write transactions (begin to commit) and change-log reads.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the buckets, in seconds (Prometheus's `le`).
pub const BUCKETS: [f64; 14] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
    5.0,
];

/// A latency histogram.
#[derive(Debug, Default)]
pub struct Histogram {
    /// Observations at or under each bound (not cumulative), then over the last.
    counts: [AtomicU64; BUCKETS.len() + 1],
    /// Sum of the observations, in nanoseconds.
    sum_nanos: AtomicU64,
}

/// What a histogram holds at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramSnapshot {
    /// Cumulative counts at each of [`BUCKETS`], as Prometheus writes them.
    pub cumulative: Vec<u64>,
    /// Every observation.
    pub count: u64,
    /// Their sum, in seconds.
    pub sum_seconds: f64,
}

impl Histogram {
    pub fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let at = BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(BUCKETS.len());
        if let Some(count) = self.counts.get(at) {
            count.fetch_add(1, Ordering::Relaxed);
        }
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    #[must_use]
    pub fn snapshot(&self) -> HistogramSnapshot {
        let mut cumulative = Vec::with_capacity(BUCKETS.len());
        let mut running = 0u64;
        for count in self.counts.iter().take(BUCKETS.len()) {
            running += count.load(Ordering::Relaxed);
            cumulative.push(running);
        }
        let over = self
            .counts
            .last()
            .map_or(0, |count| count.load(Ordering::Relaxed));
        HistogramSnapshot {
            cumulative,
            count: running + over,
            #[allow(clippy::cast_precision_loss)]
            sum_seconds: self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9,
        }
    }
}

/// The store's latencies.
#[derive(Debug, Default)]
pub struct StoreLatency {
    /// Write transactions, from taking the write lock to the commit's answer.
    pub writes: Histogram,
    /// Reads of the change log (each node's refresh, each second or on notice).
    pub change_reads: Histogram,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_fall_in_their_buckets() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(30));
        h.observe(Duration::from_micros(700));
        h.observe(Duration::from_secs(9));
        let s = h.snapshot();
        assert_eq!(s.count, 3);
        assert_eq!(s.cumulative.first(), Some(&1));
        assert_eq!(s.cumulative.get(4), Some(&2)); // le 0.001
        assert_eq!(s.cumulative.last(), Some(&2)); // the 9 s one is over every bound
        assert!((s.sum_seconds - 9.00073).abs() < 1e-9);
    }
}
