//! Tail latency and heap allocations of `authorize`, which criterion does not report.
//!
//! For each benchmarked request, times 1,000,000 calls in batches of 16 (one `Instant` pair
//! per batch, so the clock's own cost, some 20 ns, stays out of the figure) and prints the
//! p50, p99 and p99.9 of the per-call time of a batch. Then counts the heap blocks that
//! `authorize` allocates, through dhat's counting allocator: the engine promises none.
//!
//! `cargo bench -p policy --bench latency`. Environment: `LATENCY_CALLS` changes the number
//! of calls; `LATENCY_DHAT_FILE=1` saves `dhat-heap.json` with the backtrace of every
//! allocation, to find which call path allocates when the count is not zero.

use std::hint::black_box;
use std::time::Instant;

use policy::{Context, Policies, PolicySet, Principal, Request, authorize};

#[allow(
    dead_code,
    reason = "each bench binary uses a different part of the shared fixture"
)]
mod fixture;

// dhat's allocator forwards to the system allocator and counts only while a profiler runs,
// so the timing phase, which runs before the profiler starts, pays nothing for it.
#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

/// Calls timed together under one pair of clock reads.
const BATCH: usize = 16;
/// Calls per request in the allocation count.
const COUNTED_CALLS: u64 = 100_000;

fn calls() -> usize {
    std::env::var("LATENCY_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

/// The value below which `quantile` of the sorted samples lie.
fn percentile(sorted: &[f64], quantile: f64) -> f64 {
    // Truncation is the point: the index of the sample at that rank.
    let rank = ((sorted.len() as f64) * quantile) as usize;
    sorted
        .get(rank.min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or(f64::NAN)
}

/// Per-call nanoseconds of `calls / BATCH` batches.
fn time_batches(request: &Request<'_>, policies: &Policies<'_>, calls: usize) -> Vec<f64> {
    // Warm the caches and the branch predictor before the first sample.
    for _ in 0..10_000 {
        black_box(authorize(black_box(request), black_box(policies)));
    }
    let batches = calls / BATCH;
    let mut samples = Vec::with_capacity(batches);
    for _ in 0..batches {
        let start = Instant::now();
        for _ in 0..BATCH {
            black_box(authorize(black_box(request), black_box(policies)));
        }
        let elapsed = start.elapsed();
        samples.push(elapsed.as_nanos() as f64 / BATCH as f64);
    }
    samples.sort_by(f64::total_cmp);
    samples
}

#[expect(
    clippy::expect_used,
    reason = "a benchmark whose fixture does not build must stop before it measures anything"
)]
fn fixture_parts() -> (PolicySet, Principal, Vec<(fixture::Case, Context)>) {
    let documents = fixture::documents();
    let set = fixture::iam_policy_set(&documents).expect("the fixture policies are valid");
    let principal = fixture::iam_principal().expect("the fixture user is valid");
    let cases = fixture::benchmark_cases()
        .into_iter()
        .map(|case| {
            let context = fixture::iam_context(&case.environment);
            (case, context)
        })
        .collect();
    (set, principal, cases)
}

fn main() {
    let (set, principal, cases) = fixture_parts();
    let policies = Policies {
        identity: Some(&set),
        ..Policies::default()
    };
    let documents = fixture::documents();
    println!(
        "principal: {} policies, {} statements; {} calls per request, batches of {BATCH}",
        documents.len(),
        fixture::statement_count(&documents),
        calls(),
    );
    let requests: Vec<(&str, Request<'_>)> = cases
        .iter()
        .map(|(case, context)| {
            let request = Request {
                principal: &principal,
                action: case.action,
                resource: &case.resource,
                resource_account: None,
                context,
            };
            assert_eq!(
                authorize(&request, &policies).decision,
                case.expected,
                "{}",
                case.name
            );
            (case.name, request)
        })
        .collect();

    println!(
        "{:<14} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "request", "min ns", "p50 ns", "p99 ns", "p99.9 ns", "max ns"
    );
    for (name, request) in &requests {
        let samples = time_batches(request, &policies, calls());
        println!(
            "{name:<14} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
            percentile(&samples, 0.0),
            percentile(&samples, 0.5),
            percentile(&samples, 0.99),
            percentile(&samples, 0.999),
            percentile(&samples, 1.0),
        );
    }

    // Counting starts here: everything above (fixture, samples) is outside the count.
    let _profiler = if std::env::var_os("LATENCY_DHAT_FILE").is_some() {
        dhat::Profiler::builder().build()
    } else {
        dhat::Profiler::builder().testing().build()
    };
    println!("{:<14} {:>12} {:>16}", "request", "calls", "allocations");
    for (name, request) in &requests {
        let before = dhat::HeapStats::get();
        for _ in 0..COUNTED_CALLS {
            black_box(authorize(black_box(request), black_box(&policies)));
        }
        let after = dhat::HeapStats::get();
        let blocks = after.total_blocks - before.total_blocks;
        println!("{name:<14} {COUNTED_CALLS:>12} {blocks:>16}");
    }
}
