//! An OIDC issuer's signing keys: its discovery document and JWKS, fetched through the
//! server's HTTPS client ([`HttpsGet`]; only the server crate knows the HTTP stack), cached
//! per issuer, fetched again when a token names a `kid` the cache does not hold. The
//! discovery document's `issuer` comes back with the keys: the caller compares it with the
//! token's `iss` (OpenID Connect Discovery 1.0, section 4.3).

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::jwt::{Jwk, parse_jwks};

/// Keys are fetched again after an hour even when every `kid` is found (rotation).
const KEYS_TTL_SECONDS: i64 = 3_600;
/// An unknown `kid` fetches again at most once a minute per issuer, so that tokens naming
/// made-up kids cannot make the server hammer an issuer (reading 66).
const REFRESH_INTERVAL_SECONDS: i64 = 60;
/// Issuers cached at most; past it the cache starts over (fetching again is only slower).
const MAX_ISSUERS: usize = 4_096;

/// What a GET answers: the body of a 200, or why there is none.
pub type HttpsGetResult<'a> = Pin<Box<dyn Future<Output = Result<Vec<u8>, String>> + Send + 'a>>;

/// One HTTPS GET of a public document (an issuer's discovery document or JWKS): only
/// `https://` URLs, the certificate checked against the trusted roots, no redirects
/// followed, bounded in time and size. The server crate provides it.
pub trait HttpsGet: Send + Sync + fmt::Debug {
    /// The body of `url` when it answers 200.
    fn get<'a>(&'a self, url: &'a str) -> HttpsGetResult<'a>;
}

/// The client of a service nobody gave one: every fetch fails (closed).
#[derive(Debug)]
struct NoClient;

impl HttpsGet for NoClient {
    fn get<'a>(&'a self, _url: &'a str) -> HttpsGetResult<'a> {
        Box::pin(async { Err("no HTTPS client configured".to_owned()) })
    }
}

/// Why an issuer's keys could not be had: answered `IDPCommunicationError`.
#[derive(Debug)]
pub(crate) struct FetchError(pub String);

/// What an issuer publishes: the `issuer` its discovery document names and its signing keys.
#[derive(Clone, Debug)]
pub(crate) struct Published {
    /// The discovery document's `issuer`, exactly as written.
    pub issuer: Arc<str>,
    pub keys: Arc<Vec<Jwk>>,
}

#[derive(Debug)]
struct Entry {
    published: Published,
    fetched_at: i64,
}

/// The key fetcher and its cache, shared by every request.
#[derive(Debug)]
pub(crate) struct KeyFetcher {
    client: Arc<dyn HttpsGet>,
    cache: Mutex<HashMap<String, Entry>>,
}

impl Default for KeyFetcher {
    fn default() -> KeyFetcher {
        KeyFetcher::new(Arc::new(NoClient))
    }
}

impl KeyFetcher {
    /// A fetcher over `client`, its cache empty.
    pub(crate) fn new(client: Arc<dyn HttpsGet>) -> KeyFetcher {
        KeyFetcher {
            client,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// What `issuer` (an `https://` URL, without trailing slash) publishes: from the cache
    /// while fresh, else fetched. `unknown_kid` asks for a fetch even of fresh keys, at most
    /// once a minute.
    pub(crate) async fn keys(
        &self,
        issuer: &str,
        now: i64,
        unknown_kid: bool,
    ) -> Result<Published, FetchError> {
        if let Some(published) = self.cached(issuer, now, unknown_kid) {
            return Ok(published);
        }
        let published = self.fetch(issuer).await?;
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= MAX_ISSUERS {
                cache.clear();
            }
            cache.insert(
                issuer.to_owned(),
                Entry {
                    published: published.clone(),
                    fetched_at: now,
                },
            );
        }
        Ok(published)
    }

    fn cached(&self, issuer: &str, now: i64, unknown_kid: bool) -> Option<Published> {
        let cache = self.cache.lock().ok()?;
        let entry = cache.get(issuer)?;
        let age = now.saturating_sub(entry.fetched_at);
        let fresh = (0..KEYS_TTL_SECONDS).contains(&age);
        let may_refresh = !(0..REFRESH_INTERVAL_SECONDS).contains(&age);
        (fresh && !(unknown_kid && may_refresh)).then(|| entry.published.clone())
    }

    async fn fetch(&self, issuer: &str) -> Result<Published, FetchError> {
        // Discovery section 4: a terminating `/` of the issuer is removed before the
        // well-known path is appended.
        let discovery_url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let discovery = self.client.get(&discovery_url).await.map_err(FetchError)?;
        let Ok(Value::Object(document)) = serde_json::from_slice::<Value>(&discovery) else {
            return Err(FetchError(
                "the discovery document is not a JSON object".to_owned(),
            ));
        };
        // `issuer` is REQUIRED (Discovery section 3): a document without it cannot say whose
        // keys these are.
        let named = document
            .get("issuer")
            .and_then(Value::as_str)
            .ok_or_else(|| FetchError("the discovery document names no issuer".to_owned()))?;
        let jwks_uri = document
            .get("jwks_uri")
            .and_then(Value::as_str)
            .filter(|uri| uri.starts_with("https://"))
            .ok_or_else(|| {
                FetchError("the discovery document names no https jwks_uri".to_owned())
            })?;
        let jwks = self.client.get(jwks_uri).await.map_err(FetchError)?;
        let keys =
            parse_jwks(&jwks).ok_or_else(|| FetchError("the JWKS is not a key set".to_owned()))?;
        Ok(Published {
            issuer: Arc::from(named),
            keys: Arc::new(keys),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// An issuer in memory: its discovery document and a JWKS, counting JWKS fetches.
    #[derive(Debug, Default)]
    struct Fake {
        jwks_fetches: AtomicUsize,
        jwks: Mutex<String>,
    }

    impl HttpsGet for Fake {
        fn get<'a>(&'a self, url: &'a str) -> HttpsGetResult<'a> {
            Box::pin(async move {
                match url {
                    "https://idp.example/.well-known/openid-configuration" => Ok(
                        br#"{"issuer": "https://idp.example/", "jwks_uri": "https://idp.example/keys"}"#
                            .to_vec(),
                    ),
                    "https://nameless.example/.well-known/openid-configuration" => {
                        Ok(br#"{"jwks_uri": "https://idp.example/keys"}"#.to_vec())
                    }
                    "https://idp.example/keys" => {
                        self.jwks_fetches.fetch_add(1, Ordering::SeqCst);
                        Ok(self
                            .jwks
                            .lock()
                            .map(|j| j.clone().into_bytes())
                            .unwrap_or_default())
                    }
                    _ => Err("404".to_owned()),
                }
            })
        }
    }

    fn jwks(kid: &str) -> String {
        format!(r#"{{"keys": [{{"kty": "RSA", "kid": "{kid}", "n": "AQAB", "e": "AQAB"}}]}}"#)
    }

    #[tokio::test]
    async fn keys_are_cached_and_an_unknown_kid_refetches_at_most_once_a_minute() {
        let fake = Arc::new(Fake::default());
        if let Ok(mut j) = fake.jwks.lock() {
            *j = jwks("one");
        }
        let fetcher = KeyFetcher::new(fake.clone());
        let fetches = || fake.jwks_fetches.load(Ordering::SeqCst);
        let issuer = "https://idp.example";
        assert!(fetcher.keys(issuer, 1_000, false).await.is_ok());
        assert!(fetcher.keys(issuer, 1_030, false).await.is_ok());
        assert_eq!(fetches(), 1, "served from the cache");
        assert!(fetcher.keys(issuer, 1_030, true).await.is_ok());
        assert_eq!(fetches(), 1, "a refetch within the minute is not made");
        if let Ok(mut j) = fake.jwks.lock() {
            *j = jwks("two");
        }
        let rotated = fetcher.keys(issuer, 1_061, true).await;
        assert!(
            rotated.is_ok_and(
                |p| p.keys.first().and_then(|k| k.kid.as_deref()) == Some("two")
                    && &*p.issuer == "https://idp.example/"
            )
        );
        assert_eq!(fetches(), 2);
        assert!(
            fetcher
                .keys(issuer, 1_061 + KEYS_TTL_SECONDS, false)
                .await
                .is_ok()
        );
        assert_eq!(fetches(), 3, "an hour later the keys are fetched again");
    }

    #[tokio::test]
    async fn an_issuer_that_answers_no_key_set_is_a_fetch_error() {
        let fetcher = KeyFetcher::new(Arc::new(Fake::default()));
        assert!(fetcher.keys("https://idp.example", 0, false).await.is_err());
        assert!(
            fetcher
                .keys("https://other.example", 0, false)
                .await
                .is_err()
        );
        // A discovery document that names no issuer cannot say whose keys it lists.
        let fake = Arc::new(Fake::default());
        if let Ok(mut j) = fake.jwks.lock() {
            *j = jwks("one");
        }
        let fetcher = KeyFetcher::new(fake);
        assert!(fetcher.keys("https://idp.example", 0, false).await.is_ok());
        assert!(
            fetcher
                .keys("https://nameless.example", 0, false)
                .await
                .is_err()
        );
        assert!(
            KeyFetcher::default()
                .keys("https://idp.example", 0, false)
                .await
                .is_err()
        );
    }
}
