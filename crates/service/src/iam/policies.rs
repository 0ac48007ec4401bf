//! Managed policies: CRUD, versions, the AWS managed catalogue, entities, tags.
//!
//! Customer managed policies live in the store; AWS managed ones (`arn:aws:iam::aws:policy/...`)
//! come from the shipped catalogue and are read-only: writes to them fail as in AWS.

use std::collections::HashMap;

use policy::ContextValue;
use sha2::{Digest, Sha256};
use store::{ListOptions, NewPolicy, PolicyRecord, PolicyVersionRecord, PrincipalKind, StoreError};
use wire::iam::{
    CreatePolicyRequest, CreatePolicyResponse, CreatePolicyVersionRequest,
    CreatePolicyVersionResponse, DeletePolicyRequest, DeletePolicyVersionRequest, EntityType,
    GetPolicyRequest, GetPolicyResponse, GetPolicyVersionRequest, GetPolicyVersionResponse,
    ListEntitiesForPolicyRequest, ListEntitiesForPolicyResponse, ListPoliciesRequest,
    ListPoliciesResponse, ListPolicyTagsRequest, ListPolicyTagsResponse, ListPolicyVersionsRequest,
    ListPolicyVersionsResponse, Operation, Policy, PolicyGroup, PolicyRole, PolicyScopeType,
    PolicyUsageType, PolicyUser, PolicyVersion, SetDefaultPolicyVersionRequest, TagPolicyRequest,
    UntagPolicyRequest,
};

use super::{Policies, check_path, page_size, timestamp, uri_encode};
use crate::caller::Caller;
use crate::catalogue::{Catalogue, ManagedPolicy};
use crate::error::{ServiceError, ServiceResult};
use crate::ids::{IdKind, new_unique_id};
use crate::service::Service;

/// Whose policy an ARN names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Owner {
    /// AWS (`arn:aws:iam::aws:policy/...`): the shipped catalogue, read-only.
    Aws,
    /// The caller's own account.
    Caller,
    /// Some other account: never visible to this caller.
    Other,
}

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)
}

fn path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "/.,+@=_-".contains(c)
}

/// Whose policy a managed policy ARN names, or `None` when it is not one.
fn parse_owner(caller: &Caller, arn: &str) -> Option<Owner> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let path_and_name = resource.strip_prefix("policy")?;
    let slash = path_and_name.rfind('/')?;
    let (path, name) = path_and_name.split_at(slash);
    let name = name.get(1..).unwrap_or_default();
    let path_ok = path.is_empty()
        || (path.starts_with('/') && !path.contains("//") && path.chars().all(path_char));
    if !path_ok || name.is_empty() || !name.chars().all(name_char) {
        return None;
    }
    if account == "aws" {
        Some(Owner::Aws)
    } else if account == caller.account_id {
        Some(Owner::Caller)
    } else if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) {
        Some(Owner::Other)
    } else {
        None
    }
}

/// AWS's words for a malformed managed policy ARN.
fn not_valid(arn: &str) -> String {
    format!("ARN {arn} is not valid.")
}

/// Checks the shape of a managed policy ARN and says whose it is. A malformed one is
/// `InvalidInput`, as in AWS.
pub(super) fn owner_of(caller: &Caller, arn: &str) -> ServiceResult<Owner> {
    parse_owner(caller, arn).ok_or_else(|| ServiceError::invalid_input(not_valid(arn)))
}

/// The same check for Attach and Detach, where AWS now answers a malformed ARN with
/// `ValidationError` in the same words (reading 35).
pub(super) fn attachment_owner(caller: &Caller, arn: &str) -> ServiceResult<Owner> {
    parse_owner(caller, arn).ok_or_else(|| ServiceError::validation(not_valid(arn)))
}

/// The wording of GetPolicy, DeletePolicy and Detach for a policy that is not there.
pub(super) fn was_not_found(arn: &str) -> ServiceError {
    ServiceError::no_such_entity(format!("Policy {arn} was not found."))
}

/// The wording of the other policy operations for a policy that does not exist.
pub(super) fn not_attachable(arn: &str) -> ServiceError {
    ServiceError::no_such_entity(format!("Policy {arn} does not exist or is not attachable."))
}

fn no_such_version(arn: &str, version_id: &str) -> ServiceError {
    ServiceError::no_such_entity(format!(
        "Policy {arn} version {version_id} does not exist or is not attachable."
    ))
}

/// A managed policy's document: an identity policy that, unlike inline ones, must say
/// `"Version": "2012-10-17"` (recorded on AWS: a document without Version, or with
/// 2008-10-17, is refused by CreatePolicy whatever it holds, before legacy parsing).
fn managed_document(text: &str) -> ServiceResult<policy::Policy> {
    Ok(policy::Policy::parse_customer_managed(text)?)
}

/// Which rules a document being edited is checked against ([`check_document`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentKind {
    /// A customer managed policy (its `Version` is required).
    Managed,
    /// An inline policy of a user, group or role.
    Inline,
    /// A role's trust policy.
    Trust,
}

/// The policy engine's verdict on a document, as the operation saving it would give it
/// (the console's editor shows it as one types). Trust policies are checked as documents
/// only: whether the principals they name exist is known when they are saved.
///
/// # Errors
/// The first finding, with AWS's code and message.
pub fn check_document(text: &str, kind: DocumentKind) -> ServiceResult<()> {
    match kind {
        DocumentKind::Managed => managed_document(text).map(drop),
        DocumentKind::Inline => {
            Ok(policy::Policy::parse(text, policy::PolicyKind::Identity).map(drop)?)
        }
        DocumentKind::Trust => {
            Ok(policy::Policy::parse(text, policy::PolicyKind::Trust).map(drop)?)
        }
    }
}

/// What AWS answers to a write on a policy of another account, AWS's own included.
fn outside_account() -> ServiceError {
    ServiceError::access_denied("Policy is outside your own account.")
}

/// AWS managed policies carry no tags.
fn tags_not_supported() -> ServiceError {
    ServiceError::invalid_input("Tags not supported for policies in this domain")
}

fn count(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The usage counts of the account's policies, by ARN: (attachments, permissions boundaries).
#[derive(Debug, Default)]
struct Usage {
    attachments: HashMap<String, i64>,
    boundaries: HashMap<String, i64>,
}

impl Usage {
    fn attachments(&self, arn: &str) -> i64 {
        self.attachments.get(arn).copied().unwrap_or(0)
    }

    fn boundaries(&self, arn: &str) -> i64 {
        self.boundaries.get(arn).copied().unwrap_or(0)
    }

    /// Whether the policy is in use in the way `filter` asks about (any way when `None`).
    fn in_use(&self, arn: &str, filter: Option<PolicyUsageType>) -> bool {
        match filter {
            Some(PolicyUsageType::PermissionsPolicy) => self.attachments(arn) > 0,
            Some(PolicyUsageType::PermissionsBoundary) => self.boundaries(arn) > 0,
            None => self.attachments(arn) > 0 || self.boundaries(arn) > 0,
        }
    }
}

fn aws_view(aws: &ManagedPolicy, usage: &Usage) -> Policy {
    Policy {
        policy_name: Some(aws.name.clone()),
        policy_id: Some(aws.id.clone()),
        arn: Some(aws.arn.clone()),
        path: Some(aws.path.clone()),
        default_version_id: Some(aws.default_version_id.clone()),
        attachment_count: Some(count(usage.attachments(&aws.arn))),
        permissions_boundary_usage_count: Some(count(usage.boundaries(&aws.arn))),
        is_attachable: Some(aws.is_attachable),
        description: None,
        create_date: Some(timestamp(aws.created_at)),
        update_date: Some(timestamp(aws.updated_at)),
        tags: None,
    }
}

/// A customer managed policy as AWS shows it; `description` only in GetPolicy.
fn local_view(
    record: &PolicyRecord,
    boundaries: i64,
    description: bool,
    tags: Option<Vec<wire::iam::Tag>>,
) -> Policy {
    Policy {
        policy_name: Some(record.name.clone()),
        policy_id: Some(record.policy_id.clone()),
        arn: Some(record.arn.clone()),
        path: Some(record.path.clone()),
        default_version_id: Some(record.default_version_id.clone()),
        attachment_count: Some(count(record.attachment_count)),
        permissions_boundary_usage_count: Some(count(boundaries)),
        is_attachable: Some(true),
        description: if description {
            record.description.clone()
        } else {
            None
        },
        create_date: Some(timestamp(record.created_at)),
        update_date: Some(timestamp(record.updated_at)),
        tags,
    }
}

fn version_view(version: &PolicyVersionRecord, document: bool) -> PolicyVersion {
    PolicyVersion {
        document: document.then(|| uri_encode(&version.document)),
        version_id: Some(version.version_id.clone()),
        is_default_version: Some(version.is_default),
        create_date: Some(timestamp(version.created_at)),
    }
}

/// The only version of an AWS managed policy that the catalogue ships: its default.
fn aws_default_version(aws: &ManagedPolicy) -> PolicyVersionRecord {
    PolicyVersionRecord {
        version_id: aws.default_version_id.clone(),
        document: aws.document.clone(),
        is_default: true,
        created_at: aws.updated_at,
    }
}

/// One entry of ListPolicies before it is shown.
enum Listed<'a> {
    Aws(&'a ManagedPolicy),
    Local(PolicyRecord),
}

impl Listed<'_> {
    fn arn(&self) -> &str {
        match self {
            Listed::Aws(aws) => &aws.arn,
            Listed::Local(record) => &record.arn,
        }
    }

    /// The sort key, and so the marker: the name case-insensitively, then a short digest of
    /// the ARN to order names that repeat across paths. The digest rather than the ARN keeps
    /// markers within the 320 characters that clients may send back.
    fn key(&self) -> String {
        let name = match self {
            Listed::Aws(aws) => &aws.name,
            Listed::Local(record) => &record.name,
        };
        let digest = Sha256::digest(self.arn().as_bytes());
        let tie: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("{}\n{tie}", name.to_lowercase())
    }
}

/// One principal a policy is in use by (ListEntitiesForPolicy).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entity {
    kind: PrincipalKind,
    name: String,
    id: String,
    path: String,
}

fn kind_rank(kind: PrincipalKind) -> u8 {
    match kind {
        PrincipalKind::Group => 0,
        PrincipalKind::User => 1,
        PrincipalKind::Role => 2,
    }
}

impl Service {
    pub(super) async fn create_policy(
        &self,
        caller: &Caller,
        input: CreatePolicyRequest,
    ) -> ServiceResult<CreatePolicyResponse> {
        let account = caller.account_id.clone();
        let path = input.path.unwrap_or_else(|| "/".to_owned());
        check_path(&path)?;
        let tags = input.tags.unwrap_or_default();
        let arn = store::customer_policy_arn(&account, &path, &input.policy_name);
        let operations = (Operation::CreatePolicy, Operation::TagPolicy);
        let stored_tags = self
            .allow_creation(caller, operations, &arn, &tags, Vec::new())
            .await?;
        let document = managed_document(&input.policy_document)?;
        let record = self
            .store
            .create_policy(&NewPolicy {
                account_id: account.clone(),
                policy_id: new_unique_id(IdKind::Policy)?,
                name: input.policy_name,
                path,
                description: input.description,
                document,
                created_at: self.clock.seconds(),
                tags: stored_tags,
            })
            .await?;
        let tags = (!tags.is_empty()).then_some(tags);
        Ok(CreatePolicyResponse {
            policy: Some(local_view(&record, 0, false, tags)),
        })
    }

    pub(super) async fn get_policy(
        &self,
        caller: &Caller,
        input: GetPolicyRequest,
    ) -> ServiceResult<GetPolicyResponse> {
        let account = caller.account_id.clone();
        let arn = input.policy_arn;
        let (owner, record) = self
            .policy_for(caller, Operation::GetPolicy, &arn, Vec::new())
            .await?;
        let policy = match (owner, record) {
            (Owner::Aws, _) => {
                let aws = Catalogue::shipped()
                    .get(&arn)
                    .ok_or_else(|| was_not_found(&arn))?;
                aws_view(aws, &self.policy_usage(&account).await?)
            }
            (Owner::Caller, Some(record)) => {
                let tags = self.tags_of::<Policies>(&record).await?;
                let usage = self.policy_usage(&account).await?;
                local_view(&record, usage.boundaries(&arn), true, tags)
            }
            (Owner::Caller | Owner::Other, _) => return Err(was_not_found(&arn)),
        };
        // GetPolicy answers `Tags` even when there are none, for AWS managed policies too
        // (recorded on AWS); the other views of a policy leave it out.
        let policy = Policy {
            tags: Some(policy.tags.unwrap_or_default()),
            ..policy
        };
        Ok(GetPolicyResponse {
            policy: Some(policy),
        })
    }

    pub(super) async fn delete_policy(
        &self,
        caller: &Caller,
        input: DeletePolicyRequest,
    ) -> ServiceResult<()> {
        let account = caller.account_id.clone();
        let arn = input.policy_arn;
        let record = self
            .writable_policy(caller, Operation::DeletePolicy, &arn, was_not_found)
            .await?;
        // A boundary names the policy as much as an attachment does: deleting it
        // would leave principals bounded by nothing that exists.
        if self.policy_usage(&account).await?.boundaries(&arn) > 0 {
            return Err(ServiceError::delete_conflict(
                "Cannot delete a policy attached to entities.",
            ));
        }
        self.store
            .delete_policy(&record.arn)
            .await
            .map_err(|e| match e {
                StoreError::NoSuchEntity { .. } => was_not_found(&arn),
                other => other.into(),
            })?;
        Ok(())
    }

    pub(super) async fn list_policies(
        &self,
        caller: &Caller,
        input: ListPoliciesRequest,
    ) -> ServiceResult<ListPoliciesResponse> {
        let account = caller.account_id.clone();
        self.authorize_listing(caller, Operation::ListPolicies)
            .await?;
        self.policy_page(&account, input).await
    }

    pub(super) async fn create_policy_version(
        &self,
        caller: &Caller,
        input: CreatePolicyVersionRequest,
    ) -> ServiceResult<CreatePolicyVersionResponse> {
        let arn = input.policy_arn;
        self.writable_policy(caller, Operation::CreatePolicyVersion, &arn, not_attachable)
            .await?;
        let document = managed_document(&input.policy_document)?;
        let version = self
            .store
            .create_policy_version(
                &arn,
                &document,
                input.set_as_default.unwrap_or(false),
                self.clock.seconds(),
            )
            .await
            .map_err(|e| policy_error(e, &arn))?;
        Ok(CreatePolicyVersionResponse {
            policy_version: Some(version_view(&version, false)),
        })
    }

    pub(super) async fn get_policy_version(
        &self,
        caller: &Caller,
        input: GetPolicyVersionRequest,
    ) -> ServiceResult<GetPolicyVersionResponse> {
        let arn = input.policy_arn;
        let (owner, record) = self
            .policy_for(caller, Operation::GetPolicyVersion, &arn, Vec::new())
            .await?;
        let version = match (owner, record) {
            (Owner::Aws, _) => {
                let aws = Catalogue::shipped()
                    .get(&arn)
                    .ok_or_else(|| not_attachable(&arn))?;
                if aws.default_version_id != input.version_id {
                    return Err(no_such_version(&arn, &input.version_id));
                }
                aws_default_version(aws)
            }
            (Owner::Caller, Some(_)) => self
                .reads()
                .get_policy_version(&arn, &input.version_id)
                .await
                .map_err(|e| version_error(e, &arn, &input.version_id))?,
            (Owner::Caller | Owner::Other, _) => {
                return Err(no_such_version(&arn, &input.version_id));
            }
        };
        Ok(GetPolicyVersionResponse {
            policy_version: Some(version_view(&version, true)),
        })
    }

    pub(super) async fn delete_policy_version(
        &self,
        caller: &Caller,
        input: DeletePolicyVersionRequest,
    ) -> ServiceResult<()> {
        let arn = input.policy_arn;
        let version = input.version_id.as_str();
        self.writable_policy(caller, Operation::DeletePolicyVersion, &arn, |arn| {
            no_such_version(arn, version)
        })
        .await?;
        self.store
            .delete_policy_version(&arn, &input.version_id)
            .await
            .map_err(|e| version_error(e, &arn, &input.version_id))?;
        Ok(())
    }

    pub(super) async fn list_policy_versions(
        &self,
        caller: &Caller,
        input: ListPolicyVersionsRequest,
    ) -> ServiceResult<ListPolicyVersionsResponse> {
        let arn = input.policy_arn;
        let (owner, record) = self
            .policy_for(caller, Operation::ListPolicyVersions, &arn, Vec::new())
            .await?;
        let versions: Vec<PolicyVersion> = match (owner, record) {
            // The catalogue ships each AWS policy's default version only.
            (Owner::Aws, _) => {
                let aws = Catalogue::shipped()
                    .get(&arn)
                    .ok_or_else(|| not_attachable(&arn))?;
                vec![version_view(&aws_default_version(aws), false)]
            }
            (Owner::Caller, Some(_)) => self
                .reads()
                .list_policy_versions(&arn)
                .await
                .map_err(|e| policy_error(e, &arn))?
                .iter()
                .map(|v| version_view(v, false))
                .collect(),
            (Owner::Caller | Owner::Other, _) => return Err(not_attachable(&arn)),
        };
        let (page, marker) = self.page_of(
            caller,
            Operation::ListPolicyVersions,
            &versions,
            input.marker.as_deref(),
            input.max_items,
        )?;
        Ok(ListPolicyVersionsResponse {
            versions: Some(page),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(super) async fn set_default_policy_version(
        &self,
        caller: &Caller,
        input: SetDefaultPolicyVersionRequest,
    ) -> ServiceResult<()> {
        let arn = input.policy_arn;
        let version = input.version_id.as_str();
        self.writable_policy(caller, Operation::SetDefaultPolicyVersion, &arn, |arn| {
            no_such_version(arn, version)
        })
        .await?;
        self.store
            .set_default_policy_version(&arn, &input.version_id, self.clock.seconds())
            .await
            .map_err(|e| version_error(e, &arn, &input.version_id))?;
        Ok(())
    }

    pub(super) async fn list_entities_for_policy(
        &self,
        caller: &Caller,
        input: ListEntitiesForPolicyRequest,
    ) -> ServiceResult<ListEntitiesForPolicyResponse> {
        let arn = input.policy_arn.clone();
        let (owner, record) = self
            .policy_for(caller, Operation::ListEntitiesForPolicy, &arn, Vec::new())
            .await?;
        match (owner, record) {
            (Owner::Aws, _) if Catalogue::shipped().get(&arn).is_some() => {}
            (Owner::Caller, Some(_)) => {}
            _ => return Err(not_attachable(&arn)),
        }
        self.entity_page(caller, input).await
    }

    pub(super) async fn tag_policy(
        &self,
        caller: &Caller,
        input: TagPolicyRequest,
    ) -> ServiceResult<()> {
        self.tag_entity::<Policies>(caller, Operation::TagPolicy, &input.policy_arn, &input.tags)
            .await
    }

    pub(super) async fn untag_policy(
        &self,
        caller: &Caller,
        input: UntagPolicyRequest,
    ) -> ServiceResult<()> {
        self.untag_entity::<Policies>(
            caller,
            Operation::UntagPolicy,
            &input.policy_arn,
            &input.tag_keys,
        )
        .await
    }

    pub(super) async fn list_policy_tags(
        &self,
        caller: &Caller,
        input: ListPolicyTagsRequest,
    ) -> ServiceResult<ListPolicyTagsResponse> {
        let page = (input.marker.as_deref(), input.max_items);
        let (tags, marker) = self
            .list_entity_tags::<Policies>(
                caller,
                Operation::ListPolicyTags,
                &input.policy_arn,
                page,
            )
            .await?;
        Ok(ListPolicyTagsResponse {
            tags,
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    /// Whose policy `arn` names, and its record when it is one of the account's, once the
    /// caller is allowed `operation` on it (with its tags in the context: see
    /// [`Service::authorized`]).
    async fn policy_for(
        &self,
        caller: &Caller,
        operation: Operation,
        arn: &str,
        extra: Vec<(String, ContextValue)>,
    ) -> ServiceResult<(Owner, Option<PolicyRecord>)> {
        let owner = owner_of(caller, arn)?;
        let record = self
            .authorized::<Policies>(caller, operation.action(), arn, extra)
            .await?;
        Ok((owner, record))
    }

    /// A policy about to be changed: authorized first, then it must be the caller's own
    /// (AWS's policies and other accounts' are outside it); `missing` words the answer for
    /// one of the account's that does not exist, which differs by operation.
    async fn writable_policy(
        &self,
        caller: &Caller,
        operation: Operation,
        arn: &str,
        missing: impl FnOnce(&str) -> ServiceError,
    ) -> ServiceResult<PolicyRecord> {
        match self.policy_for(caller, operation, arn, Vec::new()).await? {
            (Owner::Caller, Some(record)) => Ok(record),
            (Owner::Caller, None) => Err(missing(arn)),
            (Owner::Aws | Owner::Other, _) => Err(outside_account()),
        }
    }

    /// A policy whose tags are read or written: only customer managed policies have any.
    pub(super) async fn taggable_policy(
        &self,
        caller: &Caller,
        operation: Operation,
        arn: &str,
        extra: Vec<(String, ContextValue)>,
    ) -> ServiceResult<PolicyRecord> {
        match self.policy_for(caller, operation, arn, extra).await? {
            (Owner::Caller, Some(record)) => Ok(record),
            (Owner::Aws, _) => Err(tags_not_supported()),
            // AWS's words for a tag operation on a policy that is not there.
            (Owner::Caller | Owner::Other, None) | (Owner::Other, Some(_)) => {
                Err(was_not_found(arn))
            }
        }
    }

    /// Every policy ARN in use in the account: attachments (the store counts them) and
    /// permissions boundaries of users and roles (counted here from the principals).
    async fn policy_usage(&self, account: &str) -> ServiceResult<Usage> {
        let mut usage = Usage {
            attachments: self
                .reads()
                .policy_attachment_counts(account)
                .await?
                .into_iter()
                .collect(),
            boundaries: HashMap::new(),
        };
        for (_, boundary) in self.bounded_principals(account).await? {
            *usage.boundaries.entry(boundary).or_insert(0) += 1;
        }
        Ok(usage)
    }

    /// Every user and role of the account that has a permissions boundary, with its ARN.
    async fn bounded_principals(&self, account: &str) -> ServiceResult<Vec<(Entity, String)>> {
        let mut bounded = Vec::new();
        let mut options = ListOptions {
            max_items: 1000,
            ..ListOptions::default()
        };
        loop {
            let page = self.reads().list_users(account, &options).await?;
            bounded.extend(page.items.into_iter().filter_map(|u| {
                let boundary = u.permissions_boundary_arn?;
                Some((
                    Entity {
                        kind: PrincipalKind::User,
                        name: u.name,
                        id: u.user_id,
                        path: u.path,
                    },
                    boundary,
                ))
            }));
            match page.next_marker {
                Some(marker) => options.marker = Some(marker),
                None => break,
            }
        }
        options.marker = None;
        loop {
            let page = self.reads().list_roles(account, &options).await?;
            bounded.extend(page.items.into_iter().filter_map(|r| {
                let boundary = r.permissions_boundary_arn?;
                Some((
                    Entity {
                        kind: PrincipalKind::Role,
                        name: r.name,
                        id: r.role_id,
                        path: r.path,
                    },
                    boundary,
                ))
            }));
            match page.next_marker {
                Some(marker) => options.marker = Some(marker),
                None => break,
            }
        }
        Ok(bounded)
    }

    /// ListPolicies over both sources, in one name order, paged by an opaque marker.
    async fn policy_page(
        &self,
        account: &str,
        input: wire::iam::ListPoliciesRequest,
    ) -> ServiceResult<wire::iam::ListPoliciesResponse> {
        let scope = input.scope.unwrap_or(PolicyScopeType::All);
        let prefix = input.path_prefix.unwrap_or_else(|| "/".to_owned());
        let only_attached = input.only_attached.unwrap_or(false);
        let after = input
            .marker
            .as_deref()
            .map(|m| {
                crate::marker::decode(&self.sealer, account, Operation::ListPolicies.name(), m)
            })
            .transpose()?;
        let usage = self.policy_usage(account).await?;
        // Any managed policy can serve either way; the usage filter narrows what counts as
        // "attached" for OnlyAttached.
        let keep = |arn: &str| !only_attached || usage.in_use(arn, input.policy_usage_filter);

        let mut listed: Vec<Listed<'_>> = Vec::new();
        if matches!(scope, PolicyScopeType::All | PolicyScopeType::Aws) {
            listed.extend(
                Catalogue::shipped()
                    .iter()
                    .filter(|aws| aws.path.starts_with(&prefix) && keep(&aws.arn))
                    .map(Listed::Aws),
            );
        }
        if matches!(scope, PolicyScopeType::All | PolicyScopeType::Local) {
            let mut options = ListOptions {
                path_prefix: Some(prefix.clone()),
                marker: None,
                max_items: 1000,
            };
            loop {
                let page = self.reads().list_policies(account, false, &options).await?;
                listed.extend(
                    page.items
                        .into_iter()
                        .filter(|record| keep(&record.arn))
                        .map(Listed::Local),
                );
                match page.next_marker {
                    Some(marker) => options.marker = Some(marker),
                    None => break,
                }
            }
        }
        let mut keyed: Vec<(String, Listed<'_>)> =
            listed.into_iter().map(|l| (l.key(), l)).collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        let size = page_size(input.max_items);
        let mut rest = keyed
            .into_iter()
            .filter(|(key, _)| after.as_deref().is_none_or(|after| key.as_str() > after))
            .peekable();
        let mut policies = Vec::with_capacity(size.min(1000));
        let mut last_key = None;
        while policies.len() < size {
            let Some((key, entry)) = rest.next() else {
                break;
            };
            policies.push(match &entry {
                Listed::Aws(aws) => aws_view(aws, &usage),
                Listed::Local(record) => {
                    local_view(record, usage.boundaries(&record.arn), false, None)
                }
            });
            last_key = Some(key);
        }
        let marker = if rest.peek().is_some() {
            last_key
                .as_deref()
                .map(|k| {
                    crate::marker::encode(&self.sealer, account, Operation::ListPolicies.name(), k)
                })
                .transpose()?
        } else {
            None
        };
        Ok(ListPoliciesResponse {
            policies: Some(policies),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    /// ListEntitiesForPolicy: attachments and boundaries, groups then users then roles.
    async fn entity_page(
        &self,
        caller: &Caller,
        input: wire::iam::ListEntitiesForPolicyRequest,
    ) -> ServiceResult<wire::iam::ListEntitiesForPolicyResponse> {
        let account = caller.account_id.as_str();
        let arn = &input.policy_arn;
        let usage = input.policy_usage_filter;
        let mut entities: Vec<Entity> = Vec::new();
        if usage != Some(PolicyUsageType::PermissionsBoundary) {
            for attached in self.reads().list_entities_for_policy(account, arn).await? {
                let path = match attached.kind {
                    PrincipalKind::User => {
                        self.reads().get_user(account, &attached.name).await?.path
                    }
                    PrincipalKind::Group => {
                        self.reads().get_group(account, &attached.name).await?.path
                    }
                    PrincipalKind::Role => {
                        self.reads().get_role(account, &attached.name).await?.path
                    }
                };
                entities.push(Entity {
                    kind: attached.kind,
                    name: attached.name,
                    id: attached.id,
                    path,
                });
            }
        }
        if usage != Some(PolicyUsageType::PermissionsPolicy) {
            for (bounded, boundary) in self.bounded_principals(account).await? {
                if boundary == *arn && !entities.iter().any(|e| e.id == bounded.id) {
                    entities.push(bounded);
                }
            }
        }
        let prefix = input.path_prefix.as_deref().unwrap_or("/");
        entities.retain(|e| {
            e.path.starts_with(prefix)
                && match input.entity_filter {
                    None => true,
                    Some(EntityType::User) => e.kind == PrincipalKind::User,
                    Some(EntityType::Group) => e.kind == PrincipalKind::Group,
                    Some(EntityType::Role) => e.kind == PrincipalKind::Role,
                    // Policies are never attached to policies.
                    Some(EntityType::LocalManagedPolicy | EntityType::AWSManagedPolicy) => false,
                }
        });
        entities.sort_by(|a, b| {
            (kind_rank(a.kind), a.name.to_lowercase())
                .cmp(&(kind_rank(b.kind), b.name.to_lowercase()))
        });
        let (page, marker) = self.page_of(
            caller,
            Operation::ListEntitiesForPolicy,
            &entities,
            input.marker.as_deref(),
            input.max_items,
        )?;
        let mut response = ListEntitiesForPolicyResponse {
            policy_groups: Some(Vec::new()),
            policy_users: Some(Vec::new()),
            policy_roles: Some(Vec::new()),
            is_truncated: Some(marker.is_some()),
            marker,
        };
        for entity in page {
            match entity.kind {
                PrincipalKind::Group => {
                    response
                        .policy_groups
                        .get_or_insert_default()
                        .push(PolicyGroup {
                            group_name: Some(entity.name),
                            group_id: Some(entity.id),
                        })
                }
                PrincipalKind::User => {
                    response
                        .policy_users
                        .get_or_insert_default()
                        .push(PolicyUser {
                            user_name: Some(entity.name),
                            user_id: Some(entity.id),
                        })
                }
                PrincipalKind::Role => {
                    response
                        .policy_roles
                        .get_or_insert_default()
                        .push(PolicyRole {
                            role_name: Some(entity.name),
                            role_id: Some(entity.id),
                        })
                }
            }
        }
        Ok(response)
    }
}

/// A store error of an operation on a policy, in AWS's words.
fn policy_error(error: StoreError, arn: &str) -> ServiceError {
    match error {
        StoreError::NoSuchEntity { .. } => not_attachable(arn),
        other => other.into(),
    }
}

/// A store error of an operation on a policy version, in AWS's words.
fn version_error(error: StoreError, arn: &str, version_id: &str) -> ServiceError {
    match error {
        StoreError::NoSuchEntity {
            kind: store::EntityKind::PolicyVersion,
            ..
        } => no_such_version(arn, version_id),
        other => policy_error(other, arn),
    }
}
