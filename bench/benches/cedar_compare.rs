//! The same three decisions made by Castellan's `authorize` and by cedar-policy's
//! `Authorizer::is_authorized`, side by side, on one policy set written in both languages.
//!
//! Both engines get everything prepared ahead of the timed loop: compiled policies, the
//! request (and for Cedar its entities). Before timing, the bench stops unless both engines
//! agree on every request of the fixture.

use std::hint::black_box;
use std::str::FromStr;

use castellan_bench::{IamFixture, all_cases, cedar, check_agreement, fixture};
use criterion::{Criterion, criterion_group, criterion_main};
use policy::{Policy, PolicyKind, PolicySet, Request, authorize};

#[expect(
    clippy::panic,
    reason = "a comparison whose engines disagree, or whose fixture does not build, must stop before it measures anything"
)]
fn bench_decisions(c: &mut Criterion) {
    let documents = fixture::documents();
    let cases = all_cases();
    let iam = IamFixture::new(&documents).unwrap_or_else(|e| panic!("castellan fixture: {e}"));
    let cedar = cedar::CedarFixture::new(&documents, &cases)
        .unwrap_or_else(|e| panic!("cedar fixture: {e}"));
    if let Err(problems) = check_agreement(&iam, &cedar, &cases) {
        panic!("the engines disagree:\n{problems}");
    }
    println!(
        "{} policies, {} statements / Cedar policies; {} requests agree",
        documents.len(),
        fixture::statement_count(&documents),
        cases.len()
    );

    let policies = iam.policies();
    for case in fixture::benchmark_cases() {
        let context = fixture::iam_context(&case.environment);
        let request = Request {
            principal: &iam.principal,
            action: case.action,
            resource: &case.resource,
            resource_account: None,
            context: &context,
        };
        let cedar_request = cedar
            .request(&case)
            .unwrap_or_else(|e| panic!("cedar request: {e}"));
        let mut group = c.benchmark_group(case.name);
        group.bench_function("castellan", |b| {
            b.iter(|| authorize(black_box(&request), black_box(&policies)))
        });
        group.bench_function("cedar", |b| {
            b.iter(|| {
                cedar.authorizer.is_authorized(
                    black_box(&cedar_request),
                    black_box(&cedar.policies),
                    black_box(&cedar.entities),
                )
            })
        });
        group.finish();
    }
}

/// Loading the whole principal: our 15 JSON documents parsed, validated and compiled, against
/// the 100 Cedar policies parsed into a policy set.
fn bench_loading(c: &mut Criterion) {
    let documents = fixture::documents();
    let json: Vec<String> = documents.iter().map(fixture::iam_json).collect();
    let cedar_source = cedar::policy_text(&documents);
    let mut group = c.benchmark_group("load_principal");
    group.bench_function("castellan", |b| {
        b.iter(|| {
            let policies: Vec<Policy> = json
                .iter()
                .filter_map(|text| Policy::parse(black_box(text), PolicyKind::Identity).ok())
                .collect();
            PolicySet::new(policies.iter().map(|p| (String::new(), p)))
        })
    });
    group.bench_function("cedar", |b| {
        b.iter(|| cedar_policy::PolicySet::from_str(black_box(&cedar_source)).is_ok())
    });
    group.finish();
}

/// Where Cedar's time goes, for the allow request: its fixed cost per request (one policy),
/// and the hundred policies with their `when` clauses removed (scope checks only).
#[expect(
    clippy::panic,
    reason = "a fixture that does not build must stop the bench before it measures anything"
)]
fn bench_cedar_anatomy(c: &mut Criterion) {
    let documents = fixture::documents();
    let cases = all_cases();
    let cedar = cedar::CedarFixture::new(&documents, &cases)
        .unwrap_or_else(|e| panic!("cedar fixture: {e}"));
    let [allow, ..] = fixture::benchmark_cases();
    let request = cedar
        .request(&allow)
        .unwrap_or_else(|e| panic!("cedar request: {e}"));
    let scope_only: String = cedar::policy_text(&documents)
        .split(";\n")
        .filter_map(|policy| policy.split("\nwhen").next())
        .filter(|head| !head.trim().is_empty())
        .map(|head| format!("{head};\n"))
        .collect();
    let scope_only = cedar_policy::PolicySet::from_str(&scope_only)
        .unwrap_or_else(|e| panic!("scope-only policies: {e}"));
    let one = cedar_policy::PolicySet::from_str("permit (principal, action, resource);")
        .unwrap_or_else(|e| panic!("one policy: {e}"));
    let mut group = c.benchmark_group("cedar_anatomy");
    for (name, policies) in [("one_policy", &one), ("scope_only_100", &scope_only)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                cedar.authorizer.is_authorized(
                    black_box(&request),
                    black_box(policies),
                    black_box(&cedar.entities),
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_decisions, bench_loading, bench_cedar_anatomy);
criterion_main!(benches);
