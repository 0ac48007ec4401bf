//! AssumeRoleWithSAML through `Service::sts_unsigned`, with a SAML provider in the store
//! whose metadata is the signxml corpus's (tests/data/saml, signed for 2030-01-01): the valid
//! response gives a role session with AWS's response fields; the trust policy decides with
//! the `saml:` keys; malformed, oversize, wrapped, unlisted-role, expired-provider and
//! unknown-provider requests are refused with AWS's codes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

mod common;

use common::{CORPUS_NOW as NOW, PROVIDER, ROLE, assume_with_saml as assume, encoded};
use service::Service;

/// A service with account A, provider TestIdp (valid until `valid_until`) and role ReadOnly
/// trusting it under `condition`.
async fn world(condition: &str, valid_until: i64) -> Service {
    let (service, _) = common::service_at(NOW).await;
    common::saml_provider(
        &service,
        "TestIdp",
        "a0000000-0000-4000-8000-000000000001",
        common::corpus("metadata.xml"),
        NOW - 60,
        valid_until,
    )
    .await;
    common::role(&service, "ReadOnly", common::trust_of_provider(condition)).await;
    service
}

const SUB_CONDITION: &str = r#"{"StringEquals":{"saml:aud":"https://signin.aws.amazon.com/saml","saml:iss":"https://idp.castellan.test/saml","saml:sub_type":"persistent"},"StringLike":{"saml:sub":"*@example.com"}}"#;

#[tokio::test]
async fn a_valid_response_gives_a_role_session_with_aws_response_fields() {
    let service = world(SUB_CONDITION, i64::MAX).await;
    let answer = assume(&service, ROLE, PROVIDER, encoded("valid.xml"))
        .await
        .unwrap();
    let user = answer.assumed_role_user.unwrap();
    assert_eq!(
        user.arn,
        "arn:aws:sts::123456789012:assumed-role/ReadOnly/alice"
    );
    assert_eq!(answer.subject.as_deref(), Some("alice@example.com"));
    assert_eq!(answer.subject_type.as_deref(), Some("persistent"));
    assert_eq!(
        answer.issuer.as_deref(),
        Some("https://idp.castellan.test/saml")
    );
    assert_eq!(
        answer.audience.as_deref(),
        Some("https://signin.aws.amazon.com/saml")
    );
    assert!(answer.name_qualifier.is_some());
    let credentials = answer.credentials.unwrap();
    assert_eq!(credentials.expiration.unix_seconds(), NOW + 3_600);
}

#[tokio::test]
async fn the_trust_policy_decides_with_the_saml_keys() {
    let service = world(
        r#"{"StringEquals":{"saml:sub":"bob@example.com"}}"#,
        i64::MAX,
    )
    .await;
    let error = assume(&service, ROLE, PROVIDER, encoded("valid.xml"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "AccessDenied");
    assert_eq!(
        error.message(),
        "Not authorized to perform sts:AssumeRoleWithSAML"
    );
    // The session tag the assertion carries needs sts:TagSession, which this trust policy
    // grants only to team blue.
    let service = world(
        r#"{"StringEquals":{"aws:RequestTag/team":"blue"}}"#,
        i64::MAX,
    )
    .await;
    assert!(
        assume(&service, ROLE, PROVIDER, encoded("valid.xml"))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_saml_trust_decision_sees_no_federated_provider() {
    // AWS documents aws:FederatedProvider for sessions of OIDC providers only (reading 56).
    let service = world(r#"{"Null":{"aws:FederatedProvider":"true"}}"#, i64::MAX).await;
    assert!(
        assume(&service, ROLE, PROVIDER, encoded("valid.xml"))
            .await
            .is_ok()
    );
    let pinned = format!(r#"{{"StringEquals":{{"aws:FederatedProvider":"{PROVIDER}"}}}}"#);
    let service = world(&pinned, i64::MAX).await;
    let error = assume(&service, ROLE, PROVIDER, encoded("valid.xml"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "AccessDenied");
}

#[tokio::test]
async fn a_role_the_assertion_does_not_list_is_not_authorized() {
    let service = world(SUB_CONDITION, i64::MAX).await;
    let error = assume(
        &service,
        "arn:aws:iam::123456789012:role/Other",
        PROVIDER,
        encoded("valid.xml"),
    )
    .await
    .unwrap_err();
    assert_eq!(error.code(), "AccessDenied");
}

#[tokio::test]
async fn wrapped_altered_and_expired_responses_are_refused_with_aws_codes() {
    let service = world(SUB_CONDITION, i64::MAX).await;
    for (name, code) in [
        ("hostile-wrap-sibling.xml", "InvalidIdentityToken"),
        ("hostile-altered-nameid.xml", "InvalidIdentityToken"),
        ("hostile-other-key.xml", "InvalidIdentityToken"),
        ("hostile-unsigned.xml", "InvalidIdentityToken"),
        ("hostile-xxe.xml", "InvalidIdentityToken"),
        ("hostile-expired.xml", "ExpiredTokenException"),
    ] {
        let error = assume(&service, ROLE, PROVIDER, encoded(name))
            .await
            .unwrap_err();
        assert_eq!(error.code(), code, "{name}");
    }
    let error = assume(
        &service,
        ROLE,
        PROVIDER,
        encoded("hostile-wrap-sibling.xml"),
    )
    .await
    .unwrap_err();
    assert_eq!(error.message(), "Response signature invalid");
}

#[tokio::test]
async fn malformed_and_oversize_assertions_are_invalid_identity_tokens() {
    let service = world(SUB_CONDITION, i64::MAX).await;
    let error = assume(&service, ROLE, PROVIDER, "%%% not base64 %%%".to_owned())
        .await
        .unwrap_err();
    assert_eq!(error.code(), "InvalidIdentityToken");
    assert_eq!(error.message(), "Invalid base64 SAMLResponse");
    let error = assume(&service, ROLE, PROVIDER, "A".repeat(100_004))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "InvalidIdentityToken");
}

#[tokio::test]
async fn unknown_and_expired_providers_do_not_exist() {
    let service = world(SUB_CONDITION, NOW).await;
    for provider in [
        PROVIDER,
        "arn:aws:iam::123456789012:saml-provider/Nobody",
        "arn:aws:iam::123456789012:role/NotAProvider",
    ] {
        let error = assume(&service, ROLE, provider, encoded("valid.xml"))
            .await
            .unwrap_err();
        assert_eq!(error.code(), "InvalidIdentityToken", "{provider}");
        assert_eq!(error.message(), "Specified provider doesn't exist");
    }
}
