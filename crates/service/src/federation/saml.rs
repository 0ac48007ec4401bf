//! AssumeRoleWithSAML: a SAML provider's signed assertion, verified, as the credential for a
//! role session. `assertion.rs` verifies and reads the response (decrypting it with the
//! provider's keys, `saml_keys.rs`, when it is encrypted); this maps its refusals to AWS's
//! errors, takes the role pair, session name, duration, tags and source identity from the
//! AWS attributes, and fills the `saml:` condition keys for the trust policy.

use policy::ContextValue;
use wire::sts::{AssumeRoleWithSAMLRequest, AssumeRoleWithSAMLResponse};

use store::{SamlProviderInfo, StoreError};

use super::assertion::{Assertion, AssertionError, Provider, verify_response};
use super::saml_keys::SealedKeys;
use super::xmldsig::SigningKey;
use super::xmlenc::Decrypter;
use super::{FederatedAssume, not_authorized};
use crate::caller::RequestInfo;
use crate::error::{ServiceError, ServiceResult};
use crate::iam::saml_metadata;
use crate::service::Service;

pub(super) const ACTION: &str = "sts:AssumeRoleWithSAML";
pub(super) const ATTRIBUTES: &str = "https://aws.amazon.com/SAML/Attributes/";
/// The base64 `SAMLAssertion` is at most this long (the model's bound), so the decoded XML
/// is at most three quarters of it.
const ASSERTION_CHARS: usize = 100_000;
const PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
const TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";

/// The attributes AWS turns into `saml:` condition keys: (attribute name, key).
const ATTRIBUTE_KEYS: &[(&str, &str)] = &[
    ("urn:oid:2.5.4.3", "saml:cn"),
    ("urn:oid:2.5.4.42", "saml:givenName"),
    ("urn:oid:2.5.4.4", "saml:surname"),
    ("urn:oid:2.5.4.41", "saml:name"),
    ("urn:oid:0.9.2342.19200300.100.1.3", "saml:mail"),
    ("urn:oid:0.9.2342.19200300.100.1.1", "saml:uid"),
    ("urn:oid:2.5.4.45", "saml:x500UniqueIdentifier"),
    ("urn:oid:2.5.4.10", "saml:organizationStatus"),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.1",
        "saml:edupersonaffiliation",
    ),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.2", "saml:edupersonnickname"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.3", "saml:edupersonorgdn"),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.4",
        "saml:edupersonorgunitdn",
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.5",
        "saml:edupersonprimaryaffiliation",
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.6",
        "saml:edupersonprincipalname",
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.7",
        "saml:edupersonentitlement",
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.8",
        "saml:edupersonprimaryorgunitdn",
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.9",
        "saml:edupersonscopedaffiliation",
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.10",
        "saml:edupersontargetedid",
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.11",
        "saml:edupersonassurance",
    ),
];

fn invalid(message: &str) -> ServiceError {
    ServiceError::sts(wire::sts::Error::InvalidIdentityToken, message)
}

/// AWS's error for each refusal of the assertion (reading 70).
pub(super) fn refusal(error: AssertionError) -> ServiceError {
    match error {
        AssertionError::Malformed => {
            invalid("Invalid SAML response: the response could not be parsed")
        }
        AssertionError::Status => ServiceError::sts(
            wire::sts::Error::IDPRejectedClaim,
            "The identity provider reported that authentication failed",
        ),
        AssertionError::Unsigned => {
            invalid("Response signature invalid: the response is not signed")
        }
        AssertionError::Signature(_) | AssertionError::Wrapping => {
            invalid("Response signature invalid")
        }
        AssertionError::Decryption => invalid(
            "Invalid SAML response: the encrypted assertion could not be decrypted and verified",
        ),
        AssertionError::EncryptionRequired => {
            invalid("Invalid SAML response: the SAML provider requires encrypted assertions")
        }
        AssertionError::Missing(what) => invalid(&format!(
            "Invalid SAML response: {what} is missing or repeated"
        )),
        AssertionError::DuplicateAttribute => {
            invalid("Invalid SAML response: an attribute appears more than once")
        }
        AssertionError::Expired => ServiceError::sts(
            wire::sts::Error::ExpiredToken,
            "Token expired: the SAML assertion is no longer valid",
        ),
        AssertionError::NotYetValid => {
            invalid("Invalid SAML response: the assertion is not yet valid")
        }
        AssertionError::Audience => {
            invalid("Invalid SAML response: the Audience does not name AWS")
        }
        AssertionError::Recipient => {
            invalid("Invalid SAML response: the Recipient is not AWS's sign-in endpoint")
        }
        AssertionError::Issuer => {
            invalid("Invalid SAML response: the Issuer does not match the provider's metadata")
        }
    }
}

/// The XML of a base64 SAML response (line breaks allowed), bounded in size.
pub(super) fn decode_response(encoded: &str) -> ServiceResult<String> {
    if encoded.len() > ASSERTION_CHARS {
        return Err(invalid("Invalid SAML response: the response is too large"));
    }
    let compact: String = encoded
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    data_encoding::BASE64
        .decode(compact.as_bytes())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| invalid("Invalid base64 SAMLResponse"))
}

/// A role session name as AWS bounds it: 2 to 64 of `[\w+=,.@-]`.
fn valid_session_name(name: &str) -> bool {
    (2..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
}

/// The one value of attribute `name`; two or more values refuse the assertion.
fn single<'a>(assertion: &'a Assertion, name: &str) -> ServiceResult<Option<&'a str>> {
    match assertion.attribute(name) {
        None => Ok(None),
        Some([value]) => Ok(Some(value.as_str())),
        Some(_) => Err(invalid(&format!(
            "Invalid SAML response: the attribute {name} must have exactly one value"
        ))),
    }
}

/// Whether the Role attribute holds the pair `role,provider` (in either order, as AWS
/// accepts).
fn has_role_pair(assertion: &Assertion, role: &str, provider: &str) -> bool {
    let Some(values) = assertion.attribute(&format!("{ATTRIBUTES}Role")) else {
        return false;
    };
    values.iter().any(|value| {
        let mut parts = value.split(',').map(str::trim);
        match (parts.next(), parts.next(), parts.next()) {
            (Some(a), Some(b), None) => {
                (a == role && b == provider) || (a == provider && b == role)
            }
            _ => false,
        }
    })
}

/// `saml:sub_type` and the response's SubjectType: `persistent`, `transient`, or the
/// Format URI as written.
fn subject_type(format: &str) -> String {
    match format {
        PERSISTENT => "persistent".to_owned(),
        TRANSIENT => "transient".to_owned(),
        other => other.to_owned(),
    }
}

/// `saml:namequalifier`: base64 of SHA-1 over issuer, account id and `/provider-name`, as
/// AWS documents it.
pub(super) fn name_qualifier(issuer: &str, account_id: &str, provider_name: &str) -> String {
    let input = format!("{issuer}{account_id}/{provider_name}");
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, input.as_bytes());
    data_encoding::BASE64.encode(digest.as_ref())
}

/// What the AWS attributes ask of the session.
#[derive(Debug)]
pub(super) struct SessionAsks {
    pub(super) session_name: String,
    pub(super) duration: Option<i32>,
    pub(super) tags: Vec<(String, String)>,
    pub(super) transitive: Vec<String>,
    pub(super) source_identity: Option<String>,
}

pub(super) fn session_asks(assertion: &Assertion) -> ServiceResult<SessionAsks> {
    let session_name = single(assertion, &format!("{ATTRIBUTES}RoleSessionName"))?
        .ok_or_else(|| invalid("RoleSessionName is required in AuthnResponse"))?;
    if !valid_session_name(session_name) {
        return Err(invalid(
            "RoleSessionName in AuthnResponse must be 2 to 64 characters of [\\w+=,.@-]",
        ));
    }
    let duration = match single(assertion, &format!("{ATTRIBUTES}SessionDuration"))? {
        None => None,
        Some(text) => match text.parse::<i32>() {
            Ok(seconds) if (900..=43_200).contains(&seconds) => Some(seconds),
            _ => {
                return Err(invalid(
                    "SessionDuration in AuthnResponse must be a number of seconds from 900 to 43200",
                ));
            }
        },
    };
    let mut tags = Vec::new();
    let prefix = format!("{ATTRIBUTES}PrincipalTag:");
    for (name, values) in &assertion.attributes {
        let Some(key) = name.strip_prefix(&prefix) else {
            continue;
        };
        let [value] = values.as_slice() else {
            return Err(invalid(&format!(
                "Invalid SAML response: the attribute {name} must have exactly one value"
            )));
        };
        if key.is_empty()
            || tags
                .iter()
                .any(|(k, _): &(String, String)| k.eq_ignore_ascii_case(key))
        {
            return Err(invalid(&format!(
                "Invalid SAML response: the session tag key {key} is empty or repeated"
            )));
        }
        tags.push((key.to_owned(), value.clone()));
    }
    let transitive = assertion
        .attribute(&format!("{ATTRIBUTES}TransitiveTagKeys"))
        .map(<[String]>::to_vec)
        .unwrap_or_default();
    let source_identity =
        single(assertion, &format!("{ATTRIBUTES}SourceIdentity"))?.map(str::to_owned);
    Ok(SessionAsks {
        session_name: session_name.to_owned(),
        duration,
        tags,
        transitive,
        source_identity,
    })
}

/// The `saml:` condition keys of a verified assertion.
pub(super) fn condition_keys(
    assertion: &Assertion,
    qualifier: &str,
    account_id: &str,
    provider_name: &str,
) -> Vec<(String, ContextValue)> {
    let single = |text: &str| ContextValue::Single(text.to_owned());
    let mut keys = vec![
        ("saml:aud".to_owned(), single(&assertion.recipient)),
        ("saml:iss".to_owned(), single(&assertion.issuer)),
        ("saml:sub".to_owned(), single(&assertion.subject)),
        (
            "saml:sub_type".to_owned(),
            single(&subject_type(&assertion.subject_format)),
        ),
        ("saml:namequalifier".to_owned(), single(qualifier)),
        (
            "saml:doc".to_owned(),
            single(&format!("{account_id}/{provider_name}")),
        ),
    ];
    for (name, key) in ATTRIBUTE_KEYS {
        if let Some(values) = assertion.attribute(name) {
            keys.push(((*key).to_owned(), ContextValue::Multi(values.to_vec())));
        }
    }
    keys
}

/// A SAML provider as the verifier needs it: its keys from the metadata, its encryption
/// setting and its sealed private keys.
#[derive(Debug, Clone)]
pub(super) struct SamlProvider {
    pub(super) account_id: String,
    pub(super) name: String,
    /// The provider's ARN as the request named it (the trust policy's `Federated` text).
    pub(super) arn: String,
    entity_id: String,
    uuid: String,
    signing: Vec<SigningKey>,
    encryption_required: bool,
    private_keys: SealedKeys,
}

impl SamlProvider {
    /// What the verifier reads of the provider.
    fn view<'a>(&'a self, decrypter: Option<&'a dyn Decrypter>) -> Provider<'a> {
        Provider {
            signing: &self.signing,
            entity_id: &self.entity_id,
            acs_id: &self.uuid,
            encryption_required: self.encryption_required,
            decrypter,
        }
    }
}

impl Service {
    /// The provider named by a SAML provider ARN; `None` when the ARN names no provider of
    /// ours.
    pub(super) async fn saml_provider(
        &self,
        provider_arn: &str,
    ) -> ServiceResult<Option<SamlProvider>> {
        let Some((account_id, name)) = provider_arn
            .strip_prefix("arn:aws:iam::")
            .and_then(|rest| rest.split_once(":saml-provider/"))
        else {
            return Ok(None);
        };
        match self.reads().saml_provider(account_id, name).await {
            Ok(record) => self.usable_provider(record, provider_arn.to_owned()).await,
            Err(StoreError::NoSuchEntity { .. }) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }

    /// The provider whose unique id is `uuid` (the console's `/saml/acs/<id>`).
    pub(super) async fn saml_provider_by_uuid(
        &self,
        uuid: &str,
    ) -> ServiceResult<Option<SamlProvider>> {
        let Some(record) = self.reads().saml_provider_by_uuid(uuid).await? else {
            return Ok(None);
        };
        let arn = format!(
            "arn:aws:iam::{}:saml-provider/{}",
            record.account_id, record.name
        );
        self.usable_provider(record, arn).await
    }

    /// A provider as the state holds it, known by `arn` (as the caller named it), or `None`
    /// when its metadata is past its `validUntil` (reading 73) or no longer reads. Its sealed
    /// private keys, which the state never holds, are read from the store only when it has
    /// any.
    async fn usable_provider(
        &self,
        record: SamlProviderInfo,
        arn: String,
    ) -> ServiceResult<Option<SamlProvider>> {
        if self.clock().seconds() >= record.valid_until {
            return Ok(None);
        }
        // Checked when stored; a document that no longer reads is refused all the same.
        let Ok(metadata) = saml_metadata::parse(&record.metadata_document) else {
            return Ok(None);
        };
        let signing = metadata
            .signing_certificates
            .iter()
            .filter_map(|der| SigningKey::from_certificate(der))
            .collect();
        let keys = if record.private_keys.is_empty() {
            Vec::new()
        } else {
            match self
                .reads()
                .saml_provider_with_keys(&record.account_id, &record.name)
                .await
            {
                // The keys of the provider the state named, not of one made since under
                // its name.
                Ok(full) if full.saml_provider_uuid == record.saml_provider_uuid => {
                    full.private_keys
                }
                Ok(_) | Err(StoreError::NoSuchEntity { .. }) => return Ok(None),
                Err(other) => return Err(other.into()),
            }
        };
        Ok(Some(SamlProvider {
            encryption_required: record.assertion_encryption_mode.as_deref() == Some("Required"),
            private_keys: SealedKeys::new(
                self.sealer.clone(),
                record.saml_provider_uuid.clone(),
                keys,
            ),
            account_id: record.account_id,
            name: record.name,
            arn,
            entity_id: metadata.entity_id,
            uuid: record.saml_provider_uuid,
            signing,
        }))
    }

    /// Verifies a response for `provider`. A provider holding private keys may be sent an
    /// encrypted assertion, whose RSA decryptions cost milliseconds on input anyone may send:
    /// its responses are verified on the bounded blocking pool that Argon2 uses. Without keys
    /// nothing is decrypted and the verification (a signature check) stays here.
    pub(super) async fn verify_saml(
        &self,
        provider: &SamlProvider,
        xml: String,
    ) -> ServiceResult<Result<Assertion, AssertionError>> {
        let now = self.clock().seconds();
        if provider.private_keys.is_empty() {
            return Ok(verify_response(&xml, &provider.view(None), now));
        }
        let owned = provider.clone();
        self.guards
            .passwords
            .run_heavy(move || {
                let decrypter: &dyn Decrypter = &owned.private_keys;
                verify_response(&xml, &owned.view(Some(decrypter)), now)
            })
            .await
            .map_err(|e| ServiceError::internal(&e))
    }

    /// AssumeRoleWithSAML: the response verified against the provider's metadata, the role
    /// pair found among its Role attribute's values, then the trust policy decides with the
    /// `saml:` keys.
    pub(crate) async fn assume_role_with_saml(
        &self,
        info: &RequestInfo,
        input: AssumeRoleWithSAMLRequest,
    ) -> ServiceResult<AssumeRoleWithSAMLResponse> {
        let xml = decode_response(&input.saml_assertion)?;

        let Some(provider) = self.saml_provider(&input.principal_arn).await? else {
            return Err(invalid("Specified provider doesn't exist"));
        };
        let assertion = self.verify_saml(&provider, xml).await?.map_err(refusal)?;
        if !has_role_pair(&assertion, &input.role_arn, &input.principal_arn) {
            return Err(not_authorized(ACTION));
        }
        let asks = session_asks(&assertion)?;
        let qualifier = name_qualifier(&assertion.issuer, &provider.account_id, &provider.name);
        let context = condition_keys(&assertion, &qualifier, &provider.account_id, &provider.name);

        let session = self
            .assume_federated(
                info,
                FederatedAssume {
                    role_arn: input.role_arn,
                    provider: input.principal_arn,
                    action: ACTION,
                    session_name: asks.session_name,
                    duration_seconds: input.duration_seconds.or(asks.duration),
                    policy: input.policy,
                    policy_arns: input.policy_arns,
                    tags: asks.tags,
                    transitive_tag_keys: asks.transitive,
                    source_identity: asks.source_identity,
                    context,
                },
            )
            .await?;
        Ok(AssumeRoleWithSAMLResponse {
            credentials: Some(session.credentials),
            assumed_role_user: Some(session.assumed_role_user),
            packed_policy_size: session.packed_policy_size,
            subject: Some(assertion.subject),
            subject_type: Some(subject_type(&assertion.subject_format)),
            issuer: Some(assertion.issuer),
            audience: Some(assertion.recipient),
            name_qualifier: Some(qualifier),
            source_identity: session.source_identity,
            session_token_utilization: None,
            session_token_size: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_qualifier_as_aws_documents_it() {
        // base64(SHA-1("https://example.com/saml123456789012/MySAMLIdP")), by Python's hashlib.
        assert_eq!(
            name_qualifier("https://example.com/saml", "123456789012", "MySAMLIdP"),
            "1uAJanUnBc2XeUkHURMht+xam2c="
        );
    }

    fn assertion(attributes: &[(&str, &[&str])]) -> Assertion {
        Assertion {
            issuer: "https://idp.test/".to_owned(),
            subject: "alice".to_owned(),
            subject_format: TRANSIENT.to_owned(),
            recipient: "https://signin.aws.amazon.com/saml".to_owned(),
            attributes: attributes
                .iter()
                .map(|(name, values)| {
                    (
                        (*name).to_owned(),
                        values.iter().map(|v| (*v).to_owned()).collect(),
                    )
                })
                .collect(),
        }
    }

    const ROLE: &str = "arn:aws:iam::123456789012:role/ReadOnly";
    const IDP: &str = "arn:aws:iam::123456789012:saml-provider/Idp";

    #[test]
    fn role_pairs_in_either_order_and_only_whole_pairs() {
        let role_attr = format!("{ATTRIBUTES}Role");
        let pair = format!("{IDP}, {ROLE}");
        let a = assertion(&[(
            &role_attr,
            &[
                "arn:aws:iam::1:role/x,arn:aws:iam::1:saml-provider/y",
                &pair,
            ],
        )]);
        assert!(has_role_pair(&a, ROLE, IDP));
        assert!(!has_role_pair(
            &a,
            ROLE,
            "arn:aws:iam::123456789012:saml-provider/Other"
        ));
        let triple = format!("{ROLE},{IDP},extra");
        assert!(!has_role_pair(
            &assertion(&[(&role_attr, &[&triple])]),
            ROLE,
            IDP
        ));
        assert!(!has_role_pair(&assertion(&[]), ROLE, IDP));
    }

    #[test]
    fn session_attributes_are_read_and_bounded() {
        let name = format!("{ATTRIBUTES}RoleSessionName");
        let duration = format!("{ATTRIBUTES}SessionDuration");
        let tag = format!("{ATTRIBUTES}PrincipalTag:team");
        let transitive = format!("{ATTRIBUTES}TransitiveTagKeys");
        let source = format!("{ATTRIBUTES}SourceIdentity");
        let asks = session_asks(&assertion(&[
            (&name, &["alice@example.com"]),
            (&duration, &["1800"]),
            (&tag, &["blue"]),
            (&transitive, &["team"]),
            (&source, &["alice"]),
        ]))
        .unwrap();
        assert_eq!(asks.session_name, "alice@example.com");
        assert_eq!(asks.duration, Some(1800));
        assert_eq!(asks.tags, vec![("team".to_owned(), "blue".to_owned())]);
        assert_eq!(asks.transitive, vec!["team".to_owned()]);
        assert_eq!(asks.source_identity.as_deref(), Some("alice"));

        let missing = session_asks(&assertion(&[])).unwrap_err();
        assert_eq!(missing.code(), "InvalidIdentityToken");
        assert_eq!(
            missing.message(),
            "RoleSessionName is required in AuthnResponse"
        );
        for bad in [
            vec![(name.as_str(), &["x"][..])],
            vec![(name.as_str(), &["alice", "bob"][..])],
            vec![
                (name.as_str(), &["alice"][..]),
                (duration.as_str(), &["899"][..]),
            ],
            vec![
                (name.as_str(), &["alice"][..]),
                (duration.as_str(), &["43201"][..]),
            ],
            vec![
                (name.as_str(), &["alice"][..]),
                (tag.as_str(), &["a", "b"][..]),
            ],
        ] {
            let err = session_asks(&assertion(&bad)).unwrap_err();
            assert_eq!(err.code(), "InvalidIdentityToken", "{bad:?}");
        }
    }

    #[test]
    fn condition_keys_as_aws_documents_them() {
        let affiliation = "urn:oid:1.3.6.1.4.1.5923.1.1.1.1";
        let a = assertion(&[(affiliation, &["staff", "member"])]);
        let keys = condition_keys(&a, "q", "123456789012", "Idp");
        let get = |k: &str| keys.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let single = |v: &str| Some(ContextValue::Single(v.to_owned()));
        assert_eq!(
            get("saml:aud"),
            single("https://signin.aws.amazon.com/saml")
        );
        assert_eq!(get("saml:iss"), single("https://idp.test/"));
        assert_eq!(get("saml:sub"), single("alice"));
        assert_eq!(get("saml:sub_type"), single("transient"));
        assert_eq!(get("saml:namequalifier"), single("q"));
        assert_eq!(get("saml:doc"), single("123456789012/Idp"));
        assert_eq!(
            get("saml:edupersonaffiliation"),
            Some(ContextValue::Multi(vec![
                "staff".to_owned(),
                "member".to_owned()
            ]))
        );
        assert_eq!(
            subject_type("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"),
            "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
        );
    }

    #[test]
    fn session_names() {
        assert!(valid_session_name("alice@example.com"));
        assert!(!valid_session_name("a"));
        assert!(!valid_session_name("a b"));
        assert!(!valid_session_name(&"a".repeat(65)));
    }
}
