//! IAM guarding itself: every operation is authorized by the policy engine with AWS's action
//! name, resource ARN and request context, from the caller's policies compiled once and
//! cached until the store's revision changes.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use policy::{Context, ContextValue, Policies, Policy, PolicyKind, PolicySet, Principal, Request};
use store::{ListOptions, Store, TagTarget, UserRecord};

use crate::caller::{Caller, Identity};
use crate::catalogue::Catalogue;
use crate::error::{ServiceError, ServiceResult};

/// A user's policies, compiled.
#[derive(Debug)]
pub(crate) struct CompiledUser {
    identity: PolicySet,
    boundary: Option<PolicySet>,
    tags: Vec<(String, String)>,
}

/// Compiled policies by user id, dropped whenever anything in the store changes.
#[derive(Debug, Default)]
pub(crate) struct PolicyCache {
    users: RwLock<HashMap<String, Arc<CompiledUser>>>,
}

impl PolicyCache {
    pub(crate) fn clear(&self) {
        if let Ok(mut users) = self.users.write() {
            users.clear();
        }
    }

    fn get(&self, user_id: &str) -> Option<Arc<CompiledUser>> {
        self.users.read().ok()?.get(user_id).cloned()
    }

    fn put(&self, user_id: &str, compiled: Arc<CompiledUser>) {
        if let Ok(mut users) = self.users.write() {
            users.insert(user_id.to_owned(), compiled);
        }
    }
}

/// The document of a managed policy (AWS's catalogue or the account's own), validated.
pub(crate) async fn managed_policy(
    store: &Store,
    arn: &str,
    kind: PolicyKind,
) -> ServiceResult<Policy> {
    if let Some(aws) = Catalogue::shipped().get(arn) {
        return Policy::parse_aws_managed(&aws.document).map_err(|e| ServiceError::internal(&e));
    }
    let record = store.get_policy(arn).await?;
    let version = store
        .get_policy_version(arn, &record.default_version_id)
        .await?;
    Policy::parse(&version.document, kind).map_err(|e| ServiceError::internal(&e))
}

async fn compile_user(store: &Store, user: &UserRecord) -> ServiceResult<CompiledUser> {
    let mut identity = PolicySet::default();
    let me = store::Principal::user(&user.user_id);
    let mut owners = vec![(me, format!("user/{}", user.name))];
    let groups = store
        .list_groups_for_user(
            &user.account_id,
            &user.name,
            &ListOptions {
                max_items: 1000,
                ..ListOptions::default()
            },
        )
        .await?;
    for group in groups.items {
        owners.push((
            store::Principal::group(&group.group_id),
            format!("group/{}", group.name),
        ));
    }
    for (owner, label) in &owners {
        for (name, document) in store.list_inline_policies(owner).await? {
            let policy = Policy::parse(&document, PolicyKind::Identity)
                .map_err(|e| ServiceError::internal(&e))?;
            identity.add(format!("{label}/{name}"), &policy);
        }
        for arn in store.list_attached_policies(owner).await? {
            let policy = managed_policy(store, &arn, PolicyKind::Identity).await?;
            identity.add(arn, &policy);
        }
    }
    let boundary = match &user.permissions_boundary_arn {
        Some(arn) => {
            let policy = managed_policy(store, arn, PolicyKind::Boundary).await?;
            Some(PolicySet::new([(arn.clone(), &policy)]))
        }
        None => None,
    };
    let tags = store
        .list_tags(&TagTarget::User(user.user_id.clone()))
        .await?
        .into_iter()
        .map(|tag| (tag.key, tag.value))
        .collect();
    Ok(CompiledUser {
        identity,
        boundary,
        tags,
    })
}

/// The request context of section 3 of the semantics: who, from where, when.
fn base_context(caller: &Caller, now: SystemTime, tags: &[(String, String)]) -> Context {
    let single = |text: &str| ContextValue::Single(text.to_owned());
    let mut context = Context::new();
    let arn = caller.arn();
    context.insert("aws:PrincipalArn", single(&arn));
    context.insert("aws:PrincipalAccount", single(&caller.account_id));
    context.insert("aws:userid", single(caller.user_id()));
    match &caller.identity {
        Identity::Root => context.insert("aws:PrincipalType", single("Account")),
        Identity::User(user) => {
            context.insert("aws:PrincipalType", single("User"));
            context.insert("aws:username", single(&user.name));
        }
    }
    for (key, value) in tags {
        context.insert(&format!("aws:PrincipalTag/{key}"), single(value));
    }
    let seconds = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let seconds = i64::try_from(seconds).unwrap_or_default();
    context.insert(
        "aws:CurrentTime",
        single(&wire::Timestamp::from_unix_seconds(seconds).to_string()),
    );
    context.insert("aws:EpochTime", single(&seconds.to_string()));
    context.insert(
        "aws:SecureTransport",
        single(if caller.request.secure_transport {
            "true"
        } else {
            "false"
        }),
    );
    if let Some(ip) = caller.request.source_ip {
        context.insert("aws:SourceIp", single(&ip.to_string()));
    }
    if let Some(agent) = &caller.request.user_agent {
        context.insert("aws:UserAgent", single(agent));
    }
    if !caller.request.region.is_empty() {
        context.insert("aws:RequestedRegion", single(&caller.request.region));
    }
    context
}

/// Decides whether `caller` may perform `action` on `resource` (an ARN of the caller's
/// account, or `*`), with `extra` context keys of the operation (`aws:RequestTag/...`,
/// `iam:PolicyARN`, ...). The root user is never denied within its own account.
pub(crate) async fn authorize(
    store: &Store,
    cache: &PolicyCache,
    caller: &Caller,
    now: SystemTime,
    action: &str,
    resource: &str,
    extra: Vec<(String, ContextValue)>,
) -> ServiceResult<()> {
    let Identity::User(user) = &caller.identity else {
        return Ok(());
    };
    let compiled = match cache.get(&user.user_id) {
        Some(compiled) => compiled,
        None => {
            let compiled = Arc::new(compile_user(store, user).await?);
            cache.put(&user.user_id, Arc::clone(&compiled));
            compiled
        }
    };
    let mut context = base_context(caller, now, &compiled.tags);
    for (key, value) in extra {
        context.insert(&key, value);
    }
    let arn = caller.arn();
    let principal = Principal::user(&arn).map_err(|e| ServiceError::internal(&e))?;
    let request = Request {
        principal: &principal,
        action,
        resource,
        resource_account: Some(&caller.account_id),
        context: &context,
    };
    let policies = Policies {
        identity: Some(&compiled.identity),
        boundary: compiled.boundary.as_ref(),
        ..Policies::default()
    };
    let evaluation = policy::authorize(&request, &policies);
    if evaluation.decision.is_allowed() {
        return Ok(());
    }
    let message = evaluation
        .denial_message(&request)
        .unwrap_or_else(|| format!("User: {arn} is not authorized to perform: {action}"));
    Err(ServiceError::access_denied(message))
}
