//! Outbound web identity federation through `Service::iam` and `Service::sts`: enabling and
//! disabling, AWS's errors, the JWT's signature (checked against the published JWKS) and
//! claims, and authorization with the documented condition keys.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

use data_encoding::BASE64URL_NOPAD;
use ring::signature::{ECDSA_P384_SHA384_FIXED, UnparsedPublicKey};
use serde_json::Value;
use service::{
    Caller, Clock, DEFAULT_PUBLIC_URL, Identity, MasterKey, NewAccount, RequestInfo, Sealer,
    Service, ServiceError,
};
use wire::iam::Request as IamRequest;
use wire::sts::{GetWebIdentityTokenRequest, Request as StsRequest, Response as StsResponse, Tag};

const A: &str = "111111111111";
const NOW: i64 = 1_700_000_000;

fn root() -> Caller {
    Caller {
        account_id: A.to_owned(),
        identity: Identity::Root,
        access_key_id: "AKIAROOT".to_owned(),
        request: RequestInfo::default(),
        session: None,
    }
}

async fn service_at(public_url: Option<&str>) -> Service {
    let store = store::Store::open("sqlite::memory:").await.unwrap();
    let mut service = Service::new(
        store,
        Sealer::new(&MasterKey::generate().unwrap()),
        Clock::fixed(NOW),
    );
    if let Some(url) = public_url {
        service = service.with_public_url(url);
    }
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

/// A user of account A with `policy` inline.
async fn user(service: &Service, name: &str, policy: &str) -> Caller {
    let admin = root();
    service
        .iam(
            &admin,
            IamRequest::CreateUser(wire::iam::CreateUserRequest {
                path: None,
                user_name: name.to_owned(),
                permissions_boundary: None,
                tags: None,
            }),
        )
        .await
        .unwrap();
    service
        .iam(
            &admin,
            IamRequest::PutUserPolicy(wire::iam::PutUserPolicyRequest {
                user_name: name.to_owned(),
                policy_name: "p".to_owned(),
                policy_document: policy.to_owned(),
            }),
        )
        .await
        .unwrap();
    Caller {
        account_id: A.to_owned(),
        identity: Identity::User(service.store().get_user(A, name).await.unwrap()),
        access_key_id: "AKIAUSER".to_owned(),
        request: RequestInfo::default(),
        session: None,
    }
}

async fn enable(service: &Service) -> Result<String, ServiceError> {
    match service
        .iam(&root(), IamRequest::EnableOutboundWebIdentityFederation)
        .await?
    {
        wire::iam::Response::EnableOutboundWebIdentityFederation(r) => {
            Ok(r.issuer_identifier.unwrap())
        }
        _ => panic!("not an Enable response"),
    }
}

async fn info(service: &Service) -> Result<(String, bool), ServiceError> {
    match service
        .iam(&root(), IamRequest::GetOutboundWebIdentityFederationInfo)
        .await?
    {
        wire::iam::Response::GetOutboundWebIdentityFederationInfo(r) => {
            Ok((r.issuer_identifier.unwrap(), r.jwt_vending_enabled.unwrap()))
        }
        _ => panic!("not an Info response"),
    }
}

fn token_request(audience: &[&str], algorithm: &str) -> GetWebIdentityTokenRequest {
    GetWebIdentityTokenRequest {
        audience: audience.iter().map(|a| (*a).to_owned()).collect(),
        duration_seconds: None,
        signing_algorithm: algorithm.to_owned(),
        tags: None,
    }
}

async fn token(
    service: &Service,
    caller: &Caller,
    request: GetWebIdentityTokenRequest,
) -> Result<(String, i64), ServiceError> {
    match service
        .sts(caller, StsRequest::GetWebIdentityToken(request))
        .await?
    {
        StsResponse::GetWebIdentityToken(r) => Ok((
            r.web_identity_token.unwrap(),
            r.expiration.unwrap().unix_seconds(),
        )),
        _ => panic!("not a GetWebIdentityToken response"),
    }
}

fn decode_part(part: &str) -> Value {
    serde_json::from_slice(&BASE64URL_NOPAD.decode(part.as_bytes()).unwrap()).unwrap()
}

/// Verifies the JWS against the issuer's published keys and returns (header, claims).
async fn verified(service: &Service, issuer: &str, jwt: &str) -> (Value, Value) {
    let issuer_id = issuer.rsplit('/').next().unwrap();
    let jwks: Value =
        serde_json::from_str(&service.jwks(issuer_id).await.unwrap().unwrap()).unwrap();
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header = decode_part(parts[0]);
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("the kid is published");
    assert_eq!(key["kty"], "EC");
    assert_eq!(key["crv"], "P-384");
    let mut point = vec![4u8];
    for coordinate in ["x", "y"] {
        point.extend(
            BASE64URL_NOPAD
                .decode(key[coordinate].as_str().unwrap().as_bytes())
                .unwrap(),
        );
    }
    let signature = BASE64URL_NOPAD.decode(parts[2].as_bytes()).unwrap();
    UnparsedPublicKey::new(&ECDSA_P384_SHA384_FIXED, &point)
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
        .expect("the signature verifies with the published key");
    (header, decode_part(parts[1]))
}

const ALLOW_TOKEN: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:GetWebIdentityToken","Resource":"*"}}"#;

#[tokio::test]
async fn enable_disable_and_info_answer_as_aws() {
    let service = service_at(None).await;
    assert_eq!(info(&service).await.unwrap_err().code(), "FeatureDisabled");
    let disable = service
        .iam(&root(), IamRequest::DisableOutboundWebIdentityFederation)
        .await;
    assert_eq!(disable.unwrap_err().code(), "FeatureDisabled");

    let issuer = enable(&service).await.unwrap();
    let prefix = format!("{DEFAULT_PUBLIC_URL}/oidc/");
    assert!(issuer.starts_with(&prefix), "{issuer}");
    assert_eq!(issuer.len(), prefix.len() + 32);
    assert_eq!(enable(&service).await.unwrap_err().code(), "FeatureEnabled");
    assert_eq!(info(&service).await.unwrap(), (issuer.clone(), true));

    service
        .iam(&root(), IamRequest::DisableOutboundWebIdentityFederation)
        .await
        .unwrap();
    assert_eq!(info(&service).await.unwrap(), (issuer.clone(), false));
    // Enabling again brings the same issuer back (its keys too).
    assert_eq!(enable(&service).await.unwrap(), issuer);
}

#[tokio::test]
async fn the_token_is_signed_with_the_published_key_and_says_who_asked() {
    let service = service_at(Some("https://castellan.example:8443/")).await;
    let issuer = enable(&service).await.unwrap();
    assert!(issuer.starts_with("https://castellan.example:8443/oidc/"));
    let alice = user(&service, "alice", ALLOW_TOKEN).await;
    let mut request = token_request(&["https://api.example.com"], "ES384");
    request.tags = Some(vec![Tag {
        key: "job".to_owned(),
        value: "42".to_owned(),
    }]);
    // Tags need sts:TagGetWebIdentityToken as well.
    let denied = token(&service, &alice, request.clone()).await.unwrap_err();
    assert!(denied.is_access_denied(), "{denied:?}");
    let tagger = user(
        &service,
        "tagger",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["sts:GetWebIdentityToken","sts:TagGetWebIdentityToken"],"Resource":"*"}}"#,
    )
    .await;
    service
        .iam(
            &root(),
            IamRequest::TagUser(wire::iam::TagUserRequest {
                user_name: "tagger".to_owned(),
                tags: vec![wire::iam::Tag {
                    key: "team".to_owned(),
                    value: "data".to_owned(),
                }],
            }),
        )
        .await
        .unwrap();
    let (jwt, expires) = token(&service, &tagger, request).await.unwrap();
    let (header, claims) = verified(&service, &issuer, &jwt).await;
    assert_eq!(header["alg"], "ES384");
    assert_eq!(claims["iss"], issuer.as_str());
    assert_eq!(claims["aud"], "https://api.example.com");
    assert_eq!(claims["sub"], format!("arn:aws:iam::{A}:user/tagger"));
    assert_eq!(claims["iat"], NOW);
    assert_eq!(claims["exp"], NOW + 300);
    assert_eq!(expires, NOW + 300);
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
    let aws = &claims["https://sts.amazonaws.com/"];
    assert_eq!(aws["aws_account"], A);
    assert_eq!(aws["principal_id"], format!("arn:aws:iam::{A}:user/tagger"));
    assert_eq!(aws["request_tags"]["job"], "42");
    assert_eq!(aws["principal_tags"], serde_json::json!({"team": "data"}));

    // Several audiences are an array; the duration is the request's.
    let mut request = token_request(&["a", "b"], "ES384");
    request.duration_seconds = Some(3600);
    let (jwt, _) = token(&service, &alice, request).await.unwrap();
    let (_, claims) = verified(&service, &issuer, &jwt).await;
    assert_eq!(claims["aud"], serde_json::json!(["a", "b"]));
    assert_eq!(claims["exp"], NOW + 3600);

    // The discovery document names the issuer and its JWKS.
    let issuer_id = issuer.rsplit('/').next().unwrap();
    let discovery: Value = serde_json::from_str(
        &service
            .openid_configuration(issuer_id)
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(discovery["issuer"], issuer.as_str());
    assert_eq!(
        discovery["jwks_uri"],
        format!("{issuer}/.well-known/jwks.json")
    );
    assert_eq!(service.openid_configuration("nope").await.unwrap(), None);
    assert_eq!(service.jwks("nope").await.unwrap(), None);
}

async fn assert_refused_as_disabled(service: &Service, caller: &Caller) {
    let error = token(service, caller, token_request(&["x"], "ES384"))
        .await
        .unwrap_err();
    assert_eq!(
        error.code(),
        "OutboundWebIdentityFederationDisabledException"
    );
}

#[tokio::test]
async fn refusals_carry_aws_errors() {
    let service = service_at(None).await;
    let alice = user(&service, "alice", ALLOW_TOKEN).await;
    assert_refused_as_disabled(&service, &alice).await;
    enable(&service).await.unwrap();
    let unknown = token(&service, &alice, token_request(&["x"], "HS256"))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), "ValidationError");
    // RS256 is AWS's, but this server cannot make RSA keys (reading 38).
    let rsa = token(&service, &alice, token_request(&["x"], "RS256"))
        .await
        .unwrap_err();
    assert_eq!(rsa.code(), "ValidationError");
    assert!(rsa.message().contains("ES384"), "{}", rsa.message());

    // Disabled again: refused again, yet the keys stay published for tokens issued.
    let issuer = info(&service).await.unwrap().0;
    let (jwt, _) = token(&service, &alice, token_request(&["x"], "ES384"))
        .await
        .unwrap();
    service
        .iam(&root(), IamRequest::DisableOutboundWebIdentityFederation)
        .await
        .unwrap();
    assert_refused_as_disabled(&service, &alice).await;
    verified(&service, &issuer, &jwt).await;
}

#[tokio::test]
async fn condition_keys_decide() {
    let service = service_at(None).await;
    enable(&service).await.unwrap();
    let limited = user(
        &service,
        "limited",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:GetWebIdentityToken","Resource":"*","Condition":{"ForAllValues:StringEquals":{"sts:IdentityTokenAudience":"https://ok.example"},"NumericLessThanEquals":{"sts:DurationSeconds":"600"},"StringEquals":{"sts:SigningAlgorithm":"ES384"}}}}"#,
    )
    .await;
    token(
        &service,
        &limited,
        token_request(&["https://ok.example"], "ES384"),
    )
    .await
    .unwrap();
    for request in [
        token_request(&["https://other.example"], "ES384"),
        token_request(&["https://ok.example", "https://other.example"], "ES384"),
        GetWebIdentityTokenRequest {
            duration_seconds: Some(900),
            ..token_request(&["https://ok.example"], "ES384")
        },
        token_request(&["https://ok.example"], "RS256"),
    ] {
        let error = token(&service, &limited, request).await.unwrap_err();
        assert!(error.is_access_denied(), "{error:?}");
    }
    let nobody = user(
        &service,
        "nobody",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}}"#,
    )
    .await;
    let error = token(&service, &nobody, token_request(&["x"], "ES384"))
        .await
        .unwrap_err();
    assert!(error.is_access_denied(), "{error:?}");
    // Who may not enable, cannot.
    let error = service
        .iam(&nobody, IamRequest::EnableOutboundWebIdentityFederation)
        .await
        .unwrap_err();
    assert!(error.is_access_denied(), "{error:?}");
}
