//! Finding 0 of issue 9: a request whose client leaves after sending it still runs to its end.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

mod common;

use std::time::Duration;

use common::{Server, iam_ok, root, signed};
use server::ServerConfig;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::task::JoinSet;

const USERS: usize = 120;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_0_requests_whose_clients_leave_still_complete() {
    let server = Server::start(ServerConfig::default()).await;
    let addr = server.addr;
    let root = root();
    // Every CreateUser is sent whole, then its connection is closed without waiting for
    // the answer, all at once, interleaved with reads that are abandoned the same way.
    let mut clients = JoinSet::new();
    for i in 0..USERS {
        let create = signed(
            &root,
            "iam",
            &[
                ("Action", "CreateUser"),
                ("Version", "2010-05-08"),
                ("UserName", &format!("user-{i}")),
            ],
        );
        let list = signed(
            &root,
            "iam",
            &[("Action", "ListUsers"), ("Version", "2010-05-08")],
        );
        clients.spawn(async move {
            for request in [create, list] {
                let mut stream = TcpStream::connect(addr).await.unwrap();
                stream.write_all(&request.bytes()).await.unwrap();
                drop(stream);
            }
        });
    }
    while let Some(joined) = clients.join_next().await {
        joined.unwrap();
    }
    // The work left behind completes; waiting for it is bounded.
    let mut count = 0;
    for _ in 0..100 {
        let listed = iam_ok(
            addr,
            &root,
            &[
                ("Action", "ListUsers"),
                ("Version", "2010-05-08"),
                ("MaxItems", "1000"),
            ],
        )
        .await;
        count = listed.body.matches("<UserName>").count();
        if count == USERS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(count, USERS, "every CreateUser sent whole is applied");
    // And every later request succeeds.
    for i in (0..USERS).step_by(4) {
        iam_ok(
            addr,
            &root,
            &[
                ("Action", "GetUser"),
                ("Version", "2010-05-08"),
                ("UserName", &format!("user-{i}")),
            ],
        )
        .await;
    }
    server.stop().await;
}
