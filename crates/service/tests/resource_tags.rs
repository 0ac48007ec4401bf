//! `aws:ResourceTag/k` and `iam:ResourceTag/k` carry the tags of the user or role acted on.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

use service::{Caller, Clock, Identity, MasterKey, NewAccount, RequestInfo, Sealer, Service};
use wire::iam::{CreateUserRequest, GetUserRequest, PutUserPolicyRequest, Request, Tag};

const ACCOUNT: &str = "123456789012";

fn root() -> Caller {
    Caller {
        account_id: ACCOUNT.to_owned(),
        identity: Identity::Root,
        access_key_id: "AKIAROOT".to_owned(),
        request: RequestInfo::default(),
        session: None,
    }
}

async fn create(service: &Service, name: &str, team: Option<&str>) {
    service
        .iam(
            &root(),
            Request::CreateUser(CreateUserRequest {
                path: None,
                user_name: name.to_owned(),
                permissions_boundary: None,
                tags: team.map(|t| {
                    vec![Tag {
                        key: "team".to_owned(),
                        value: t.to_owned(),
                    }]
                }),
            }),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_condition_on_the_resource_tag_decides() {
    let store = store::Store::open("sqlite::memory:").await.unwrap();
    let service = Service::new(
        store,
        Sealer::new(&MasterKey::generate().unwrap()),
        Clock::fixed(1_700_000_000),
    );
    service
        .create_account(NewAccount {
            account_id: Some(ACCOUNT.to_owned()),
            email: "root@example.com".to_owned(),
            ..NewAccount::default()
        })
        .await
        .unwrap();
    create(&service, "alice", None).await;
    create(&service, "bob", Some("blue")).await;
    create(&service, "carol", Some("red")).await;
    service
        .iam(
            &root(),
            Request::PutUserPolicy(PutUserPolicyRequest {
                user_name: "alice".to_owned(),
                policy_name: "blue-team".to_owned(),
                policy_document: r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:GetUser","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}}}"#.to_owned(),
            }),
        )
        .await
        .unwrap();
    let alice = Caller {
        identity: Identity::User(service.store().get_user(ACCOUNT, "alice").await.unwrap()),
        access_key_id: "AKIAALICE".to_owned(),
        ..root()
    };
    let get = |name: &str| {
        Request::GetUser(GetUserRequest {
            user_name: Some(name.to_owned()),
        })
    };
    service.iam(&alice, get("bob")).await.unwrap();
    let denied = service.iam(&alice, get("carol")).await.unwrap_err();
    assert_eq!(denied.code(), "AccessDenied");
}
