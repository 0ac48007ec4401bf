//! Principals: who is asking, and how a policy's `Principal` element matches them.

use crate::arn::Arn;
use crate::document::{PrincipalType, Principals};

/// What kind of caller a request comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrincipalKind {
    /// The account's root user.
    Root,
    /// An IAM user.
    User {
        /// The user name.
        name: String,
    },
    /// A session of an assumed role.
    RoleSession {
        /// The role's ARN (`arn:aws:iam::A:role/path/name`).
        role_arn: String,
        /// The session name.
        session: String,
    },
    /// A federated user session from GetFederationToken.
    FederatedUser {
        /// The federated user name.
        name: String,
    },
    /// An AWS service, such as `lambda.amazonaws.com`.
    Service {
        /// The service principal's name.
        name: String,
    },
    /// An unauthenticated caller.
    Anonymous,
    /// A caller federated by an identity provider, before it has a session: the provider's
    /// ARN (`arn:aws:iam::A:oidc-provider/host`, `...:saml-provider/Name`) or a well-known
    /// provider's name (`accounts.google.com`). Trust policies name it under `Federated`.
    IdentityProvider {
        /// The provider, as a trust policy's `Federated` entry names it.
        provider: String,
    },
}

/// The caller of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    kind: PrincipalKind,
    /// The caller's ARN (for a role session, the assumed-role ARN); for a service principal
    /// its name; `anonymous` for an anonymous caller.
    arn: String,
    /// The caller's account, when it has one.
    account: Option<String>,
}

/// The session name of the principal a role's ARN stands for ([`Principal::parse`]).
pub const ROLE_SESSION_NAME: &str = "simulation";

/// Why text is not a principal we know.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a principal: expected an IAM user, root, role, assumed-role or federated-user ARN, `anonymous`, or a service principal such as `lambda.amazonaws.com`"
)]
pub struct InvalidPrincipal(pub String);

impl Principal {
    /// The root user of `account`.
    pub fn root(account: &str) -> Principal {
        Principal {
            kind: PrincipalKind::Root,
            arn: format!("arn:aws:iam::{account}:root"),
            account: Some(account.to_owned()),
        }
    }

    /// An IAM user with the given ARN (`arn:aws:iam::A:user/path/name`).
    pub fn user(arn: &str) -> Result<Principal, InvalidPrincipal> {
        Principal::parse(arn).and_then(|p| match p.kind {
            PrincipalKind::User { .. } => Ok(p),
            _ => Err(InvalidPrincipal(arn.to_owned())),
        })
    }

    /// A session of the role `role_arn` (which may carry a path) named `session`.
    pub fn role_session(role_arn: &str, session: &str) -> Result<Principal, InvalidPrincipal> {
        let invalid = || InvalidPrincipal(role_arn.to_owned());
        let arn = Arn::parse(role_arn).ok_or_else(invalid)?;
        let role_path_and_name = arn.resource.strip_prefix("role/").ok_or_else(invalid)?;
        let role_name = role_path_and_name.rsplit('/').next().unwrap_or_default();
        if arn.service != "iam" || role_name.is_empty() || session.is_empty() {
            return Err(invalid());
        }
        Ok(Principal {
            kind: PrincipalKind::RoleSession {
                role_arn: role_arn.to_owned(),
                session: session.to_owned(),
            },
            arn: format!(
                "arn:{}:sts::{}:assumed-role/{role_name}/{session}",
                arn.partition, arn.account
            ),
            account: Some(arn.account.to_owned()),
        })
    }

    /// An AWS service principal.
    pub fn service(name: &str) -> Principal {
        Principal {
            kind: PrincipalKind::Service {
                name: name.to_owned(),
            },
            arn: name.to_owned(),
            account: None,
        }
    }

    /// An anonymous caller.
    pub fn anonymous() -> Principal {
        Principal {
            kind: PrincipalKind::Anonymous,
            arn: "anonymous".to_owned(),
            account: None,
        }
    }

    /// A caller federated by `provider`: an OIDC or SAML provider ARN, or a well-known
    /// provider's name. It has no identity policies: a trust policy alone decides.
    pub fn identity_provider(provider: &str) -> Principal {
        Principal {
            kind: PrincipalKind::IdentityProvider {
                provider: provider.to_owned(),
            },
            arn: provider.to_owned(),
            account: Arn::parse(provider).map(|arn| arn.account.to_owned()),
        }
    }

    /// Reads a principal as the scenario format writes it: an ARN (user, root, role,
    /// assumed-role session, federated user), `anonymous`, or a service principal name.
    /// A role's ARN stands for a session of the role, as a role acts only through its
    /// sessions: named [`ROLE_SESSION_NAME`], with `aws:PrincipalArn` the role's ARN, path
    /// included (reading 109).
    pub fn parse(text: &str) -> Result<Principal, InvalidPrincipal> {
        let invalid = || InvalidPrincipal(text.to_owned());
        if text == "anonymous" {
            return Ok(Principal::anonymous());
        }
        if Arn::parse(text)
            .is_some_and(|arn| arn.service == "iam" && arn.resource.starts_with("role/"))
        {
            let account = Arn::parse(text).map(|arn| arn.account).unwrap_or_default();
            if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid());
            }
            return Principal::role_session(text, ROLE_SESSION_NAME);
        }
        let Some(arn) = Arn::parse(text) else {
            let service_like = text.contains('.')
                && !text.contains(':')
                && text
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
            return if service_like {
                Ok(Principal::service(text))
            } else {
                Err(invalid())
            };
        };
        if arn.account.len() != 12 || !arn.account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let account = Some(arn.account.to_owned());
        let kind = match (arn.service, arn.resource.split_once('/')) {
            ("iam", None) if arn.resource == "root" => PrincipalKind::Root,
            ("iam", Some(("user", path_and_name))) => PrincipalKind::User {
                name: path_and_name
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            },
            ("sts", Some(("assumed-role", rest))) => {
                let (role, session) = rest.split_once('/').ok_or_else(invalid)?;
                if role.is_empty() || session.is_empty() || session.contains('/') {
                    return Err(invalid());
                }
                PrincipalKind::RoleSession {
                    role_arn: format!("arn:{}:iam::{}:role/{role}", arn.partition, arn.account),
                    session: session.to_owned(),
                }
            }
            ("sts", Some(("federated-user", name))) if !name.is_empty() => {
                PrincipalKind::FederatedUser {
                    name: name.to_owned(),
                }
            }
            _ => return Err(invalid()),
        };
        if matches!(&kind, PrincipalKind::User { name } if name.is_empty()) {
            return Err(invalid());
        }
        Ok(Principal {
            kind,
            arn: text.to_owned(),
            account,
        })
    }

    /// The kind of caller.
    pub fn kind(&self) -> &PrincipalKind {
        &self.kind
    }

    /// The caller's ARN as AWS shows it in denial messages.
    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// The caller's account, if any.
    pub fn account(&self) -> Option<&str> {
        self.account.as_deref()
    }

    /// The ARN that `aws:PrincipalArn` carries: a role session's role ARN, else the ARN.
    pub fn principal_arn(&self) -> &str {
        match &self.kind {
            PrincipalKind::RoleSession { role_arn, .. } => role_arn,
            _ => &self.arn,
        }
    }

    /// Whether identity-based policies, boundaries and SCPs concern this caller.
    pub(crate) fn is_iam_identity(&self) -> bool {
        matches!(
            self.kind,
            PrincipalKind::User { .. }
                | PrincipalKind::RoleSession { .. }
                | PrincipalKind::FederatedUser { .. }
        )
    }

    /// A service-linked role's sessions are exempt from service control policies.
    pub(crate) fn is_service_linked_role(&self) -> bool {
        matches!(&self.kind, PrincipalKind::RoleSession { role_arn, .. }
            if Arn::parse(role_arn).is_some_and(|a| a.resource.starts_with("role/aws-service-role/")))
    }
}

/// How strongly a resource-policy grant names the caller, which decides whether identity
/// policies, the boundary and session policies still have a say (same-account rules).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum GrantKind {
    /// The account (`"A"` or `arn:aws:iam::A:root`): identity policies must still allow.
    Account,
    /// The role ARN of the caller's session, or everyone (`*`): stands in for identity
    /// policies; the boundary and session policies still apply.
    RoleOrEveryone,
    /// The exact user, session or federated-user ARN: allows on its own.
    Direct,
}

/// One compiled entry of a `Principal`/`NotPrincipal` element.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Entry {
    Everyone,
    Account(Box<str>),
    Arn(Box<str>),
    Service(Box<str>),
    /// `Federated`: an identity provider, matched by exact text.
    Provider(Box<str>),
    /// Canonical-user entries: no caller of IAM has one.
    Other(Box<str>),
}

/// A compiled `Principal` or `NotPrincipal` value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PrincipalMatcher {
    entries: Box<[Entry]>,
}

impl PrincipalMatcher {
    pub(crate) fn compile(principals: &Principals) -> PrincipalMatcher {
        let entries = match principals {
            Principals::Any => vec![Entry::Everyone],
            Principals::Map(map) => map
                .iter()
                .flat_map(|(kind, values)| values.iter().map(move |v| compile_entry(*kind, v)))
                .collect(),
        };
        PrincipalMatcher {
            entries: entries.into_boxed_slice(),
        }
    }

    /// The strongest grant with which an entry names `principal`, if any does.
    pub(crate) fn grant(&self, principal: &Principal) -> Option<GrantKind> {
        self.entries
            .iter()
            .filter_map(|entry| entry_grant(entry, principal))
            .max()
    }
}

fn compile_entry(kind: PrincipalType, value: &str) -> Entry {
    match kind {
        PrincipalType::Aws if value == "*" => Entry::Everyone,
        PrincipalType::Aws => {
            if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
                return Entry::Account(value.into());
            }
            match Arn::parse(value) {
                Some(arn) if arn.service == "iam" && arn.resource == "root" => {
                    Entry::Account(arn.account.into())
                }
                _ => Entry::Arn(value.into()),
            }
        }
        PrincipalType::Service => Entry::Service(value.to_ascii_lowercase().into()),
        PrincipalType::Federated => Entry::Provider(value.into()),
        PrincipalType::CanonicalUser => Entry::Other(value.into()),
    }
}

fn entry_grant(entry: &Entry, principal: &Principal) -> Option<GrantKind> {
    match entry {
        Entry::Everyone => Some(GrantKind::RoleOrEveryone),
        Entry::Account(account) => {
            let iam = principal.is_iam_identity() || principal.kind == PrincipalKind::Root;
            (iam && principal.account() == Some(account)).then_some(GrantKind::Account)
        }
        Entry::Arn(arn) => match &principal.kind {
            PrincipalKind::User { .. } | PrincipalKind::FederatedUser { .. }
                if **arn == principal.arn =>
            {
                Some(GrantKind::Direct)
            }
            PrincipalKind::RoleSession { role_arn, .. } => {
                if **arn == principal.arn {
                    Some(GrantKind::Direct)
                } else if **arn == **role_arn {
                    Some(GrantKind::RoleOrEveryone)
                } else {
                    None
                }
            }
            _ => None,
        },
        Entry::Service(name) => match &principal.kind {
            PrincipalKind::Service { name: caller } if caller.eq_ignore_ascii_case(name) => {
                Some(GrantKind::Direct)
            }
            _ => None,
        },
        Entry::Provider(provider) => match &principal.kind {
            PrincipalKind::IdentityProvider { provider: caller } if **provider == **caller => {
                Some(GrantKind::Direct)
            }
            _ => None,
        },
        Entry::Other(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_federated_entry_names_only_its_own_provider() {
        let oidc = "arn:aws:iam::111122223333:oidc-provider/localhost:8443";
        let matcher = PrincipalMatcher::compile(&Principals::Map(vec![(
            PrincipalType::Federated,
            vec![oidc.into(), "accounts.google.com".into()],
        )]));
        let caller = Principal::identity_provider(oidc);
        assert_eq!(caller.account(), Some("111122223333"));
        assert_eq!(matcher.grant(&caller), Some(GrantKind::Direct));
        assert_eq!(
            matcher.grant(&Principal::identity_provider("accounts.google.com")),
            Some(GrantKind::Direct)
        );
        for other in [
            Principal::identity_provider("arn:aws:iam::111122223333:oidc-provider/localhost"),
            Principal::identity_provider("cognito-identity.amazonaws.com"),
            Principal::parse("arn:aws:iam::111122223333:root").unwrap(),
            Principal::service("accounts.google.com"),
        ] {
            assert_eq!(matcher.grant(&other), None, "{other:?}");
        }
        // An AWS entry with the provider's text does not name the provider either.
        let aws = PrincipalMatcher::compile(&Principals::Map(vec![(
            PrincipalType::Aws,
            vec![oidc.into()],
        )]));
        assert_eq!(aws.grant(&caller), None);
    }

    #[test]
    fn parses_every_kind() {
        let user = Principal::parse("arn:aws:iam::111122223333:user/dev/alice").unwrap();
        assert_eq!(
            user.kind(),
            &PrincipalKind::User {
                name: "alice".into()
            }
        );
        let session = Principal::parse("arn:aws:sts::111122223333:assumed-role/Reader/s1").unwrap();
        assert_eq!(
            session.principal_arn(),
            "arn:aws:iam::111122223333:role/Reader"
        );
        assert_eq!(
            Principal::parse("arn:aws:iam::111122223333:root")
                .unwrap()
                .kind(),
            &PrincipalKind::Root
        );
        assert!(matches!(
            Principal::parse("lambda.amazonaws.com").unwrap().kind(),
            PrincipalKind::Service { .. }
        ));
        for bad in [
            "",
            "bob",
            "arn:aws:iam::12:user/x",
            "arn:aws:s3:::bucket",
            "arn:aws:iam::111122223333:user/",
        ] {
            assert!(Principal::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn role_session_with_path() {
        let s = Principal::role_session("arn:aws:iam::111122223333:role/app/Reader", "s").unwrap();
        assert_eq!(s.arn(), "arn:aws:sts::111122223333:assumed-role/Reader/s");
        assert_eq!(
            s.principal_arn(),
            "arn:aws:iam::111122223333:role/app/Reader"
        );
    }
}
