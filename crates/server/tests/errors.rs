//! Finding 10 of issue 9: every failure the HTTP layer answers is AWS's XML `ErrorResponse`
//! with a request id, and the form Content-Type is recognised in any case.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

mod common;

use common::{Raw, Server, assert_aws_error, root, send, signed_with_type};
use server::{App, ResetFuture, ResetHook, ServerConfig};
use service::{Service, ServiceError};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

fn raw(method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Raw {
    let mut all = vec![("host".to_owned(), "castellan.test".to_owned())];
    all.extend(
        headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned())),
    );
    Raw {
        method: method.to_owned(),
        target: target.to_owned(),
        headers: all,
        body: body.to_vec(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_10_http_failures_are_aws_error_responses() {
    let server = Server::start(ServerConfig::default()).await;
    let addr = server.addr;
    let cases = [
        (raw("GET", "/nowhere", &[], b""), 404, "NotFound"),
        (
            raw("POST", "/a/b?c=d", &[("content-length", "0")], b""),
            404,
            "NotFound",
        ),
        (
            raw("PUT", "/", &[("content-length", "0")], b""),
            405,
            "MethodNotAllowed",
        ),
        (
            raw("DELETE", "/_castellan/health", &[], b""),
            405,
            "MethodNotAllowed",
        ),
        (
            raw("GET", "/_castellan/reset", &[], b""),
            405,
            "MethodNotAllowed",
        ),
        // Reset outside --ephemeral.
        (
            raw("POST", "/_castellan/reset", &[("content-length", "0")], b""),
            404,
            "NotFound",
        ),
        // A declared length over the limit is refused before the body is read.
        (
            raw("POST", "/", &[("content-length", "2000000")], b""),
            413,
            "RequestEntityTooLargeException",
        ),
    ];
    for (request, status, code) in &cases {
        let response = send(addr, request).await;
        assert_aws_error(&response, *status, code);
    }
    // A chunked body that grows past the limit is refused too.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"POST / HTTP/1.1\r\nhost: castellan.test\r\ntransfer-encoding: chunked\r\n\r\n")
        .await
        .unwrap();
    let chunk = vec![b'a'; 64 * 1024];
    let mut response = None;
    for _ in 0..20 {
        let head = format!("{:x}\r\n", chunk.len());
        if stream.write_all(head.as_bytes()).await.is_err()
            || stream.write_all(&chunk).await.is_err()
            || stream.write_all(b"\r\n").await.is_err()
        {
            break;
        }
    }
    if let Some(r) = common::read_response(&mut stream).await {
        response = Some(r);
    }
    assert_aws_error(
        &response.expect("an answer to an oversized chunked body"),
        413,
        "RequestEntityTooLargeException",
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_10_reset_failures_are_aws_error_responses() {
    let hook = ResetHook(Box::new(|_: Service| {
        Box::pin(async {
            Err(ServiceError::invalid_input(
                "the first account cannot be recreated",
            ))
        }) as ResetFuture
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = App::new(common::service().await, Some(hook));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server::serve(
        listener,
        app,
        ServerConfig::default(),
        async {
            let _ = stopped.await;
        },
    ));
    let response = send(
        addr,
        &raw("POST", "/_castellan/reset", &[("content-length", "0")], b""),
    )
    .await;
    assert_aws_error(&response, 400, "InvalidInput");
    assert_eq!(
        response.tag("Message"),
        Some("the first account cannot be recreated")
    );
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_10_form_content_type_is_case_insensitive() {
    let server = Server::start(ServerConfig::default()).await;
    for content_type in [
        "Application/X-WWW-Form-URLencoded; charset=utf-8",
        "APPLICATION/X-WWW-FORM-URLENCODED",
        "application/x-www-form-urlencoded ; charset=UTF-8",
    ] {
        let request = signed_with_type(
            &root(),
            "iam",
            &[("Action", "ListUsers"), ("Version", "2010-05-08")],
            content_type,
        );
        let response = send(server.addr, &request).await;
        assert_eq!(response.status, 200, "{content_type}: {}", response.body);
        assert!(
            response.body.contains("<ListUsersResponse"),
            "{}",
            response.body
        );
    }
    // A body that is not a form is not read as one.
    let request = signed_with_type(
        &root(),
        "iam",
        &[("Action", "ListUsers"), ("Version", "2010-05-08")],
        "text/plain",
    );
    assert_aws_error(&send(server.addr, &request).await, 400, "MissingAction");
    server.stop().await;
}
