//! IAM guarding itself: every operation is authorized by the policy engine with AWS's action
//! name, resource ARN and request context, from the caller's policies compiled once and
//! cached until the store's revision changes.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use policy::{Context, ContextValue, Policies, Policy, PolicyKind, PolicySet, Principal, Request};
use store::{ListOptions, RoleRecord, StoreError, Tag, TagTarget, UserRecord};

use crate::reads::Reads;

use crate::bounded::BoundedMap;
use crate::caller::{Caller, Identity, RequestInfo, role_arn, user_arn};
use crate::catalogue::Catalogue;
use crate::error::{Denial, ServiceError, ServiceResult};
use crate::guardrails::{Guardrails, guardrails};
use crate::seal::Sealer;
use crate::service::CacheLimits;
use crate::session::{Session, SessionKind};

/// A user's or role's policies, compiled.
#[derive(Debug)]
pub(crate) struct CompiledPrincipal {
    pub(crate) identity: PolicySet,
    pub(crate) boundary: Option<PolicySet>,
    pub(crate) tags: Vec<(String, String)>,
    /// The policy text compiled, in bytes: the entry's weight in the cache.
    pub(crate) text: usize,
    /// A user as the engine sees it in the `aws` partition, parsed once with its policies
    /// rather than on every request; `None` for a role, each of whose sessions is a
    /// principal of its own.
    pub(crate) user: Option<Arc<Principal>>,
}

/// Compiled policies by user or role id, session policies by temporary key id, trust
/// policies by role id and the roles sessions act as, each bounded ([`CacheLimits`]) and dropped whenever anything in the
/// store changes.
#[derive(Debug)]
pub(crate) struct PolicyCache {
    /// Each value with the state revision it was compiled at (see `Reads::holds`).
    principals: BoundedMap<(i64, Arc<CompiledPrincipal>)>,
    sessions: BoundedMap<(i64, Arc<PolicySet>)>,
    /// A role's trust policy by role id, with the text it was compiled from.
    pub(crate) trusts: BoundedMap<(Arc<str>, Arc<PolicySet>)>,
    /// An account's organization guardrails by account id, with the revision they were
    /// compiled at (`None`: the account is in no organization).
    pub(crate) guardrails: BoundedMap<(i64, Option<Arc<Guardrails>>)>,
    /// The roles sessions act as, by role id, with the revision they were read at.
    roles: BoundedMap<(i64, Arc<RoleRecord>)>,
    /// How long the engine takes to decide (policies compiled, context built).
    pub(crate) decision_latency: store::metrics::Histogram,
}

impl PolicyCache {
    pub(crate) fn new(limits: &CacheLimits) -> PolicyCache {
        PolicyCache {
            principals: BoundedMap::new(limits.compiled),
            sessions: BoundedMap::new(limits.sessions),
            trusts: BoundedMap::new(limits.trusts),
            guardrails: BoundedMap::new(limits.compiled),
            roles: BoundedMap::new(limits.compiled),
            decision_latency: store::metrics::Histogram::default(),
        }
    }

    pub(crate) fn clear(&self) {
        self.principals.clear();
        self.sessions.clear();
        self.trusts.clear();
        self.guardrails.clear();
        self.roles.clear();
    }

    /// Lookups of compiled principals, session policies, trust policies and sessions' roles:
    /// (found, not found) each.
    pub(crate) fn lookups(&self) -> [(&'static str, (u64, u64)); 4] {
        [
            ("compiled", self.principals.lookups()),
            ("sessions", self.sessions.lookups()),
            ("trusts", self.trusts.lookups()),
            ("session_roles", self.roles.lookups()),
        ]
    }

    pub(crate) fn compiled_usage(&self) -> (usize, usize) {
        self.principals.usage()
    }

    pub(crate) fn sessions_usage(&self) -> (usize, usize) {
        self.sessions.usage()
    }

    pub(crate) fn trusts_usage(&self) -> (usize, usize) {
        self.trusts.usage()
    }

    /// The principal's compiled policies, if compiled since its last change.
    fn get(&self, reads: Reads<'_>, id: &str) -> Option<Arc<CompiledPrincipal>> {
        self.principals
            .get(id)
            .filter(|(revision, _)| reads.holds(id, *revision))
            .map(|(_, compiled)| compiled)
    }

    fn put(&self, id: &str, revision: i64, compiled: Arc<CompiledPrincipal>) {
        let weight = compiled.text.max(1);
        self.principals
            .insert_weighted(id, (revision, compiled), weight);
    }
}

/// The document of a managed policy (AWS's catalogue or the account's own), validated.
pub(crate) async fn managed_policy(
    reads: Reads<'_>,
    arn: &str,
    kind: PolicyKind,
) -> ServiceResult<Policy> {
    if let Some(aws) = Catalogue::shipped().get(arn) {
        return Policy::parse_aws_managed(&aws.document).map_err(|e| ServiceError::internal(&e));
    }
    let record = reads.get_policy(arn).await?;
    let version = reads
        .get_policy_version(arn, &record.default_version_id)
        .await?;
    Policy::parse(&version.document, kind).map_err(|e| ServiceError::internal(&e))
}

/// The owners of a user's identity policies: the user, then each of its groups, with the
/// label that names their inline policies in explanations.
pub(crate) async fn user_owners(
    reads: Reads<'_>,
    user: &UserRecord,
) -> ServiceResult<Vec<(store::Principal, String)>> {
    let mut owners = vec![(
        store::Principal::user(&user.user_id),
        format!("user/{}", user.name),
    )];
    let groups = reads
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
    Ok(owners)
}

async fn compile_user(reads: Reads<'_>, user: &UserRecord) -> ServiceResult<CompiledPrincipal> {
    let owners = user_owners(reads, user).await?;
    let boundary = user.permissions_boundary_arn.as_deref();
    let compiled = compile(
        reads,
        &owners,
        boundary,
        TagTarget::User(user.user_id.clone()),
    )
    .await?;
    let principal = Principal::user(&user_arn(&user.account_id, &user.path, &user.name))
        .map_err(|e| ServiceError::internal(&e))?;
    Ok(CompiledPrincipal {
        user: Some(Arc::new(principal)),
        ..compiled
    })
}

/// The owner of a role's identity policies, labelled as in [`user_owners`].
pub(crate) fn role_owners(role: &RoleRecord) -> Vec<(store::Principal, String)> {
    vec![(
        store::Principal::role(&role.role_id),
        format!("role/{}", role.name),
    )]
}

async fn compile_role(reads: Reads<'_>, role: &RoleRecord) -> ServiceResult<CompiledPrincipal> {
    let owners = role_owners(role);
    let boundary = role.permissions_boundary_arn.as_deref();
    compile(
        reads,
        &owners,
        boundary,
        TagTarget::Role(role.role_id.clone()),
    )
    .await
}

/// One identity policy of a principal: inline (`managed_arn` is `None`; `label` is
/// `<owner label>/<policy name>`) or attached (`label` is the policy's ARN).
pub(crate) struct IdentitySource {
    pub(crate) label: String,
    pub(crate) owner: String,
    pub(crate) managed_arn: Option<String>,
    pub(crate) policy: Policy,
}

/// The inline and attached policies of each owner, in the order enforcement compiles them.
pub(crate) async fn identity_sources(
    reads: Reads<'_>,
    owners: &[(store::Principal, String)],
) -> ServiceResult<Vec<IdentitySource>> {
    let mut sources = Vec::new();
    for (owner, label) in owners {
        for (name, document) in reads.list_inline_policies(owner).await? {
            let policy = Policy::parse(&document, PolicyKind::Identity)
                .map_err(|e| ServiceError::internal(&e))?;
            sources.push(IdentitySource {
                label: format!("{label}/{name}"),
                owner: label.clone(),
                managed_arn: None,
                policy,
            });
        }
        for arn in reads.list_attached_policies(owner).await? {
            let policy = managed_policy(reads, &arn, PolicyKind::Identity).await?;
            sources.push(IdentitySource {
                label: arn.clone(),
                owner: label.clone(),
                managed_arn: Some(arn),
                policy,
            });
        }
    }
    Ok(sources)
}

/// A principal's policies compiled: the inline and attached policies of each owner (the user
/// and its groups, or the role; `label` names their inline policies in explanations), the
/// boundary, and the principal's tags.
async fn compile(
    reads: Reads<'_>,
    owners: &[(store::Principal, String)],
    boundary_arn: Option<&str>,
    tags_of: TagTarget,
) -> ServiceResult<CompiledPrincipal> {
    let mut identity = PolicySet::default();
    let mut text = 0usize;
    for source in identity_sources(reads, owners).await? {
        text = text.saturating_add(source.policy.text().len());
        identity.add(source.label, &source.policy);
    }
    let boundary = match boundary_arn {
        Some(arn) => {
            let policy = managed_policy(reads, arn, PolicyKind::Boundary).await?;
            text = text.saturating_add(policy.text().len());
            Some(PolicySet::new([(arn.to_owned(), &policy)]))
        }
        None => None,
    };
    let tags = reads
        .list_tags(&tags_of)
        .await?
        .into_iter()
        .map(|tag| (tag.key, tag.value))
        .collect();
    Ok(CompiledPrincipal {
        identity,
        boundary,
        tags,
        text,
        user: None,
    })
}

/// A managed session policy of a session acting in `account`: AWS's catalogue or a policy of
/// that account, parsed as what it was stored as (an identity policy, whose own size limit
/// is 6,144). `None` for anything else: an ARN of another account, or a policy since deleted.
pub(crate) async fn session_managed_policy(
    reads: Reads<'_>,
    account: &str,
    arn: &str,
) -> ServiceResult<Option<Policy>> {
    if Catalogue::shipped().get(arn).is_some() {
        return managed_policy(reads, arn, PolicyKind::Identity)
            .await
            .map(Some);
    }
    if !arn.starts_with(&format!("arn:aws:iam::{account}:policy/")) {
        return Ok(None);
    }
    let record = match reads.get_policy(arn).await {
        Ok(record) => record,
        Err(StoreError::NoSuchEntity { .. }) => return Ok(None),
        Err(other) => return Err(other.into()),
    };
    let version = match reads
        .get_policy_version(arn, &record.default_version_id)
        .await
    {
        Ok(version) => version,
        Err(StoreError::NoSuchEntity { .. }) => return Ok(None),
        Err(other) => return Err(other.into()),
    };
    Policy::parse(&version.document, PolicyKind::Identity)
        .map(Some)
        .map_err(|e| ServiceError::internal(&e))
}

/// A user's compiled policies, from the cache or the store.
pub(crate) async fn user_policies(
    reads: Reads<'_>,
    cache: &PolicyCache,
    user: &UserRecord,
) -> ServiceResult<Arc<CompiledPrincipal>> {
    if let Some(compiled) = cache.get(reads, &user.user_id) {
        return Ok(compiled);
    }
    // The revision first, then the record again: everything compiled is at least that new.
    let revision = reads.revision();
    let fresh = reads.get_user_by_id(&user.user_id).await?;
    let compiled = Arc::new(compile_user(reads, &fresh).await?);
    cache.put(&user.user_id, revision, Arc::clone(&compiled));
    Ok(compiled)
}

/// A role's compiled policies, from the cache or the store.
pub(crate) async fn role_policies(
    reads: Reads<'_>,
    cache: &PolicyCache,
    role: &RoleRecord,
) -> ServiceResult<Arc<CompiledPrincipal>> {
    if let Some(compiled) = cache.get(reads, &role.role_id) {
        return Ok(compiled);
    }
    // The revision first, then the record again: everything compiled is at least that new.
    let revision = reads.revision();
    let fresh = reads.get_role_by_id(&role.role_id).await?;
    let compiled = Arc::new(compile_role(reads, &fresh).await?);
    cache.put(&role.role_id, revision, Arc::clone(&compiled));
    Ok(compiled)
}

/// The role a session acts as, read once per change of the role rather than copied out of
/// the state on every request the session signs. Its usage stamps (`last_used_*`, which
/// do not move the revision) may be older than the state's: nothing reads them from a
/// caller.
pub(crate) async fn session_role(
    reads: Reads<'_>,
    cache: &PolicyCache,
    role_id: &str,
) -> ServiceResult<Arc<RoleRecord>> {
    if let Some((_, role)) = cache
        .roles
        .get(role_id)
        .filter(|(revision, _)| reads.holds(role_id, *revision))
    {
        return Ok(role);
    }
    // The revision first, then the record: the record is at least that new.
    let revision = reads.revision();
    let role = Arc::new(reads.get_role_by_id(role_id).await?);
    cache.roles.insert(role_id, (revision, Arc::clone(&role)));
    Ok(role)
}

/// A session's policies (inline and managed ARNs), compiled; `None` when it has none.
pub(crate) async fn session_policies(
    reads: Reads<'_>,
    cache: &PolicyCache,
    session: &Session,
) -> ServiceResult<Option<Arc<PolicySet>>> {
    if session.policy.is_none() && session.policy_arns.is_empty() {
        return Ok(None);
    }
    if let Some((_, set)) = cache
        .sessions
        .get(&session.access_key_id)
        .filter(|(revision, _)| reads.policies_hold(*revision))
    {
        return Ok(Some(set));
    }
    let revision = reads.revision();
    let mut set = PolicySet::default();
    let mut weight = 0usize;
    if let Some(text) = &session.policy {
        let policy =
            Policy::parse(text, PolicyKind::Session).map_err(|e| ServiceError::internal(&e))?;
        weight = weight.saturating_add(text.len());
        set.add("session policy".to_owned(), &policy);
    }
    for arn in &session.policy_arns {
        // A policy gone (or never of this account) grants nothing: the session keeps only
        // what its other session policies allow, failing closed rather than failing.
        if let Some(policy) = session_managed_policy(reads, &session.account_id, arn).await? {
            weight = weight.saturating_add(policy.text().len());
            set.add(arn.clone(), &policy);
        }
    }
    let set = Arc::new(set);
    cache.sessions.insert_weighted(
        &session.access_key_id,
        (revision, Arc::clone(&set)),
        weight.max(1),
    );
    Ok(Some(set))
}

/// The request context of section 3 of the semantics: who, from where, when.
pub(crate) fn base_context(caller: &Caller, now: SystemTime, tags: &[(String, String)]) -> Context {
    let single = |text: &str| ContextValue::Single(text.to_owned());
    let mut context = Context::new();
    context.insert(
        "aws:PrincipalArn",
        single(&caller.partition().swap(&caller.principal_arn())),
    );
    context.insert("aws:PrincipalAccount", single(&caller.account_id));
    context.insert("aws:userid", single(&caller.user_id()));
    let principal_type = match &caller.identity {
        Identity::Root => "Account",
        Identity::User(user) => {
            context.insert("aws:username", single(&user.name));
            "User"
        }
        Identity::RoleSession { .. } => "AssumedRole",
        Identity::FederatedUser { .. } => "FederatedUser",
    };
    context.insert("aws:PrincipalType", single(principal_type));
    for (key, value) in tags {
        context.insert(&format!("aws:PrincipalTag/{key}"), single(value));
    }
    if let Some(session) = &caller.session {
        // Session tags override the principal's own tags of the same key.
        for (key, value) in &session.tags {
            context.insert(&format!("aws:PrincipalTag/{key}"), single(value));
        }
        context.insert(
            "aws:TokenIssueTime",
            single(&wire::Timestamp::from_unix_seconds(session.issued_at).to_string()),
        );
        context.insert(
            "aws:MultiFactorAuthPresent",
            single(if session.mfa { "true" } else { "false" }),
        );
        if session.mfa {
            let age = epoch_seconds(now) - session.mfa_at.unwrap_or(session.issued_at);
            context.insert("aws:MultiFactorAuthAge", single(&age.max(0).to_string()));
        }
        if let SessionKind::Role {
            provider: Some(provider),
            ..
        } = &session.kind
        {
            context.insert("aws:FederatedProvider", single(provider));
        }
        if let Some(source) = &session.source_identity {
            context.insert("aws:SourceIdentity", single(source));
        }
    }
    insert_request_facts(&mut context, &caller.request, now);
    context
}

/// The request's own facts (time, transport, address, user agent, region), which every
/// decision sees, whoever calls.
pub(crate) fn insert_request_facts(context: &mut Context, request: &RequestInfo, now: SystemTime) {
    let single = |text: &str| ContextValue::Single(text.to_owned());
    let seconds = epoch_seconds(now);
    context.insert(
        "aws:CurrentTime",
        single(&wire::Timestamp::from_unix_seconds(seconds).to_string()),
    );
    context.insert("aws:EpochTime", single(&seconds.to_string()));
    context.insert(
        "aws:SecureTransport",
        single(if request.secure_transport {
            "true"
        } else {
            "false"
        }),
    );
    if let Some(ip) = request.source_ip {
        context.insert("aws:SourceIp", single(&ip.to_string()));
    }
    if let Some(agent) = &request.user_agent {
        context.insert("aws:UserAgent", single(agent));
    }
    if !request.region.is_empty() {
        context.insert("aws:RequestedRegion", single(&request.region));
    }
}

fn epoch_seconds(now: SystemTime) -> i64 {
    let seconds = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    i64::try_from(seconds).unwrap_or_default()
}

/// The caller as the policy engine sees it, with its identity policies, boundary, session
/// policies and tags.
pub(crate) struct CallerPolicies {
    pub(crate) principal: Arc<Principal>,
    pub(crate) compiled: Option<Arc<CompiledPrincipal>>,
    pub(crate) session: Option<Arc<PolicySet>>,
}

pub(crate) async fn caller_policies(
    reads: Reads<'_>,
    cache: &PolicyCache,
    caller: &Caller,
) -> ServiceResult<CallerPolicies> {
    let internal = |e: policy::InvalidPrincipal| ServiceError::internal(&e);
    // The engine sees the caller in the request's partition, where its policies were written.
    let partition = caller.partition();
    let (principal, compiled) = match &caller.identity {
        Identity::Root => (
            Arc::new(Principal::parse(&partition.swap(&caller.arn())).map_err(internal)?),
            None,
        ),
        Identity::User(user) => {
            let compiled = user_policies(reads, cache, user).await?;
            let principal = match &compiled.user {
                // The user parsed with its policies, unless the caller's record names it
                // otherwise (renamed since) or the request lives in another partition.
                Some(parsed)
                    if partition == wire::Partition::Aws && names_user(parsed.arn(), user) =>
                {
                    Arc::clone(parsed)
                }
                _ => Arc::new(Principal::user(&partition.swap(&caller.arn())).map_err(internal)?),
            };
            (principal, Some(compiled))
        }
        Identity::RoleSession { role, session_name } => {
            let parse = || {
                Principal::role_session(
                    &partition.swap(&role_arn(&role.account_id, &role.path, &role.name)),
                    session_name,
                )
            };
            let principal = match &caller.session {
                // Parsed once per session (see `Session::principal`), in the `aws` partition.
                Some(session) if partition == wire::Partition::Aws => {
                    session.principal.get_or_parse(parse).map_err(internal)?
                }
                _ => Arc::new(parse().map_err(internal)?),
            };
            (principal, Some(role_policies(reads, cache, role).await?))
        }
        Identity::FederatedUser { user, .. } => (
            Arc::new(Principal::parse(&partition.swap(&caller.arn())).map_err(internal)?),
            Some(user_policies(reads, cache, user).await?),
        ),
    };
    let session = match &caller.session {
        Some(session) => session_policies(reads, cache, session).await?,
        None => None,
    };
    Ok(CallerPolicies {
        principal,
        compiled,
        session,
    })
}

/// Whether `arn` is `user`'s (`arn:aws:iam::<account>:user<path><name>`), read in place.
fn names_user(arn: &str, user: &UserRecord) -> bool {
    arn.strip_prefix("arn:aws:iam::")
        .and_then(|rest| rest.strip_prefix(user.account_id.as_str()))
        .and_then(|rest| rest.strip_prefix(":user"))
        .and_then(|rest| rest.strip_prefix(user.path.as_str()))
        == Some(user.name.as_str())
}

/// What an operation adds to a decision's context.
#[derive(Default)]
pub(crate) struct Extra<'a> {
    /// Its own keys (`aws:RequestTag/...`, `iam:PolicyARN`, ...).
    pub keys: Vec<(String, ContextValue)>,
    /// The tags of the entity acted on, as `aws:ResourceTag/...` and `iam:ResourceTag/...`:
    /// written out only when a policy reads the context or a denial quotes it.
    pub resource_tags: &'a [Tag],
}

impl Extra<'_> {
    /// `keys` alone.
    pub(crate) fn keys(keys: Vec<(String, ContextValue)>) -> Extra<'static> {
        Extra {
            keys,
            resource_tags: &[],
        }
    }
}

/// `aws:ResourceTag/k` and `iam:ResourceTag/k` for each of an entity's tags.
pub(crate) fn resource_tag_context(tags: &[Tag]) -> Vec<(String, ContextValue)> {
    tags.iter()
        .flat_map(|tag| {
            [
                (
                    format!("aws:ResourceTag/{}", tag.key),
                    ContextValue::Single(tag.value.clone()),
                ),
                (
                    format!("iam:ResourceTag/{}", tag.key),
                    ContextValue::Single(tag.value.clone()),
                ),
            ]
        })
        .collect()
}

/// Decides whether `caller` may perform `action` on `resource` (an ARN of the caller's
/// account, or `*`), with what the operation adds to the context (`extra`). The root user
/// is never denied within its own account.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site per service; a struct would only rename them"
)]
pub(crate) async fn authorize(
    reads: Reads<'_>,
    cache: &PolicyCache,
    encoder: Option<&Sealer>,
    caller: &Caller,
    now: SystemTime,
    action: &str,
    resource: &str,
    extra: Extra<'_>,
) -> ServiceResult<()> {
    if caller.identity == Identity::Root {
        return Ok(());
    }
    let policies = caller_policies(reads, cache, caller).await?;
    // The resource is the caller's account's (an IAM entity, an organization's): one
    // account's guardrails bind both sides.
    let guard = guardrails(reads, &cache.guardrails, &caller.account_id).await?;
    let guard = guard.as_deref();
    let partition = caller.partition();
    let resource = partition.swap(resource);
    let sets = Policies {
        identity: policies.compiled.as_ref().map(|c| &c.identity),
        boundary: policies.compiled.as_ref().and_then(|c| c.boundary.as_ref()),
        session: policies.session.as_deref(),
        service_control: guard.and_then(|g| g.scp.as_deref()),
        resource_control: guard
            .filter(|_| rcps_apply_to(action))
            .and_then(|g| g.rcp.as_deref()),
        ..Policies::default()
    };
    // Most callers' policies have no condition and no variable: their decision is the same
    // whatever the context holds, and building it (a dozen keys and values) is most of the
    // cost of a decision. A denial still quotes the whole context, so it is built then.
    // Guardrails count like the caller's own policies (an SCP may read aws:PrincipalOrgID).
    let guardrail_sets = [sets.service_control, sets.resource_control]
        .into_iter()
        .flatten()
        .flatten();
    let reads_context = [sets.identity, sets.boundary, sets.session]
        .into_iter()
        .flatten()
        .chain(guardrail_sets)
        .any(PolicySet::reads_context);
    let (context, extra) = if reads_context {
        (
            full_context(caller, &policies, guard, now, extra),
            Extra::default(),
        )
    } else {
        (Context::new(), extra)
    };
    let request = Request {
        principal: &policies.principal,
        action,
        resource: &resource,
        resource_account: Some(&caller.account_id),
        context: &context,
    };
    let deciding = std::time::Instant::now();
    let evaluation = policy::authorize(&request, &sets);
    cache.decision_latency.observe(deciding.elapsed());
    if evaluation.decision.is_allowed() {
        return Ok(());
    }
    let rebuilt;
    let (request, evaluation) = if reads_context {
        (request, evaluation)
    } else {
        rebuilt = full_context(caller, &policies, guard, now, extra);
        let request = Request {
            context: &rebuilt,
            ..request
        };
        let evaluation = policy::authorize(&request, &sets);
        (request, evaluation)
    };
    let message = denial_message(caller, &evaluation, &request).unwrap_or_else(|| {
        format!(
            "User: {} is not authorized to perform: {action}",
            caller.arn()
        )
    });
    Err(denial(
        encoder,
        message,
        caller,
        &evaluation,
        action,
        &resource,
        request.context,
    ))
}

/// Whether resource control policies bind `action`: AWS applies them to a list of services
/// (S3, STS, KMS, SQS, Secrets Manager, ...) that IAM and Organizations are not on; of what
/// Castellan serves, only STS's actions.
pub(crate) fn rcps_apply_to(action: &str) -> bool {
    action
        .get(..4)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("sts:"))
}

/// The whole request context of a decision: the caller's, the request's facts, the
/// organization's keys of the caller's account (`guard`), and what the operation adds
/// (`extra`, its ARNs moved into the caller's partition).
fn full_context(
    caller: &Caller,
    policies: &CallerPolicies,
    guard: Option<&Guardrails>,
    now: SystemTime,
    extra: Extra<'_>,
) -> Context {
    let partition = caller.partition();
    let tags = policies.compiled.as_ref().map_or(&[][..], |c| &c.tags[..]);
    let mut context = base_context(caller, now, tags);
    if let Some(guard) = guard {
        for (key, value) in guard
            .principal_context()
            .into_iter()
            .chain(guard.resource_context())
        {
            context.insert(key, value);
        }
    }
    let resource_tags = resource_tag_context(extra.resource_tags);
    for (key, value) in extra.keys.into_iter().chain(resource_tags) {
        let value = match value {
            ContextValue::Single(arn)
                if partition != wire::Partition::Aws && ARN_KEYS.contains(&key.as_str()) =>
            {
                ContextValue::Single(partition.swap(&arn).into_owned())
            }
            other => other,
        };
        context.insert(&key, value);
    }
    context
}

/// Context keys whose values the operations fill with ARNs (canonical, like every ARN the
/// service holds), moved into the request's partition with the rest of the request.
const ARN_KEYS: &[&str] = &["iam:PolicyARN", "iam:PermissionsBoundary"];

/// The engine's denial message, which quotes the request as the engine saw it (in the
/// caller's partition), brought back to the canonical partition every service message uses.
pub(crate) fn denial_message(
    caller: &Caller,
    evaluation: &policy::Evaluation,
    request: &Request<'_>,
) -> Option<String> {
    let message = evaluation.denial_message(request)?;
    Some(caller.partition().swap_within(&message).into_owned())
}

/// The binding of sealed authorization messages.
const DENIAL_BINDING: &[u8] = b"castellan:authorization-message:v1";

/// The engine's denial as the caller gets it: AWS's `message`, whether a statement denied
/// explicitly, and with `encoder` AWS's "Encoded authorization failure message".
pub(crate) fn denial(
    encoder: Option<&Sealer>,
    message: String,
    caller: &Caller,
    evaluation: &policy::Evaluation,
    action: &str,
    resource: &str,
    context: &Context,
) -> ServiceError {
    ServiceError::Denied(Denial {
        explicit: evaluation.decision == policy::Decision::ExplicitDeny,
        message,
        encoded: encoder.and_then(|sealer| {
            encode_decision(sealer, caller, evaluation, action, resource, context)
        }),
    })
}

/// The decision's details sealed with the master key, readable through
/// DecodeAuthorizationMessage by callers of the same account allowed to; `None` when sealing
/// fails (the denial is then sent without it).
fn encode_decision(
    sealer: &Sealer,
    caller: &Caller,
    evaluation: &policy::Evaluation,
    action: &str,
    resource: &str,
    context: &Context,
) -> Option<String> {
    let conditions: serde_json::Map<String, serde_json::Value> = context
        .iter()
        .map(|(key, value)| {
            let value = match value {
                ContextValue::Single(text) => serde_json::Value::from(text.clone()),
                ContextValue::Multi(values) => serde_json::Value::from(values.clone()),
            };
            (key.to_owned(), value)
        })
        .collect();
    let details = serde_json::json!({
        "allowed": false,
        "explicitDeny": evaluation.decision == policy::Decision::ExplicitDeny,
        "decidedBy": evaluation.deciding.map(|d| d.policy_type.description()),
        "account": caller.account_id,
        "context": {
            "principal": { "id": caller.user_id(), "arn": caller.partition().swap(&caller.arn()) },
            "action": action,
            "resource": resource,
            "conditions": conditions,
        },
    });
    sealer
        .seal(details.to_string().as_bytes(), DENIAL_BINDING)
        .ok()
        .map(|sealed| data_encoding::BASE64URL_NOPAD.encode(&sealed))
}

/// Opens an encoded authorization message: its JSON text and the account it belongs to.
pub(crate) fn decode_denial(sealer: &Sealer, encoded: &str) -> Option<(String, String)> {
    let sealed = data_encoding::BASE64URL_NOPAD
        .decode(encoded.trim().as_bytes())
        .ok()?;
    let json = sealer.open(&sealed, DENIAL_BINDING).ok()?;
    let text = String::from_utf8(json.to_vec()).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    let account = value.get("account")?.as_str()?.to_owned();
    Some((text, account))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parsed_user_is_reused_only_for_the_same_arn() {
        let user = UserRecord {
            account_id: "123456789012".to_owned(),
            user_id: "AIDAEXAMPLE".to_owned(),
            name: "alice".to_owned(),
            path: "/dev/".to_owned(),
            created_at: 0,
            permissions_boundary_arn: None,
            password_last_used: None,
        };
        assert!(names_user(
            "arn:aws:iam::123456789012:user/dev/alice",
            &user
        ));
        for other in [
            "arn:aws:iam::123456789012:user/alice",
            "arn:aws:iam::123456789012:user/dev/alice2",
            "arn:aws:iam::123456789012:user/dev/alic",
            "arn:aws:iam::210987654321:user/dev/alice",
            "arn:aws-cn:iam::123456789012:user/dev/alice",
            "arn:aws:iam::123456789012:role/dev/alice",
        ] {
            assert!(!names_user(other, &user), "{other}");
        }
    }
}
