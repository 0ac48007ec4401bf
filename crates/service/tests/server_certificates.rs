//! IAM server certificates through `Service::iam`: upload, get, list, rename and move,
//! delete, tags, AWS's errors, the private key sealed at rest, and authorization.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

use rcgen::{CertificateParams, KeyPair, date_time_ymd};
use service::{
    Caller, Clock, Identity, MasterKey, NewAccount, RequestInfo, Sealer, Service, ServiceError,
};
use wire::QueryParams;
use wire::iam::{Request, Response, ServerCertificateMetadata};

const ACCOUNT: &str = "123456789012";
/// Inside every test certificate's validity (2020 to 2040).
const T0: i64 = 1_700_000_000;
const NOT_AFTER: i64 = 2_208_988_800;

fn arn(path_and_name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:server-certificate{path_and_name}")
}

fn iam(action: &str, params: &[(&str, &str)]) -> Request {
    wire::iam::Operation::from_action(action)
        .unwrap()
        .decode(&QueryParams::from_pairs(params.iter().copied()))
        .unwrap()
}

/// A self-signed certificate and its private key, in PEM: EC P-256 made now, or RSA on the
/// throwaway test key (rcgen cannot make RSA keys).
fn pair(rsa: bool) -> (String, String) {
    let key = if rsa {
        KeyPair::from_pem(include_str!("data/rsa-2048.pem")).unwrap()
    } else {
        KeyPair::generate().unwrap()
    };
    let mut params = CertificateParams::new(vec!["www.example.com".to_owned()]).unwrap();
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(2040, 1, 1);
    (params.self_signed(&key).unwrap().pem(), key.serialize_pem())
}

struct Fixture {
    service: Service,
    root: Caller,
    sealer: Sealer,
    /// The SQLite file, so a test can read the stored columns themselves.
    database: std::path::PathBuf,
}

impl Fixture {
    async fn new() -> Fixture {
        let database = std::env::temp_dir().join(format!(
            "castellan-server-certificates-{}-{}.db",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let url = format!("sqlite://{}?mode=rwc", database.display());
        let store = store::Store::open(&url).await.unwrap();
        let sealer = Sealer::new(&MasterKey::generate().unwrap());
        let service = Service::new(store, sealer.clone(), Clock::fixed(T0));
        service
            .create_account(NewAccount {
                account_id: Some(ACCOUNT.to_owned()),
                email: "root@example.com".to_owned(),
                ..NewAccount::default()
            })
            .await
            .unwrap();
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
            database,
        }
    }

    async fn ok(&self, request: Request) -> Response {
        self.service.iam(&self.root, request).await.unwrap()
    }

    async fn err(&self, request: Request) -> ServiceError {
        self.service.iam(&self.root, request).await.unwrap_err()
    }

    /// Uploads `name` at `path` with a new EC certificate (and `extra` parameters).
    async fn upload(&self, name: &str, path: &str, extra: &[(&str, &str)]) -> Response {
        let (body, key) = pair(false);
        let mut params = vec![
            ("ServerCertificateName", name),
            ("Path", path),
            ("CertificateBody", body.as_str()),
            ("PrivateKey", key.as_str()),
        ];
        params.extend_from_slice(extra);
        self.ok(iam("UploadServerCertificate", &params)).await
    }

    async fn get(&self, name: &str) -> wire::iam::ServerCertificate {
        let request = iam("GetServerCertificate", &[("ServerCertificateName", name)]);
        match self.ok(request).await {
            Response::GetServerCertificate(r) => r.server_certificate,
            other => panic!("{other:?}"),
        }
    }

    async fn list(&self, params: &[(&str, &str)]) -> (Vec<String>, Option<String>) {
        match self.ok(iam("ListServerCertificates", params)).await {
            Response::ListServerCertificates(r) => (
                r.server_certificate_metadata_list
                    .into_iter()
                    .map(|m| m.server_certificate_name)
                    .collect(),
                r.marker,
            ),
            other => panic!("{other:?}"),
        }
    }

    async fn tags(&self, name: &str) -> Vec<(String, String)> {
        let request = iam(
            "ListServerCertificateTags",
            &[("ServerCertificateName", name)],
        );
        match self.ok(request).await {
            Response::ListServerCertificateTags(r) => {
                r.tags.into_iter().map(|t| (t.key, t.value)).collect()
            }
            other => panic!("{other:?}"),
        }
    }

    /// A user whose only policy is `document`, as a caller.
    async fn user(&self, name: &str, document: &str) -> Caller {
        self.ok(iam("CreateUser", &[("UserName", name)])).await;
        let policy = [
            ("UserName", name),
            ("PolicyName", "p"),
            ("PolicyDocument", document),
        ];
        self.ok(iam("PutUserPolicy", &policy)).await;
        Caller {
            identity: Identity::User(self.service.store().get_user(ACCOUNT, name).await.unwrap()),
            access_key_id: "AKIAEXAMPLEUSER00001".to_owned(),
            ..self.root.clone()
        }
    }
}

fn metadata(response: Response) -> ServerCertificateMetadata {
    match response {
        Response::UploadServerCertificate(r) => r.server_certificate_metadata.unwrap(),
        other => panic!("{other:?}"),
    }
}

fn assert_error(error: &ServiceError, code: &str, message: &str) {
    assert_eq!((error.code(), error.message().as_str()), (code, message));
}

#[tokio::test]
async fn upload_get_and_list_answer_the_certificate_and_never_its_key() {
    let f = Fixture::new().await;
    for rsa in [false, true] {
        let (body, key) = pair(rsa);
        let name = if rsa { "rsa" } else { "ec" };
        let (chain, _) = pair(false);
        let mut params = vec![
            ("ServerCertificateName", name),
            ("Path", "/cloudfront/"),
            ("CertificateBody", body.as_str()),
            ("PrivateKey", key.as_str()),
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "blue"),
        ];
        if rsa {
            // A chain whose certificate did not issue the body is refused; none is fine.
            params.push(("CertificateChain", chain.as_str()));
            let error = f.err(iam("UploadServerCertificate", &params)).await;
            assert_eq!(error.code(), "MalformedCertificate");
            params.pop();
        }
        let response = f.ok(iam("UploadServerCertificate", &params)).await;
        let Response::UploadServerCertificate(uploaded) = response.clone() else {
            panic!("{response:?}")
        };
        assert_eq!(uploaded.tags.unwrap()[0].value, "blue");
        let meta = metadata(response);
        assert_eq!(meta.server_certificate_name, name);
        assert_eq!(meta.path, "/cloudfront/");
        assert_eq!(meta.arn, arn(&format!("/cloudfront/{name}")));
        assert!(meta.server_certificate_id.starts_with("ASCA"));
        assert_eq!(meta.server_certificate_id.len(), 21);
        assert_eq!(meta.upload_date.unwrap().unix_seconds(), T0);
        assert_eq!(meta.expiration.unwrap().unix_seconds(), NOT_AFTER);

        let got = f.get(&name.to_uppercase()).await;
        assert_eq!(got.server_certificate_metadata, meta);
        assert_eq!(got.certificate_body, body);
        assert_eq!(got.certificate_chain, None);
        assert_eq!(got.tags.as_ref().map(Vec::len), Some(1));
        assert!(!format!("{got:?}").contains("PRIVATE KEY"));
    }
    let (names, marker) = f.list(&[]).await;
    assert_eq!((names, marker), (vec!["ec".into(), "rsa".into()], None));
}

#[tokio::test]
async fn the_private_key_is_sealed_at_rest_under_its_certificate() {
    let f = Fixture::new().await;
    let (body, key) = pair(false);
    let params = [
        ("ServerCertificateName", "site"),
        ("CertificateBody", body.as_str()),
        ("PrivateKey", key.as_str()),
    ];
    let id = metadata(f.ok(iam("UploadServerCertificate", &params)).await).server_certificate_id;
    use sqlx::Connection as _;
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}", f.database.display());
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    let (stored,): (Vec<u8>,) =
        sqlx::query_as("SELECT private_key_ciphertext FROM server_certificates")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    let base64_line = key.lines().nth(1).unwrap();
    let text = String::from_utf8_lossy(&stored);
    assert!(!text.contains(base64_line) && !text.contains("PRIVATE KEY"));
    let binding = format!("server-certificate:{id}");
    let opened = f.sealer.open(&stored, binding.as_bytes()).unwrap();
    assert_eq!(opened.as_slice(), key.as_bytes());
    assert!(f.sealer.open(&stored, b"server-certificate:other").is_err());
    conn.close().await.unwrap();
    drop(f.service);
    let _ = std::fs::remove_file(&f.database);
}

#[tokio::test]
async fn aws_errors_for_bad_uploads() {
    let f = Fixture::new().await;
    let (body, key) = pair(false);
    let (_, other_key) = pair(false);
    let upload = |name: &str, body: &str, key: &str| {
        let params = [
            ("ServerCertificateName", name),
            ("CertificateBody", body),
            ("PrivateKey", key),
        ];
        iam("UploadServerCertificate", &params)
    };
    assert_error(
        &f.err(upload("a", "not a certificate", &key)).await,
        "MalformedCertificate",
        "Unable to parse certificate. Please ensure the certificate is in PEM format.",
    );
    assert_error(
        &f.err(upload("a", &body, &other_key)).await,
        "KeyPairMismatch",
        "The private key does not match the public key of the certificate.",
    );
    f.ok(upload("site", &body, &key)).await;
    assert_error(
        &f.err(upload("SITE", &body, &key)).await,
        "EntityAlreadyExists",
        "The Server Certificate with name SITE already exists.",
    );
    let bad_path = [
        ("ServerCertificateName", "b"),
        ("Path", "/a//b/"),
        ("CertificateBody", body.as_str()),
        ("PrivateKey", key.as_str()),
    ];
    let error = f.err(iam("UploadServerCertificate", &bad_path)).await;
    assert_eq!(error.code(), "ValidationError");
    for n in 2..=20 {
        f.ok(upload(&format!("c{n}"), &body, &key)).await;
    }
    assert_error(
        &f.err(upload("last", &body, &key)).await,
        "LimitExceeded",
        "Cannot exceed quota for ServerCertificatesPerAccount: 20",
    );
    let (names, _) = f.list(&[("MaxItems", "1000")]).await;
    assert_eq!(names.len(), 20);
    match f.ok(Request::GetAccountSummary).await {
        Response::GetAccountSummary(summary) => {
            let map = summary.summary_map.unwrap();
            let count = map.get(&wire::iam::SummaryKeyType::ServerCertificates);
            assert_eq!(count, Some(&20));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn list_pages_by_path_prefix() {
    let f = Fixture::new().await;
    for (name, path) in [("b", "/cloudfront/"), ("A", "/"), ("c", "/cloudfront/x/")] {
        f.upload(name, path, &[]).await;
    }
    let (names, _) = f.list(&[("PathPrefix", "/cloudfront/")]).await;
    assert_eq!(names, ["b", "c"]);
    let (first, marker) = f.list(&[("MaxItems", "2")]).await;
    assert_eq!(first, ["A", "b"]);
    let marker = marker.unwrap();
    let (rest, end) = f.list(&[("MaxItems", "2"), ("Marker", &marker)]).await;
    assert_eq!((rest, end), (vec!["c".to_owned()], None));
    let error = f
        .err(iam("ListServerCertificates", &[("Marker", "forged")]))
        .await;
    assert_error(&error, "ValidationError", "Invalid Marker.");
}

#[tokio::test]
async fn rename_and_move_keep_the_certificate_and_its_tags() {
    let f = Fixture::new().await;
    let tags = [
        ("Tags.member.1.Key", "team"),
        ("Tags.member.1.Value", "blue"),
    ];
    let id = metadata(f.upload("site", "/a/", &tags).await).server_certificate_id;
    f.upload("other", "/", &[]).await;
    let update = |params: &[(&str, &str)]| iam("UpdateServerCertificate", params);
    f.ok(update(&[
        ("ServerCertificateName", "site"),
        ("NewServerCertificateName", "web"),
        ("NewPath", "/b/"),
    ]))
    .await;
    let got = f.get("web").await.server_certificate_metadata;
    assert_eq!((got.server_certificate_id, got.arn), (id, arn("/b/web")));
    assert_eq!(
        f.tags("web").await,
        [("team".to_owned(), "blue".to_owned())]
    );
    f.ok(update(&[
        ("ServerCertificateName", "web"),
        ("NewPath", "/c/"),
    ]))
    .await;
    assert_eq!(f.get("web").await.server_certificate_metadata.path, "/c/");
    let gone = f
        .err(iam(
            "GetServerCertificate",
            &[("ServerCertificateName", "site")],
        ))
        .await;
    assert_error(
        &gone,
        "NoSuchEntity",
        "The Server Certificate with name site cannot be found.",
    );
    let taken = f
        .err(update(&[
            ("ServerCertificateName", "web"),
            ("NewServerCertificateName", "Other"),
        ]))
        .await;
    assert_eq!(taken.code(), "EntityAlreadyExists");
    let bad_path = f
        .err(update(&[
            ("ServerCertificateName", "web"),
            ("NewPath", "/c//"),
        ]))
        .await;
    assert_eq!(bad_path.code(), "ValidationError");
}

#[tokio::test]
async fn tags_and_deletion() {
    let f = Fixture::new().await;
    f.upload("site", "/", &[]).await;
    let name = ("ServerCertificateName", "site");
    f.ok(iam(
        "TagServerCertificate",
        &[
            name,
            ("Tags.member.1.Key", "b"),
            ("Tags.member.1.Value", "2"),
            ("Tags.member.2.Key", "a"),
            ("Tags.member.2.Value", "1"),
        ],
    ))
    .await;
    let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    assert_eq!(f.tags("site").await, [pair("a", "1"), pair("b", "2")]);
    let untag = [name, ("TagKeys.member.1", "a"), ("TagKeys.member.2", "z")];
    f.ok(iam("UntagServerCertificate", &untag)).await;
    assert_eq!(f.tags("site").await, [pair("b", "2")]);
    let reserved = f
        .err(iam(
            "TagServerCertificate",
            &[
                name,
                ("Tags.member.1.Key", "aws:x"),
                ("Tags.member.1.Value", "1"),
            ],
        ))
        .await;
    assert_eq!(reserved.code(), "InvalidInput");
    f.ok(iam("DeleteServerCertificate", &[name])).await;
    let missing = "The Server Certificate with name site cannot be found.";
    for action in [
        "GetServerCertificate",
        "DeleteServerCertificate",
        "ListServerCertificateTags",
        "UpdateServerCertificate",
    ] {
        assert_error(&f.err(iam(action, &[name])).await, "NoSuchEntity", missing);
    }
    let tag = [
        name,
        ("Tags.member.1.Key", "k"),
        ("Tags.member.1.Value", "v"),
    ];
    assert_error(
        &f.err(iam("TagServerCertificate", &tag)).await,
        "NoSuchEntity",
        missing,
    );
    assert_error(
        &f.err(iam("UntagServerCertificate", &untag)).await,
        "NoSuchEntity",
        missing,
    );
}

const ALLOW_ALL: &str = r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#;

fn policy(statements: &[&str]) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    )
}

#[tokio::test]
async fn a_user_denied_on_the_certificate_is_refused_every_action() {
    let f = Fixture::new().await;
    f.upload("site", "/web/", &[]).await;
    let deny = format!(
        r#"{{"Effect":"Deny","Action":"iam:*ServerCertificate*","Resource":"{}"}}"#,
        arn("/web/*")
    );
    let user = f.user("u", &policy(&[ALLOW_ALL, &deny])).await;
    let name = ("ServerCertificateName", "site");
    let (body, key) = pair(false);
    let requests = [
        iam("GetServerCertificate", &[name]),
        iam("DeleteServerCertificate", &[name]),
        iam("UpdateServerCertificate", &[name, ("NewPath", "/other/")]),
        iam(
            "TagServerCertificate",
            &[
                name,
                ("Tags.member.1.Key", "k"),
                ("Tags.member.1.Value", "v"),
            ],
        ),
        iam("UntagServerCertificate", &[name, ("TagKeys.member.1", "k")]),
        iam("ListServerCertificateTags", &[name]),
        iam(
            "UploadServerCertificate",
            &[
                ("ServerCertificateName", "new"),
                ("Path", "/web/"),
                ("CertificateBody", &body),
                ("PrivateKey", &key),
            ],
        ),
    ];
    for request in requests {
        let operation = request.operation();
        let error = f.service.iam(&user, request).await.unwrap_err();
        assert!(error.is_access_denied(), "{operation:?}: {error:?}");
        assert!(
            error.message().contains(&arn("/web/")),
            "{}",
            error.message()
        );
    }
    // Elsewhere the same user may.
    let elsewhere = iam(
        "UploadServerCertificate",
        &[
            ("ServerCertificateName", "new"),
            ("CertificateBody", &body),
            ("PrivateKey", &key),
        ],
    );
    f.service.iam(&user, elsewhere).await.unwrap();
    let no_list = format!(
        r#"{{"Effect":"Deny","Action":"iam:ListServerCertificates","Resource":"{}"}}"#,
        arn("/")
    );
    let lister = f.user("l", &policy(&[ALLOW_ALL, &no_list])).await;
    let error = f
        .service
        .iam(&lister, iam("ListServerCertificates", &[]))
        .await
        .unwrap_err();
    assert!(error.is_access_denied());
}

#[tokio::test]
async fn a_rename_or_move_needs_both_the_old_and_the_new_arn() {
    let f = Fixture::new().await;
    f.upload("site", "/dev/", &[]).await;
    let only_dev = format!(
        r#"{{"Effect":"Allow","Action":"iam:UpdateServerCertificate","Resource":"{}"}}"#,
        arn("/dev/*")
    );
    let user = f.user("u", &policy(&[&only_dev])).await;
    let update = |params: &[(&str, &str)]| iam("UpdateServerCertificate", params);
    let name = ("ServerCertificateName", "site");
    for refused in [
        update(&[name, ("NewPath", "/prod/")]),
        update(&[
            name,
            ("NewPath", "/prod/"),
            ("NewServerCertificateName", "x"),
        ]),
    ] {
        let error = f.service.iam(&user, refused).await.unwrap_err();
        assert!(error.is_access_denied(), "{error:?}");
        assert!(
            error.message().contains(&arn("/prod/")),
            "{}",
            error.message()
        );
    }
    assert_eq!(
        f.get("site").await.server_certificate_metadata.path,
        "/dev/"
    );
    f.service
        .iam(&user, update(&[name, ("NewServerCertificateName", "web")]))
        .await
        .unwrap();
    assert_eq!(f.get("web").await.server_certificate_metadata.path, "/dev/");
    // Allowed on the new ARN only: refused on the old one.
    let only_prod = format!(
        r#"{{"Effect":"Allow","Action":"iam:UpdateServerCertificate","Resource":"{}"}}"#,
        arn("/prod/*")
    );
    let other = f.user("o", &policy(&[&only_prod])).await;
    let error = f
        .service
        .iam(
            &other,
            update(&[("ServerCertificateName", "web"), ("NewPath", "/prod/")]),
        )
        .await
        .unwrap_err();
    assert!(
        error.message().contains(&arn("/dev/web")),
        "{}",
        error.message()
    );
}

#[tokio::test]
async fn resource_tags_and_request_tags_reach_the_decision() {
    let f = Fixture::new().await;
    let blue = [
        ("Tags.member.1.Key", "team"),
        ("Tags.member.1.Value", "blue"),
    ];
    f.upload("blue", "/", &blue).await;
    f.upload(
        "red",
        "/",
        &[
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "red"),
        ],
    )
    .await;
    for key in ["aws:ResourceTag/team", "iam:ResourceTag/team"] {
        let statement = format!(
            r#"{{"Effect":"Allow","Action":"iam:GetServerCertificate","Resource":"*","Condition":{{"StringEquals":{{"{key}":"blue"}}}}}}"#
        );
        let user = f
            .user(&key.replace([':', '/'], "-"), &policy(&[&statement]))
            .await;
        let get = |name: &str| iam("GetServerCertificate", &[("ServerCertificateName", name)]);
        f.service.iam(&user, get("blue")).await.unwrap();
        let error = f.service.iam(&user, get("red")).await.unwrap_err();
        assert!(error.is_access_denied(), "{key}: {error:?}");
    }
    // Tags given on upload need iam:TagServerCertificate too, with the request's tags.
    let upload_only = r#"{"Effect":"Allow","Action":"iam:UploadServerCertificate","Resource":"*"}"#;
    let user = f.user("uploader", &policy(&[upload_only])).await;
    let (body, key) = pair(false);
    let mut params = vec![
        ("ServerCertificateName", "tagged"),
        ("CertificateBody", body.as_str()),
        ("PrivateKey", key.as_str()),
    ];
    let untagged = iam("UploadServerCertificate", &params);
    params.extend_from_slice(&blue);
    let tagged = iam("UploadServerCertificate", &params);
    let error = f.service.iam(&user, tagged).await.unwrap_err();
    assert!(
        error.message().contains("iam:TagServerCertificate"),
        "{error:?}"
    );
    f.service.iam(&user, untagged).await.unwrap();
}
