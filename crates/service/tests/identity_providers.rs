//! IAM identity providers through `Service::iam`: OpenID Connect and SAML providers created,
//! read, listed, changed, tagged and deleted, AWS's errors and quotas, SAML private keys
//! sealed and never answered, and authorization on the provider ARN with its tags.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

use service::{
    Caller, Clock, Identity, MasterKey, NewAccount, RequestInfo, Sealer, Service, ServiceError,
};
use wire::QueryParams;
use wire::iam::{Request, Response};

const ACCOUNT: &str = "123456789012";
const T0: i64 = 1_700_000_000;
const HUNDRED_YEARS: i64 = 100 * 365 * 86_400;
const IDP: &str = "arn:aws:iam::123456789012:oidc-provider/idp.example.com/realms/x";
const CORP: &str = "arn:aws:iam::123456789012:saml-provider/Corp";
const THUMB_A: &str = "0123456789abcdef0123456789abcdef01234567";
const THUMB_B: &str = "89ABCDEF0123456789ABCDEF0123456789ABCDEF";

fn iam(action: &str, params: &[(&str, &str)]) -> Request {
    wire::iam::Operation::from_action(action)
        .unwrap()
        .decode(&QueryParams::from_pairs(params.iter().copied()))
        .unwrap_or_else(|e| panic!("{action}: {e:?}"))
}

/// A metadata document for IdP `entity` with a fresh signing certificate; `valid_until`
/// is an attribute to add (or empty).
fn metadata(entity: &str, valid_until: &str) -> String {
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["idp.example.com".to_owned()]).unwrap();
    let der = params.self_signed(&key).unwrap().der().to_vec();
    format!(
        "<?xml version=\"1.0\"?>\n<EntityDescriptor xmlns=\"urn:oasis:names:tc:SAML:2.0:metadata\" \
         entityID=\"{entity}\" {valid_until}><IDPSSODescriptor \
         protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\"><KeyDescriptor \
         use=\"signing\"><KeyInfo xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><X509Data>\
         <X509Certificate>{}</X509Certificate></X509Data></KeyInfo></KeyDescriptor>\
         <SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" \
         Location=\"https://idp.example.com/sso\"/></IDPSSODescriptor>{}</EntityDescriptor>",
        data_encoding::BASE64.encode(&der),
        " ".repeat(600)
    )
}

struct Fixture {
    service: Service,
    root: Caller,
    sealer: Sealer,
}

impl Fixture {
    async fn new() -> Fixture {
        let store = store::Store::open("sqlite::memory:").await.unwrap();
        let sealer = Sealer::new(&MasterKey::generate().unwrap());
        let service = Service::new(store, sealer.clone(), Clock::fixed(T0));
        for (account, email) in [
            (ACCOUNT, "root@example.com"),
            ("210987654321", "o@example.com"),
        ] {
            service
                .create_account(NewAccount {
                    account_id: Some(account.to_owned()),
                    email: email.to_owned(),
                    ..NewAccount::default()
                })
                .await
                .unwrap();
        }
        let root = Caller {
            account_id: ACCOUNT.to_owned(),
            identity: Identity::Root,
            access_key_id: "AKIAROOT".to_owned(),
            request: RequestInfo::default(),
            session: None,
        };
        Fixture {
            service,
            root,
            sealer,
        }
    }

    async fn ok(&self, action: &str, params: &[(&str, &str)]) -> Response {
        self.service
            .iam(&self.root, iam(action, params))
            .await
            .unwrap_or_else(|e| panic!("{action}: {e:?}"))
    }

    async fn err(&self, action: &str, params: &[(&str, &str)]) -> ServiceError {
        self.service
            .iam(&self.root, iam(action, params))
            .await
            .unwrap_err()
    }

    /// A user of the account with one inline policy.
    async fn user(&self, name: &str, document: &str) -> Caller {
        self.ok("CreateUser", &[("UserName", name)]).await;
        let policy = [
            ("UserName", name),
            ("PolicyName", "p"),
            ("PolicyDocument", document),
        ];
        self.ok("PutUserPolicy", &policy).await;
        Caller {
            identity: Identity::User(self.service.store().get_user(ACCOUNT, name).await.unwrap()),
            access_key_id: "AKIAEXAMPLEUSER00001".to_owned(),
            ..self.root.clone()
        }
    }

    async fn get_oidc(&self, arn: &str) -> wire::iam::GetOpenIDConnectProviderResponse {
        match self
            .ok(
                "GetOpenIDConnectProvider",
                &[("OpenIDConnectProviderArn", arn)],
            )
            .await
        {
            Response::GetOpenIDConnectProvider(r) => r,
            other => panic!("{other:?}"),
        }
    }

    async fn get_saml(&self, arn: &str) -> wire::iam::GetSAMLProviderResponse {
        match self
            .ok("GetSAMLProvider", &[("SAMLProviderArn", arn)])
            .await
        {
            Response::GetSAMLProvider(r) => r,
            other => panic!("{other:?}"),
        }
    }
}

/// GetAccountSummary's `Providers`: identity providers of both kinds.
async fn providers_in_summary(f: &Fixture) -> i32 {
    let Response::GetAccountSummary(summary) = f.ok("GetAccountSummary", &[]).await else {
        panic!()
    };
    summary.summary_map.unwrap()[&wire::iam::SummaryKeyType::Providers]
}

fn assert_error(error: &ServiceError, code: &str, message: &str) {
    assert_eq!((error.code(), error.message().as_str()), (code, message));
}

#[tokio::test]
async fn oidc_provider_lifecycle() {
    let f = Fixture::new().await;
    let created = f
        .ok(
            "CreateOpenIDConnectProvider",
            &[
                ("Url", "https://IdP.Example.com/realms/x/"),
                ("ClientIDList.member.1", "app"),
                ("ClientIDList.member.2", "cli"),
                ("ThumbprintList.member.1", THUMB_A),
                ("Tags.member.1.Key", "team"),
                ("Tags.member.1.Value", "id"),
            ],
        )
        .await;
    let Response::CreateOpenIDConnectProvider(created) = created else {
        panic!("{created:?}")
    };
    assert_eq!(created.open_id_connect_provider_arn.as_deref(), Some(IDP));
    assert_eq!(created.tags.unwrap()[0].key, "team");
    let got = f.get_oidc(IDP).await;
    // AWS shows the URL without its scheme.
    assert_eq!(got.url.as_deref(), Some("idp.example.com/realms/x"));
    assert_eq!(got.client_id_list.unwrap(), ["app", "cli"]);
    assert_eq!(got.thumbprint_list.unwrap(), [THUMB_A]);
    assert_eq!(got.create_date.unwrap().unix_seconds(), T0);
    assert_eq!(got.tags.unwrap()[0].value, "id");

    // The same issuer again, whatever the host's case or a trailing slash.
    let again = f
        .err(
            "CreateOpenIDConnectProvider",
            &[("Url", "https://idp.EXAMPLE.com/realms/x")],
        )
        .await;
    assert_error(
        &again,
        "EntityAlreadyExists",
        "Provider with url https://idp.EXAMPLE.com/realms/x already exists.",
    );
    // Thumbprints are optional.
    f.ok(
        "CreateOpenIDConnectProvider",
        &[("Url", "https://other.example.com")],
    )
    .await;
    let Response::ListOpenIDConnectProviders(listed) =
        f.ok("ListOpenIDConnectProviders", &[]).await
    else {
        panic!()
    };
    let arns: Vec<_> = listed
        .open_id_connect_provider_list
        .unwrap()
        .into_iter()
        .map(|e| e.arn.unwrap())
        .collect();
    assert_eq!(
        arns,
        [
            IDP,
            "arn:aws:iam::123456789012:oidc-provider/other.example.com"
        ]
    );

    let arn = ("OpenIDConnectProviderArn", IDP);
    f.ok(
        "AddClientIDToOpenIDConnectProvider",
        &[arn, ("ClientID", "web")],
    )
    .await;
    f.ok(
        "AddClientIDToOpenIDConnectProvider",
        &[arn, ("ClientID", "app")],
    )
    .await;
    f.ok(
        "RemoveClientIDFromOpenIDConnectProvider",
        &[arn, ("ClientID", "cli")],
    )
    .await;
    f.ok(
        "RemoveClientIDFromOpenIDConnectProvider",
        &[arn, ("ClientID", "none")],
    )
    .await;
    assert_eq!(
        f.get_oidc(IDP).await.client_id_list.unwrap(),
        ["app", "web"]
    );
    f.ok(
        "UpdateOpenIDConnectProviderThumbprint",
        &[
            arn,
            ("ThumbprintList.member.1", THUMB_B),
            ("ThumbprintList.member.2", THUMB_A),
        ],
    )
    .await;
    assert_eq!(
        f.get_oidc(IDP).await.thumbprint_list.unwrap(),
        [THUMB_B, THUMB_A]
    );

    f.ok(
        "UntagOpenIDConnectProvider",
        &[arn, ("TagKeys.member.1", "TEAM")],
    )
    .await;
    f.ok(
        "TagOpenIDConnectProvider",
        &[
            arn,
            ("Tags.member.1.Key", "env"),
            ("Tags.member.1.Value", "prod"),
        ],
    )
    .await;
    let Response::ListOpenIDConnectProviderTags(tags) =
        f.ok("ListOpenIDConnectProviderTags", &[arn]).await
    else {
        panic!()
    };
    assert_eq!(tags.tags.len(), 1);
    assert_eq!(tags.tags[0].key, "env");

    f.ok("DeleteOpenIDConnectProvider", &[arn]).await;
    let gone = f.err("GetOpenIDConnectProvider", &[arn]).await;
    assert_error(
        &gone,
        "NoSuchEntity",
        &format!("OpenIDConnect Provider not found for arn {IDP}"),
    );
    let gone = f.err("DeleteOpenIDConnectProvider", &[arn]).await;
    assert_eq!(gone.code(), "NoSuchEntity");
}

#[tokio::test]
async fn oidc_provider_input_refused_with_aws_errors_and_nothing_written() {
    let f = Fixture::new().await;
    for url in [
        "http://idp.example.com",
        "https://idp.example.com?x=1",
        "idp.example.com",
    ] {
        let error = f.err("CreateOpenIDConnectProvider", &[("Url", url)]).await;
        assert_error(
            &error,
            "InvalidInput",
            &format!("Invalid Open ID Connect Provider URL: {url}"),
        );
    }
    let url = ("Url", "https://idp.example.com");
    let not_hex = "g123456789abcdef0123456789abcdef01234567";
    let error = f
        .err(
            "CreateOpenIDConnectProvider",
            &[url, ("ThumbprintList.member.1", not_hex)],
        )
        .await;
    assert_eq!(error.code(), "InvalidInput");
    let six: Vec<(String, &str)> = (1..=6)
        .map(|n| (format!("ThumbprintList.member.{n}"), THUMB_A))
        .collect();
    let mut params = vec![url];
    params.extend(six.iter().map(|(k, v)| (k.as_str(), *v)));
    let error = f.err("CreateOpenIDConnectProvider", &params).await;
    assert_eq!(error.code(), "LimitExceeded");
    let ids: Vec<(String, String)> = (1..=101)
        .map(|n| (format!("ClientIDList.member.{n}"), format!("id-{n}")))
        .collect();
    let mut params = vec![url];
    params.extend(ids.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let error = f.err("CreateOpenIDConnectProvider", &params).await;
    assert_error(
        &error,
        "LimitExceeded",
        "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100",
    );
    let Response::ListOpenIDConnectProviders(listed) =
        f.ok("ListOpenIDConnectProviders", &[]).await
    else {
        panic!()
    };
    assert!(listed.open_id_connect_provider_list.unwrap().is_empty());
    // Another account's provider is not the caller's, even when it exists.
    let other = "arn:aws:iam::210987654321:oidc-provider/idp.example.com";
    let error = f
        .err(
            "GetOpenIDConnectProvider",
            &[("OpenIDConnectProviderArn", other)],
        )
        .await;
    assert_error(
        &error,
        "NoSuchEntity",
        &format!("OpenIDConnect Provider not found for arn {other}"),
    );
}

#[tokio::test]
async fn saml_provider_lifecycle_and_private_keys_sealed() {
    let f = Fixture::new().await;
    let document = metadata(
        "https://idp.example.com/saml",
        "validUntil=\"2030-01-01T00:00:00Z\"",
    );
    let Response::CreateSAMLProvider(created) = f
        .ok(
            "CreateSAMLProvider",
            &[
                ("Name", "Corp"),
                ("SAMLMetadataDocument", document.as_str()),
                ("Tags.member.1.Key", "k"),
                ("Tags.member.1.Value", "v"),
            ],
        )
        .await
    else {
        panic!()
    };
    assert_eq!(created.saml_provider_arn.as_deref(), Some(CORP));
    let got = f.get_saml(CORP).await;
    assert_eq!(
        got.saml_metadata_document.as_deref(),
        Some(document.as_str())
    );
    assert_eq!(got.create_date.unwrap().unix_seconds(), T0);
    assert_eq!(got.valid_until.unwrap().unix_seconds(), 1_893_456_000);
    let uuid = got.saml_provider_uuid.unwrap();
    assert_eq!(uuid.len(), 36);
    assert_eq!(uuid.as_bytes()[14], b'4');
    assert_eq!(got.assertion_encryption_mode, None);
    assert!(got.private_key_list.is_none());
    assert_eq!(got.tags.unwrap()[0].key, "k");
    // The name is taken whatever its case; the lookup by ARN ignores case too.
    let plain = metadata("https://other.example.com", "");
    let taken = f
        .err(
            "CreateSAMLProvider",
            &[("Name", "corp"), ("SAMLMetadataDocument", plain.as_str())],
        )
        .await;
    assert_error(
        &taken,
        "EntityAlreadyExists",
        "Provider with name corp already exists.",
    );
    let lower = "arn:aws:iam::123456789012:saml-provider/corp";
    assert_eq!(f.get_saml(lower).await.saml_provider_uuid.unwrap(), uuid);

    // No validUntil: a hundred years from creation (reading 61).
    f.ok(
        "CreateSAMLProvider",
        &[("Name", "Adfs"), ("SAMLMetadataDocument", plain.as_str())],
    )
    .await;
    let adfs = "arn:aws:iam::123456789012:saml-provider/Adfs";
    assert_eq!(
        f.get_saml(adfs).await.valid_until.unwrap().unix_seconds(),
        T0 + HUNDRED_YEARS
    );
    assert_eq!(providers_in_summary(&f).await, 2);
    let Response::ListSAMLProviders(listed) = f.ok("ListSAMLProviders", &[]).await else {
        panic!()
    };
    let arns: Vec<_> = listed
        .saml_provider_list
        .unwrap()
        .into_iter()
        .map(|e| e.arn.unwrap())
        .collect();
    assert_eq!(arns, [adfs, CORP]);

    // A private key for encrypted assertions: sealed at rest, answered as its id only.
    let key = rcgen::KeyPair::generate().unwrap().serialize_pem();
    let arn = ("SAMLProviderArn", CORP);
    f.ok(
        "UpdateSAMLProvider",
        &[
            arn,
            ("AddPrivateKey", key.as_str()),
            ("AssertionEncryptionMode", "Required"),
        ],
    )
    .await;
    let got = f.get_saml(CORP).await;
    assert_eq!(
        got.assertion_encryption_mode,
        Some(wire::iam::AssertionEncryptionModeType::Required)
    );
    let keys = got.private_key_list.unwrap();
    assert_eq!(keys.len(), 1);
    let key_id = keys[0].key_id.clone().unwrap();
    assert_eq!(keys[0].timestamp.unwrap().unix_seconds(), T0);
    let stored = f
        .service
        .store()
        .get_saml_provider(ACCOUNT, "Corp")
        .await
        .unwrap();
    let sealed = &stored.private_keys[0].private_key_ciphertext;
    assert!(!String::from_utf8_lossy(sealed).contains("PRIVATE KEY"));
    let binding = format!("saml-provider:{uuid}:{key_id}");
    let opened = f.sealer.open(sealed, binding.as_bytes()).unwrap();
    assert_eq!(opened.as_slice(), key.as_bytes());
    assert!(f.sealer.open(sealed, b"saml-provider:other").is_err());

    // Removing the only key while Required is refused; an unknown key id too; a key that is
    // not one; nothing changes.
    let error = f
        .err(
            "UpdateSAMLProvider",
            &[arn, ("RemovePrivateKey", key_id.as_str())],
        )
        .await;
    assert_eq!(error.code(), "InvalidInput");
    let unknown = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let error = f
        .err("UpdateSAMLProvider", &[arn, ("RemovePrivateKey", unknown)])
        .await;
    assert_eq!(error.code(), "InvalidInput");
    let error = f
        .err(
            "UpdateSAMLProvider",
            &[arn, ("AddPrivateKey", "not a key at all")],
        )
        .await;
    assert_eq!(error.code(), "InvalidInput");
    // A new document replaces the old with its validity; a bad one is refused.
    let next = metadata("https://idp.example.com/saml", "");
    f.ok(
        "UpdateSAMLProvider",
        &[arn, ("SAMLMetadataDocument", next.as_str())],
    )
    .await;
    let got = f.get_saml(CORP).await;
    assert_eq!(got.saml_metadata_document.as_deref(), Some(next.as_str()));
    assert_eq!(got.valid_until.unwrap().unix_seconds(), T0 + HUNDRED_YEARS);
    assert_eq!(got.private_key_list.unwrap().len(), 1);
    let broken = next.replace("use=\"signing\"", "use=\"encryption\"");
    let error = f
        .err(
            "UpdateSAMLProvider",
            &[arn, ("SAMLMetadataDocument", broken.as_str())],
        )
        .await;
    assert_error(
        &error,
        "InvalidInput",
        "Could not parse metadata: no signing certificate",
    );

    f.ok("DeleteSAMLProvider", &[arn]).await;
    let gone = f.err("GetSAMLProvider", &[arn]).await;
    assert_error(
        &gone,
        "NoSuchEntity",
        &format!("SAMLProvider not found for arn {CORP}"),
    );
    assert!(
        f.service
            .store()
            .get_saml_provider(ACCOUNT, "Corp")
            .await
            .is_err()
    );
}

#[tokio::test]
async fn saml_metadata_refused_at_creation() {
    let f = Fixture::new().await;
    let good = metadata("https://idp.example.com/saml", "");
    let doctype = format!(
        "<!DOCTYPE x [<!ENTITY e \"e\">]>{}",
        good.trim_start_matches("<?xml version=\"1.0\"?>\n")
    );
    for (document, message) in [
        (
            good.replace("IDPSSODescriptor", "SPSSODescriptor"),
            "Could not parse metadata: no IDPSSODescriptor",
        ),
        (doctype, "Could not parse metadata: not XML"),
    ] {
        let error = f
            .err(
                "CreateSAMLProvider",
                &[("Name", "x"), ("SAMLMetadataDocument", document.as_str())],
            )
            .await;
        assert_error(&error, "InvalidInput", message);
    }
    // Required without a key to decrypt with.
    let error = f
        .err(
            "CreateSAMLProvider",
            &[
                ("Name", "x"),
                ("SAMLMetadataDocument", good.as_str()),
                ("AssertionEncryptionMode", "Required"),
            ],
        )
        .await;
    assert_eq!(error.code(), "InvalidInput");
    let Response::ListSAMLProviders(listed) = f.ok("ListSAMLProviders", &[]).await else {
        panic!()
    };
    assert!(listed.saml_provider_list.unwrap().is_empty());
}

#[tokio::test]
async fn authorized_on_the_provider_arn_with_request_and_resource_tags() {
    let f = Fixture::new().await;
    let caller = f
        .user(
            "ops",
            r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"Allow","Action":["iam:CreateOpenIDConnectProvider","iam:TagOpenIDConnectProvider"],
                 "Resource":"arn:aws:iam::123456789012:oidc-provider/*",
                 "Condition":{"StringEquals":{"aws:RequestTag/team":"ops"}}},
                {"Effect":"Allow","Action":"iam:GetOpenIDConnectProvider",
                 "Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"ops"}}},
                {"Effect":"Allow","Action":"iam:GetSAMLProvider",
                 "Resource":"arn:aws:iam::123456789012:saml-provider/Allowed*"}]}"#,
        )
        .await;
    let run = |action: &'static str, params: Vec<(&'static str, &'static str)>| {
        let service = f.service.clone();
        let caller = caller.clone();
        async move { service.iam(&caller, iam(action, &params)).await }
    };
    let create = |team: &'static str, url: &'static str| {
        vec![
            ("Url", url),
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", team),
        ]
    };
    let denied = run(
        "CreateOpenIDConnectProvider",
        create("dev", "https://a.example.com"),
    )
    .await
    .unwrap_err();
    assert_eq!(denied.code(), "AccessDenied");
    run(
        "CreateOpenIDConnectProvider",
        create("ops", "https://a.example.com"),
    )
    .await
    .unwrap();
    let a = "arn:aws:iam::123456789012:oidc-provider/a.example.com";
    run(
        "GetOpenIDConnectProvider",
        vec![("OpenIDConnectProviderArn", a)],
    )
    .await
    .unwrap();
    // Root makes one tagged otherwise: the resource tag denies it to the user.
    f.ok(
        "CreateOpenIDConnectProvider",
        &[
            ("Url", "https://b.example.com"),
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "dev"),
        ],
    )
    .await;
    let b = "arn:aws:iam::123456789012:oidc-provider/b.example.com";
    let denied = run(
        "GetOpenIDConnectProvider",
        vec![("OpenIDConnectProviderArn", b)],
    )
    .await
    .unwrap_err();
    assert_eq!(denied.code(), "AccessDenied");
    assert!(denied.message().contains(b), "{}", denied.message());
    // Existence is told only to callers allowed on the ARN.
    let document = metadata("https://idp.example.com/saml", "");
    f.ok(
        "CreateSAMLProvider",
        &[
            ("Name", "Secret"),
            ("SAMLMetadataDocument", document.as_str()),
        ],
    )
    .await;
    for arn in [
        "arn:aws:iam::123456789012:saml-provider/Secret",
        "arn:aws:iam::123456789012:saml-provider/Missing",
    ] {
        let denied = run("GetSAMLProvider", vec![("SAMLProviderArn", arn)])
            .await
            .unwrap_err();
        assert_eq!(denied.code(), "AccessDenied", "{arn}");
    }
    let missing = run(
        "GetSAMLProvider",
        vec![(
            "SAMLProviderArn",
            "arn:aws:iam::123456789012:saml-provider/AllowedButMissing",
        )],
    )
    .await
    .unwrap_err();
    assert_eq!(missing.code(), "NoSuchEntity");
    let denied = run("ListSAMLProviders", Vec::new()).await.unwrap_err();
    assert_eq!(denied.code(), "AccessDenied");
}
