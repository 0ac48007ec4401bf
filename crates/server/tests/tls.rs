//! Finding 13 of issue 9: HTTPS served natively, `aws:SecureTransport` and `aws:SourceIp`
//! taken from the connection (or from a trusted proxy only), certificates reloaded.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

mod common;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use common::{Creds, Raw, Response, Server, exchange, send, signed, user_with_policy};
use server::{ServerConfig, TlsFiles};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

const SECURE_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}"#;
const FROM_OFFICE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]}"#;

/// A directory of its own under the system's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let path =
            std::env::temp_dir().join(format!("castellan-server-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn files(&self) -> TlsFiles {
        TlsFiles {
            cert: self.0.join("cert.pem"),
            key: self.0.join("key.pem"),
        }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes a new self-signed certificate for `localhost` and its key; returns the certificate.
fn write_cert(files: &TlsFiles) -> CertificateDer<'static> {
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(&files.cert, generated.cert.pem()).unwrap();
    std::fs::write(&files.key, generated.signing_key.serialize_pem()).unwrap();
    generated.cert.der().clone()
}

fn connector(roots: &[&CertificateDer<'static>]) -> TlsConnector {
    let mut store = RootCertStore::empty();
    for root in roots {
        store.add((*root).clone()).unwrap();
    }
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(store)
            .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

/// Sends `request` over TLS; returns the response and the certificate the server showed.
async fn send_tls(
    addr: SocketAddr,
    connector: &TlsConnector,
    request: &Raw,
) -> Option<(Response, CertificateDer<'static>)> {
    let tcp = TcpStream::connect(addr).await.ok()?;
    let name = ServerName::try_from("localhost").unwrap();
    let mut stream = connector.connect(name, tcp).await.ok()?;
    let shown = stream.get_ref().1.peer_certificates()?.first()?.clone();
    let response = exchange(&mut stream, request).await?;
    Some((response, shown))
}

fn get_user(creds: &Creds) -> Raw {
    signed(
        creds,
        "iam",
        &[("Action", "GetUser"), ("Version", "2010-05-08")],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_13_secure_transport_follows_the_connection() {
    let dir = TempDir::new("secure-transport");
    let files = dir.files();
    let cert = write_cert(&files);
    let service = common::service().await;
    let plain = Server::start_on(service.clone(), ServerConfig::default()).await;
    let tls = Server::start_on(
        service.clone(),
        ServerConfig {
            tls: Some(files),
            ..ServerConfig::default()
        },
    )
    .await;
    let proxied = Server::start_on(
        service.clone(),
        ServerConfig {
            trusted_proxies: vec!["127.0.0.0/8".parse().unwrap()],
            ..ServerConfig::default()
        },
    )
    .await;
    let user = user_with_policy(plain.addr, "secure-only", SECURE_ONLY).await;
    let connector = connector(&[&cert]);

    let (over_tls, shown) = send_tls(tls.addr, &connector, &get_user(&user))
        .await
        .expect("a TLS exchange");
    assert_eq!(shown, cert);
    assert_eq!(over_tls.status, 200, "{}", over_tls.body);

    let over_plain = send(plain.addr, &get_user(&user)).await;
    assert_eq!(
        over_plain.tag("Code"),
        Some("AccessDenied"),
        "{}",
        over_plain.body
    );

    // A peer that is not a trusted proxy cannot claim TLS.
    let spoofed = send(
        plain.addr,
        &get_user(&user).header("X-Forwarded-Proto", "https"),
    )
    .await;
    assert_eq!(
        spoofed.tag("Code"),
        Some("AccessDenied"),
        "{}",
        spoofed.body
    );

    // A trusted proxy can; without the header its plain connection stays plain.
    let forwarded = send(
        proxied.addr,
        &get_user(&user).header("X-Forwarded-Proto", "https"),
    )
    .await;
    assert_eq!(forwarded.status, 200, "{}", forwarded.body);
    let unforwarded = send(proxied.addr, &get_user(&user)).await;
    assert_eq!(
        unforwarded.tag("Code"),
        Some("AccessDenied"),
        "{}",
        unforwarded.body
    );
    let downgraded = send(
        proxied.addr,
        &get_user(&user).header("X-Forwarded-Proto", "http"),
    )
    .await;
    assert_eq!(
        downgraded.tag("Code"),
        Some("AccessDenied"),
        "{}",
        downgraded.body
    );

    // Plain HTTP to the TLS port is not served.
    let mut stream = TcpStream::connect(tls.addr).await.unwrap();
    assert!(
        exchange(&mut stream, &get_user(&user))
            .await
            .is_none_or(|r| r.status != 200)
    );

    plain.stop().await;
    tls.stop().await;
    proxied.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_13_source_ip_is_forwarded_only_by_trusted_proxies() {
    let service = common::service().await;
    let plain = Server::start_on(service.clone(), ServerConfig::default()).await;
    let proxied = Server::start_on(
        service.clone(),
        ServerConfig {
            trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
            ..ServerConfig::default()
        },
    )
    .await;
    let user = user_with_policy(plain.addr, "from-office", FROM_OFFICE).await;
    let cases = [
        (plain.addr, "203.0.113.7", false),
        (proxied.addr, "203.0.113.7", true),
        // The trusted hop itself is skipped.
        (proxied.addr, "203.0.113.7, 127.0.0.1", true),
        // The nearest untrusted hop is the client, whatever it wrote before it.
        (proxied.addr, "203.0.113.7, 198.51.100.1", false),
        (proxied.addr, "not-an-address", false),
    ];
    for (addr, forwarded_for, allowed) in cases {
        let response = send(
            addr,
            &get_user(&user).header("X-Forwarded-For", forwarded_for),
        )
        .await;
        assert_eq!(
            response.status == 200,
            allowed,
            "{forwarded_for}: {}",
            response.body
        );
    }
    plain.stop().await;
    proxied.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_13_tls_certificate_is_reloaded_when_its_files_change() {
    let dir = TempDir::new("reload");
    let files = dir.files();
    let first = write_cert(&files);
    let server = Server::start(ServerConfig {
        tls: Some(files.clone()),
        ..ServerConfig::default()
    })
    .await;
    let second = write_cert(&files);
    let connector = connector(&[&first, &second]);
    let health = Raw {
        method: "GET".to_owned(),
        target: "/_castellan/health".to_owned(),
        headers: vec![("host".to_owned(), "localhost".to_owned())],
        body: Vec::new(),
    };
    // The files are looked at once a second at most: retried, bounded.
    let mut shown = None;
    for _ in 0..50 {
        let (response, cert) = send_tls(server.addr, &connector, &health).await.unwrap();
        assert_eq!(response.status, 200);
        shown = Some(cert);
        if shown.as_ref() == Some(&second) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(shown, Some(second.clone()), "the new certificate is served");
    // A key file that does not load keeps the certificate in use.
    std::fs::write(&files.key, "not a key").unwrap();
    for _ in 0..15 {
        let (response, cert) = send_tls(server.addr, &connector, &health)
            .await
            .expect("still served while the files are broken");
        assert_eq!(response.status, 200);
        assert_eq!(cert, second);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.stop().await;
}

#[test]
fn finding_13_unusable_tls_files_stop_the_start() {
    let dir = TempDir::new("unusable");
    let files = dir.files();
    let config = ServerConfig {
        tls: Some(files.clone()),
        ..ServerConfig::default()
    };
    assert!(config.check().is_err(), "missing files");
    std::fs::write(&files.cert, "junk").unwrap();
    std::fs::write(&files.key, "junk").unwrap();
    assert!(config.check().is_err(), "junk files");
    write_cert(&files);
    config.check().unwrap();
}
