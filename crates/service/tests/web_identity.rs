//! AssumeRoleWithWebIdentity through `Service::sts_unsigned`, with an OIDC issuer in memory
//! (its discovery document and JWKS answered by a fake `HttpsGet`, an ES256 key made by
//! ring per test): a GitHub Actions-shaped token assumes a deploy role whose trust policy
//! pins `sub` to one repository and is refused for another; issuer URLs with a port give
//! `localhost:8443:` keys and ARN; a provider of another account, an unreachable issuer, an
//! expired token and a ProviderId get AWS's errors.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use data_encoding::BASE64URL_NOPAD;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Value, json};
use service::{
    Clock, HttpsGet, HttpsGetResult, MasterKey, NewAccount, RequestInfo, Sealer, Service,
    ServiceError,
};
use store::{NewOidcProvider, NewRole, OidcProviderRecord};
use wire::sts::{
    AssumeRoleWithWebIdentityRequest, AssumeRoleWithWebIdentityResponse, Request, Response,
};

const A: &str = "111111111111";
const B: &str = "222222222222";
const START: i64 = 1_700_000_000;
const GITHUB: &str = "https://token.actions.githubusercontent.com";
const LOCAL: &str = "https://localhost:8443";

/// Issuers in memory: every issuer URL answers discovery and the one JWKS.
#[derive(Debug)]
struct Issuers {
    jwks: String,
    down: AtomicBool,
}

impl HttpsGet for Issuers {
    fn get<'a>(&'a self, url: &'a str) -> HttpsGetResult<'a> {
        Box::pin(async move {
            if self.down.load(Ordering::SeqCst) {
                return Err("connection refused".to_owned());
            }
            if let Some(issuer) = url.strip_suffix("/.well-known/openid-configuration") {
                return Ok(
                    json!({"issuer": issuer, "jwks_uri": format!("{issuer}/keys")})
                        .to_string()
                        .into_bytes(),
                );
            }
            if url.ends_with("/keys") {
                return Ok(self.jwks.clone().into_bytes());
            }
            Err("404".to_owned())
        })
    }
}

struct World {
    service: Service,
    clock: Clock,
    key: EcdsaKeyPair,
    issuers: Arc<Issuers>,
}

fn b64(bytes: &[u8]) -> String {
    BASE64URL_NOPAD.encode(bytes)
}

impl World {
    async fn new() -> World {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let point = key.public_key().as_ref();
        let jwks = json!({"keys": [{"kty": "EC", "crv": "P-256", "kid": "k1", "alg": "ES256",
            "x": b64(&point[1..33]), "y": b64(&point[33..65])}]});
        let issuers = Arc::new(Issuers {
            jwks: jwks.to_string(),
            down: AtomicBool::new(false),
        });
        let clock = Clock::fixed(START);
        let store = store::Store::open("sqlite::memory:").await.unwrap();
        let service = Service::new(
            store,
            Sealer::new(&MasterKey::generate().unwrap()),
            clock.clone(),
        )
        .with_https_client(issuers.clone());
        for (id, email) in [(A, "a@example.com"), (B, "b@example.com")] {
            service
                .create_account(NewAccount {
                    account_id: Some(id.to_owned()),
                    email: email.to_owned(),
                    ..NewAccount::default()
                })
                .await
                .unwrap();
        }
        World {
            service,
            clock,
            key,
            issuers,
        }
    }

    async fn provider(&self, account: &str, url: &str, client_ids: &[&str]) -> String {
        let resource = url.strip_prefix("https://").unwrap().to_owned();
        self.service
            .store()
            .create_oidc_provider(&NewOidcProvider {
                provider: OidcProviderRecord {
                    account_id: account.to_owned(),
                    resource: resource.clone(),
                    url: url.to_owned(),
                    client_ids: client_ids.iter().map(|c| (*c).to_owned()).collect(),
                    thumbprints: Vec::new(),
                    created_at: START,
                },
                tags: Vec::new(),
            })
            .await
            .unwrap();
        format!("arn:aws:iam::{account}:oidc-provider/{resource}")
    }

    async fn role(&self, account: &str, name: &str, trust: &Value) {
        self.service
            .store()
            .create_role(&NewRole {
                account_id: account.to_owned(),
                role_id: service::new_unique_id(service::IdKind::Role).unwrap(),
                name: name.to_owned(),
                path: "/".to_owned(),
                trust_policy: ::policy::Policy::parse(
                    &trust.to_string(),
                    ::policy::PolicyKind::Trust,
                )
                .unwrap(),
                trust_principals: Vec::new(),
                description: None,
                max_session_duration: 3600,
                permissions_boundary_arn: None,
                created_at: START,
                tags: Vec::new(),
            })
            .await
            .unwrap();
        // Written to the store directly, as another node would: catch up as its refresh would.
        self.service.refresh_caches().await.unwrap();
    }

    /// A GitHub Actions provider in `provider_account`, a deploy role of account A trusting
    /// it for `octo-org/app`, and a token of that repository: (role ARN, token).
    async fn github_deploy(&self, provider_account: &str) -> (String, String) {
        let provider = self
            .provider(provider_account, GITHUB, &["sts.amazonaws.com"])
            .await;
        let prefix = "token.actions.githubusercontent.com";
        self.role(
            A,
            "deploy",
            &deploy_trust(&provider, prefix, "octo-org/app"),
        )
        .await;
        let token = self.token(&github_claims("repo:octo-org/app:ref:refs/heads/main"));
        (format!("arn:aws:iam::{A}:role/deploy"), token)
    }

    fn token(&self, claims: &Value) -> String {
        let header = json!({"alg": "ES256", "kid": "k1", "typ": "JWT"});
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let signature = self
            .key
            .sign(&SystemRandom::new(), input.as_bytes())
            .unwrap();
        format!("{input}.{}", b64(signature.as_ref()))
    }

    async fn assume(
        &self,
        role: &str,
        token: String,
        provider_id: Option<&str>,
    ) -> Result<AssumeRoleWithWebIdentityResponse, ServiceError> {
        let request = Request::AssumeRoleWithWebIdentity(AssumeRoleWithWebIdentityRequest {
            role_arn: role.to_owned(),
            role_session_name: "run-1".to_owned(),
            web_identity_token: token,
            provider_id: provider_id.map(str::to_owned),
            policy_arns: None,
            policy: None,
            duration_seconds: None,
            minimum_session_token_size: None,
        });
        match self
            .service
            .sts_unsigned(RequestInfo::default(), request)
            .await?
        {
            Response::AssumeRoleWithWebIdentity(answer) => Ok(answer),
            other => panic!("unexpected answer {other:?}"),
        }
    }
}

fn github_claims(sub: &str) -> Value {
    json!({
        "iss": GITHUB, "aud": "sts.amazonaws.com", "sub": sub,
        "repository": "octo-org/app", "iat": START - 5, "nbf": START - 5, "exp": START + 300,
    })
}

fn deploy_trust(provider: &str, prefix: &str, repo: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {format!("{prefix}:aud"): "sts.amazonaws.com"},
            "StringLike": {format!("{prefix}:sub"): format!("repo:{repo}:*")},
        },
    }]})
}

#[tokio::test]
async fn a_ci_token_assumes_the_role_of_its_repository_only() {
    let world = World::new().await;
    let provider = world.provider(A, GITHUB, &["sts.amazonaws.com"]).await;
    let prefix = "token.actions.githubusercontent.com";
    world
        .role(
            A,
            "deploy",
            &deploy_trust(&provider, prefix, "octo-org/app"),
        )
        .await;
    let role = format!("arn:aws:iam::{A}:role/deploy");

    let token = world.token(&github_claims("repo:octo-org/app:ref:refs/heads/main"));
    let answer = world.assume(&role, token, None).await.unwrap();
    assert_eq!(
        answer.subject_from_web_identity_token.as_deref(),
        Some("repo:octo-org/app:ref:refs/heads/main")
    );
    assert_eq!(answer.provider.as_deref(), Some(provider.as_str()));
    assert_eq!(answer.audience.as_deref(), Some("sts.amazonaws.com"));
    assert_eq!(
        answer.assumed_role_user.unwrap().arn,
        format!("arn:aws:sts::{A}:assumed-role/deploy/run-1")
    );
    assert!(answer.credentials.is_some());

    let other = world.token(&github_claims("repo:octo-org/other:ref:refs/heads/main"));
    let refused = world.assume(&role, other, None).await.unwrap_err();
    assert_eq!(refused.code(), "AccessDenied");
    assert_eq!(
        refused.message(),
        "Not authorized to perform sts:AssumeRoleWithWebIdentity"
    );
}

#[tokio::test]
async fn an_issuer_with_a_port_keeps_it_in_the_arn_and_the_keys() {
    let world = World::new().await;
    let provider = world.provider(A, LOCAL, &["my-app"]).await;
    assert_eq!(
        provider,
        format!("arn:aws:iam::{A}:oidc-provider/localhost:8443")
    );
    let trust = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"localhost:8443:aud": "my-app", "localhost:8443:sub": "alice"}},
    }]});
    world.role(A, "app", &trust).await;
    let role = format!("arn:aws:iam::{A}:role/app");
    let claims = |sub: &str| json!({"iss": LOCAL, "aud": "my-app", "sub": sub, "exp": START + 60});
    let answer = world
        .assume(&role, world.token(&claims("alice")), None)
        .await
        .unwrap();
    assert_eq!(answer.provider.as_deref(), Some(provider.as_str()));
    let refused = world
        .assume(&role, world.token(&claims("bob")), None)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "AccessDenied");
}

#[tokio::test]
async fn the_provider_must_be_the_role_accounts_and_the_issuer_reachable() {
    let world = World::new().await;
    let (role, token) = world.github_deploy(B).await;
    let refused = world.assume(&role, token.clone(), None).await.unwrap_err();
    assert_eq!(refused.code(), "InvalidIdentityToken");
    assert_eq!(
        refused.message(),
        format!("No OpenIDConnect provider found in your account for {GITHUB}")
    );

    world.provider(A, GITHUB, &["sts.amazonaws.com"]).await;
    world.issuers.down.store(true, Ordering::SeqCst);
    let refused = world.assume(&role, token.clone(), None).await.unwrap_err();
    assert_eq!(refused.code(), "IDPCommunicationError");
    world.issuers.down.store(false, Ordering::SeqCst);
    // The account-A provider's ARN is not the one the trust policy names (account B's).
    let refused = world.assume(&role, token, None).await.unwrap_err();
    assert_eq!(refused.code(), "AccessDenied");
}

#[tokio::test]
async fn expired_tokens_wrong_audiences_and_provider_ids_are_refused() {
    let world = World::new().await;
    let (role, token) = world.github_deploy(A).await;
    assert!(world.assume(&role, token.clone(), None).await.is_ok());

    let refused = world
        .assume(&role, token.clone(), Some("graph.facebook.com"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "InvalidIdentityToken");

    let mut wrong = github_claims("repo:octo-org/app:ref:refs/heads/main");
    wrong["aud"] = json!("https://github.com/octo-org");
    let refused = world
        .assume(&role, world.token(&wrong), None)
        .await
        .unwrap_err();
    assert_eq!(
        (refused.code(), refused.message().as_str()),
        ("InvalidIdentityToken", "Incorrect token audience")
    );

    world.clock.set(START + 300);
    let refused = world.assume(&role, token, None).await.unwrap_err();
    assert_eq!(refused.code(), "ExpiredTokenException");
}

#[tokio::test]
async fn session_tags_from_the_token_need_tag_session_in_the_trust_policy() {
    let world = World::new().await;
    let provider = world.provider(A, LOCAL, &["my-app"]).await;
    let trust = |actions: Value| {
        json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": provider}, "Action": actions,
        }]})
    };
    world
        .role(A, "plain", &trust(json!("sts:AssumeRoleWithWebIdentity")))
        .await;
    world
        .role(
            A,
            "tagged",
            &trust(json!(["sts:AssumeRoleWithWebIdentity", "sts:TagSession"])),
        )
        .await;
    let token = world.token(&json!({
        "iss": LOCAL, "aud": "my-app", "sub": "alice", "exp": START + 60,
        "https://aws.amazon.com/tags": {"principal_tags": {"team": ["ci"]}},
    }));
    let refused = world
        .assume(&format!("arn:aws:iam::{A}:role/plain"), token.clone(), None)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "AccessDenied");
    assert!(
        world
            .assume(&format!("arn:aws:iam::{A}:role/tagged"), token, None)
            .await
            .is_ok()
    );
}
