//! Trust policies follow identities, not names, as in AWS: the users and roles a trust policy
//! names are bound to their unique ids when it is stored. A principal deleted and re-created
//! under the same name is a new identity: the policy no longer matches it, and GetRole shows
//! the old unique id where the principal was named. The policy engine stays pure: the
//! binding is applied here, by rewriting the principals before the engine sees them.

use std::sync::Arc;

use policy::{Policy, PolicyKind, PolicySet, PrincipalClause, PrincipalType, Principals};
use serde_json::Value;
use store::{BoundPrincipal, RoleRecord, StoreError};

use crate::caller::{Caller, Identity, role_arn, user_arn};
use crate::error::{ServiceError, ServiceResult};
use crate::service::Service;

/// What an `AWS` principal value names on this server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Named {
    /// Everyone, an account, or a session: nothing to bind.
    Unbound,
    /// A user or role ARN: the unique id of the entity it names now, if one exists.
    Entity(Option<String>),
    /// Not a principal this server knows how to read.
    Invalid,
}

/// Applies `replace` to every `AWS` value of every `Principal` and `NotPrincipal` of a
/// policy document; `None` when the document is not JSON (stored documents always are).
pub(crate) fn rewrite_principals(
    document: &str,
    replace: impl Fn(&str) -> Option<String>,
) -> Option<String> {
    let mut value: Value = serde_json::from_str(document).ok()?;
    let statements: Vec<&mut Value> = match value.get_mut("Statement")? {
        Value::Array(list) => list.iter_mut().collect(),
        single => vec![single],
    };
    for statement in statements {
        for element in ["Principal", "NotPrincipal"] {
            let Some(aws) = statement.get_mut(element).and_then(|p| p.get_mut("AWS")) else {
                continue;
            };
            let values: Vec<&mut Value> = match aws {
                Value::Array(list) => list.iter_mut().collect(),
                single => vec![single],
            };
            for value in values {
                if let Some(new) = value.as_str().and_then(&replace) {
                    *value = Value::String(new);
                }
            }
        }
    }
    serde_json::to_string(&value).ok()
}

/// A value that validates as an `AWS` principal but names no caller: what a binding to an
/// identity that is not the caller becomes before evaluation.
fn unmatchable(account: &str, unique_id: &str) -> String {
    format!("arn:aws:iam::{account}:unique-id/{unique_id}")
}

/// The caller's bindable ARN and unique id: a user's, or the role's of a role session; the
/// ARN in the request's partition, as a trust policy written there names it.
fn bindable_identity(caller: &Caller) -> Option<(String, &str)> {
    let (arn, id) = match &caller.identity {
        Identity::User(user) => (
            user_arn(&user.account_id, &user.path, &user.name),
            user.user_id.as_str(),
        ),
        Identity::RoleSession { role, .. } => (
            role_arn(&role.account_id, &role.path, &role.name),
            role.role_id.as_str(),
        ),
        Identity::Root | Identity::FederatedUser { .. } => return None,
    };
    Some((caller.partition().swap(&arn).into_owned(), id))
}

/// The kinds of entity a trust policy's `AWS` principal can name and bind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EntityKind {
    User,
    Role,
}

/// What an `AWS` principal value says, read from its text alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PrincipalText<'a> {
    /// Everyone, an account, or a session: nothing to bind.
    Unbound,
    /// A user or role ARN: its account, path (`/` or `/a/b/`) and name.
    Entity {
        kind: EntityKind,
        account: &'a str,
        path: String,
        name: &'a str,
    },
    /// Not a principal this server knows how to read.
    Invalid,
}

/// Reads an `AWS` principal value (in any partition: a trust policy is written in the
/// partition its author's requests live in, and the validator checked the partition's
/// name). Session ARNs (`arn:aws:sts::...`) name no stored entity; the parser checked their
/// form.
pub(crate) fn read_principal(value: &str) -> PrincipalText<'_> {
    if value == "*" || (value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit())) {
        return PrincipalText::Unbound;
    }
    let service_and_rest = value
        .strip_prefix("arn:")
        .and_then(|rest| rest.split_once(':'))
        .map_or("", |(_partition, rest)| rest);
    let Some(rest) = service_and_rest.strip_prefix("iam::") else {
        return if service_and_rest.starts_with("sts::") {
            PrincipalText::Unbound
        } else {
            PrincipalText::Invalid
        };
    };
    let Some((account, resource)) = rest.split_once(':') else {
        return PrincipalText::Invalid;
    };
    if resource == "root" {
        // AWS accepts any account.
        return PrincipalText::Unbound;
    }
    let Some((kind, path_and_name)) = resource.split_once('/') else {
        return PrincipalText::Invalid;
    };
    let kind = match kind {
        "user" => EntityKind::User,
        "role" => EntityKind::Role,
        _ => return PrincipalText::Invalid,
    };
    let (path, name) = match path_and_name.rfind('/') {
        Some(at) => (
            format!("/{}", path_and_name.get(..=at).unwrap_or_default()),
            path_and_name.get(at + 1..).unwrap_or_default(),
        ),
        None => ("/".to_owned(), path_and_name),
    };
    if name.is_empty() {
        return PrincipalText::Invalid;
    }
    PrincipalText::Entity {
        kind,
        account,
        path,
        name,
    }
}

impl Service {
    /// What `value` (an `AWS` principal of a trust policy) names now.
    pub(crate) async fn named(&self, value: &str) -> ServiceResult<Named> {
        let (kind, account, path, name) = match read_principal(value) {
            PrincipalText::Unbound => return Ok(Named::Unbound),
            PrincipalText::Invalid => return Ok(Named::Invalid),
            PrincipalText::Entity {
                kind,
                account,
                path,
                name,
            } => (kind, account, path, name),
        };
        let found = match kind {
            EntityKind::User => self
                .reads()
                .get_user(account, name)
                .await
                .map(|u| (u.path, u.user_id)),
            EntityKind::Role => self
                .reads()
                .get_role(account, name)
                .await
                .map(|r| (r.path, r.role_id)),
        };
        match found {
            Ok((stored_path, id)) => Ok(Named::Entity((stored_path == path).then_some(id))),
            Err(StoreError::NoSuchEntity { .. }) => Ok(Named::Entity(None)),
            Err(other) => Err(other.into()),
        }
    }

    /// The trust policy as GetRole shows it: a bound principal that no longer names the
    /// identity it was bound to appears as that identity's unique id, as in AWS.
    pub(crate) async fn rendered_trust(&self, role: &RoleRecord) -> ServiceResult<String> {
        let mut gone: Vec<&BoundPrincipal> = Vec::new();
        for bound in role.trust_principals.iter().flatten() {
            // An empty id: named nothing when bound (see `bind_unbound_trust_policies`); there
            // is no id to show, so the ARN stays.
            if !bound.unique_id.is_empty()
                && self.named(&bound.arn).await? != Named::Entity(Some(bound.unique_id.clone()))
            {
                gone.push(bound);
            }
        }
        if gone.is_empty() {
            return Ok(role.trust_policy.clone());
        }
        Ok(rewrite_principals(&role.trust_policy, |value| {
            gone.iter()
                .find(|b| b.arn == value)
                .map(|b| b.unique_id.clone())
        })
        .unwrap_or_else(|| role.trust_policy.clone()))
    }

    /// A role with its trust policy rendered for a response.
    pub(crate) async fn rendered_role(&self, mut role: RoleRecord) -> ServiceResult<RoleRecord> {
        role.trust_policy = self.rendered_trust(&role).await?;
        Ok(role)
    }

    /// The role's trust policy as stored, compiled once and cached: what any caller that is
    /// no namesake of a bound identity sees (identity providers have no unique id to bind).
    pub(crate) fn trust_of(&self, role: &RoleRecord) -> ServiceResult<Arc<PolicySet>> {
        let cache = &self.policy_cache().trusts;
        // Valid while the role's trust policy is the text it was compiled from.
        if let Some((_, set)) = cache
            .get(&role.role_id)
            .filter(|(text, _)| **text == *role.trust_policy)
        {
            return Ok(set);
        }
        let set = Arc::new(compile_trust(&role.trust_policy)?);
        cache.insert_weighted(
            &role.role_id,
            (Arc::from(role.trust_policy.as_str()), Arc::clone(&set)),
            role.trust_policy.len().saturating_mul(2),
        );
        Ok(set)
    }

    /// The role's trust policy as the engine must see it for `caller`: where it names the
    /// caller's ARN bound to another identity (a namesake deleted since), that principal
    /// is replaced by one that matches no caller. Compiled once per role and cached; only
    /// such a namesake pays for a rewrite.
    pub(crate) async fn trust_for(
        &self,
        role: &RoleRecord,
        caller: &Caller,
    ) -> ServiceResult<Arc<PolicySet>> {
        let bindings = role.trust_principals.as_deref().unwrap_or_default();
        let namesake = bindable_identity(caller)
            .filter(|(arn, id)| bindings.iter().any(|b| b.arn == *arn && b.unique_id != *id));
        let Some((arn, id)) = namesake else {
            return self.trust_of(role);
        };
        let rewritten = rewrite_principals(&role.trust_policy, |value| {
            bindings
                .iter()
                .find(|b| b.arn == value && value == arn && b.unique_id != id)
                .map(|b| unmatchable(&role.account_id, &b.unique_id))
        })
        .ok_or_else(|| ServiceError::internal(&"a stored trust policy is not JSON"))?;
        Ok(Arc::new(compile_trust(&rewritten)?))
    }
}

impl Service {
    /// Binds the trust policies of roles stored before bindings existed (the migration left
    /// them unbound): each user or role ARN to the identity it names now, or, naming nothing,
    /// to no identity at all, so that no later namesake matches. Run once at start-up; a
    /// role already bound is never touched again. Returns how many roles were bound.
    pub async fn bind_unbound_trust_policies(&self) -> ServiceResult<usize> {
        let mut bound_roles = 0;
        // Each pass binds what it read, so the next one reads the rest; bounded by the
        // number of roles, in case a write silently failed to stick.
        let mut passes = 0;
        loop {
            let roles = self.store.roles_with_unbound_trust(100).await?;
            if roles.is_empty() || passes > 1_000_000 {
                break;
            }
            passes += 1;
            for role in roles {
                let bindings = self.bindings_of(&role.trust_policy).await?;
                // Stored trust policies were validated when written.
                let document = Policy::parse(&role.trust_policy, PolicyKind::Trust)
                    .map_err(|e| ServiceError::internal(&e))?;
                self.store
                    .update_role_trust_policy(&role.account_id, &role.name, &document, &bindings)
                    .await?;
                bound_roles += 1;
            }
        }
        if bound_roles > 0 {
            self.after_write().await;
        }
        Ok(bound_roles)
    }

    /// The bindings of a stored trust policy's user and role ARNs, as they name things now.
    async fn bindings_of(&self, document: &str) -> ServiceResult<Vec<BoundPrincipal>> {
        let Ok(parsed) = Policy::parse(document, PolicyKind::Trust) else {
            return Ok(Vec::new());
        };
        let mut bound: Vec<BoundPrincipal> = Vec::new();
        for value in aws_principals(&parsed) {
            if bound.iter().any(|b| b.arn == value) {
                continue;
            }
            match self.named(&value).await? {
                Named::Entity(id) => bound.push(BoundPrincipal {
                    arn: value,
                    unique_id: id.unwrap_or_default(),
                }),
                Named::Unbound | Named::Invalid => {}
            }
        }
        Ok(bound)
    }
}

/// Every `AWS` value of every `Principal` and `NotPrincipal` of a parsed policy.
pub(crate) fn aws_principals(policy: &Policy) -> Vec<String> {
    let mut out = Vec::new();
    for statement in policy.statements() {
        let principals = match &statement.principal {
            Some(PrincipalClause::Principal(p) | PrincipalClause::NotPrincipal(p)) => p,
            None => continue,
        };
        let Principals::Map(map) = principals else {
            continue;
        };
        for (kind, values) in map {
            if *kind == PrincipalType::Aws {
                out.extend(values.iter().cloned());
            }
        }
    }
    out
}

fn compile_trust(document: &str) -> ServiceResult<PolicySet> {
    let trust =
        Policy::parse(document, PolicyKind::Trust).map_err(|e| ServiceError::internal(&e))?;
    Ok(PolicySet::new([("trust policy".to_owned(), &trust)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_only_aws_principals() {
        let document = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:user/carol","111111111111"],"Service":"arn:aws:iam::111111111111:user/carol"},"Action":"sts:AssumeRole"},{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111111111111:user/carol"},"Action":"sts:AssumeRole"}]}"#;
        let out = rewrite_principals(document, |v| {
            (v == "arn:aws:iam::111111111111:user/carol").then(|| "AIDAX".to_owned())
        })
        .unwrap();
        let value: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            value["Statement"][0]["Principal"]["AWS"],
            serde_json::json!(["AIDAX", "111111111111"])
        );
        assert_eq!(
            value["Statement"][0]["Principal"]["Service"],
            "arn:aws:iam::111111111111:user/carol"
        );
        assert_eq!(value["Statement"][1]["NotPrincipal"]["AWS"], "AIDAX");
        assert_eq!(rewrite_principals("not json", |_| None), None);
    }
}
