//! Encrypted SAML assertions through AssumeRoleWithSAML and the console's SAML sign-in, with
//! the encrypted corpus (tests/data/saml/encrypted, written by `python tests/e2e/saml_idp.py
//! --encrypted crates/service/tests/data/saml`, fixed at 2030-01-01): a provider whose private
//! keys are added by UpdateSAMLProvider (so sealed as the operation seals them) decrypts every
//! content cipher and key transport of the profile, in both key placements, signed inside or
//! at the Response, encrypted by the tests' IdP and by xmlsec1; `Required` refuses a plain
//! assertion and `Allowed` takes both; every hostile response (RSA PKCS#1 v1.5, another key,
//! tampered, truncated, bad padding, unsigned inside, two assertions inside, an EC key only,
//! no key) gets the one answer of reading 75.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

mod common;

use common::{CORPUS_NOW as NOW, PROVIDER, ROLE};
use service::{RequestInfo, SamlSignIn, Service, ServiceError};
use wire::iam::{AssertionEncryptionModeType, UpdateSAMLProviderRequest};
use wire::sts::AssumeRoleWithSAMLResponse;

/// The provider's unique id, which `acs-recipient.xml` names in its Recipient.
const UUID: &str = "a0000000-0000-4000-8000-0000000000e1";
/// The one answer to an encrypted assertion that does not decrypt and verify.
const UNDECRYPTABLE: &str =
    "Invalid SAML response: the encrypted assertion could not be decrypted and verified";

/// A file of the encrypted corpus.
fn data(name: &str) -> String {
    common::corpus(&format!("encrypted/{name}"))
}

fn encoded(name: &str) -> String {
    common::encoded(&format!("encrypted/{name}"))
}

/// A service with account A, provider TestIdp (id [`UUID`], the corpus's metadata) in
/// `mode`, the private keys `keys` (corpus file names) added through UpdateSAMLProvider,
/// and role ReadOnly trusting it.
async fn world(mode: Option<AssertionEncryptionModeType>, keys: &[&str]) -> Service {
    let (service, _) = common::service_at(NOW).await;
    common::saml_provider(
        &service,
        "TestIdp",
        UUID,
        data("metadata.xml"),
        NOW - 60,
        i64::MAX,
    )
    .await;
    for key in keys {
        update(&service, None, Some(data(key))).await;
    }
    if mode.is_some() {
        update(&service, mode, None).await;
    }
    common::role(&service, "ReadOnly", common::trust_of_provider("{}")).await;
    service
}

async fn update(
    service: &Service,
    mode: Option<AssertionEncryptionModeType>,
    add_private_key: Option<String>,
) {
    service
        .iam(
            &common::root(),
            wire::iam::Request::UpdateSAMLProvider(UpdateSAMLProviderRequest {
                saml_metadata_document: None,
                saml_provider_arn: PROVIDER.to_owned(),
                assertion_encryption_mode: mode,
                add_private_key,
                remove_private_key: None,
            }),
        )
        .await
        .unwrap();
}

async fn assume(service: &Service, name: &str) -> Result<AssumeRoleWithSAMLResponse, ServiceError> {
    common::assume_with_saml(service, ROLE, PROVIDER, encoded(name)).await
}

const ACCEPTED: &[&str] = &[
    "gcm.xml",
    "cbc-peer-key.xml",
    "aes256-cbc.xml",
    "aes192-cbc.xml",
    "aes192-gcm-oaep11-sha256.xml",
    "aes128-gcm-oaep11-defaults.xml",
    "response-signed.xml",
    "both-signed.xml",
    "context-namespaces.xml",
    "second-key.xml",
    "xmlsec1-encrypted.xml",
];

#[tokio::test]
async fn every_cipher_placement_and_signature_of_the_profile_decrypts() {
    let service = world(
        Some(AssertionEncryptionModeType::Required),
        &["sp-key.pem", "sp-key-2.pem"],
    )
    .await;
    for name in ACCEPTED {
        let answer = assume(&service, name)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(
            answer.assumed_role_user.unwrap().arn,
            "arn:aws:sts::123456789012:assumed-role/ReadOnly/alice",
            "{name}"
        );
        assert_eq!(answer.subject.as_deref(), Some("alice@example.com"));
        assert_eq!(
            answer.audience.as_deref(),
            Some("https://signin.aws.amazon.com/saml")
        );
    }
}

#[tokio::test]
async fn the_providers_own_endpoint_is_a_recipient_and_becomes_the_audience() {
    let service = world(None, &["sp-key.pem"]).await;
    let answer = assume(&service, "acs-recipient.xml").await.unwrap();
    assert_eq!(
        answer.audience.as_deref(),
        Some("https://signin.aws.amazon.com/saml/acs/a0000000-0000-4000-8000-0000000000e1")
    );
}

#[tokio::test]
async fn required_refuses_a_plain_assertion_and_allowed_takes_both() {
    let required = world(Some(AssertionEncryptionModeType::Required), &["sp-key.pem"]).await;
    let error = assume(&required, "plain.xml").await.unwrap_err();
    assert_eq!(error.code(), "InvalidIdentityToken");
    assert_eq!(
        error.message(),
        "Invalid SAML response: the SAML provider requires encrypted assertions"
    );
    for mode in [Some(AssertionEncryptionModeType::Allowed), None] {
        let allowed = world(mode, &["sp-key.pem"]).await;
        assert!(assume(&allowed, "plain.xml").await.is_ok(), "{mode:?}");
        assert!(assume(&allowed, "gcm.xml").await.is_ok(), "{mode:?}");
    }
}

#[tokio::test]
async fn every_undecryptable_response_gets_the_one_answer() {
    let service = world(Some(AssertionEncryptionModeType::Required), &["sp-key.pem"]).await;
    for name in [
        "hostile-rsa-1_5.xml",
        "hostile-wrong-key.xml",
        "hostile-unsigned.xml",
        "hostile-other-signer.xml",
        "hostile-two-assertions-inside.xml",
        "hostile-cbc-bad-padding.xml",
        "hostile-tripledes.xml",
        "hostile-tampered-gcm.xml",
        "hostile-tampered-cbc-iv.xml",
        "hostile-tampered-cbc.xml",
        "hostile-truncated.xml",
        // Encrypted to the second key, which this provider does not hold.
        "second-key.xml",
    ] {
        let error = assume(&service, name).await.unwrap_err();
        assert_eq!(error.code(), "InvalidIdentityToken", "{name}");
        assert_eq!(error.message(), UNDECRYPTABLE, "{name}");
    }
}

#[tokio::test]
async fn a_provider_without_an_rsa_key_decrypts_nothing() {
    // No key at all, and an EC key only (RSA-OAEP is the only key transport).
    for keys in [&[][..], &["sp-key-ec.pem"][..]] {
        let service = world(Some(AssertionEncryptionModeType::Allowed), keys).await;
        let error = assume(&service, "gcm.xml").await.unwrap_err();
        assert_eq!(error.code(), "InvalidIdentityToken", "{keys:?}");
        assert_eq!(error.message(), UNDECRYPTABLE, "{keys:?}");
        // A plain assertion still passes: the provider allows both.
        assert!(assume(&service, "plain.xml").await.is_ok(), "{keys:?}");
    }
}

#[tokio::test]
async fn the_response_signature_and_the_wrapping_rules_come_before_decryption() {
    let service = world(Some(AssertionEncryptionModeType::Required), &["sp-key.pem"]).await;
    for name in [
        "hostile-response-signed-altered.xml",
        "hostile-plain-beside.xml",
    ] {
        let error = assume(&service, name).await.unwrap_err();
        assert_eq!(error.code(), "InvalidIdentityToken", "{name}");
        assert_eq!(error.message(), "Response signature invalid", "{name}");
    }
    // Decrypted and verified, the assertion's own rules still hold.
    let error = assume(&service, "expired.xml").await.unwrap_err();
    assert_eq!(error.code(), "ExpiredTokenException");
}

async fn sign_in(
    service: &Service,
    id: Option<&str>,
    name: &str,
) -> Result<SamlSignIn, ServiceError> {
    service
        .saml_sign_in(RequestInfo::default(), id, &encoded(name), None)
        .await
}

#[tokio::test]
async fn the_console_decrypts_at_the_providers_own_endpoint() {
    let service = world(Some(AssertionEncryptionModeType::Required), &["sp-key.pem"]).await;
    let signed_in = sign_in(&service, Some(UUID), "gcm.xml").await.unwrap();
    assert!(matches!(signed_in, SamlSignIn::SignedIn { .. }));
    // At /saml the provider comes from the Role attribute, which an encrypted assertion
    // hides: nothing to verify with. Another id names no provider.
    for id in [None, Some("a0000000-0000-4000-8000-00000000ffff")] {
        let error = sign_in(&service, id, "gcm.xml").await.unwrap_err();
        assert_eq!(error.code(), "AccessDenied", "{id:?}");
    }
    // A hostile response gets the one answer there too, and Required holds.
    let error = sign_in(&service, Some(UUID), "hostile-tampered-gcm.xml")
        .await
        .unwrap_err();
    assert_eq!(error.message(), UNDECRYPTABLE);
    let error = sign_in(&service, Some(UUID), "plain.xml")
        .await
        .unwrap_err();
    assert_eq!(error.code(), "InvalidIdentityToken");
}
