//! Operations endpoints: `/healthz` (the process answers), `/readyz` (the node can decide:
//! its state is loaded and fresh), and `/metrics` in Prometheus's text format: requests by
//! API, operation and outcome, request and decision latency, SigV4 failures by code, cache
//! sizes and lookups, store latency. Counting is a lock per request over a small map (the
//! labels come from closed lists) and atomics.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use service::{Histogram, HistogramSnapshot, LATENCY_BUCKETS};

use crate::handler::Shared;

/// The counters the request path updates.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    /// Requests answered by (API, operation, outcome): `success` or the error code.
    requests: Mutex<BTreeMap<(&'static str, &'static str, &'static str), u64>>,
    /// SigV4 refusals by error code.
    signature_failures: Mutex<BTreeMap<&'static str, u64>>,
    /// Time from the request's arrival to its answer.
    latency: Histogram,
}

impl Metrics {
    pub(crate) fn request(
        &self,
        service: &'static str,
        action: &'static str,
        outcome: &'static str,
        elapsed: Duration,
    ) {
        self.latency.observe(elapsed);
        if let Ok(mut requests) = self.requests.lock() {
            *requests.entry((service, action, outcome)).or_default() += 1;
        }
    }

    pub(crate) fn signature_failure(&self, code: &'static str) {
        if let Ok(mut failures) = self.signature_failures.lock() {
            *failures.entry(code).or_default() += 1;
        }
    }
}

/// The label of an API.
pub(crate) fn api_name(service: wire::Service) -> &'static str {
    match service {
        wire::Service::Iam => "iam",
        wire::Service::Sts => "sts",
        wire::Service::Organizations => "organizations",
    }
}

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

async fn readyz(State(shared): State<Arc<Shared>>) -> Response {
    match shared.app.service().readiness() {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {reason}\n"),
        )
            .into_response(),
    }
}

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    let app = &shared.app;
    let counters = app.metrics();
    let service = app.service();
    let mut out = String::with_capacity(8192);
    out.push_str(
        "# HELP castellan_requests_total Requests answered, by API, operation and outcome (success or the error code).\n\
         # TYPE castellan_requests_total counter\n",
    );
    if let Ok(requests) = counters.requests.lock() {
        for ((api, action, outcome), count) in requests.iter() {
            let _ = writeln!(
                out,
                "castellan_requests_total{{service=\"{api}\",action=\"{action}\",outcome=\"{outcome}\"}} {count}"
            );
        }
    }
    histogram(
        &mut out,
        "castellan_request_duration_seconds",
        "Time from a request's arrival to its answer.",
        &counters.latency.snapshot(),
    );
    histogram(
        &mut out,
        "castellan_authorization_duration_seconds",
        "Time the policy engine takes to decide an IAM, STS or Organizations request.",
        &service.decision_latency(),
    );
    out.push_str(
        "# HELP castellan_sigv4_failures_total Requests refused by signature verification, by error code.\n\
         # TYPE castellan_sigv4_failures_total counter\n",
    );
    if let Ok(failures) = counters.signature_failures.lock() {
        for (code, count) in failures.iter() {
            let _ = writeln!(
                out,
                "castellan_sigv4_failures_total{{code=\"{code}\"}} {count}"
            );
        }
    }
    let usage = service.cache_usage();
    out.push_str(
        "# HELP castellan_cache_entries Entries each cache holds.\n# TYPE castellan_cache_entries gauge\n",
    );
    let caches = [
        ("keys", usage.keys),
        ("compiled", usage.compiled),
        ("sessions", usage.sessions),
        ("trusts", usage.trusts),
        ("tokens", usage.tokens),
        ("pages", usage.pages),
    ];
    for (name, (entries, _)) in caches {
        let _ = writeln!(out, "castellan_cache_entries{{cache=\"{name}\"}} {entries}");
    }
    out.push_str(
        "# HELP castellan_cache_weight Weight each cache holds (bytes of policy text, tokens or pages; entries for the others).\n\
         # TYPE castellan_cache_weight gauge\n",
    );
    for (name, (_, weight)) in caches {
        let _ = writeln!(out, "castellan_cache_weight{{cache=\"{name}\"}} {weight}");
    }
    out.push_str(
        "# HELP castellan_cache_lookups_total Cache lookups, by cache and result (hit or miss).\n\
         # TYPE castellan_cache_lookups_total counter\n",
    );
    for (name, (hits, misses)) in service.cache_lookups() {
        let _ = writeln!(
            out,
            "castellan_cache_lookups_total{{cache=\"{name}\",result=\"hit\"}} {hits}"
        );
        let _ = writeln!(
            out,
            "castellan_cache_lookups_total{{cache=\"{name}\",result=\"miss\"}} {misses}"
        );
    }
    let (writes, change_reads) = service.store_latency();
    histogram(
        &mut out,
        "castellan_store_write_duration_seconds",
        "Time of the store's write transactions, from taking the write lock to the commit.",
        &writes,
    );
    histogram(
        &mut out,
        "castellan_store_change_read_duration_seconds",
        "Time of each read of the store's change log (the state's refresh).",
        &change_reads,
    );
    let ready = u8::from(service.readiness().is_ok());
    let _ = writeln!(
        out,
        "# HELP castellan_ready Whether the node can decide (its state loaded and fresh).\n# TYPE castellan_ready gauge\ncastellan_ready {ready}"
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}

/// One histogram in the text format.
fn histogram(out: &mut String, name: &str, help: &str, snapshot: &HistogramSnapshot) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
    for (bound, count) in LATENCY_BUCKETS.iter().zip(&snapshot.cumulative) {
        let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {count}");
    }
    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", snapshot.count);
    let _ = writeln!(out, "{name}_sum {}", snapshot.sum_seconds);
    let _ = writeln!(out, "{name}_count {}", snapshot.count);
}
