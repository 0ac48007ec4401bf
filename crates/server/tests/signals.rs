//! Finding 12 of issue 9: SIGTERM stops the server gracefully, as SIGINT does. Its own test
//! binary, since the signals go to the whole process.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

mod common;

use std::time::Duration;

use common::{iam_ok, root};
use server::{App, ServerConfig};
use tokio::net::{TcpListener, TcpStream};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_12_sigterm_and_sigint_stop_the_server_gracefully() {
    for signal in ["TERM", "INT"] {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = App::new(common::service().await, None);
        let task = tokio::spawn(server::serve(
            listener,
            app,
            ServerConfig::default(),
            server::shutdown_signal(),
        ));
        // Served, so the accept loop (and the signal handlers) are running.
        iam_ok(
            addr,
            &root(),
            &[("Action", "ListUsers"), ("Version", "2010-05-08")],
        )
        .await;
        let status = std::process::Command::new("kill")
            .args([format!("-{signal}"), std::process::id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        tokio::time::timeout(Duration::from_secs(30), task)
            .await
            .unwrap_or_else(|_| panic!("SIG{signal} stops the server"))
            .unwrap()
            .unwrap();
        assert!(
            TcpStream::connect(addr).await.is_err(),
            "no longer listening"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_12_shutdown_does_not_wait_for_connections_between_requests() {
    use tokio::io::AsyncWriteExt;

    let long = Duration::from_secs(120);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = App::new(common::service().await, None);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server::serve(
        listener,
        app,
        ServerConfig {
            header_timeout: long,
            idle_timeout: long,
            body_timeout: long,
            shutdown_grace: long,
            ..ServerConfig::default()
        },
        async {
            let _ = stopped.await;
        },
    ));
    // A keep-alive connection after its request, a silent one and a half-sent head.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    common::exchange(
        &mut idle,
        &common::signed(
            &root(),
            "iam",
            &[("Action", "ListUsers"), ("Version", "2010-05-08")],
        ),
    )
    .await
    .unwrap();
    let _silent = TcpStream::connect(addr).await.unwrap();
    let mut partial = TcpStream::connect(addr).await.unwrap();
    partial.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
    // Bounded retry until the server has accepted them (a health check on another connection
    // is answered after they were queued).
    iam_ok(
        addr,
        &root(),
        &[("Action", "ListUsers"), ("Version", "2010-05-08")],
    )
    .await;
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .expect("shutdown is not held by connections between requests")
        .unwrap()
        .unwrap();
}
