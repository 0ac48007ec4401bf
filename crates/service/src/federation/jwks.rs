//! An OIDC issuer's signing keys: its discovery document and JWKS fetched over HTTPS (the
//! system's roots plus the PEM bundle of `--trust-ca-file`), cached per issuer, fetched
//! again when a token names a `kid` the cache does not hold.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

use super::jwt::{Jwk, parse_jwks};

/// Keys are fetched again after an hour even when every `kid` is found (rotation).
const KEYS_TTL_SECONDS: i64 = 3_600;
/// An unknown `kid` fetches again at most once a minute per issuer, so that tokens naming
/// made-up kids cannot make the server hammer an issuer.
const REFRESH_INTERVAL_SECONDS: i64 = 60;
/// How long one fetch (connect, TLS, request, body) may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest discovery document or JWKS read.
const MAX_DOCUMENT_BYTES: usize = 512 * 1024;
/// Issuers cached at most; past it the cache starts over (fetching again is only slower).
const MAX_ISSUERS: usize = 4_096;
/// Where Debian (and most distributions) keep the system's roots as one bundle.
const SYSTEM_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// Why an issuer's keys could not be had: answered `IDPCommunicationError`.
#[derive(Debug)]
pub(crate) struct FetchError(pub String);

#[derive(Debug)]
struct Entry {
    keys: Arc<Vec<Jwk>>,
    fetched_at: i64,
}

/// The key fetcher and its cache, shared by every request.
pub(crate) struct KeyFetcher {
    /// `None` when no TLS configuration could be built: every fetch then fails (closed).
    tls: Option<TlsConnector>,
    cache: Mutex<HashMap<String, Entry>>,
}

/// The roots the fetcher trusts: the system bundle, then every certificate of `extra`.
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

impl std::fmt::Debug for KeyFetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyFetcher")
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl KeyFetcher {
    /// A fetcher trusting the system's roots and, if given, the PEM bundle at `extra`.
    pub(crate) fn new(extra: Option<&Path>) -> KeyFetcher {
        KeyFetcher::build(extra).unwrap_or_else(|error| {
            tracing::warn!(%error, "no TLS client for OIDC issuers: key fetches will fail");
            KeyFetcher {
                tls: None,
                cache: Mutex::new(HashMap::new()),
            }
        })
    }

    /// A fetcher that also trusts the PEM bundle at `path`; an unreadable or empty bundle
    /// is an error (start-up refuses it rather than run without the private issuer's CA).
    pub(crate) fn with_extra_roots(path: &Path) -> Result<KeyFetcher, String> {
        KeyFetcher::build(Some(path))
    }

    fn build(extra: Option<&Path>) -> Result<KeyFetcher, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|error| error.to_string())?
            .with_root_certificates(roots(extra)?)
            .with_no_client_auth();
        Ok(KeyFetcher {
            tls: Some(TlsConnector::from(Arc::new(config))),
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The keys of `issuer` (an `https://` URL): from the cache while fresh, else fetched.
    /// `unknown_kid` asks for a fetch even of fresh keys, at most once a minute.
    pub(crate) async fn keys(
        &self,
        issuer: &str,
        now: i64,
        unknown_kid: bool,
    ) -> Result<Arc<Vec<Jwk>>, FetchError> {
        if let Some(keys) = self.cached(issuer, now, unknown_kid) {
            return Ok(keys);
        }
        let keys = Arc::new(
            tokio::time::timeout(FETCH_TIMEOUT * 2, self.fetch_keys(issuer))
                .await
                .map_err(|_| FetchError("timed out".to_owned()))??,
        );
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= MAX_ISSUERS {
                cache.clear();
            }
            cache.insert(
                issuer.to_owned(),
                Entry {
                    keys: Arc::clone(&keys),
                    fetched_at: now,
                },
            );
        }
        Ok(keys)
    }

    fn cached(&self, issuer: &str, now: i64, unknown_kid: bool) -> Option<Arc<Vec<Jwk>>> {
        let cache = self.cache.lock().ok()?;
        let entry = cache.get(issuer)?;
        let age = now.saturating_sub(entry.fetched_at);
        let fresh = (0..KEYS_TTL_SECONDS).contains(&age);
        let may_refresh = !(0..REFRESH_INTERVAL_SECONDS).contains(&age);
        (fresh && !(unknown_kid && may_refresh)).then(|| Arc::clone(&entry.keys))
    }

    async fn fetch_keys(&self, issuer: &str) -> Result<Vec<Jwk>, FetchError> {
        let discovery_url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let discovery = self.get(&discovery_url).await?;
        let jwks_uri = match serde_json::from_slice::<Value>(&discovery) {
            Ok(Value::Object(document)) => document
                .get("jwks_uri")
                .and_then(Value::as_str)
                .map(str::to_owned),
            _ => None,
        }
        .ok_or_else(|| FetchError("the discovery document names no jwks_uri".to_owned()))?;
        let jwks = self.get(&jwks_uri).await?;
        parse_jwks(&jwks).ok_or_else(|| FetchError("the JWKS is not a key set".to_owned()))
    }

    /// One HTTPS GET (no redirects followed, no other scheme), its 200 body.
    async fn get(&self, url: &str) -> Result<Bytes, FetchError> {
        let fail = |what: &str| FetchError(format!("{url}: {what}"));
        let (host, port, path) = split_https_url(url).ok_or_else(|| fail("not an https URL"))?;
        let server_name = ServerName::try_from(host.trim_matches(['[', ']']).to_owned())
            .map_err(|_| fail("not a host name"))?;
        let connect = async {
            let tcp = tokio::net::TcpStream::connect((host.trim_matches(['[', ']']), port))
                .await
                .map_err(|error| fail(&error.to_string()))?;
            let connector = self.tls.as_ref().ok_or_else(|| fail("no TLS client"))?;
            let tls = connector
                .connect(server_name, tcp)
                .await
                .map_err(|error| fail(&error.to_string()))?;
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(TokioIo::new(tls))
                    .await
                    .map_err(|error| fail(&error.to_string()))?;
            tokio::spawn(connection);
            let host_header = if port == 443 {
                host.to_owned()
            } else {
                format!("{host}:{port}")
            };
            let request = hyper::Request::get(path)
                .header(hyper::header::HOST, host_header)
                .header(hyper::header::ACCEPT, "application/json")
                .header(hyper::header::USER_AGENT, "castellan")
                .body(Empty::new())
                .map_err(|error| fail(&error.to_string()))?;
            let response = sender
                .send_request(request)
                .await
                .map_err(|error| fail(&error.to_string()))?;
            if response.status() != hyper::StatusCode::OK {
                return Err(fail(&format!("status {}", response.status())));
            }
            Limited::new(response.into_body(), MAX_DOCUMENT_BYTES)
                .collect()
                .await
                .map(http_body_util::Collected::to_bytes)
                .map_err(|error| fail(&error.to_string()))
        };
        tokio::time::timeout(FETCH_TIMEOUT, connect)
            .await
            .map_err(|_| fail("timed out"))?
    }
}

/// `https://host[:port][/path]` as (host, port, path-and-query); `None` for anything else
/// (another scheme, user info, an empty host, a port that is not a number).
pub(crate) fn split_https_url(url: &str) -> Option<(&str, u16, &str)> {
    let rest = url.strip_prefix("https://")?;
    let (authority, path) = match rest.find(['/', '?']) {
        Some(at) => (rest.get(..at)?, rest.get(at..)?),
        None => (rest, "/"),
    };
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let (host, port) = if authority.starts_with('[') {
        let close = authority.find(']')?;
        let host = authority.get(..=close)?;
        match authority.get(close + 1..)? {
            "" => (host, 443),
            port => (host, port.strip_prefix(':')?.parse::<u16>().ok()?),
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, port.parse::<u16>().ok()?),
            None => (authority, 443),
        }
    };
    if host.is_empty() || path.starts_with('?') {
        return None;
    }
    Some((host, port, path))
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
