//! AssumeRoleWithSAML through `Service::sts_unsigned`: what is refused before any provider
//! is consulted (oversize, not base64) and a provider that does not exist, with AWS's codes.
//! The verifier itself is covered by `saml_corpus.rs`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

use service::{Clock, MasterKey, NewAccount, RequestInfo, Sealer, Service, ServiceError};
use wire::sts::{AssumeRoleWithSAMLRequest, Request};

const A: &str = "111111111111";

async fn service() -> Service {
    let store = store::Store::open("sqlite::memory:").await.unwrap();
    let service = Service::new(
        store,
        Sealer::new(&MasterKey::generate().unwrap()),
        Clock::fixed(1_893_456_060),
    );
    service
        .create_account(NewAccount {
            account_id: Some(A.to_owned()),
            email: "a@example.com".to_owned(),
            ..NewAccount::default()
        })
        .await
        .unwrap();
    service
}

async fn assume(service: &Service, provider: &str, assertion: String) -> ServiceError {
    let request = Request::AssumeRoleWithSAML(AssumeRoleWithSAMLRequest {
        role_arn: format!("arn:aws:iam::{A}:role/ReadOnly"),
        principal_arn: provider.to_owned(),
        saml_assertion: assertion,
        policy_arns: None,
        policy: None,
        duration_seconds: None,
        minimum_session_token_size: None,
    });
    service
        .sts_unsigned(RequestInfo::default(), request)
        .await
        .expect_err("refused")
}

fn valid_response() -> String {
    let xml = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/saml/valid.xml"
    ))
    .unwrap();
    data_encoding::BASE64.encode(&xml)
}

#[tokio::test]
async fn malformed_and_oversize_assertions_are_invalid_identity_tokens() {
    let service = service().await;
    let provider = format!("arn:aws:iam::{A}:saml-provider/TestIdp");
    let error = assume(&service, &provider, "%%% not base64 %%%".to_owned()).await;
    assert_eq!(error.code(), "InvalidIdentityToken");
    assert_eq!(error.message(), "Invalid base64 SAMLResponse");
    let error = assume(&service, &provider, "A".repeat(100_004)).await;
    assert_eq!(error.code(), "InvalidIdentityToken");
}

#[tokio::test]
async fn an_unknown_provider_is_refused_before_the_assertion_is_read() {
    let service = service().await;
    for provider in [
        format!("arn:aws:iam::{A}:saml-provider/Nobody"),
        format!("arn:aws:iam::{A}:role/NotAProvider"),
    ] {
        let error = assume(&service, &provider, valid_response()).await;
        assert_eq!(error.code(), "InvalidIdentityToken", "{provider}");
        assert_eq!(error.message(), "Specified provider doesn't exist");
    }
}
