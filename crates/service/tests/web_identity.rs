//! AssumeRoleWithWebIdentity through `Service::sts_unsigned`, with an OIDC issuer in memory
//! (its discovery document and JWKS answered by a fake `HttpsGet`, an ES256 key made by
//! ring per test): a GitHub Actions-shaped token assumes a deploy role whose trust policy
//! pins `sub` to one repository and is refused for another; issuer URLs with a port give
//! `localhost:8443:` keys and ARN; a provider of another account, an unreachable issuer, an
//! expired token and a ProviderId get AWS's errors; the discovery document's issuer must be
//! the token's `iss` exactly; `aws:FederatedProvider` is in the trust decision and the
//! session's requests; Cognito identity pool roles must pin `aud` and `amr`; hostile headers,
//! claims and session inputs are refused.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use policy::PolicyKind;

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
const WEB_IDENTITY: &str = "sts:AssumeRoleWithWebIdentity";

/// Issuers in memory: every issuer URL answers discovery and the one JWKS.
#[derive(Debug)]
struct Issuers {
    jwks: String,
    down: AtomicBool,
    /// Whether discovery documents name their issuer with a trailing slash (as Auth0's do).
    slash: AtomicBool,
}

impl HttpsGet for Issuers {
    fn get<'a>(&'a self, url: &'a str) -> HttpsGetResult<'a> {
        Box::pin(async move {
            if self.down.load(Ordering::SeqCst) {
                return Err("connection refused".to_owned());
            }
            if let Some(issuer) = url.strip_suffix("/.well-known/openid-configuration") {
                let named = if self.slash.load(Ordering::SeqCst) {
                    format!("{issuer}/")
                } else {
                    issuer.to_owned()
                };
                return Ok(
                    json!({"issuer": named, "jwks_uri": format!("{issuer}/keys")})
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
            slash: AtomicBool::new(false),
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
        // Written to the store directly: the state catches up as a node's refresh would.
        self.service.refresh_caches().await.unwrap();
        format!("arn:aws:iam::{account}:oidc-provider/{resource}")
    }

    /// A role with `trust` and, as its inline policy, `policy`.
    async fn role_with_policy(&self, name: &str, trust: &Value, policy: &Value) {
        self.role(A, name, trust).await;
        let role = self.service.store().get_role(A, name).await.unwrap();
        let policy = ::policy::Policy::parse(&policy.to_string(), PolicyKind::Identity).unwrap();
        self.service
            .store()
            .put_inline_policy(&store::Principal::role(&role.role_id), "p", &policy)
            .await
            .unwrap();
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
        self.signed(&header.to_string(), &claims.to_string())
    }

    /// A token of the header and claims as written (JSON a `Value` could not hold, such as
    /// a member named twice), signed with the issuer's key.
    fn signed(&self, header: &str, claims: &str) -> String {
        let input = format!("{}.{}", b64(header.as_bytes()), b64(claims.as_bytes()));
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

/// A trust policy letting `provider` in for `actions` under `condition`.
fn trusting(provider: &str, actions: Value, condition: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider},
        "Action": actions, "Condition": condition,
    }]})
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

#[tokio::test]
async fn the_discovery_documents_issuer_must_be_the_tokens_iss() {
    let world = World::new().await;
    let provider = world.provider(A, LOCAL, &["my-app"]).await;
    let trust = trusting(&provider, json!(WEB_IDENTITY), json!({}));
    world.role(A, "app", &trust).await;
    let role = format!("arn:aws:iam::{A}:role/app");
    let token = |iss: &str| {
        world.token(&json!({"iss": iss, "aud": "my-app", "sub": "alice", "exp": START + 60}))
    };
    assert!(world.assume(&role, token(LOCAL), None).await.is_ok());
    // One IAM provider (reading 63), but not the issuer the discovery document names.
    for iss in [
        "https://localhost:8443/",
        "https://localhost:8443//",
        "https://LOCALHOST:8443",
    ] {
        let refused = world.assume(&role, token(iss), None).await.unwrap_err();
        assert_eq!(refused.code(), "InvalidIdentityToken", "{iss}");
        assert_eq!(
            refused.message(),
            format!(
                "The token's issuer {iss} is not the issuer named by its OpenID Connect discovery document"
            )
        );
    }

    // An issuer that names itself with a trailing slash (Auth0's do), on a fresh server so
    // that its discovery document is fetched again: then only that spelling is its `iss`.
    let world = World::new().await;
    world.issuers.slash.store(true, Ordering::SeqCst);
    world.provider(A, LOCAL, &["my-app"]).await;
    world.role(A, "app", &trust).await;
    let token = |iss: &str| {
        world.token(&json!({"iss": iss, "aud": "my-app", "sub": "alice", "exp": START + 60}))
    };
    assert!(
        world
            .assume(&role, token("https://localhost:8443/"), None)
            .await
            .is_ok()
    );
    let refused = world.assume(&role, token(LOCAL), None).await.unwrap_err();
    assert_eq!(refused.code(), "InvalidIdentityToken");
}

#[tokio::test]
async fn aws_federated_provider_is_in_the_trust_decision_and_the_sessions_requests() {
    let world = World::new().await;
    let provider = world.provider(A, LOCAL, &["my-app"]).await;
    let trust = |condition: Value| trusting(&provider, json!(WEB_IDENTITY), condition);
    // The provider ARN, as AWS documents the value for IAM OIDC providers; no
    // aws:TokenIssueTime (the request carries no temporary credentials).
    let list_users = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
        "Condition": {"StringEquals": {"aws:FederatedProvider": provider}},
    }]});
    world
        .role_with_policy(
            "pinned",
            &trust(json!({
                "StringEquals": {"aws:FederatedProvider": provider},
                "Null": {"aws:TokenIssueTime": "true"},
            })),
            &list_users,
        )
        .await;
    world
        .role(
            A,
            "google-only",
            &trust(json!({"StringEquals": {"aws:FederatedProvider": "accounts.google.com"}})),
        )
        .await;
    let token =
        world.token(&json!({"iss": LOCAL, "aud": "my-app", "sub": "alice", "exp": START + 60}));
    let refused = world
        .assume(
            &format!("arn:aws:iam::{A}:role/google-only"),
            token.clone(),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "AccessDenied");

    let answer = world
        .assume(&format!("arn:aws:iam::{A}:role/pinned"), token, None)
        .await
        .unwrap();
    let credentials = answer.credentials.unwrap();
    let session = world
        .service
        .open_session(&credentials.access_key_id, &credentials.session_token)
        .unwrap();
    let caller = world
        .service
        .session_caller(session, RequestInfo::default())
        .await
        .unwrap();
    let listed = world
        .service
        .iam(
            &caller,
            wire::iam::Request::ListUsers(wire::iam::ListUsersRequest {
                path_prefix: None,
                marker: None,
                max_items: None,
            }),
        )
        .await;
    assert!(listed.is_ok(), "{listed:?}");
}

#[tokio::test]
async fn cognito_identity_pool_roles_must_pin_the_pool_and_the_kind_of_identity() {
    const POOL: &str = "us-east-1:0a1b2c3d-0000-4000-8000-00000000beef";
    let world = World::new().await;
    let statement = |condition: Value| {
        json!({
            "Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": "sts:AssumeRoleWithWebIdentity", "Condition": condition,
        })
    };
    let aud = json!({"cognito-identity.amazonaws.com:aud": POOL});
    let amr = json!({"cognito-identity.amazonaws.com:amr": "authenticated"});
    let pinned = statement(json!({"StringEquals": aud, "ForAnyValue:StringLike": amr}));
    let roles = [
        ("pinned", json!([pinned]), true),
        (
            "aud-only",
            json!([statement(json!({"StringEquals": aud}))]),
            false,
        ),
        (
            "amr-only",
            json!([statement(json!({"ForAnyValue:StringLike": amr}))]),
            false,
        ),
        ("open", json!([statement(json!({}))]), false),
        (
            "if-exists",
            json!([statement(json!({
                "StringEqualsIfExists": aud, "ForAnyValue:StringLike": amr,
            }))]),
            false,
        ),
        (
            "pinned-and-open",
            json!([pinned, statement(json!({}))]),
            false,
        ),
    ];
    for (name, statements, _) in &roles {
        world
            .role(
                A,
                name,
                &json!({"Version": "2012-10-17", "Statement": statements}),
            )
            .await;
    }
    let token = world.token(&json!({
        "iss": "https://cognito-identity.amazonaws.com", "aud": POOL,
        "sub": "us-east-1:5f6e7d8c-0000-4000-8000-000000000001",
        "amr": ["authenticated", "cognito-idp.us-east-1.amazonaws.com/us-east-1_pool"],
        "iat": START - 5, "exp": START + 900,
    }));
    for (name, _, allowed) in &roles {
        let answer = world
            .assume(
                &format!("arn:aws:iam::{A}:role/{name}"),
                token.clone(),
                None,
            )
            .await;
        match answer {
            Ok(answer) => {
                assert!(allowed, "{name} trusts every identity pool yet was assumed");
                assert_eq!(
                    answer.provider.as_deref(),
                    Some("cognito-identity.amazonaws.com")
                );
                assert_eq!(answer.audience.as_deref(), Some(POOL));
            }
            Err(refused) => {
                assert!(!allowed, "{name}: {refused:?}");
                assert_eq!(
                    (refused.code(), refused.message().as_str()),
                    (
                        "AccessDenied",
                        "Not authorized to perform sts:AssumeRoleWithWebIdentity"
                    ),
                    "{name}"
                );
            }
        }
    }

    // The rule is Cognito's: a role trusting Google with no condition is still assumed.
    let google_trust = trusting("accounts.google.com", json!(WEB_IDENTITY), json!({}));
    world.role(A, "google", &google_trust).await;
    let google = world.token(&json!({
        "iss": "accounts.google.com", "aud": "123.apps.googleusercontent.com",
        "sub": "1234567890", "exp": START + 60,
    }));
    let answer = world
        .assume(&format!("arn:aws:iam::{A}:role/google"), google, None)
        .await
        .unwrap();
    assert_eq!(answer.provider.as_deref(), Some("accounts.google.com"));
}

#[tokio::test]
async fn hostile_headers_claims_and_session_inputs_are_invalid_identity_tokens() {
    let world = World::new().await;
    let provider = world.provider(A, LOCAL, &["my-app"]).await;
    let actions = json!([WEB_IDENTITY, "sts:TagSession", "sts:SetSourceIdentity"]);
    world
        .role(A, "app", &trusting(&provider, actions, json!({})))
        .await;
    let role = format!("arn:aws:iam::{A}:role/app");
    let claims = |extra: Value| {
        let mut claims = json!({"iss": LOCAL, "aud": "my-app", "sub": "alice", "exp": START + 60});
        for (key, value) in extra.as_object().unwrap() {
            claims[key] = value.clone();
        }
        claims.to_string()
    };
    let header = |extra: Value| {
        let mut header = json!({"alg": "ES256", "kid": "k1"});
        for (key, value) in extra.as_object().unwrap() {
            header[key] = value.clone();
        }
        header.to_string()
    };
    let tags = |principal_tags: Value| json!({"https://aws.amazon.com/tags": {"principal_tags": principal_tags}});
    let good_header = header(json!({}));
    assert!(
        world
            .assume(&role, world.signed(&good_header, &claims(json!({}))), None)
            .await
            .is_ok()
    );
    let cases = [
        (
            "sub twice",
            good_header.clone(),
            r#"{"iss":"https://localhost:8443","aud":"my-app","sub":"alice","sub":"admin","exp":1700000060}"#.to_owned(),
        ),
        (
            "alg twice",
            r#"{"alg":"ES256","kid":"k1","alg":"none"}"#.to_owned(),
            claims(json!({})),
        ),
        ("a logout token", header(json!({"typ": "logout+jwt"})), claims(json!({"events": {}}))),
        ("a nested token", header(json!({"cty": "JWT"})), claims(json!({}))),
        ("an encrypted token's header", header(json!({"enc": "A256GCM"})), claims(json!({}))),
        ("aud as an object", good_header.clone(), claims(json!({"aud": {"my-app": true}}))),
        ("aud as a number", good_header.clone(), claims(json!({"aud": 7}))),
        ("exp as a string", good_header.clone(), claims(json!({"exp": "1700000060"}))),
        ("exp out of range", good_header.clone(), claims(json!({"exp": 1e300}))),
        ("a tag under aws:", good_header.clone(), claims(tags(json!({"AWS:team": ["ci"]})))),
        (
            "tags differing only in case",
            good_header.clone(),
            claims(tags(json!({"team": ["a"], "Team": ["b"]}))),
        ),
        ("a tag key with a newline", good_header.clone(), claims(tags(json!({"te\nam": ["a"]})))),
        (
            "a tag value too long",
            good_header.clone(),
            claims(tags(json!({"team": ["x".repeat(257)]}))),
        ),
        (
            "a source identity with a space",
            good_header.clone(),
            claims(json!({"https://aws.amazon.com/source_identity": "octo cat"})),
        ),
        (
            "a source identity of one character",
            good_header.clone(),
            claims(json!({"https://aws.amazon.com/source_identity": "o"})),
        ),
    ];
    for (case, header, claims) in cases {
        let refused = world
            .assume(&role, world.signed(&header, &claims), None)
            .await
            .unwrap_err();
        assert_eq!(refused.code(), "InvalidIdentityToken", "{case}");
    }
    // The shapes AWS takes pass: letters of any script, spaces and the tag punctuation.
    let fine = claims(json!({
        "https://aws.amazon.com/tags": {"principal_tags": {"Équipe 1": ["plate-forme/été:=+@"]}},
        "https://aws.amazon.com/source_identity": "octo.cat@example",
    }));
    let answer = world
        .assume(&role, world.signed(&good_header, &fine), None)
        .await
        .unwrap();
    assert_eq!(answer.source_identity.as_deref(), Some("octo.cat@example"));
}
