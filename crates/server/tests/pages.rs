//! Rendered listing pages (service `pages.rs`, reading 93): served again only for the same
//! request in the same state, each with its own request id, and never in place of the
//! decision, which is made for every request.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

mod common;

use common::{ACCOUNT, Response, Server, assert_aws_error, iam_ok, root, send, service, signed};
use server::ServerConfig;

const VERSION: (&str, &str) = ("Version", "2010-05-08");

/// The body without its request id, and the id (which must also be the header's).
fn without_request_id(response: &Response) -> (String, String) {
    let id = response.tag("RequestId").unwrap().to_owned();
    assert_eq!(response.header("x-amzn-requestid"), Some(id.as_str()));
    (response.body.replace(&id, ""), id)
}

fn names(response: &Response, tag: &str) -> Vec<String> {
    response
        .body
        .split(&format!("<{tag}>"))
        .skip(1)
        .filter_map(|rest| rest.split_once(&format!("</{tag}>")))
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// The role `worker`, which the account may assume.
async fn create_worker_role(addr: std::net::SocketAddr) {
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    iam_ok(
        addr,
        &root(),
        &[
            ("Action", "CreateRole"),
            VERSION,
            ("RoleName", "worker"),
            ("AssumeRolePolicyDocument", &trust),
        ],
    )
    .await;
}

/// An AssumeRole of `worker` by `assumer`, which must succeed.
async fn assume_worker(addr: std::net::SocketAddr, assumer: &common::Creds) {
    let assumed = send(
        addr,
        &signed(
            assumer,
            "sts",
            &[
                ("Action", "AssumeRole"),
                ("Version", "2011-06-15"),
                ("RoleArn", &format!("arn:aws:iam::{ACCOUNT}:role/worker")),
                ("RoleSessionName", "s1"),
            ],
        ),
    )
    .await;
    assert_eq!(assumed.status, 200, "{}", assumed.body);
}

#[tokio::test]
async fn issue_14_a_listing_page_is_served_again_only_for_the_same_request_in_the_same_state() {
    let service = service().await;
    let server = Server::start_on(service.clone(), ServerConfig::default()).await;
    let addr = server.addr;
    let root = root();
    for name in ["ann", "bob"] {
        iam_ok(
            addr,
            &root,
            &[("Action", "CreateUser"), VERSION, ("UserName", name)],
        )
        .await;
    }
    let list = [("Action", "ListUsers"), VERSION];
    let first = iam_ok(addr, &root, &list).await;
    let second = iam_ok(addr, &root, &list).await;
    let (first_body, first_id) = without_request_id(&first);
    let (second_body, second_id) = without_request_id(&second);
    assert_ne!(first_id, second_id, "each answer has its own request id");
    assert_eq!(first_body, second_body);
    assert_eq!(names(&second, "UserName"), ["ann", "bob"]);
    assert_eq!(service.cache_usage().pages.0, 1, "one page, rendered once");

    // Another request (MaxItems) is another page; its marker leads to the next one.
    let one = [("Action", "ListUsers"), VERSION, ("MaxItems", "1")];
    let page = iam_ok(addr, &root, &one).await;
    assert_eq!(names(&page, "UserName"), ["ann"]);
    let marker = page.tag("Marker").unwrap().to_owned();
    let again = iam_ok(addr, &root, &one).await;
    assert_eq!(again.tag("Marker"), Some(marker.as_str()));
    let next = iam_ok(
        addr,
        &root,
        &[
            ("Action", "ListUsers"),
            VERSION,
            ("MaxItems", "1"),
            ("Marker", &marker),
        ],
    )
    .await;
    assert_eq!(names(&next, "UserName"), ["bob"]);
    assert_eq!(service.cache_usage().pages.0, 3);

    // A write moves the state: the next listing shows it.
    iam_ok(
        addr,
        &root,
        &[("Action", "CreateUser"), VERSION, ("UserName", "cat")],
    )
    .await;
    let after = iam_ok(addr, &root, &list).await;
    assert_eq!(names(&after, "UserName"), ["ann", "bob", "cat"]);
    server.stop().await;
}

#[tokio::test]
async fn issue_14_a_cached_page_never_answers_a_caller_the_decision_refuses() {
    let service = service().await;
    let server = Server::start_on(service.clone(), ServerConfig::default()).await;
    let addr = server.addr;
    let reader = common::user_with_policy(
        addr,
        "reader",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}"#,
    )
    .await;
    let stranger = common::user_with_policy(
        addr,
        "stranger",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}"#,
    )
    .await;
    let list = [("Action", "ListUsers"), VERSION];
    iam_ok(addr, &reader, &list).await;
    assert_eq!(service.cache_usage().pages.0, 1);
    let refused = send(addr, &signed(&stranger, "iam", &list)).await;
    assert_aws_error(&refused, 403, "AccessDenied");
    assert!(
        refused.body.contains(&format!(
            "arn:aws:iam::{ACCOUNT}:user/stranger is not authorized to perform: iam:ListUsers"
        )),
        "{}",
        refused.body
    );
    assert!(!refused.body.contains("<UserName>reader</UserName>"));
    server.stop().await;
}

#[tokio::test]
async fn issue_14_account_authorization_details_show_a_role_use_made_after_the_page() {
    let service = service().await;
    let server = Server::start_on(service.clone(), ServerConfig::default()).await;
    let addr = server.addr;
    let root = root();
    create_worker_role(addr).await;
    let details = [
        ("Action", "GetAccountAuthorizationDetails"),
        VERSION,
        ("Filter.member.1", "Role"),
    ];
    let before = iam_ok(addr, &root, &details).await;
    assert_eq!(names(&before, "RoleName"), ["worker"]);
    assert!(before.tag("LastUsedDate").is_none(), "{}", before.body);
    let assumer = common::user_with_policy(
        addr,
        "assumer",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#,
    )
    .await;
    // Creating the user moved the state: the page is rendered again, still without a use.
    let before = iam_ok(addr, &root, &details).await;
    assert!(before.tag("LastUsedDate").is_none(), "{}", before.body);
    assume_worker(addr, &assumer).await;
    let after = iam_ok(addr, &root, &details).await;
    assert!(after.tag("LastUsedDate").is_some(), "{}", after.body);
    server.stop().await;
}

#[tokio::test]
async fn issue_14_a_kept_entity_answer_is_decided_on_the_entity_and_follows_its_writes() {
    let service = service().await;
    let server = Server::start_on(service.clone(), ServerConfig::default()).await;
    let addr = server.addr;
    let root = root();
    for (name, team) in [("blue", "blue"), ("red", "red")] {
        iam_ok(
            addr,
            &root,
            &[
                ("Action", "CreateUser"),
                VERSION,
                ("UserName", name),
                ("Tags.member.1.Key", "team"),
                ("Tags.member.1.Value", team),
            ],
        )
        .await;
    }
    let reader = common::user_with_policy(
        addr,
        "reader",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetUser","iam:ListAttachedUserPolicies"],"Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}}]}"#,
    )
    .await;
    let get = |name: &'static str| [("Action", "GetUser"), VERSION, ("UserName", name)];
    let first = iam_ok(addr, &root, &get("red")).await;
    let second = iam_ok(addr, &root, &get("red")).await;
    let (first_body, first_id) = without_request_id(&first);
    let (second_body, second_id) = without_request_id(&second);
    assert_ne!(first_id, second_id);
    assert_eq!(first_body, second_body);
    assert_eq!(
        service.cache_usage().pages.0,
        1,
        "one answer, rendered once"
    );

    // A caller allowed on blue users only: refused red's answer, kept just now.
    let refused = send(addr, &signed(&reader, "iam", &get("red"))).await;
    assert_aws_error(&refused, 403, "AccessDenied");
    assert!(!refused.body.contains("<UserName>red</UserName>"));
    let blue = iam_ok(addr, &reader, &get("blue")).await;
    assert_eq!(names(&blue, "UserName"), ["blue"]);

    // Retagging red moves the state: the reader now reads red, with its new tag.
    iam_ok(
        addr,
        &root,
        &[
            ("Action", "TagUser"),
            VERSION,
            ("UserName", "red"),
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "blue"),
        ],
    )
    .await;
    let red = iam_ok(addr, &reader, &get("red")).await;
    assert_eq!(names(&red, "Value"), ["blue"]);

    // A policy attached after the answer was kept is listed.
    let attached = [
        ("Action", "ListAttachedUserPolicies"),
        VERSION,
        ("UserName", "blue"),
    ];
    let before = iam_ok(addr, &reader, &attached).await;
    assert!(names(&before, "PolicyName").is_empty(), "{}", before.body);
    iam_ok(
        addr,
        &root,
        &[
            ("Action", "AttachUserPolicy"),
            VERSION,
            ("UserName", "blue"),
            ("PolicyArn", "arn:aws:iam::aws:policy/ReadOnlyAccess"),
        ],
    )
    .await;
    let after = iam_ok(addr, &reader, &attached).await;
    assert_eq!(names(&after, "PolicyName"), ["ReadOnlyAccess"]);

    // A name that names nothing is answered NoSuchEntity and nothing is kept for it.
    let kept = service.cache_usage().pages.0;
    let missing = send(addr, &signed(&root, "iam", &get("nobody"))).await;
    assert_aws_error(&missing, 404, "NoSuchEntity");
    assert_eq!(service.cache_usage().pages.0, kept);
    server.stop().await;
}

#[tokio::test]
async fn issue_14_a_kept_role_answer_shows_a_use_made_after_it() {
    let service = service().await;
    let server = Server::start_on(service.clone(), ServerConfig::default()).await;
    let addr = server.addr;
    let root = root();
    create_worker_role(addr).await;
    let assumer = common::user_with_policy(
        addr,
        "assumer",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#,
    )
    .await;
    let get = [("Action", "GetRole"), VERSION, ("RoleName", "worker")];
    let before = iam_ok(addr, &root, &get).await;
    let again = iam_ok(addr, &root, &get).await;
    assert_eq!(without_request_id(&before).0, without_request_id(&again).0);
    assert!(before.tag("LastUsedDate").is_none(), "{}", before.body);
    assume_worker(addr, &assumer).await;
    let after = iam_ok(addr, &root, &get).await;
    assert!(after.tag("LastUsedDate").is_some(), "{}", after.body);
    server.stop().await;
}
