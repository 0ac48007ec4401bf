//! Set-up shared by the service's SAML tests: a service at a fixed time with one account,
//! a SAML provider written to the store under a known unique id, and a role whose trust
//! policy the test gives. (Other test files keep their own set-ups for now.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]
#![allow(
    dead_code,
    reason = "each test binary uses a different subset of the helpers"
)]

use service::{
    Caller, Clock, Identity, MasterKey, NewAccount, RequestInfo, Sealer, Service, ServiceError,
};
use store::{NewSamlProvider, SamlProviderRecord, Store};
use wire::sts::{AssumeRoleWithSAMLRequest, AssumeRoleWithSAMLResponse, Request, Response};

pub const ACCOUNT: &str = "123456789012";
/// The role and provider the SAML corpora name.
pub const ROLE: &str = "arn:aws:iam::123456789012:role/ReadOnly";
pub const PROVIDER: &str = "arn:aws:iam::123456789012:saml-provider/TestIdp";
/// One minute after the SAML corpora's issue instant (2030-01-01T00:01:00Z).
pub const CORPUS_NOW: i64 = 1_893_456_060;

/// A file of the SAML corpora (tests/data/saml/`name`).
pub fn corpus(name: &str) -> String {
    let path = format!("{}/tests/data/saml/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A corpus file as a request's base64 `SAMLAssertion`.
pub fn encoded(name: &str) -> String {
    data_encoding::BASE64.encode(corpus(name).as_bytes())
}

/// The trust policy of role ReadOnly: provider TestIdp may assume it and tag the session,
/// under `condition` (a JSON object).
pub fn trust_of_provider(condition: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{{"Federated":"{PROVIDER}"}},"Action":["sts:AssumeRoleWithSAML","sts:TagSession"],"Condition":{condition}}}}}"#
    )
}

/// The account's root user, as the IAM calls of a set-up are made.
pub fn root() -> Caller {
    Caller {
        account_id: ACCOUNT.to_owned(),
        identity: Identity::Root,
        access_key_id: "AKIAROOT".to_owned(),
        request: RequestInfo::default(),
        session: None,
    }
}

/// A service over an in-memory store at `now`, with account [`ACCOUNT`].
pub async fn service_at(now: i64) -> (Service, Store) {
    let store = Store::open("sqlite::memory:").await.unwrap();
    let service = Service::new(
        store.clone(),
        Sealer::new(&MasterKey::generate().unwrap()),
        Clock::fixed(now),
    );
    service
        .create_account(NewAccount {
            account_id: Some(ACCOUNT.to_owned()),
            email: "a@example.com".to_owned(),
            ..NewAccount::default()
        })
        .await
        .unwrap();
    (service, store)
}

/// SAML provider `name` of [`ACCOUNT`] with unique id `uuid`, written to the store directly
/// (so the id is known), no private keys and no encryption mode; the service's state then
/// catches up, as a node's refresh would.
pub async fn saml_provider(
    service: &Service,
    name: &str,
    uuid: &str,
    metadata: String,
    created_at: i64,
    valid_until: i64,
) {
    service
        .store()
        .create_saml_provider(&NewSamlProvider {
            provider: SamlProviderRecord {
                account_id: ACCOUNT.to_owned(),
                name: name.to_owned(),
                saml_provider_uuid: uuid.to_owned(),
                metadata_document: metadata,
                created_at,
                valid_until,
                assertion_encryption_mode: None,
                private_keys: Vec::new(),
            },
            tags: Vec::new(),
        })
        .await
        .unwrap();
    service.refresh_caches().await.unwrap();
}

/// Role `name` with the trust policy `trust`, created by the root user.
pub async fn role(service: &Service, name: &str, trust: String) {
    service
        .iam(
            &root(),
            wire::iam::Request::CreateRole(wire::iam::CreateRoleRequest {
                path: None,
                role_name: name.to_owned(),
                assume_role_policy_document: trust,
                description: None,
                max_session_duration: None,
                permissions_boundary: None,
                tags: None,
            }),
        )
        .await
        .unwrap();
}

/// AssumeRoleWithSAML, unsigned as the SDKs send it, with no policy or duration.
pub async fn assume_with_saml(
    service: &Service,
    role: &str,
    provider: &str,
    assertion: String,
) -> Result<AssumeRoleWithSAMLResponse, ServiceError> {
    let request = Request::AssumeRoleWithSAML(AssumeRoleWithSAMLRequest {
        role_arn: role.to_owned(),
        principal_arn: provider.to_owned(),
        saml_assertion: assertion,
        policy_arns: None,
        policy: None,
        duration_seconds: None,
        minimum_session_token_size: None,
    });
    match service.sts_unsigned(RequestInfo::default(), request).await {
        Ok(Response::AssumeRoleWithSAML(answer)) => Ok(answer),
        Ok(other) => panic!("{other:?}"),
        Err(error) => Err(error),
    }
}
