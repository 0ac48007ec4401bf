//! JSON Web Tokens as AssumeRoleWithWebIdentity takes them: compact JWS parsing, and
//! signature verification with an issuer's published keys (RS256/384/512, ES256/384) by
//! ring's public-key verification. `none` and every HMAC algorithm are refused at parse
//! time: a public key must never be usable as a shared secret.

use std::fmt;

use data_encoding::BASE64URL_NOPAD;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// The longest token parsed at all (the model's bound on WebIdentityToken is 20,000).
pub(crate) const MAX_TOKEN_LEN: usize = 20_000;

/// The signature algorithms accepted: those AWS documents for OIDC ID tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Alg {
    Rs256,
    Rs384,
    Rs512,
    Es256,
    Es384,
}

impl Alg {
    fn from_name(name: &str) -> Option<Alg> {
        // Exact, case-sensitive names (RFC 7518): `none`, `HS256`, `rs256` are all refused.
        match name {
            "RS256" => Some(Alg::Rs256),
            "RS384" => Some(Alg::Rs384),
            "RS512" => Some(Alg::Rs512),
            "ES256" => Some(Alg::Es256),
            "ES384" => Some(Alg::Es384),
            _ => None,
        }
    }

    /// The JWK key type this algorithm needs.
    fn key_type(self) -> &'static str {
        match self {
            Alg::Rs256 | Alg::Rs384 | Alg::Rs512 => "RSA",
            Alg::Es256 | Alg::Es384 => "EC",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Alg::Rs256 => "RS256",
            Alg::Rs384 => "RS384",
            Alg::Rs512 => "RS512",
            Alg::Es256 => "ES256",
            Alg::Es384 => "ES384",
        }
    }
}

/// Why a token could not be read (each answered `InvalidIdentityToken`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JwtError {
    /// Not three base64url parts of JSON objects (a member name twice in one object counts
    /// as not JSON), or too long.
    Malformed,
    /// An algorithm that is not accepted (`none`, HMAC, unknown) or a critical extension.
    Algorithm,
    /// A token of another kind: a `typ` that is not an identity or access token's, a nested
    /// token (`cty` JWT) or an encrypted one's header (`enc`).
    Kind,
}

/// The `typ` values of tokens that may stand as a web identity: JWTs (ID tokens name
/// `JWT` or nothing; Cognito identity pools `JWS`; `JOSE` is the compact serialization's
/// generic name) and OAuth access tokens (`at+jwt`, RFC 9068), compared without case and
/// with or without `application/` (RFC 7515 section 4.1.9). Everything else an issuer signs
/// with the same keys (logout tokens, security events, entity statements) is not a login.
const TOKEN_TYPES: [&str; 4] = ["jwt", "jws", "jose", "at+jwt"];

/// A parsed, not yet verified, token.
#[derive(Debug)]
pub(crate) struct Jwt {
    pub alg: Alg,
    pub kid: Option<String>,
    pub claims: Map<String, Value>,
    /// `header.payload` as sent: what the signature covers.
    signing_input: Vec<u8>,
    signature: Vec<u8>,
}

fn decode_part(part: &str) -> Result<Vec<u8>, JwtError> {
    BASE64URL_NOPAD
        .decode(part.as_bytes())
        .map_err(|_| JwtError::Malformed)
}

/// A JSON value none of whose objects, at any depth, names a member twice. RFC 7515 (section
/// 4) and RFC 7519 (section 4) let a parser refuse duplicates or keep the last one; keeping
/// one of two is where the issuer and this server could read one signed token two ways
/// (`"sub": "a", "sub": "admin"`), so they are refused.
struct Unique(Value);

impl<'de> Deserialize<'de> for Unique {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Unique, D::Error> {
        deserializer.deserialize_any(UniqueVisitor)
    }
}

struct UniqueVisitor;

impl<'de> Visitor<'de> for UniqueVisitor {
    type Value = Unique;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Unique, E> {
        Ok(Unique(Value::Bool(value)))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Unique, E> {
        Ok(Unique(Value::from(value)))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Unique, E> {
        Ok(Unique(Value::from(value)))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Unique, E> {
        Number::from_f64(value)
            .map(|number| Unique(Value::Number(number)))
            .ok_or_else(|| E::custom("a number that is not finite"))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Unique, E> {
        Ok(Unique(Value::String(value.to_owned())))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Unique, E> {
        Ok(Unique(Value::String(value)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Unique, E> {
        Ok(Unique(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
        let mut items = Vec::new();
        while let Some(Unique(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Unique(Value::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
        let mut object = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            let Unique(value) = map.next_value()?;
            if object.insert(name, value).is_some() {
                return Err(de::Error::custom("a member name twice in one object"));
            }
        }
        Ok(Unique(Value::Object(object)))
    }
}

/// A JSON object without repeated member names, as a token's header and claims must be.
fn json_object(bytes: &[u8]) -> Result<Map<String, Value>, JwtError> {
    match serde_json::from_slice::<Unique>(bytes) {
        Ok(Unique(Value::Object(map))) => Ok(map),
        _ => Err(JwtError::Malformed),
    }
}

/// Whether the header names a kind of token that may stand as a web identity: a `typ`
/// among [`TOKEN_TYPES`] (or none), not a nested token (`cty` JWT) and not an encrypted
/// token's header (`enc`, which a JWE's five parts would carry).
fn is_login_token(header: &Map<String, Value>) -> bool {
    let typ_ok = match header.get("typ") {
        None => true,
        Some(Value::String(typ)) => {
            let typ = typ.to_ascii_lowercase();
            let typ = typ.strip_prefix("application/").unwrap_or(&typ);
            TOKEN_TYPES.contains(&typ)
        }
        Some(_) => false,
    };
    let nested = match header.get("cty") {
        None => false,
        Some(Value::String(cty)) => {
            let cty = cty.to_ascii_lowercase();
            cty.strip_prefix("application/").unwrap_or(&cty) == "jwt"
        }
        Some(_) => true,
    };
    typ_ok && !nested && !header.contains_key("enc")
}

/// Parses a compact JWS: three base64url (unpadded) parts, a JSON header naming an
/// accepted algorithm and no `crit` extension, a JSON object of claims, a signature.
pub(crate) fn parse(token: &str) -> Result<Jwt, JwtError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(JwtError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let header_json = json_object(&decode_part(header)?)?;
    let claims = json_object(&decode_part(payload)?)?;
    let signature = decode_part(signature)?;
    let alg = header_json
        .get("alg")
        .and_then(Value::as_str)
        .and_then(Alg::from_name)
        .ok_or(JwtError::Algorithm)?;
    // Extensions we would have to understand to verify correctly: refuse rather than ignore.
    if header_json.contains_key("crit") {
        return Err(JwtError::Algorithm);
    }
    if !is_login_token(&header_json) {
        return Err(JwtError::Kind);
    }
    let kid = match header_json.get("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(_) => return Err(JwtError::Malformed),
    };
    if signature.is_empty() {
        return Err(JwtError::Malformed);
    }
    let signing_input = format!("{header}.{payload}").into_bytes();
    Ok(Jwt {
        alg,
        kid,
        claims,
        signing_input,
        signature,
    })
}

/// One public key of an issuer's JWKS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Jwk {
    pub kid: Option<String>,
    /// The key's `alg` if it names one: then only that algorithm may use it.
    pub alg: Option<String>,
    material: KeyMaterial,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum KeyMaterial {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// The uncompressed point (0x04 || x || y) and the curve.
    Ec {
        curve: Curve,
        point: Vec<u8>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Curve {
    P256,
    P384,
}

fn b64_member(key: &Map<String, Value>, name: &str) -> Option<Vec<u8>> {
    key.get(name)
        .and_then(Value::as_str)
        .and_then(|text| BASE64URL_NOPAD.decode(text.as_bytes()).ok())
}

fn parse_jwk(key: &Map<String, Value>) -> Option<Jwk> {
    // Keys published for encryption only are not signing keys; nor are keys whose
    // `key_ops` (RFC 7517 section 4.3) leave out `verify`.
    if key
        .get("use")
        .and_then(Value::as_str)
        .is_some_and(|u| u != "sig")
    {
        return None;
    }
    if let Some(ops) = key.get("key_ops") {
        let verifies = ops
            .as_array()
            .is_some_and(|ops| ops.iter().any(|op| op.as_str() == Some("verify")));
        if !verifies {
            return None;
        }
    }
    let material = match key.get("kty").and_then(Value::as_str)? {
        "RSA" => KeyMaterial::Rsa {
            n: b64_member(key, "n")?,
            e: b64_member(key, "e")?,
        },
        "EC" => {
            let (curve, size) = match key.get("crv").and_then(Value::as_str)? {
                "P-256" => (Curve::P256, 32),
                "P-384" => (Curve::P384, 48),
                _ => return None,
            };
            let x = b64_member(key, "x")?;
            let y = b64_member(key, "y")?;
            if x.len() != size || y.len() != size {
                return None;
            }
            let mut point = Vec::with_capacity(1 + 2 * size);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            KeyMaterial::Ec { curve, point }
        }
        _ => return None,
    };
    Some(Jwk {
        kid: key.get("kid").and_then(Value::as_str).map(str::to_owned),
        alg: key.get("alg").and_then(Value::as_str).map(str::to_owned),
        material,
    })
}

/// The signing keys of a JWKS document (`{"keys": [...]}`); keys of other types, curves
/// or uses are skipped, a document that is not a key set is `None`.
pub(crate) fn parse_jwks(bytes: &[u8]) -> Option<Vec<Jwk>> {
    let Ok(Value::Object(document)) = serde_json::from_slice::<Value>(bytes) else {
        return None;
    };
    let keys = document.get("keys")?.as_array()?;
    Some(
        keys.iter()
            .filter_map(Value::as_object)
            .filter_map(parse_jwk)
            .collect(),
    )
}

impl Jwt {
    /// Whether `key` could have made this token's signature: the key's type (and `alg`,
    /// if it names one) fit the token's algorithm and its `kid` matches when both have one.
    pub(crate) fn fits(&self, key: &Jwk) -> bool {
        let kty = match key.material {
            KeyMaterial::Rsa { .. } => "RSA",
            KeyMaterial::Ec { curve, .. } => match (curve, self.alg) {
                (Curve::P256, Alg::Es256) | (Curve::P384, Alg::Es384) => "EC",
                _ => return false,
            },
        };
        kty == self.alg.key_type()
            && key.alg.as_deref().is_none_or(|alg| alg == self.alg.name())
            && match (&self.kid, &key.kid) {
                (Some(wanted), Some(kid)) => wanted == kid,
                _ => true,
            }
    }

    /// Whether the signature verifies with `key` (which must [`Jwt::fits`] the token).
    pub(crate) fn verify(&self, key: &Jwk) -> bool {
        if !self.fits(key) {
            return false;
        }
        let message = self.signing_input.as_slice();
        let signature = self.signature.as_slice();
        match &key.material {
            KeyMaterial::Rsa { n, e } => {
                let params: &signature::RsaParameters = match self.alg {
                    Alg::Rs256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                    Alg::Rs384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                    Alg::Rs512 => &signature::RSA_PKCS1_2048_8192_SHA512,
                    Alg::Es256 | Alg::Es384 => return false,
                };
                RsaPublicKeyComponents { n, e }
                    .verify(params, message, signature)
                    .is_ok()
            }
            KeyMaterial::Ec { point, .. } => {
                let algorithm: &'static dyn signature::VerificationAlgorithm = match self.alg {
                    Alg::Es256 => &signature::ECDSA_P256_SHA256_FIXED,
                    Alg::Es384 => &signature::ECDSA_P384_SHA384_FIXED,
                    Alg::Rs256 | Alg::Rs384 | Alg::Rs512 => return false,
                };
                UnparsedPublicKey::new(algorithm, point)
                    .verify(message, signature)
                    .is_ok()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
    use serde_json::json;

    fn b64(bytes: &[u8]) -> String {
        BASE64URL_NOPAD.encode(bytes)
    }

    fn es256_key() -> Option<(EcdsaKeyPair, Jwk)> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).ok()?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .ok()?;
        let point = pair.public_key().as_ref();
        let jwks = json!({"keys": [{
            "kty": "EC", "crv": "P-256", "kid": "k1", "use": "sig",
            "x": b64(point.get(1..33)?), "y": b64(point.get(33..65)?),
        }]});
        let key = parse_jwks(jwks.to_string().as_bytes())?
            .into_iter()
            .next()?;
        Some((pair, key))
    }

    fn sign(pair: &EcdsaKeyPair, header: &Value, claims: &Value) -> Option<String> {
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let signature = pair.sign(&SystemRandom::new(), input.as_bytes()).ok()?;
        Some(format!("{input}.{}", b64(signature.as_ref())))
    }

    #[test]
    fn es256_verifies_and_a_changed_claim_does_not() {
        let (pair, key) = es256_key().unwrap_or_else(|| unreachable!());
        let header = json!({"alg": "ES256", "kid": "k1"});
        let token = sign(&pair, &header, &json!({"sub": "a"})).unwrap_or_default();
        let jwt = parse(&token).map_err(|e| format!("{e:?}"));
        assert!(jwt.as_ref().is_ok_and(|jwt| jwt.verify(&key)), "{jwt:?}");

        // The same signature over other claims.
        let mut parts: Vec<&str> = token.split('.').collect();
        let other = b64(json!({"sub": "b"}).to_string().as_bytes());
        if let Some(slot) = parts.get_mut(1) {
            *slot = &other;
        }
        let forged = parse(&parts.join(".")).map_err(|e| format!("{e:?}"));
        assert!(forged.is_ok_and(|jwt| !jwt.verify(&key)));
    }

    #[test]
    fn a_key_for_another_kid_or_algorithm_does_not_fit() {
        let (pair, key) = es256_key().unwrap_or_else(|| unreachable!());
        let token =
            sign(&pair, &json!({"alg": "ES256", "kid": "k2"}), &json!({})).unwrap_or_default();
        assert!(parse(&token).is_ok_and(|jwt| !jwt.fits(&key) && !jwt.verify(&key)));
        let token =
            sign(&pair, &json!({"alg": "ES384", "kid": "k1"}), &json!({})).unwrap_or_default();
        assert!(parse(&token).is_ok_and(|jwt| !jwt.verify(&key)));
    }

    #[test]
    fn none_hmac_and_crit_are_refused_before_any_key_is_looked_at() {
        for alg in [
            "none", "None", "HS256", "HS384", "HS512", "rs256", "PS256", "",
        ] {
            let header = b64(json!({"alg": alg}).to_string().as_bytes());
            let token = format!("{header}.{}.{}", b64(b"{}"), b64(b"sig"));
            assert_eq!(parse(&token).err(), Some(JwtError::Algorithm), "{alg}");
        }
        let header = b64(json!({"alg": "RS256", "crit": ["exp"]})
            .to_string()
            .as_bytes());
        let token = format!("{header}.{}.{}", b64(b"{}"), b64(b"sig"));
        assert_eq!(parse(&token).err(), Some(JwtError::Algorithm));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let header = b64(json!({"alg": "RS256"}).to_string().as_bytes());
        let body = b64(b"{}");
        for token in [
            String::new(),
            "a.b".to_owned(),
            format!("{header}.{body}."),
            format!("{header}.{body}.c2ln.extra"),
            format!("{header}=.{body}.c2ln"),
            format!("{header}.{}.c2ln", b64(b"[1]")),
            format!("{}.{body}.c2ln", b64(b"not json")),
            format!(
                "{}.{body}.c2ln",
                b64(json!({"alg": "RS256", "kid": 7}).to_string().as_bytes())
            ),
            format!("{header}.{body}.c2ln{}", "A".repeat(MAX_TOKEN_LEN)),
        ] {
            assert_eq!(
                parse(&token).err(),
                Some(JwtError::Malformed),
                "{token:.60}"
            );
        }
    }

    #[test]
    fn repeated_member_names_are_refused_at_any_depth() {
        let header = b64(json!({"alg": "RS256"}).to_string().as_bytes());
        let twice_in_header = b64(br#"{"alg":"RS256","alg":"none"}"#);
        for (head, body) in [
            (twice_in_header.clone(), b64(b"{}")),
            (header.clone(), b64(br#"{"sub":"a","sub":"admin"}"#)),
            // An escape spells the same name: still the same member.
            (header.clone(), b64(br#"{"sub":"a","\u0073ub":"admin"}"#)),
            (
                header.clone(),
                b64(br#"{"tags":{"principal_tags":{"t":["a"],"t":["b"]}}}"#),
            ),
            (header.clone(), b64(br#"{"list":[{"a":1,"a":2}]}"#)),
        ] {
            let token = format!("{head}.{body}.c2ln");
            assert_eq!(parse(&token).err(), Some(JwtError::Malformed), "{token}");
        }
        // Distinct names, numbers of every kind, nesting: read as serde_json reads them.
        let body = br#"{"sub":"a","Sub":"b","exp":1.5e9,"n":-3,"big":18446744073709551615,"x":[null,true,{"a":{}}]}"#;
        let token = format!("{header}.{}.c2ln", b64(body));
        let plain: Value = serde_json::from_slice(body).unwrap_or_default();
        assert!(parse(&token).is_ok_and(|jwt| Value::Object(jwt.claims) == plain));
    }

    #[test]
    fn only_identity_and_access_tokens_are_taken() {
        let token =
            |header: Value| format!("{}.{}.c2ln", b64(header.to_string().as_bytes()), b64(b"{}"));
        for typ in [
            "JWT",
            "jwt",
            "application/jwt",
            "JWS",
            "JOSE",
            "at+jwt",
            "application/at+JWT",
        ] {
            assert!(
                parse(&token(json!({"alg": "RS256", "typ": typ}))).is_ok(),
                "{typ}"
            );
        }
        assert!(parse(&token(json!({"alg": "RS256", "cty": "json"}))).is_ok());
        for header in [
            json!({"alg": "RS256", "typ": "logout+jwt"}),
            json!({"alg": "RS256", "typ": "secevent+jwt"}),
            json!({"alg": "RS256", "typ": "entity-statement+jwt"}),
            json!({"alg": "RS256", "typ": "dpop+jwt"}),
            json!({"alg": "RS256", "typ": ""}),
            json!({"alg": "RS256", "typ": 1}),
            json!({"alg": "RS256", "cty": "JWT"}),
            json!({"alg": "RS256", "cty": "application/jwt"}),
            json!({"alg": "RS256", "enc": "A256GCM"}),
        ] {
            assert_eq!(
                parse(&token(header.clone())).err(),
                Some(JwtError::Kind),
                "{header}"
            );
        }
        // A JWE's five parts are not a JWS's three, whatever its header says.
        let jwe = format!(
            "{}.{}.{}.{}.{}",
            b64(json!({"alg": "RSA-OAEP", "enc": "A256GCM"})
                .to_string()
                .as_bytes()),
            b64(b"key"),
            b64(b"iv"),
            b64(b"{}"),
            b64(b"tag")
        );
        assert_eq!(parse(&jwe).err(), Some(JwtError::Malformed));
    }

    #[test]
    fn jwks_skips_what_cannot_verify() {
        let doc = json!({"keys": [
            {"kty": "oct", "k": "c2VjcmV0"},
            {"kty": "RSA", "n": "AQAB", "e": "AQAB", "use": "enc"},
            {"kty": "EC", "crv": "P-521", "x": "AA", "y": "AA"},
            {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"},
            {"kty": "RSA", "n": "AQAB", "e": "AQAB", "key_ops": ["encrypt"]},
            {"kty": "RSA", "n": "AQAB", "e": "AQAB", "key_ops": "verify"},
            {"kty": "RSA", "n": "AQAB", "e": "AQAB", "kid": "r", "key_ops": ["sign", "verify"]},
        ]});
        let keys = parse_jwks(doc.to_string().as_bytes()).unwrap_or_default();
        assert_eq!(keys.len(), 1);
        assert!(parse_jwks(b"[]").is_none());
        assert!(parse_jwks(b"{\"keys\": 1}").is_none());
    }
}
