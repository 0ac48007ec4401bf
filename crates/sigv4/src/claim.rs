//! What a request claims about its signer (key, token, scope), read with the verifier's own
//! parser and not yet checked: so that a caller can fetch the key before verifying, and
//! report errors in the namespace of the service the scope names.

use crate::parse::parse;
use crate::request::Request;

/// The signer a request claims. Nothing here is verified: use it only to find the key and to
/// choose an error namespace, then let [`crate::Verifier::verify`] decide.
#[derive(Clone, PartialEq, Eq)]
pub struct Claim {
    /// The access key id of the credential scope.
    pub access_key_id: String,
    /// The session token (`X-Amz-Security-Token`, header or query), if any.
    pub session_token: Option<String>,
    /// The region of the credential scope.
    pub region: String,
    /// The service of the credential scope.
    pub service: String,
}

impl std::fmt::Debug for Claim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a bearer secret: never printed.
        f.debug_struct("Claim")
            .field("access_key_id", &self.access_key_id)
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .field("region", &self.region)
            .field("service", &self.service)
            .finish()
    }
}

/// The signer `request` claims, or `None` when its signature does not parse or its credential
/// is not `key/date/region/service/terminator` (the verifier then says why).
pub fn claim(request: &Request<'_>) -> Option<Claim> {
    let parsed = parse(request).ok()?;
    let [access_key_id, _date, region, service, _terminator] =
        credential_parts(&parsed.credential)?;
    Some(Claim {
        access_key_id: access_key_id.to_owned(),
        session_token: parsed.session_token.as_deref().map(str::to_owned),
        region: region.to_owned(),
        service: service.to_owned(),
    })
}

/// A credential's five slash-delimited elements (key id, date, region, service, terminator),
/// or `None` when it has another number of them.
pub(crate) fn credential_parts(credential: &str) -> Option<[&str; 5]> {
    let mut parts = credential.split('/');
    let elements = [
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    ];
    parts.next().is_none().then_some(elements)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(headers: &'a [(&'a str, &'a [u8])], query: &'a str) -> Request<'a> {
        Request {
            method: "POST",
            path: "/",
            query,
            headers,
            body: b"",
        }
    }

    #[test]
    fn issue_10_claim_reads_the_header_form() {
        let headers: &[(&str, &[u8])] = &[
            ("host", b"castellan.test"),
            (
                "authorization",
                b"AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20260101/eu-west-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcd",
            ),
            ("x-amz-date", b"20260101T000000Z"),
            ("x-amz-security-token", b"token"),
        ];
        let claim = claim(&request(headers, ""))
            .map(|c| (c.access_key_id, c.session_token, c.region, c.service));
        assert_eq!(
            claim,
            Some((
                "ASIAEXAMPLE".to_owned(),
                Some("token".to_owned()),
                "eu-west-1".to_owned(),
                "sts".to_owned()
            ))
        );
    }

    #[test]
    fn issue_10_claim_reads_the_presigned_form() {
        let headers: &[(&str, &[u8])] = &[("host", b"castellan.test")];
        let query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20260101%2Fus-east-1%2Fiam%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=abcd";
        let claim = claim(&request(headers, query));
        assert_eq!(
            claim.map(|c| (c.access_key_id, c.session_token, c.service)),
            Some(("AKIDEXAMPLE".to_owned(), None, "iam".to_owned()))
        );
    }

    #[test]
    fn issue_10_claim_is_none_when_the_signature_does_not_parse() {
        let unsigned: &[(&str, &[u8])] = &[("host", b"castellan.test")];
        assert_eq!(claim(&request(unsigned, "")), None);
        let four_parts: &[(&str, &[u8])] = &[
            ("host", b"castellan.test"),
            (
                "authorization",
                b"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/iam, SignedHeaders=host;x-amz-date, Signature=abcd",
            ),
            ("x-amz-date", b"20260101T000000Z"),
        ];
        assert_eq!(claim(&request(four_parts, "")), None);
    }

    #[test]
    fn issue_10_claim_never_prints_the_token() {
        let claim = Claim {
            access_key_id: "ASIAEXAMPLE".to_owned(),
            session_token: Some("bearer-secret".to_owned()),
            region: "us-east-1".to_owned(),
            service: "sts".to_owned(),
        };
        assert!(!format!("{claim:?}").contains("bearer-secret"));
    }
}
