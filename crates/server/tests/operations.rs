//! The operations endpoints through the router: `/healthz`, `/readyz` (not ready until the
//! state is loaded), and `/metrics` counting requests by operation and outcome, SigV4
//! failures by code, and the latency histograms.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

mod common;

use axum::Router;
use common::{Raw, root, route, service, signed};
use server::{App, ServerConfig, app_router};

async fn call(router: &Router, raw: &Raw) -> (u16, String) {
    let (status, body, _) = route(router, raw).await;
    (status, body)
}

fn get(target: &str) -> Raw {
    Raw {
        method: "GET".to_owned(),
        target: target.to_owned(),
        headers: vec![("host".to_owned(), "castellan.test".to_owned())],
        body: Vec::new(),
    }
}

/// The value of one sample line of the exposition (`name{labels}`), 0 when absent.
fn sample(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    // Not ready until the state is loaded: a node must not decide on nothing.
    let bare = service::Service::new(
        store::Store::open("sqlite::memory:").await.unwrap(),
        service::Sealer::new(&service::MasterKey::generate().unwrap()),
        service::Clock::system(),
    );
    let idle = app_router(App::new(bare, None), &ServerConfig::default());
    assert_eq!(
        call(&idle, &get("/healthz")).await,
        (200, "ok\n".to_owned())
    );
    let (status, body) = call(&idle, &get("/readyz")).await;
    assert_eq!(
        (status, body.as_str()),
        (503, "not ready: the state is not loaded yet\n")
    );

    let service = service().await;
    service.refresh_caches().await.unwrap();
    let router = app_router(App::new(service.clone(), None), &ServerConfig::default());
    assert_eq!(
        call(&router, &get("/readyz")).await,
        (200, "ready\n".to_owned())
    );

    let get_user = signed(
        &root(),
        "iam",
        &[("Action", "GetUser"), ("UserName", "nobody")],
    );
    let caller = signed(&root(), "sts", &[("Action", "GetCallerIdentity")]);
    assert_eq!(call(&router, &caller).await.0, 200);
    assert_eq!(call(&router, &caller).await.0, 200);
    assert_eq!(call(&router, &get_user).await.0, 404);
    let mut forged = caller.clone();
    let at = forged
        .headers
        .iter()
        .position(|(n, _)| n == "authorization")
        .unwrap();
    forged.headers[at].1 = forged.headers[at].1.replace("Signature=", "Signature=0");
    assert_eq!(call(&router, &forged).await.0, 403);

    let (status, metrics) = call(&router, &get("/metrics")).await;
    assert_eq!(status, 200);
    let series = |s: &str| sample(&metrics, s);
    assert_eq!(
        series(
            r#"castellan_requests_total{service="sts",action="GetCallerIdentity",outcome="success"}"#
        ),
        2.0
    );
    assert_eq!(
        series(
            r#"castellan_requests_total{service="iam",action="GetUser",outcome="NoSuchEntity"}"#
        ),
        1.0
    );
    assert_eq!(
        series(r#"castellan_sigv4_failures_total{code="SignatureDoesNotMatch"}"#),
        1.0
    );
    // Every request answered is in the latency histogram; GetUser's decision in the engine's.
    assert_eq!(
        series(r#"castellan_request_duration_seconds_bucket{le="+Inf"}"#),
        4.0
    );
    assert_eq!(series("castellan_request_duration_seconds_count"), 4.0);
    assert!(metrics.contains("# TYPE castellan_authorization_duration_seconds histogram"));
    assert!(series(r#"castellan_cache_entries{cache="keys"}"#) >= 1.0);
    assert!(series(r#"castellan_cache_lookups_total{cache="keys",result="hit"}"#) >= 1.0);
    assert!(series("castellan_store_change_read_duration_seconds_count") >= 1.0);
    assert_eq!(series("castellan_ready"), 1.0);
    // Histogram buckets are cumulative.
    let buckets: Vec<f64> = metrics
        .lines()
        .filter(|l| l.starts_with("castellan_request_duration_seconds_bucket"))
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "{buckets:?}");
}
