//! Console sign-in through SAML: the IdP posts its signed response to `/saml`, as to AWS's
//! sign-in endpoint, or to `/saml/acs/<provider id>`, the provider's own endpoint (where an
//! IdP that encrypts its assertions posts: their Role attribute cannot be read before they
//! are decrypted); at `/saml` the provider comes from the Role attribute's pairs. The
//! response is verified exactly as AssumeRoleWithSAML verifies it, and the chosen role's
//! session becomes a console session.

use roxmltree::Node;

use super::assertion::{ASSERTION_NS, parse};
use super::saml::{
    ACTION, ATTRIBUTES, SamlProvider, condition_keys, decode_response, name_qualifier, refusal,
    session_asks,
};
use super::{FederatedAssume, not_authorized};
use crate::caller::RequestInfo;
use crate::error::ServiceResult;
use crate::secret::Secret;
use crate::service::Service;

/// At most this many providers are tried for one response (each costs a verification).
const PROVIDERS_TRIED: usize = 4;

/// The outcome of a SAML console sign-in.
#[derive(Debug)]
pub enum SamlSignIn {
    /// Signed in: the new console session's cookie value.
    SignedIn {
        /// The session's cookie value.
        cookie: Secret,
    },
    /// The response offers several roles: the person chooses one (AWS's role page).
    ChooseRole {
        /// The role ARNs the response offers through its verified provider.
        roles: Vec<String>,
    },
}

/// The values of the response's Role attribute, read before any verification: only to learn
/// which provider's keys to verify with. Nothing read here is trusted.
fn claimed_providers(xml: &str) -> Vec<String> {
    let Ok(doc) = parse(xml) else {
        return Vec::new();
    };
    let role_attribute = format!("{ATTRIBUTES}Role");
    let mut providers: Vec<String> = Vec::new();
    let is_role = |n: &Node<'_, '_>| {
        n.has_tag_name((ASSERTION_NS, "Attribute")) && n.attribute("Name") == Some(&role_attribute)
    };
    for attribute in doc.descendants().filter(is_role) {
        for value in attribute.children().filter_map(|v| v.text()) {
            for part in value.split(',').map(str::trim) {
                if part.contains(":saml-provider/") && !providers.iter().any(|p| p == part) {
                    providers.push(part.to_owned());
                }
            }
        }
    }
    providers.truncate(PROVIDERS_TRIED);
    providers
}

/// The role ARNs a verified Role attribute pairs with `provider` (in either order).
fn roles_with(values: &[String], provider: &str) -> Vec<String> {
    let mut roles = Vec::new();
    for value in values {
        let mut parts = value.split(',').map(str::trim);
        let role = match (parts.next(), parts.next(), parts.next()) {
            (Some(a), Some(b), None) if b == provider => a,
            (Some(a), Some(b), None) if a == provider => b,
            _ => continue,
        };
        if !roles.iter().any(|r| r == role) {
            roles.push(role.to_owned());
        }
    }
    roles
}

impl Service {
    /// Signs a person in to the console with a SAML response (`SAMLResponse`, base64) posted
    /// by their IdP: verified against the provider `provider_id` names (the endpoint
    /// `/saml/acs/<id>`), else the one its Role attribute names; the role chosen (`role_arn`)
    /// among the pairs, or asked for when several are offered, the trust policy deciding as
    /// for AssumeRoleWithSAML. The console session lasts as the role session
    /// (`SessionDuration`, else one hour).
    pub async fn saml_sign_in(
        &self,
        info: RequestInfo,
        provider_id: Option<&str>,
        saml_response: &str,
        role_arn: Option<&str>,
    ) -> ServiceResult<SamlSignIn> {
        let xml = decode_response(saml_response)?;
        let mut candidates: Vec<SamlProvider> = Vec::new();
        match provider_id {
            Some(uuid) => candidates.extend(self.saml_provider_by_uuid(uuid).await?),
            None => {
                for arn in claimed_providers(&xml) {
                    candidates.extend(self.saml_provider(&arn).await?);
                }
            }
        }
        let mut verified = None;
        let mut first_refusal = None;
        for provider in candidates {
            match self.verify_saml(&provider, xml.clone()).await? {
                Ok(assertion) => {
                    verified = Some((assertion, provider));
                    break;
                }
                Err(error) => {
                    first_refusal.get_or_insert(error);
                }
            }
        }
        let Some((assertion, provider)) = verified else {
            return Err(first_refusal.map_or_else(|| not_authorized(ACTION), refusal));
        };
        let SamlProvider {
            account_id,
            name: provider_name,
            arn: provider,
            ..
        } = provider;
        let offered = assertion
            .attribute(&format!("{ATTRIBUTES}Role"))
            .map(|values| roles_with(values, &provider))
            .unwrap_or_default();
        let role = match (role_arn, offered.as_slice()) {
            (_, []) => return Err(not_authorized(ACTION)),
            (Some(chosen), _) if offered.iter().any(|r| r == chosen) => chosen.to_owned(),
            (Some(_), _) => return Err(not_authorized(ACTION)),
            (None, [only]) => only.clone(),
            (None, _) => return Ok(SamlSignIn::ChooseRole { roles: offered }),
        };
        let asks = session_asks(&assertion)?;
        let qualifier = name_qualifier(&assertion.issuer, &account_id, &provider_name);
        let context = condition_keys(&assertion, &qualifier, &account_id, &provider_name);
        let federated = self
            .assume_federated(
                &info,
                FederatedAssume {
                    role_arn: role,
                    provider,
                    action: ACTION,
                    session_name: asks.session_name,
                    duration_seconds: asks.duration,
                    policy: None,
                    policy_arns: None,
                    tags: asks.tags,
                    transitive_tag_keys: asks.transitive,
                    source_identity: asks.source_identity,
                    context,
                },
            )
            .await?;
        let cookie = self
            .open_federated_console_session(&federated.session)
            .await?;
        Ok(SamlSignIn::SignedIn { cookie })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_pair_with_the_verified_provider_only() {
        let provider = "arn:aws:iam::111122223333:saml-provider/corp";
        let values = vec![
            format!("arn:aws:iam::111122223333:role/a,{provider}"),
            format!("{provider}, arn:aws:iam::111122223333:role/b"),
            "arn:aws:iam::111122223333:role/c,arn:aws:iam::111122223333:saml-provider/other"
                .to_owned(),
            format!("arn:aws:iam::111122223333:role/a,{provider}"),
            format!("arn:aws:iam::111122223333:role/d,{provider},extra"),
        ];
        assert_eq!(
            roles_with(&values, provider),
            vec![
                "arn:aws:iam::111122223333:role/a".to_owned(),
                "arn:aws:iam::111122223333:role/b".to_owned()
            ]
        );
    }

    #[test]
    fn providers_are_read_from_the_role_attribute_only_and_bounded() {
        let values: String = (0..6)
            .map(|i| {
                format!(
                    "<saml:AttributeValue>arn:aws:iam::1:role/r,arn:aws:iam::1:saml-provider/p{i}</saml:AttributeValue>"
                )
            })
            .collect();
        let xml = format!(
            r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="{ASSERTION_NS}"><saml:Assertion><saml:AttributeStatement><saml:Attribute Name="{ATTRIBUTES}Role">{values}</saml:Attribute><saml:Attribute Name="other"><saml:AttributeValue>arn:aws:iam::1:saml-provider/elsewhere</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion></samlp:Response>"#
        );
        let providers = claimed_providers(&xml);
        assert_eq!(providers.len(), PROVIDERS_TRIED);
        assert_eq!(
            providers.first().map(String::as_str),
            Some("arn:aws:iam::1:saml-provider/p0")
        );
        assert!(!providers.iter().any(|p| p.ends_with("elsewhere")));
        assert!(claimed_providers("<not xml").is_empty());
    }
}
