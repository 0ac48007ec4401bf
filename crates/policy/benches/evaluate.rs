//! Criterion benchmarks of the policy engine: deciding requests for a user with fifteen
//! policies and a hundred statements, and parsing and compiling a policy at the 6 KB quota.
//!
//! Run with `cargo bench -p policy --bench evaluate`. The tail latencies and the allocation
//! count live in the `latency` bench, which needs its own global allocator.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use policy::{Context, Policies, Policy, PolicyKind, PolicySet, Principal, Request, authorize};

#[allow(
    dead_code,
    reason = "each bench binary uses a different part of the shared fixture"
)]
mod fixture;

/// Everything the hot path reads, built once so that only `authorize` is timed.
struct Setup {
    set: PolicySet,
    principal: Principal,
    /// The benchmarked cases with their contexts.
    cases: Vec<(fixture::Case, Context)>,
}

#[expect(
    clippy::expect_used,
    reason = "a benchmark whose fixture does not build must stop before it measures anything"
)]
fn setup() -> Setup {
    let documents = fixture::documents();
    let set = fixture::iam_policy_set(&documents).expect("the fixture policies are valid");
    let principal = fixture::iam_principal().expect("the fixture user is valid");
    // Every case, probes included, must decide as AWS would, or the figures would time a
    // path other than the one they are named after.
    for case in fixture::benchmark_cases()
        .iter()
        .chain(fixture::probe_cases().iter())
    {
        let context = fixture::iam_context(&case.environment);
        let request = Request {
            principal: &principal,
            action: case.action,
            resource: &case.resource,
            resource_account: None,
            context: &context,
        };
        let policies = Policies {
            identity: Some(&set),
            ..Policies::default()
        };
        assert_eq!(
            authorize(&request, &policies).decision,
            case.expected,
            "{}",
            case.name
        );
    }
    let cases = fixture::benchmark_cases()
        .into_iter()
        .map(|case| {
            let context = fixture::iam_context(&case.environment);
            (case, context)
        })
        .collect();
    Setup {
        set,
        principal,
        cases,
    }
}

fn bench_authorize(c: &mut Criterion) {
    let setup = setup();
    let policies = Policies {
        identity: Some(&setup.set),
        ..Policies::default()
    };
    let mut group = c.benchmark_group("authorize");
    for (case, context) in &setup.cases {
        let request = Request {
            principal: &setup.principal,
            action: case.action,
            resource: &case.resource,
            resource_account: None,
            context,
        };
        group.bench_function(case.name, |b| {
            b.iter(|| authorize(black_box(&request), black_box(&policies)))
        });
    }
    group.finish();
}

#[expect(
    clippy::expect_used,
    reason = "a benchmark whose fixture does not parse must stop before it measures anything"
)]
fn bench_parse(c: &mut Criterion) {
    let large = fixture::large_policy_text();
    assert_eq!(fixture::policy_size(&large), 6_144);
    let parsed = Policy::parse(&large, PolicyKind::Identity).expect("the large policy is valid");
    let documents: Vec<String> = fixture::documents().iter().map(fixture::iam_json).collect();

    let mut group = c.benchmark_group("policy");
    group.bench_function("parse_6kb", |b| {
        b.iter(|| Policy::parse(black_box(&large), PolicyKind::Identity).is_ok())
    });
    group.bench_function("compile_6kb", |b| {
        b.iter(|| PolicySet::new([("large".to_owned(), black_box(&parsed))]))
    });
    group.bench_function("parse_compile_6kb", |b| {
        b.iter(|| {
            Policy::parse(black_box(&large), PolicyKind::Identity)
                .ok()
                .map(|policy| PolicySet::new([("large".to_owned(), &policy)]))
        })
    });
    // The whole principal, as a server would do when a user's policies change.
    group.bench_function("parse_compile_principal", |b| {
        b.iter(|| {
            let policies: Vec<Policy> = documents
                .iter()
                .filter_map(|text| Policy::parse(black_box(text), PolicyKind::Identity).ok())
                .collect();
            PolicySet::new(policies.iter().map(|p| (String::new(), p)))
        })
    });
    group.finish();
}

criterion_group!(benches, bench_authorize, bench_parse);
criterion_main!(benches);
