//! The router driven directly with `tower::ServiceExt::oneshot`, no socket: a signed request
//! answered, an unsigned one refused with AWS's error, and AWS's bodies for 404 and 405.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

mod common;

use axum::body::Body;
use common::{Raw, root, route, service, signed, tag};
use server::{App, ServerConfig, app_router};
use tower::ServiceExt as _;

/// What a oneshot call answers: status, error or result body, and the request id header.
struct Answer {
    status: u16,
    body: String,
    request_id: Option<String>,
}

async fn oneshot(raw: &Raw) -> Answer {
    let app = App::new(service().await, None);
    let router = app_router(app, &ServerConfig::default());
    let (status, body, request_id) = route(&router, raw).await;
    Answer {
        status,
        body,
        request_id,
    }
}

fn plain(method: &str, target: &str) -> Raw {
    Raw {
        method: method.to_owned(),
        target: target.to_owned(),
        headers: vec![("host".to_owned(), "castellan.test".to_owned())],
        body: Vec::new(),
    }
}

fn assert_error(answer: &Answer, status: u16, code: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(tag(&answer.body, "Code"), Some(code), "{}", answer.body);
    let id = answer.request_id.as_deref().expect("a request id header");
    assert_eq!(tag(&answer.body, "RequestId"), Some(id), "{}", answer.body);
}

#[tokio::test]
async fn issue_10_router_answers_a_signed_request_without_a_socket() {
    let request = signed(
        &root(),
        "sts",
        &[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")],
    );
    let answer = oneshot(&request).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(tag(&answer.body, "Account"), Some(common::ACCOUNT));
}

#[tokio::test]
async fn issue_10_router_refuses_an_unsigned_request_with_aws_error() {
    let mut request = plain("POST", "/");
    request.headers.push((
        "content-type".to_owned(),
        "application/x-www-form-urlencoded".to_owned(),
    ));
    request.body = b"Action=ListUsers&Version=2010-05-08".to_vec();
    let answer = oneshot(&request).await;
    assert_error(&answer, 403, "MissingAuthenticationToken");
}

fn unsigned_form(body: &str) -> Raw {
    let mut request = plain("POST", "/");
    request.headers.push((
        "content-type".to_owned(),
        "application/x-www-form-urlencoded".to_owned(),
    ));
    request.body = body.as_bytes().to_vec();
    request
}

/// AWS serves the two federation calls without a signature (the provider's token is the
/// credential): they reach the operation's own checks, here the models' required members,
/// where any other unsigned action stops at authentication.
#[tokio::test]
async fn issue_13_federation_calls_need_no_signature_and_others_still_do() {
    for action in ["AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"] {
        let body = format!(
            "Action={action}&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A{}%3Arole%2Fr",
            common::ACCOUNT
        );
        let answer = oneshot(&unsigned_form(&body)).await;
        assert_error(&answer, 400, "ValidationError");
        assert!(
            !answer.body.contains("MissingAuthenticationToken"),
            "{}",
            answer.body
        );
    }
    let answer = oneshot(&unsigned_form(
        "Action=GetCallerIdentity&Version=2011-06-15",
    ))
    .await;
    assert_error(&answer, 403, "MissingAuthenticationToken");
}

#[tokio::test]
async fn issue_10_router_answers_404_and_405_with_aws_error_bodies() {
    assert_error(&oneshot(&plain("GET", "/nowhere")).await, 404, "NotFound");
    assert_error(&oneshot(&plain("PUT", "/")).await, 405, "MethodNotAllowed");
}

#[tokio::test]
async fn issue_11_an_issuer_no_account_has_is_not_found_without_credentials() {
    for document in ["openid-configuration", "jwks.json", "other"] {
        let target = format!("/oidc/0123456789abcdef/.well-known/{document}");
        assert_error(&oneshot(&plain("GET", &target)).await, 404, "NotFound");
        let post = oneshot(&plain("POST", &target)).await;
        assert_error(&post, 405, "MethodNotAllowed");
    }
}

#[tokio::test]
async fn issue_10_router_without_connection_fails_closed() {
    let app = App::new(service().await, None);
    let router = app_router(app, &ServerConfig::default());
    let request = http::Request::builder()
        .method("GET")
        .uri("/?Action=ListUsers")
        .body(Body::empty())
        .unwrap();
    let response = router.oneshot(request).await.unwrap();
    assert_eq!(response.status().as_u16(), 500);
}

/// Building the routes starts nothing: outside any runtime, a `tokio::spawn` in it would
/// panic. The cache refresher is started by `serve`.
#[test]
fn issue_10_router_is_built_without_a_runtime() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let app = App::new(runtime.block_on(service()), None);
    let router = app_router(app, &ServerConfig::default());
    // Driven afterwards on the runtime, it answers.
    let answer = runtime.block_on(async move {
        let request = http::Request::builder()
            .uri("/_castellan/health")
            .body(Body::empty())
            .unwrap();
        router.oneshot(request).await.unwrap().status().as_u16()
    });
    assert_eq!(answer, 200);
}

/// Request ids come from one place, the request-id layers: every answer carries one, equal
/// to the RequestId of its XML body (success, AWS error, unrouted path), each request gets
/// its own, and a client cannot choose it.
#[tokio::test]
async fn issue_10_request_ids_come_from_the_layer_and_clients_cannot_choose_them() {
    let signed_request = signed(
        &root(),
        "sts",
        &[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")],
    );
    let first = oneshot(&signed_request).await;
    let second = oneshot(&signed_request).await;
    for answer in [&first, &second] {
        assert_eq!(answer.status, 200, "{}", answer.body);
        let id = answer.request_id.as_deref().expect("a request id header");
        assert_eq!(tag(&answer.body, "RequestId"), Some(id), "{}", answer.body);
        assert_eq!(id.len(), 36, "a UUID: {id}");
    }
    assert_ne!(first.request_id, second.request_id);

    let chosen = "client-chosen-id";
    for mut request in [plain("GET", "/nowhere"), plain("POST", "/")] {
        request
            .headers
            .push(("x-amzn-requestid".to_owned(), chosen.to_owned()));
        let answer = oneshot(&request).await;
        let id = answer.request_id.as_deref().expect("a request id header");
        assert_ne!(id, chosen);
        assert_eq!(tag(&answer.body, "RequestId"), Some(id), "{}", answer.body);
        assert!(!answer.body.contains(chosen), "{}", answer.body);
    }
}
