//! What the `jwt_parse` fuzz target does with one input: the part before the first NUL byte
//! is a web identity token, the rest a JWKS document; the token is parsed and checked against
//! every key that parses, as AssumeRoleWithWebIdentity does. Shared by the target and by the
//! service crate's replay of the committed inputs.

#[allow(dead_code)]
#[path = "../../crates/service/src/federation/jwt.rs"]
mod jwt;

/// Runs one input; nothing may panic, and a key that does not fit never verifies.
pub fn run(data: &[u8]) {
    let (token, jwks) = match data.iter().position(|&b| b == 0) {
        Some(at) => data.split_at(at),
        None => (data, &[][..]),
    };
    let keys = jwt::parse_jwks(jwks.get(1..).unwrap_or_default()).unwrap_or_default();
    let Ok(token) = jwt::parse(&String::from_utf8_lossy(token)) else {
        return;
    };
    for key in &keys {
        let verified = token.verify(key);
        assert!(!verified || token.fits(key));
    }
}
