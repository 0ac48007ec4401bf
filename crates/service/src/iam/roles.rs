//! Roles: CRUD, trust policies, role inline and attached policies, boundaries, tags,
//! instance profiles and service-linked roles.

use policy::{ContextValue, PolicyKind};
use store::{BoundPrincipal, NewRole, Page, RoleRecord, RoleUpdate, StoreError};
use wire::iam::{
    AttachRolePolicyRequest, AttachedPermissionsBoundary, CreateRoleRequest, CreateRoleResponse,
    CreateServiceLinkedRoleRequest, CreateServiceLinkedRoleResponse,
    DeleteRolePermissionsBoundaryRequest, DeleteRolePolicyRequest, DeleteRoleRequest,
    DeleteServiceLinkedRoleRequest, DeleteServiceLinkedRoleResponse, DeletionTaskStatusType,
    DetachRolePolicyRequest, GetRolePolicyRequest, GetRolePolicyResponse, GetRoleRequest,
    GetRoleResponse, GetServiceLinkedRoleDeletionStatusRequest,
    GetServiceLinkedRoleDeletionStatusResponse, ListAttachedRolePoliciesRequest,
    ListAttachedRolePoliciesResponse, ListRolePoliciesRequest, ListRolePoliciesResponse,
    ListRoleTagsRequest, ListRoleTagsResponse, ListRolesRequest, ListRolesResponse, Operation,
    PermissionsBoundaryAttachmentType, PutRolePermissionsBoundaryRequest, PutRolePolicyRequest,
    Role, RoleLastUsed, TagRoleRequest, UntagRoleRequest, UpdateAssumeRolePolicyRequest,
    UpdateRoleDescriptionRequest, UpdateRoleDescriptionResponse, UpdateRoleRequest,
    UpdateRoleResponse,
};

use super::entity::boundary_context;
use super::service_linked::{SERVICE_ROLE_PATH, linked_role, trust_document, valid_service_name};
use super::{Roles, check_path, timestamp, uri_encode};
use crate::caller::{Caller, role_arn};
use crate::error::{ServiceError, ServiceResult};
use crate::ids::{IdKind, new_unique_id};
use crate::service::Service;
use crate::trust::{Named, aws_principals};

/// AWS's default and bounds of a role's maximum session duration, in seconds.
const DEFAULT_MAX_SESSION: i64 = 3_600;
const MIN_MAX_SESSION: i32 = 3_600;
const MAX_MAX_SESSION: i32 = 43_200;

/// A role as IAM shows it. `last_used` adds RoleLastUsed, which only GetRole returns.
pub(super) fn role_view(
    role: &RoleRecord,
    tags: Option<Vec<wire::iam::Tag>>,
    last_used: bool,
) -> Role {
    Role {
        path: role.path.clone(),
        role_name: role.name.clone(),
        role_id: role.role_id.clone(),
        arn: role_arn(&role.account_id, &role.path, &role.name),
        create_date: timestamp(role.created_at),
        assume_role_policy_document: Some(uri_encode(&role.trust_policy)),
        description: role.description.clone(),
        max_session_duration: i32::try_from(role.max_session_duration).ok(),
        permissions_boundary: role.permissions_boundary_arn.as_ref().map(|arn| {
            AttachedPermissionsBoundary {
                permissions_boundary_type: Some(
                    PermissionsBoundaryAttachmentType::PermissionsBoundaryPolicy,
                ),
                permissions_boundary_arn: Some(arn.clone()),
            }
        }),
        tags,
        role_last_used: last_used.then(|| RoleLastUsed {
            last_used_date: role.last_used_at.map(timestamp),
            region: role.last_used_region.clone(),
        }),
        source_role_template: None,
    }
}

/// A role as AWS's writes answer it (CreateRole, CreateServiceLinkedRole,
/// UpdateRoleDescription): without MaxSessionDuration, which only GetRole and ListRoles show
/// (recorded on AWS).
fn written_role(role: &RoleRecord, tags: Option<Vec<wire::iam::Tag>>) -> Role {
    Role {
        max_session_duration: None,
        ..role_view(role, tags, false)
    }
}

pub(super) fn single(key: &str, value: &str) -> Vec<(String, ContextValue)> {
    vec![(key.to_owned(), ContextValue::Single(value.to_owned()))]
}

fn is_service_linked(role: &RoleRecord) -> bool {
    role.path.starts_with(SERVICE_ROLE_PATH)
}

/// Service-linked roles belong to their service: customers may not change what they can do.
pub(super) fn modifiable(role: &RoleRecord) -> ServiceResult<()> {
    if is_service_linked(role) {
        Err(ServiceError::iam(
            wire::iam::Error::UnmodifiableEntity,
            format!(
                "Cannot perform the operation on the protected role '{}' - this role is only modifiable by AWS",
                role.name
            ),
        ))
    } else {
        Ok(())
    }
}

fn max_session(value: Option<i32>) -> ServiceResult<Option<i64>> {
    match value {
        None => Ok(None),
        Some(seconds) if seconds < MIN_MAX_SESSION => Err(ServiceError::validation(format!(
            "1 validation error detected: Value at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to {MIN_MAX_SESSION}"
        ))),
        Some(seconds) if seconds > MAX_MAX_SESSION => Err(ServiceError::validation(format!(
            "1 validation error detected: Value at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to {MAX_MAX_SESSION}"
        ))),
        Some(seconds) => Ok(Some(i64::from(seconds))),
    }
}

/// A random UUID (version 4), as AWS writes deletion task ids.
fn new_uuid() -> ServiceResult<String> {
    let mut bytes = [0u8; 16];
    crate::random_bytes(&mut bytes)?;
    if let Some(b) = bytes.get_mut(6) {
        *b = (*b & 0x0f) | 0x40;
    }
    if let Some(b) = bytes.get_mut(8) {
        *b = (*b & 0x3f) | 0x80;
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let part = |from: usize, to: usize| hex.get(from..to).unwrap_or_default();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        part(0, 8),
        part(8, 12),
        part(12, 16),
        part(16, 20),
        part(20, 32)
    ))
}

/// `task/aws-service-role/<service>/<role name>/<uuid>` read back: (service, role name).
fn parse_task_id(id: &str) -> Option<(&str, &str)> {
    let rest = id.strip_prefix("task/aws-service-role/")?;
    let mut parts = rest.split('/');
    let (service, name, uuid) = (parts.next()?, parts.next()?, parts.next()?);
    let uuid_ok = uuid.len() == 36 && uuid.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
    (parts.next().is_none() && valid_service_name(service) && !name.is_empty() && uuid_ok)
        .then_some((service, name))
}

/// A trust policy's size error names AWS's role quota rather than the generic policy size.
fn trust_error(error: policy::PolicyError) -> ServiceError {
    match error.first().map(|finding| finding.code) {
        Some(policy::FindingCode::LimitExceeded) => ServiceError::limit_exceeded(format!(
            "Cannot exceed quota for ACLSizePerRole: {}",
            PolicyKind::Trust.max_size()
        )),
        _ => ServiceError::from(error),
    }
}

impl Service {
    /// Validates a trust policy: AWS's trust policy grammar, then every `AWS` principal must
    /// exist (a user or role ARN names an existing user or role of this server). Returns the
    /// validated policy and the users and roles it names, bound to their unique ids.
    async fn check_trust(
        &self,
        document: &str,
    ) -> ServiceResult<(policy::Policy, Vec<BoundPrincipal>)> {
        if serde_json::from_str::<serde_json::Value>(document).is_err() {
            return Err(ServiceError::malformed_policy(
                "This policy contains invalid Json",
            ));
        }
        let parsed = policy::Policy::parse(document, PolicyKind::Trust).map_err(trust_error)?;
        let mut bound: Vec<BoundPrincipal> = Vec::new();
        for value in aws_principals(&parsed) {
            match self.named(&value).await? {
                Named::Unbound => {}
                Named::Entity(Some(unique_id)) => {
                    if !bound.iter().any(|b| b.arn == value) {
                        bound.push(BoundPrincipal {
                            arn: value,
                            unique_id,
                        });
                    }
                }
                Named::Entity(None) | Named::Invalid => {
                    return Err(ServiceError::malformed_policy(format!(
                        "Invalid principal in policy: \"AWS\":\"{value}\""
                    )));
                }
            }
        }
        Ok((parsed, bound))
    }

    pub(super) async fn create_role(
        &self,
        caller: &Caller,
        input: CreateRoleRequest,
    ) -> ServiceResult<CreateRoleResponse> {
        let account = caller.account_id.clone();
        let path = input.path.unwrap_or_else(|| "/".to_owned());
        check_path(&path)?;
        if path.starts_with(SERVICE_ROLE_PATH) {
            // AWS's words, as real CreateRole calls show them.
            return Err(ServiceError::invalid_input(format!(
                "Path prefix '{SERVICE_ROLE_PATH}' can only be used for AWS Service linked Roles"
            )));
        }
        let tags = input.tags.unwrap_or_default();
        let duration = max_session(input.max_session_duration)?;
        let boundary = input.permissions_boundary;
        let arn = role_arn(&account, &path, &input.role_name);
        let operations = (Operation::CreateRole, Operation::TagRole);
        let context = boundary
            .as_deref()
            .map(boundary_context)
            .unwrap_or_default();
        let stored_tags = self
            .allow_creation(caller, operations, &arn, &tags, context)
            .await?;
        let (trust_policy, trust_principals) =
            self.check_trust(&input.assume_role_policy_document).await?;
        if let Some(boundary) = &boundary {
            self.checked_boundary(caller, boundary).await?;
        }
        let role = self
            .store
            .create_role(&NewRole {
                account_id: account.clone(),
                role_id: new_unique_id(IdKind::Role)?,
                name: input.role_name,
                path,
                trust_policy,
                trust_principals,
                description: input.description.filter(|d| !d.is_empty()),
                max_session_duration: duration.unwrap_or(DEFAULT_MAX_SESSION),
                permissions_boundary_arn: boundary,
                created_at: self.clock.seconds(),
                tags: stored_tags,
            })
            .await?;
        let tags = (!tags.is_empty()).then_some(tags);
        Ok(CreateRoleResponse {
            role: written_role(&role, tags),
        })
    }

    pub(super) async fn get_role(
        &self,
        caller: &Caller,
        input: GetRoleRequest,
    ) -> ServiceResult<GetRoleResponse> {
        let (role, tags) = self
            .entity_with_tags::<Roles>(caller, Operation::GetRole.action(), &input.role_name)
            .await?;
        let role = self.rendered_role(role).await?;
        Ok(GetRoleResponse {
            role: role_view(&role, tags, true),
        })
    }

    pub(super) async fn update_role(
        &self,
        caller: &Caller,
        input: UpdateRoleRequest,
    ) -> ServiceResult<UpdateRoleResponse> {
        let account = caller.account_id.clone();
        let duration = max_session(input.max_session_duration)?;
        self.entity::<Roles>(
            caller,
            Operation::UpdateRole.action(),
            &input.role_name,
            Vec::new(),
        )
        .await?;
        self.store
            .update_role(
                &account,
                &input.role_name,
                &RoleUpdate {
                    description: input.description,
                    max_session_duration: duration,
                },
            )
            .await?;
        Ok(UpdateRoleResponse {})
    }

    pub(super) async fn update_role_description(
        &self,
        caller: &Caller,
        input: UpdateRoleDescriptionRequest,
    ) -> ServiceResult<UpdateRoleDescriptionResponse> {
        let account = caller.account_id.clone();
        self.entity::<Roles>(
            caller,
            Operation::UpdateRoleDescription.action(),
            &input.role_name,
            Vec::new(),
        )
        .await?;
        let role = self
            .store
            .update_role(
                &account,
                &input.role_name,
                &RoleUpdate {
                    description: Some(input.description),
                    max_session_duration: None,
                },
            )
            .await?;
        let role = self.rendered_role(role).await?;
        Ok(UpdateRoleDescriptionResponse {
            role: Some(written_role(&role, None)),
        })
    }

    pub(super) async fn update_assume_role_policy(
        &self,
        caller: &Caller,
        input: UpdateAssumeRolePolicyRequest,
    ) -> ServiceResult<()> {
        let account = caller.account_id.clone();
        let role = self
            .entity::<Roles>(
                caller,
                Operation::UpdateAssumeRolePolicy.action(),
                &input.role_name,
                Vec::new(),
            )
            .await?;
        modifiable(&role)?;
        let (trust_policy, bound) = self.check_trust(&input.policy_document).await?;
        self.store
            .update_role_trust_policy(&account, &input.role_name, &trust_policy, &bound)
            .await?;
        Ok(())
    }

    pub(super) async fn delete_role(
        &self,
        caller: &Caller,
        input: DeleteRoleRequest,
    ) -> ServiceResult<()> {
        let account = caller.account_id.clone();
        let role = self
            .entity::<Roles>(
                caller,
                Operation::DeleteRole.action(),
                &input.role_name,
                Vec::new(),
            )
            .await?;
        modifiable(&role)?;
        self.store.delete_role(&account, &input.role_name).await?;
        Ok(())
    }

    pub(super) async fn list_roles(
        &self,
        caller: &Caller,
        input: ListRolesRequest,
    ) -> ServiceResult<ListRolesResponse> {
        let account = caller.account_id.clone();
        self.authorize_listing(caller, Operation::ListRoles).await?;
        let Page { items, next_marker } = self
            .reads()
            .list_roles(
                &account,
                &self.list_options(
                    caller,
                    Operation::ListRoles,
                    input.path_prefix,
                    input.marker.as_deref(),
                    input.max_items,
                )?,
            )
            .await?;
        let mut roles = Vec::with_capacity(items.len());
        for role in items {
            roles.push(role_view(&self.rendered_role(role).await?, None, false));
        }
        Ok(ListRolesResponse {
            roles,
            is_truncated: Some(next_marker.is_some()),
            marker: self.next_marker(caller, Operation::ListRoles, next_marker)?,
        })
    }

    pub(super) async fn tag_role(
        &self,
        caller: &Caller,
        input: TagRoleRequest,
    ) -> ServiceResult<()> {
        self.tag_entity::<Roles>(caller, Operation::TagRole, &input.role_name, &input.tags)
            .await
    }

    pub(super) async fn untag_role(
        &self,
        caller: &Caller,
        input: UntagRoleRequest,
    ) -> ServiceResult<()> {
        self.untag_entity::<Roles>(
            caller,
            Operation::UntagRole,
            &input.role_name,
            &input.tag_keys,
        )
        .await
    }

    pub(super) async fn list_role_tags(
        &self,
        caller: &Caller,
        input: ListRoleTagsRequest,
    ) -> ServiceResult<ListRoleTagsResponse> {
        let page = (input.marker.as_deref(), input.max_items);
        let (tags, marker) = self
            .list_entity_tags::<Roles>(caller, Operation::ListRoleTags, &input.role_name, page)
            .await?;
        Ok(ListRoleTagsResponse {
            tags,
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(super) async fn put_role_policy(
        &self,
        caller: &Caller,
        input: PutRolePolicyRequest,
    ) -> ServiceResult<()> {
        let policy = (input.policy_name.as_str(), input.policy_document.as_str());
        self.put_inline::<Roles>(caller, Operation::PutRolePolicy, &input.role_name, policy)
            .await
    }

    pub(super) async fn get_role_policy(
        &self,
        caller: &Caller,
        input: GetRolePolicyRequest,
    ) -> ServiceResult<GetRolePolicyResponse> {
        let (role_name, policy_document) = self
            .get_inline::<Roles>(
                caller,
                Operation::GetRolePolicy,
                &input.role_name,
                &input.policy_name,
            )
            .await?;
        Ok(GetRolePolicyResponse {
            role_name,
            policy_name: input.policy_name,
            policy_document,
        })
    }

    pub(super) async fn delete_role_policy(
        &self,
        caller: &Caller,
        input: DeleteRolePolicyRequest,
    ) -> ServiceResult<()> {
        self.delete_inline::<Roles>(
            caller,
            Operation::DeleteRolePolicy,
            &input.role_name,
            &input.policy_name,
        )
        .await
    }

    pub(super) async fn list_role_policies(
        &self,
        caller: &Caller,
        input: ListRolePoliciesRequest,
    ) -> ServiceResult<ListRolePoliciesResponse> {
        let page = (input.marker.as_deref(), input.max_items);
        let (policy_names, marker) = self
            .list_inline::<Roles>(caller, Operation::ListRolePolicies, &input.role_name, page)
            .await?;
        Ok(ListRolePoliciesResponse {
            policy_names,
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(super) async fn attach_role_policy(
        &self,
        caller: &Caller,
        input: AttachRolePolicyRequest,
    ) -> ServiceResult<()> {
        self.attach::<Roles>(
            caller,
            Operation::AttachRolePolicy,
            &input.role_name,
            &input.policy_arn,
        )
        .await
    }

    pub(super) async fn detach_role_policy(
        &self,
        caller: &Caller,
        input: DetachRolePolicyRequest,
    ) -> ServiceResult<()> {
        self.detach::<Roles>(
            caller,
            Operation::DetachRolePolicy,
            &input.role_name,
            &input.policy_arn,
        )
        .await
    }

    pub(super) async fn list_attached_role_policies(
        &self,
        caller: &Caller,
        input: ListAttachedRolePoliciesRequest,
    ) -> ServiceResult<ListAttachedRolePoliciesResponse> {
        let page = (input.marker.as_deref(), input.max_items);
        let (attached, marker) = self
            .list_attached::<Roles>(
                caller,
                Operation::ListAttachedRolePolicies,
                &input.role_name,
                input.path_prefix.as_deref(),
                page,
            )
            .await?;
        Ok(ListAttachedRolePoliciesResponse {
            attached_policies: Some(attached),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(super) async fn put_role_permissions_boundary(
        &self,
        caller: &Caller,
        input: PutRolePermissionsBoundaryRequest,
    ) -> ServiceResult<()> {
        self.put_boundary::<Roles>(
            caller,
            Operation::PutRolePermissionsBoundary,
            &input.role_name,
            &input.permissions_boundary,
        )
        .await
    }

    pub(super) async fn delete_role_permissions_boundary(
        &self,
        caller: &Caller,
        input: DeleteRolePermissionsBoundaryRequest,
    ) -> ServiceResult<()> {
        self.delete_boundary::<Roles>(
            caller,
            Operation::DeleteRolePermissionsBoundary,
            &input.role_name,
        )
        .await
    }

    pub(super) async fn create_service_linked_role(
        &self,
        caller: &Caller,
        input: CreateServiceLinkedRoleRequest,
    ) -> ServiceResult<CreateServiceLinkedRoleResponse> {
        let account = caller.account_id.clone();
        let service = input.aws_service_name;
        if !valid_service_name(&service) {
            return Err(ServiceError::invalid_input(format!(
                "Service name {service} is not a valid AWS service principal."
            )));
        }
        let suffix = input.custom_suffix.filter(|s| !s.is_empty());
        let made = linked_role(&service, suffix.as_deref())?;
        let arn = role_arn(&account, &made.path, &made.name);
        self.allow(
            caller,
            Operation::CreateServiceLinkedRole,
            &arn,
            single("iam:AWSServiceName", &service),
        )
        .await?;
        let new_role = NewRole {
            account_id: account,
            role_id: new_unique_id(IdKind::Role)?,
            name: made.name.clone(),
            path: made.path,
            // Built here from a checked service name: a failure is this code's bug.
            trust_policy: policy::Policy::parse(&trust_document(&service), PolicyKind::Trust)
                .map_err(|e| ServiceError::internal(&e))?,
            trust_principals: Vec::new(),
            description: input.description.filter(|d| !d.is_empty()),
            max_session_duration: DEFAULT_MAX_SESSION,
            permissions_boundary_arn: None,
            created_at: self.clock.seconds(),
            tags: Vec::new(),
        };
        // The role and the policies its service attaches are one write.
        let role = match self
            .store
            .create_role_with_policies(&new_role, &made.policies)
            .await
        {
            Ok(role) => role,
            Err(StoreError::EntityAlreadyExists { .. }) => {
                return Err(ServiceError::invalid_input(format!(
                    "Service role name {} has been taken in this account, please try a different suffix.",
                    made.name
                )));
            }
            Err(other) => return Err(other.into()),
        };
        Ok(CreateServiceLinkedRoleResponse {
            role: Some(written_role(&role, None)),
        })
    }

    pub(super) async fn delete_service_linked_role(
        &self,
        caller: &Caller,
        input: DeleteServiceLinkedRoleRequest,
    ) -> ServiceResult<DeleteServiceLinkedRoleResponse> {
        let account = caller.account_id.clone();
        let role = self
            .entity::<Roles>(
                caller,
                Operation::DeleteServiceLinkedRole.action(),
                &input.role_name,
                Vec::new(),
            )
            .await?;
        let Some(service) = role
            .path
            .strip_prefix(SERVICE_ROLE_PATH)
            .and_then(|rest| rest.strip_suffix('/'))
            .filter(|s| !s.is_empty() && !s.contains('/'))
        else {
            return Err(ServiceError::invalid_input(format!(
                "Role {} is not a service-linked role: delete it with DeleteRole.",
                role.name
            )));
        };
        // The deletion task removes what the service put on the role, then the role;
        // AWS runs it in the background, here it is done by the time we answer.
        let owner = store::Principal::role(&role.role_id);
        for (policy_name, _) in self.reads().list_inline_policies(&owner).await? {
            self.store
                .delete_inline_policy(&owner, &policy_name)
                .await?;
        }
        for arn in self.reads().list_attached_policies(&owner).await? {
            self.store.detach_policy(&owner, &arn).await?;
        }
        self.store.delete_role(&account, &role.name).await?;
        Ok(DeleteServiceLinkedRoleResponse {
            deletion_task_id: format!(
                "task{SERVICE_ROLE_PATH}{service}/{}/{}",
                role.name,
                new_uuid()?
            ),
        })
    }

    pub(super) async fn get_service_linked_role_deletion_status(
        &self,
        caller: &Caller,
        input: GetServiceLinkedRoleDeletionStatusRequest,
    ) -> ServiceResult<GetServiceLinkedRoleDeletionStatusResponse> {
        let account = caller.account_id.clone();
        let unknown = || {
            ServiceError::no_such_entity(format!(
                "Deletion task {} cannot be found.",
                input.deletion_task_id
            ))
        };
        let (service, name) = parse_task_id(&input.deletion_task_id).ok_or_else(unknown)?;
        let path = format!("{SERVICE_ROLE_PATH}{service}/");
        self.allow(
            caller,
            Operation::GetServiceLinkedRoleDeletionStatus,
            &role_arn(&account, &path, name),
            Vec::new(),
        )
        .await?;
        // Deletion is synchronous here, so a task for a role that is gone succeeded;
        // one for a role still present was never started by this server.
        match self.reads().get_role(&account, name).await {
            Err(StoreError::NoSuchEntity { .. }) => {
                Ok(GetServiceLinkedRoleDeletionStatusResponse {
                    status: DeletionTaskStatusType::Succeeded,
                    reason: None,
                })
            }
            Ok(_) => Err(unknown()),
            Err(other) => Err(other.into()),
        }
    }
}
