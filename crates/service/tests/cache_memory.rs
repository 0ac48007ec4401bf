//! Figures for issue 9's finding 3: resident memory while sessions with large inline session
//! policies act, with the default (bounded) caches and with unbounded ones. Prints the
//! figures; asserts only the bound on what the cache holds (no timing, no memory threshold).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

use service::{
    Bound, CacheLimits, Caller, Clock, Identity, MasterKey, NewAccount, RequestInfo, Sealer,
    Service,
};
use wire::QueryParams;

const A: &str = "111111111111";
const SESSIONS: usize = 1_500;

fn resident_bytes() -> usize {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<usize>().ok())
        .map_or(0, |pages| pages * 4096)
}

fn iam(action: &str, params: &[(&str, &str)]) -> wire::iam::Request {
    wire::iam::Operation::from_action(action)
        .unwrap()
        .decode(&QueryParams::from_pairs(params.iter().copied()))
        .unwrap()
}

/// An inline session policy of nearly 2,048 characters.
fn session_policy(n: usize) -> String {
    let mut statements =
        vec![r#"{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}"#.to_owned()];
    let mut k = 0;
    while statements.iter().map(String::len).sum::<usize>() < 1_850 {
        statements.push(format!(
            r#"{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b{n}-{k}/*"}}"#
        ));
        k += 1;
    }
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    )
}

async fn run(limits: CacheLimits) -> (usize, (usize, usize)) {
    let service = Service::new(
        store::Store::open("sqlite::memory:").await.unwrap(),
        Sealer::new(&MasterKey::generate().unwrap()),
        Clock::fixed(1_700_000_000),
    )
    .with_cache_limits(limits);
    service
        .create_account(NewAccount {
            account_id: Some(A.to_owned()),
            email: "a@example.com".to_owned(),
            ..NewAccount::default()
        })
        .await
        .unwrap();
    let root = Caller {
        account_id: A.to_owned(),
        identity: Identity::Root,
        access_key_id: "AKIAROOT".to_owned(),
        request: RequestInfo::default(),
        session: None,
    };
    service
        .iam(&root, iam("CreateUser", &[("UserName", "alice")]))
        .await
        .unwrap();
    let allow =
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
    service
        .iam(
            &root,
            iam(
                "PutUserPolicy",
                &[
                    ("UserName", "alice"),
                    ("PolicyName", "p"),
                    ("PolicyDocument", allow),
                ],
            ),
        )
        .await
        .unwrap();
    let trust = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole"}}"#;
    service
        .iam(
            &root,
            iam(
                "CreateRole",
                &[("RoleName", "R"), ("AssumeRolePolicyDocument", trust)],
            ),
        )
        .await
        .unwrap();
    service
        .iam(
            &root,
            iam(
                "PutRolePolicy",
                &[
                    ("RoleName", "R"),
                    ("PolicyName", "p"),
                    ("PolicyDocument", allow),
                ],
            ),
        )
        .await
        .unwrap();
    let alice = Caller {
        account_id: A.to_owned(),
        identity: Identity::User(service.store().get_user(A, "alice").await.unwrap()),
        access_key_id: "AKIAALICE".to_owned(),
        request: RequestInfo::default(),
        session: None,
    };
    let before = resident_bytes();
    for n in 0..SESSIONS {
        let policy = session_policy(n);
        let request = wire::sts::Operation::AssumeRole
            .decode(&QueryParams::from_pairs([
                ("RoleArn", "arn:aws:iam::111111111111:role/R"),
                ("RoleSessionName", "s1"),
                ("Policy", policy.as_str()),
            ]))
            .unwrap();
        let wire::sts::Response::AssumeRole(response) = service.sts(&alice, request).await.unwrap()
        else {
            panic!("not AssumeRole")
        };
        let credentials = response.credentials.unwrap();
        let session = service
            .open_session(&credentials.access_key_id, &credentials.session_token)
            .unwrap();
        let caller = service
            .session_caller(session, RequestInfo::default())
            .await
            .unwrap();
        service.iam(&caller, iam("ListUsers", &[])).await.unwrap();
    }
    let grown = resident_bytes().saturating_sub(before);
    (grown, service.cache_usage().sessions)
}

/// The scenario in a child process of its own (`CACHE_MEMORY_MODE` set), so that one run's
/// freed memory does not hide the other's growth.
fn child(mode: &str) -> String {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "finding_3_memory_with_bounded_and_unbounded_session_caches",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("CACHE_MEMORY_MODE", mode)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{mode} run failed: {text}");
    text.lines()
        .find_map(|l| {
            l.split_once("figure: ")
                .map(|(_, figure)| figure.to_owned())
        })
        .unwrap_or_else(|| panic!("no figure in {text}"))
}

#[tokio::test(flavor = "current_thread")]
async fn finding_3_memory_with_bounded_and_unbounded_session_caches() {
    let limits = CacheLimits::default();
    match std::env::var("CACHE_MEMORY_MODE").as_deref() {
        Ok("bounded") => {
            let (grown, held) = run(limits).await;
            assert!(held.0 <= limits.sessions.entries && held.1 <= limits.sessions.weight);
            println!(
                "figure: +{} KiB, cache holds {held:?} (entries, bytes)",
                grown / 1024
            );
        }
        Ok(_) => {
            let unbounded = CacheLimits {
                sessions: Bound::entries(usize::MAX),
                ..limits
            };
            let (grown, held) = run(unbounded).await;
            assert_eq!(held.0, SESSIONS);
            println!(
                "figure: +{} KiB, cache holds {held:?} (entries, bytes)",
                grown / 1024
            );
        }
        Err(_) => {
            let bounded = child("bounded");
            let unbounded = child("unbounded");
            println!(
                "finding 3: {SESSIONS} sessions with ~1.9 KB inline session policies, resident memory: default bound {bounded}; unbounded {unbounded}"
            );
        }
    }
}
