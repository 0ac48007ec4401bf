//! An account's organization guardrails, compiled for the engine (issue 15): the SCPs and
//! RCPs attached at each level from the root down to the account, and the organization
//! context keys. Compiled once per account and kept until an Organizations write (each logs
//! a change of kind `Organization`), so the hot path reads memory.

use std::sync::Arc;

use policy::{ContextValue, Policy, PolicyKind, PolicySet};
use store::{AWS_MANAGED_ORG_POLICIES, GuardrailRows};

use crate::bounded::BoundedMap;
use crate::error::{ServiceError, ServiceResult};
use crate::reads::Reads;

/// The AWS managed policies' documents (allow everything), as AWS publishes them.
pub(crate) fn aws_managed_document(policy_id: &str) -> &'static str {
    match policy_id {
        "p-FullAWSAccess" => {
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
        }
        _ => {
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#
        }
    }
}

/// What binds one account's principals and resources.
#[derive(Debug)]
pub(crate) struct Guardrails {
    /// `aws:PrincipalOrgID` / `aws:ResourceOrgID`.
    pub(crate) org_id: String,
    /// `aws:PrincipalOrgPaths` / `aws:ResourceOrgPaths`: `o-.../r-.../ou-.../` down to the
    /// account's parent, as AWS writes it.
    pub(crate) org_path: String,
    /// The SCPs per level (root first), when the account is a member (not the management
    /// account) and the type is enabled.
    pub(crate) scp: Option<Vec<PolicySet>>,
    /// The RCPs per level, on the same terms.
    pub(crate) rcp: Option<Vec<PolicySet>>,
}

impl Guardrails {
    /// The organization keys of the principal's side.
    pub(crate) fn principal_context(&self) -> [(&'static str, ContextValue); 2] {
        [
            (
                "aws:PrincipalOrgID",
                ContextValue::Single(self.org_id.clone()),
            ),
            (
                "aws:PrincipalOrgPaths",
                ContextValue::Multi(vec![self.org_path.clone()]),
            ),
        ]
    }

    /// The organization keys of the resource's side.
    pub(crate) fn resource_context(&self) -> [(&'static str, ContextValue); 2] {
        [
            (
                "aws:ResourceOrgID",
                ContextValue::Single(self.org_id.clone()),
            ),
            (
                "aws:ResourceOrgPaths",
                ContextValue::Multi(vec![self.org_path.clone()]),
            ),
        ]
    }
}

/// Compiles the stored rows: one policy set per level and type.
fn compile(account_id: &str, rows: &GuardrailRows) -> ServiceResult<Guardrails> {
    let org_path = {
        let mut path = format!("{}/", rows.org_id);
        for node in rows.path.iter().filter(|n| n.as_str() != account_id) {
            path.push_str(node);
            path.push('/');
        }
        path
    };
    let member = rows.management_account_id != account_id;
    let chain = |policy_type: &str, kind: PolicyKind| -> ServiceResult<Option<Vec<PolicySet>>> {
        if !member || !rows.policy_types.iter().any(|t| t == policy_type) {
            return Ok(None);
        }
        let mut levels = Vec::with_capacity(rows.path.len());
        for target in &rows.path {
            let mut set = PolicySet::new(std::iter::empty());
            for (_, _, policy_id) in rows
                .attachments
                .iter()
                .filter(|(t, kind, _)| t == target && kind == policy_type)
            {
                let text = if AWS_MANAGED_ORG_POLICIES
                    .iter()
                    .any(|(id, _)| id == policy_id)
                {
                    aws_managed_document(policy_id)
                } else {
                    rows.contents
                        .iter()
                        .find(|(id, _)| id == policy_id)
                        .map(|(_, content)| content.as_str())
                        .ok_or_else(|| {
                            ServiceError::internal(&format!("policy {policy_id} has no document"))
                        })?
                };
                // Stored documents were validated when written; one that no longer parses is
                // a fault of ours, and failing closed refuses the request.
                let policy = Policy::parse(text, kind).map_err(|e| {
                    ServiceError::internal(&format!("stored policy {policy_id}: {e}"))
                })?;
                set.add(policy_id.clone(), &policy);
            }
            levels.push(set);
        }
        Ok(Some(levels))
    };
    Ok(Guardrails {
        org_id: rows.org_id.clone(),
        org_path,
        scp: chain("SERVICE_CONTROL_POLICY", PolicyKind::ServiceControl)?,
        rcp: chain("RESOURCE_CONTROL_POLICY", PolicyKind::ResourceControl)?,
    })
}

/// The guardrails of `account_id` (`None` outside any organization), from `cache` while no
/// Organizations write came after the revision they were compiled at.
pub(crate) async fn guardrails(
    reads: Reads<'_>,
    cache: &BoundedMap<(i64, Option<Arc<Guardrails>>)>,
    account_id: &str,
) -> ServiceResult<Option<Arc<Guardrails>>> {
    let revision = reads.revision();
    if let Some((at, found)) = cache.get(account_id)
        && reads.organizations_hold(at)
    {
        return Ok(found);
    }
    let found = match reads.org_guardrails(account_id).await? {
        Some(rows) => Some(Arc::new(compile(account_id, &rows)?)),
        None => None,
    };
    cache.insert(account_id, (revision, found.clone()));
    Ok(found)
}
