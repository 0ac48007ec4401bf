//! The verifier: AWS's checks in AWS's order (cheap ones before the key lookup), the signing-key
//! cache, and the constant-time signature comparison.

use std::collections::HashMap;
use std::fmt;
use std::sync::RwLock;
use std::time::SystemTime;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::canonical::{CanonicalParams, string_to_sign_parts, write_canonical_request};
use crate::claim::credential_parts;
use crate::encode::hex32;
use crate::error::AuthError;
use crate::error::LookupError;
use crate::keys::{SecretKey, SigningKey};
use crate::parse::{Parsed, SignatureForm, parse};
use crate::request::Request;
use crate::time::{UnixSeconds, format_basic, parse_basic, system_time, unix_seconds};

/// AWS's fixed clock window for signed requests.
const MAX_SKEW_SECS: i64 = 15 * 60;
/// The longest `X-Amz-Expires` AWS accepts: seven days.
const MAX_EXPIRES_SECS: i64 = 604_800;
const TERMINATOR: &str = "aws4_request";
const SIGNATURE_PARAM: &[u8] = b"X-Amz-Signature";
const TOKEN_PARAM: &[u8] = b"X-Amz-Security-Token";

/// What the key lookup is asked: the access key id, and the session token if the request has
/// one, so that a temporary key and its token are validated together before the signature.
#[derive(Clone, Copy)]
pub struct KeyRequest<'a> {
    /// The access key id from the credential scope.
    pub access_key_id: &'a str,
    /// `X-Amz-Security-Token`, signed or not.
    pub session_token: Option<&'a str>,
    /// The credential scope's region.
    pub region: &'a str,
    /// The credential scope's service.
    pub service: &'a str,
}

impl fmt::Debug for KeyRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRequest")
            .field("access_key_id", &self.access_key_id)
            .field("session_token", &self.session_token.map(|_| "<redacted>"))
            .field("region", &self.region)
            .field("service", &self.service)
            .finish()
    }
}

/// An authenticated request: who signed it, for where, and when.
#[derive(Clone, PartialEq, Eq)]
pub struct Verified {
    /// The access key id that signed the request.
    pub access_key_id: String,
    /// The credential scope's region (any region is accepted).
    pub region: String,
    /// The credential scope's service (one of the verifier's services).
    pub service: String,
    /// The session token, for the caller to have validated in the lookup.
    pub session_token: Option<String>,
    /// `X-Amz-Date`.
    pub signed_at: SystemTime,
    /// Header or presigned.
    pub form: SignatureForm,
}

impl fmt::Debug for Verified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verified")
            .field("access_key_id", &self.access_key_id)
            .field("region", &self.region)
            .field("service", &self.service)
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .field("signed_at", &self.signed_at)
            .field("form", &self.form)
            .finish()
    }
}

/// The canonical request and string to sign computed for one reading of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningInput {
    /// The canonical request, as AWS's documentation and test suite print it.
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
}

/// What the verifier would sign for a request, for diagnostics and conformance tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The request as signed.
    pub signed: SigningInput,
    /// Presigned requests with a session token only: the reading without the token, for
    /// clients that append the token after signing (accepted as AWS does).
    pub without_session_token: Option<SigningInput>,
}

/// The credential scope, split and checked, borrowing from the parsed signature.
#[derive(Debug, Clone, Copy)]
struct Scope<'p> {
    access_key_id: &'p str,
    date: &'p str,
    region: &'p str,
    service: &'p str,
    /// `date/region/service/aws4_request`, as it appears in the string to sign.
    string: &'p str,
    /// `akid/date/region/service`: the signing-key cache key, free to slice.
    cache_key: &'p str,
}

/// A cached signing key and the secret it came from, so that a rotated secret is noticed.
struct CachedKey {
    secret: SecretKey,
    key: SigningKey,
}

/// Verifies SigV4-signed requests. Share one per process: it is `Send + Sync` and its
/// signing-key cache is what keeps verification cheap.
pub struct Verifier {
    services: Vec<String>,
    normalize_path: bool,
    cache_capacity: usize,
    cache: RwLock<HashMap<Box<str>, CachedKey>>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cached = self.cache.read().map(|c| c.len()).unwrap_or(0);
        f.debug_struct("Verifier")
            .field("services", &self.services)
            .field("normalize_path", &self.normalize_path)
            .field("cache_capacity", &self.cache_capacity)
            .field("cached_keys", &cached)
            .finish()
    }
}

impl Default for Verifier {
    fn default() -> Self {
        Self::new()
    }
}

impl Verifier {
    /// A verifier for IAM and STS (`iam`, `sts`), normalising paths, caching 4096 signing keys.
    pub fn new() -> Self {
        Self {
            services: vec!["iam".to_owned(), "sts".to_owned()],
            normalize_path: true,
            cache_capacity: 4096,
            cache: RwLock::new(HashMap::new()),
        }
    }

    /// Accepts these credential-scope services instead (the first is the one AWS's message
    /// names when a scope has another).
    #[must_use]
    pub fn with_services<I, S>(mut self, services: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.services = services.into_iter().map(Into::into).collect();
        self
    }

    /// Accepts a credential scope of any service: for requests signed for other services and
    /// forwarded to be checked ([`Verifier::verify_forwarded`]).
    #[must_use]
    pub fn with_any_service(mut self) -> Self {
        self.services.clear();
        self
    }

    /// Whether to normalise the URI path (`.`/`..`/`//`). Every AWS service does except S3;
    /// turn it off only to check S3-style vectors.
    #[must_use]
    pub fn with_path_normalization(mut self, normalize: bool) -> Self {
        self.normalize_path = normalize;
        self
    }

    /// How many signing keys (per key, day, region, service) to keep; 0 disables the cache.
    #[must_use]
    pub fn with_cache_capacity(mut self, capacity: usize) -> Self {
        self.cache_capacity = capacity;
        self
    }

    /// Verifies `request` at time `now`.
    ///
    /// Checks run in AWS's order, and only the ones that pass reach `lookup`: signature present,
    /// algorithm, required parts, date format, clock window (or presigned expiry), `host` and
    /// every `x-amz-*` header signed, credential scope; then the key lookup (which also
    /// validates any session token), then the signature.
    pub fn verify<F>(
        &self,
        request: &Request<'_>,
        now: SystemTime,
        lookup: F,
    ) -> Result<Verified, AuthError>
    where
        F: FnOnce(&KeyRequest<'_>) -> Result<SecretKey, LookupError>,
    {
        let computed_body_hash = hex32(&Sha256::digest(request.body).into());
        self.verify_with_body_hash(request, &computed_body_hash, false, now, lookup)
    }

    /// Verifies a request that another server received and forwarded without its body:
    /// `body_sha256` is the hex SHA-256 of the body that server read (`request.body` is not
    /// used). The signed payload hash (`x-amz-content-sha256`, when sent) must be that hash,
    /// or `UNSIGNED-PAYLOAD`, as S3 allows. Otherwise as [`Verifier::verify`].
    pub fn verify_forwarded<F>(
        &self,
        request: &Request<'_>,
        body_sha256: &str,
        now: SystemTime,
        lookup: F,
    ) -> Result<Verified, AuthError>
    where
        F: FnOnce(&KeyRequest<'_>) -> Result<SecretKey, LookupError>,
    {
        let mut given = [0u8; 64];
        let hash = body_sha256.trim().as_bytes();
        if hash.len() != 64 || !hash.iter().all(u8::is_ascii_hexdigit) {
            return Err(AuthError::mismatch());
        }
        for (to, from) in given.iter_mut().zip(hash) {
            *to = from.to_ascii_lowercase();
        }
        self.verify_with_body_hash(request, &given, true, now, lookup)
    }

    fn verify_with_body_hash<F>(
        &self,
        request: &Request<'_>,
        computed_body_hash: &[u8; 64],
        unsigned_payload_allowed: bool,
        now: SystemTime,
        lookup: F,
    ) -> Result<Verified, AuthError>
    where
        F: FnOnce(&KeyRequest<'_>) -> Result<SecretKey, LookupError>,
    {
        let parsed = parse(request)?;
        let signed_at = parse_date(&parsed.amz_date)?;
        check_clock(&parsed, signed_at, unix_seconds(now))?;
        let scope = self.check_scope(request, &parsed)?;

        let secret = lookup(&KeyRequest {
            access_key_id: scope.access_key_id,
            session_token: parsed.session_token.as_deref(),
            region: scope.region,
            service: scope.service,
        })
        .map_err(|e| e.into_auth_error(scope.service))?;

        let payload_hash = payload_hash(request, computed_body_hash);
        // A client-supplied body hash must be the body's: it stands for the body in the
        // canonical request, so a mismatch would let a changed body through.
        let body_ok = payload_hash.ct_eq(&computed_body_hash[..])
            | subtle::Choice::from(u8::from(
                unsigned_payload_allowed && payload_hash == b"UNSIGNED-PAYLOAD",
            ));

        let (key, cached) = self.signing_key(&scope, &secret);
        let mut matched =
            body_ok & self.signature_matches(request, &parsed, &scope, &key, payload_hash, false);
        if !bool::from(matched)
            && parsed.form == SignatureForm::Presigned
            && parsed.session_token.is_some()
        {
            matched = body_ok
                & self.signature_matches(request, &parsed, &scope, &key, payload_hash, true);
        }
        if !bool::from(matched) {
            return Err(AuthError::mismatch());
        }
        if !cached {
            self.remember(&scope, &secret, key);
        }

        Ok(Verified {
            access_key_id: scope.access_key_id.to_owned(),
            region: scope.region.to_owned(),
            service: scope.service.to_owned(),
            session_token: parsed.session_token.map(|t| t.into_owned()),
            signed_at: system_time(signed_at),
            form: parsed.form,
        })
    }

    /// The canonical request and string to sign the verifier computes for `request`, after the
    /// same syntax and scope checks as [`Verifier::verify`] but without the clock or any key.
    pub fn explain(&self, request: &Request<'_>) -> Result<Explanation, AuthError> {
        let parsed = parse(request)?;
        parse_date(&parsed.amz_date)?;
        let scope = self.check_scope(request, &parsed)?;
        let computed_body_hash = hex32(&Sha256::digest(request.body).into());
        let payload_hash = payload_hash(request, &computed_body_hash);
        let input = |omit_token: bool| {
            let mut canonical = Vec::new();
            write_canonical_request(
                &mut canonical,
                request,
                &self.canonical_params(&parsed, payload_hash, omit_token),
            );
            let hash = hex32(&Sha256::digest(&canonical).into());
            let string_to_sign =
                string_to_sign_parts(&parsed.amz_date, scope.string, &hash).concat();
            SigningInput {
                canonical_request: String::from_utf8_lossy(&canonical).into_owned(),
                string_to_sign: String::from_utf8_lossy(&string_to_sign).into_owned(),
            }
        };
        let without_session_token = (parsed.form == SignatureForm::Presigned
            && parsed.session_token.is_some())
        .then(|| input(true));
        Ok(Explanation {
            signed: input(false),
            without_session_token,
        })
    }

    fn canonical_params<'p>(
        &self,
        parsed: &'p Parsed<'_>,
        payload_hash: &'p [u8],
        omit_token: bool,
    ) -> CanonicalParams<'p> {
        const HEADER_FORM: &[&[u8]] = &[];
        const PRESIGNED: &[&[u8]] = &[SIGNATURE_PARAM];
        const PRESIGNED_NO_TOKEN: &[&[u8]] = &[SIGNATURE_PARAM, TOKEN_PARAM];
        CanonicalParams {
            signed_headers: &parsed.signed_headers,
            payload_hash,
            normalize_path: self.normalize_path,
            excluded_params: match (parsed.form, omit_token) {
                (SignatureForm::Header, _) => HEADER_FORM,
                (SignatureForm::Presigned, false) => PRESIGNED,
                (SignatureForm::Presigned, true) => PRESIGNED_NO_TOKEN,
            },
        }
    }

    fn signature_matches(
        &self,
        request: &Request<'_>,
        parsed: &Parsed<'_>,
        scope: &Scope<'_>,
        key: &SigningKey,
        payload_hash: &[u8],
        omit_token: bool,
    ) -> subtle::Choice {
        let mut hasher = Sha256::new();
        write_canonical_request(
            &mut hasher,
            request,
            &self.canonical_params(parsed, payload_hash, omit_token),
        );
        let canonical_hash = hex32(&hasher.finalize().into());
        let expected = key.sign_parts(&string_to_sign_parts(
            &parsed.amz_date,
            scope.string,
            &canonical_hash,
        ));
        expected[..].ct_eq(parsed.signature.as_bytes())
    }

    /// `host` and every `x-amz-*` header signed, then the credential's shape and scope.
    fn check_scope<'p>(
        &self,
        request: &Request<'_>,
        parsed: &'p Parsed<'_>,
    ) -> Result<Scope<'p>, AuthError> {
        let signed = || parsed.signed_headers.split(';');
        if !signed().any(|h| h.eq_ignore_ascii_case("host")) {
            return Err(AuthError::SignatureDoesNotMatch(
                "'Host' must be a 'SignedHeader' in the AWS Authorization.".to_owned(),
            ));
        }
        // The session token may be added after signing (AWS accepts that: the lookup validates
        // it); any other x-amz-* header must be covered by the signature.
        for (name, _) in request.headers {
            let is_amz = name
                .get(..6)
                .is_some_and(|p| p.eq_ignore_ascii_case("x-amz-"));
            if is_amz
                && !name.eq_ignore_ascii_case("x-amz-security-token")
                && !signed().any(|h| h.eq_ignore_ascii_case(name))
            {
                return Err(AuthError::SignatureDoesNotMatch(format!(
                    "'{}' must be a 'SignedHeader' in the AWS Authorization.",
                    name.to_ascii_lowercase()
                )));
            }
        }

        let credential: &'p str = &parsed.credential;
        let Some([access_key_id, date, region, service, terminator]) = credential_parts(credential)
        else {
            return Err(AuthError::IncompleteSignature(format!(
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
            )));
        };

        let mut problems = Vec::new();
        if region.is_empty() {
            problems.push(format!(
                "Credential should be scoped to a valid region, not '{region}'."
            ));
        }
        if !self.services.is_empty() && !self.services.iter().any(|s| s == service) {
            let expected = self.services.first().map_or("", String::as_str);
            problems.push(format!(
                "Credential should be scoped to correct service: '{expected}'."
            ));
        }
        if terminator != TERMINATOR {
            problems.push(format!(
                "Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{terminator}'."
            ));
        }
        let amz_day = parsed.amz_date.get(..8).unwrap_or_default();
        if date != amz_day {
            problems.push(format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{date}' != '{amz_day}', from '{}'.",
                parsed.amz_date
            ));
        }
        if !problems.is_empty() {
            return Err(AuthError::SignatureDoesNotMatch(problems.join(" ")));
        }

        let scope_start = access_key_id.len() + 1;
        let cache_end = credential.len() - terminator.len() - 1;
        Ok(Scope {
            access_key_id,
            date,
            region,
            service,
            string: credential.get(scope_start..).unwrap_or_default(),
            cache_key: credential.get(..cache_end).unwrap_or_default(),
        })
    }

    /// The signing key for a scope and secret, and whether it came from the cache: it does when
    /// it was derived from this very secret (a rotated secret misses), else it is derived.
    fn signing_key(&self, scope: &Scope<'_>, secret: &SecretKey) -> (SigningKey, bool) {
        if let Ok(cache) = self.cache.read()
            && let Some(cached) = cache.get(scope.cache_key)
            && cached.secret.ct_eq(secret)
        {
            return (cached.key.clone(), true);
        }
        let key = SigningKey::derive(secret, scope.date, scope.region, scope.service);
        (key, false)
    }

    /// Caches a key once it has verified a signature, so that only keys that signed something
    /// valid take room. When full, the cache is emptied: crude, but bounded, and a miss costs
    /// only four HMACs.
    fn remember(&self, scope: &Scope<'_>, secret: &SecretKey, key: SigningKey) {
        if self.cache_capacity == 0 {
            return;
        }
        if let Ok(mut cache) = self.cache.write() {
            if cache.len() >= self.cache_capacity && !cache.contains_key(scope.cache_key) {
                cache.clear();
            }
            cache.insert(
                scope.cache_key.into(),
                CachedKey {
                    secret: secret.clone(),
                    key,
                },
            );
        }
    }
}

/// The hash standing for the body: `x-amz-content-sha256` when sent, else the computed one.
fn payload_hash<'a>(request: &Request<'a>, computed: &'a [u8; 64]) -> &'a [u8] {
    request
        .header("x-amz-content-sha256")
        .map_or(&computed[..], <[u8]>::trim_ascii)
}

fn parse_date(amz_date: &str) -> Result<UnixSeconds, AuthError> {
    parse_basic(amz_date).ok_or_else(|| {
        AuthError::IncompleteSignature(format!(
            "Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601"
        ))
    })
}

/// AWS's 15-minute window, with its messages; presigned requests instead last `X-Amz-Expires`.
fn check_clock(
    parsed: &Parsed<'_>,
    signed_at: UnixSeconds,
    now: UnixSeconds,
) -> Result<(), AuthError> {
    let latest = now.saturating_add(MAX_SKEW_SECS);
    if signed_at > latest {
        return Err(AuthError::SignatureDoesNotMatch(format!(
            "Signature not yet current: {} is still later than {} ({} + 15 min.)",
            parsed.amz_date,
            format_basic(latest),
            format_basic(now)
        )));
    }
    if let Some(expires) = &parsed.expires {
        let seconds = parse_expires(expires)?;
        if now > signed_at.saturating_add(seconds) {
            return Err(AuthError::RequestExpired);
        }
        return Ok(());
    }
    let earliest = now.saturating_sub(MAX_SKEW_SECS);
    if signed_at < earliest {
        return Err(AuthError::SignatureDoesNotMatch(format!(
            "Signature expired: {} is now earlier than {} ({} - 15 min.)",
            parsed.amz_date,
            format_basic(earliest),
            format_basic(now)
        )));
    }
    Ok(())
}

/// `X-Amz-Expires`: whole seconds, 0..=604800 (0 is valid for its own second only).
fn parse_expires(value: &str) -> Result<i64, AuthError> {
    let invalid = |message: &str| Err(AuthError::IncompleteSignature(message.to_owned()));
    let digits = value.strip_prefix('-').unwrap_or(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return invalid("X-Amz-Expires should be a number");
    }
    if value.starts_with('-') {
        return invalid("X-Amz-Expires must be non-negative");
    }
    match digits.parse::<i64>() {
        Ok(seconds) if seconds <= MAX_EXPIRES_SECS => Ok(seconds),
        _ => invalid("X-Amz-Expires must be less than a week (in seconds) that is 604800"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifier_is_shareable() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Verifier>();
    }

    #[test]
    fn expires_values() {
        assert_eq!(parse_expires("900"), Ok(900));
        assert_eq!(parse_expires("604800"), Ok(604_800));
        assert_eq!(parse_expires("0"), Ok(0));
        for (value, message) in [
            (
                "604801",
                "X-Amz-Expires must be less than a week (in seconds) that is 604800",
            ),
            (
                "99999999999999999999",
                "X-Amz-Expires must be less than a week (in seconds) that is 604800",
            ),
            ("-1", "X-Amz-Expires must be non-negative"),
            ("", "X-Amz-Expires should be a number"),
            ("1e3", "X-Amz-Expires should be a number"),
            ("+5", "X-Amz-Expires should be a number"),
        ] {
            assert_eq!(
                parse_expires(value).unwrap_err().message(),
                message,
                "{value}"
            );
        }
    }
}
