//! Users: CRUD, tags, access keys, inline and attached policies, permissions boundaries.

use policy::{ContextValue, PolicyKind};
use store::{AccessKeyStatus, NewUser, Page, StoreError, Tag, TagTarget, UserRecord};
use wire::iam::{
    AccessKey, AccessKeyLastUsed, AccessKeyMetadata, CreateAccessKeyResponse, CreateUserResponse,
    GetAccessKeyLastUsedResponse, GetUserPolicyResponse, GetUserResponse, ListAccessKeysResponse,
    ListAttachedUserPoliciesResponse, ListUserPoliciesResponse, ListUserTagsResponse,
    ListUsersResponse, Operation, Request, Response, StatusType, User,
};

use super::{check_path, check_tags, tag_context, timestamp, uri_encode, user_view, wire_tags};
use crate::authorize::managed_policy;
use crate::caller::{Caller, user_arn};
use crate::error::{ServiceError, ServiceResult};
use crate::ids::{IdKind, new_access_key_id, new_secret_access_key, new_unique_id};
use crate::service::Service;

/// Inline policies of one user may total this many characters (white space excluded).
const USER_INLINE_POLICY_TOTAL: usize = 2_048;

/// The operations this module answers.
pub(super) const OPERATIONS: &[Operation] = &[
    Operation::CreateUser,
    Operation::GetUser,
    Operation::ListUsers,
    Operation::UpdateUser,
    Operation::DeleteUser,
    Operation::TagUser,
    Operation::UntagUser,
    Operation::ListUserTags,
    Operation::CreateAccessKey,
    Operation::ListAccessKeys,
    Operation::UpdateAccessKey,
    Operation::DeleteAccessKey,
    Operation::GetAccessKeyLastUsed,
    Operation::PutUserPolicy,
    Operation::GetUserPolicy,
    Operation::DeleteUserPolicy,
    Operation::ListUserPolicies,
    Operation::AttachUserPolicy,
    Operation::DetachUserPolicy,
    Operation::ListAttachedUserPolicies,
    Operation::PutUserPermissionsBoundary,
    Operation::DeleteUserPermissionsBoundary,
];

impl Service {
    /// Users, their access keys, inline and attached policies, boundaries and tags.
    pub(super) async fn user_operation(
        &self,
        caller: &Caller,
        request: Request,
    ) -> ServiceResult<Response> {
        let account = caller.account_id.clone();
        match request {
            Request::CreateUser(input) => {
                let path = input.path.unwrap_or_else(|| "/".to_owned());
                check_path(&path)?;
                let tags = input.tags.unwrap_or_default();
                check_tags(&tags)?;
                let mut extra = tag_context(&tags);
                if let Some(boundary) = &input.permissions_boundary {
                    extra.push((
                        "iam:PermissionsBoundary".to_owned(),
                        ContextValue::Single(boundary.clone()),
                    ));
                }
                let arn = user_arn(&account, &path, &input.user_name);
                self.allow(caller, "iam:CreateUser", &arn, extra).await?;
                if !tags.is_empty() {
                    self.allow(caller, "iam:TagUser", &arn, tag_context(&tags))
                        .await?;
                }
                if let Some(boundary) = &input.permissions_boundary {
                    self.attachable(caller, boundary).await?;
                }
                let user = self
                    .store
                    .create_user(&NewUser {
                        account_id: account.clone(),
                        user_id: new_unique_id(IdKind::User)?,
                        name: input.user_name,
                        path,
                        permissions_boundary_arn: input.permissions_boundary,
                        created_at: self.clock.seconds(),
                        // One write: a user is never there without the tags it was created with.
                        tags: tags.iter().map(|t| Tag::new(&t.key, &t.value)).collect(),
                    })
                    .await?;
                let tags = (!tags.is_empty()).then_some(tags);
                Ok(Response::CreateUser(CreateUserResponse {
                    user: Some(user_view(&user, tags)),
                }))
            }
            Request::GetUser(input) => {
                let user = match self
                    .named_or_self(caller, "iam:GetUser", input.user_name.as_deref())
                    .await?
                {
                    Some(user) => user,
                    None => {
                        // Root without a name: AWS answers with the root "user".
                        return Ok(Response::GetUser(GetUserResponse {
                            user: User {
                                path: "/".to_owned(),
                                user_name: String::new(),
                                user_id: account.clone(),
                                arn: caller.arn(),
                                create_date: timestamp(
                                    self.store.get_account(&account).await?.created_at,
                                ),
                                password_last_used: None,
                                permissions_boundary: None,
                                tags: None,
                            },
                        }));
                    }
                };
                let tags = wire_tags(
                    self.store
                        .list_tags(&TagTarget::User(user.user_id.clone()))
                        .await?,
                );
                Ok(Response::GetUser(GetUserResponse {
                    user: user_view(&user, (!tags.is_empty()).then_some(tags)),
                }))
            }
            Request::ListUsers(input) => {
                self.allow(
                    caller,
                    "iam:ListUsers",
                    &user_arn(&account, "/", ""),
                    Vec::new(),
                )
                .await?;
                let Page { items, next_marker } = self
                    .store
                    .list_users(
                        &account,
                        &self.list_options(
                            caller,
                            "ListUsers",
                            input.path_prefix,
                            input.marker.as_deref(),
                            input.max_items,
                        )?,
                    )
                    .await?;
                Ok(Response::ListUsers(ListUsersResponse {
                    users: items.iter().map(|u| user_view(u, None)).collect(),
                    is_truncated: Some(next_marker.is_some()),
                    marker: self.next_marker(caller, "ListUsers", next_marker)?,
                }))
            }
            Request::UpdateUser(input) => {
                if let Some(path) = &input.new_path {
                    check_path(path)?;
                }
                let user = self
                    .user_for(caller, "iam:UpdateUser", &input.user_name, Vec::new())
                    .await?;
                let old_arn = user_arn(&account, &user.path, &user.name);
                let new_arn = user_arn(
                    &account,
                    input.new_path.as_deref().unwrap_or(&user.path),
                    input.new_user_name.as_deref().unwrap_or(&user.name),
                );
                let tags = self
                    .resource_tags(TagTarget::User(user.user_id.clone()))
                    .await?;
                self.allow_rename(caller, "iam:UpdateUser", &old_arn, &new_arn, tags)
                    .await?;
                self.store
                    .update_user(
                        &account,
                        &input.user_name,
                        input.new_user_name.as_deref(),
                        input.new_path.as_deref(),
                    )
                    .await?;
                Ok(Response::UpdateUser)
            }
            Request::DeleteUser(input) => {
                self.user_for(caller, "iam:DeleteUser", &input.user_name, Vec::new())
                    .await?;
                self.store.delete_user(&account, &input.user_name).await?;
                Ok(Response::DeleteUser)
            }
            Request::TagUser(input) => {
                check_tags(&input.tags)?;
                let user = self
                    .user_for(
                        caller,
                        "iam:TagUser",
                        &input.user_name,
                        tag_context(&input.tags),
                    )
                    .await?;
                let tags: Vec<Tag> = input
                    .tags
                    .iter()
                    .map(|t| Tag::new(&t.key, &t.value))
                    .collect();
                self.store
                    .tag_resource(&TagTarget::User(user.user_id), &tags)
                    .await?;
                Ok(Response::TagUser)
            }
            Request::UntagUser(input) => {
                let extra = vec![(
                    "aws:TagKeys".to_owned(),
                    ContextValue::Multi(input.tag_keys.clone()),
                )];
                let user = self
                    .user_for(caller, "iam:UntagUser", &input.user_name, extra)
                    .await?;
                self.store
                    .untag_resource(&TagTarget::User(user.user_id), &input.tag_keys)
                    .await?;
                Ok(Response::UntagUser)
            }
            Request::ListUserTags(input) => {
                let user = self
                    .user_for(caller, "iam:ListUserTags", &input.user_name, Vec::new())
                    .await?;
                let tags = wire_tags(self.store.list_tags(&TagTarget::User(user.user_id)).await?);
                let (tags, marker) = self.page_of(
                    caller,
                    "ListUserTags",
                    &tags,
                    input.marker.as_deref(),
                    input.max_items,
                )?;
                Ok(Response::ListUserTags(ListUserTagsResponse {
                    tags,
                    is_truncated: Some(marker.is_some()),
                    marker,
                }))
            }
            Request::CreateAccessKey(input) => {
                let owner = self
                    .named_or_self(caller, "iam:CreateAccessKey", input.user_name.as_deref())
                    .await?;
                let key_id = new_access_key_id(false)?;
                let secret = new_secret_access_key()?;
                let user_id = owner.as_ref().map(|u| u.user_id.as_str());
                let record = self.store_key(&account, user_id, &key_id, &secret).await?;
                Ok(Response::CreateAccessKey(CreateAccessKeyResponse {
                    access_key: AccessKey {
                        user_name: owner.map(|u| u.name).unwrap_or_default(),
                        access_key_id: key_id,
                        status: StatusType::Active,
                        secret_access_key: secret.expose().to_owned(),
                        create_date: Some(timestamp(record.created_at)),
                    },
                }))
            }
            Request::ListAccessKeys(input) => {
                let owner = self
                    .named_or_self(caller, "iam:ListAccessKeys", input.user_name.as_deref())
                    .await?;
                let keys = self
                    .store
                    .list_access_keys(&account, owner.as_ref().map(|u| u.user_id.as_str()))
                    .await?;
                let name = owner.map(|u| u.name);
                let metadata: Vec<AccessKeyMetadata> = keys
                    .into_iter()
                    .map(|k| AccessKeyMetadata {
                        user_name: name.clone(),
                        access_key_id: Some(k.access_key_id),
                        status: Some(match k.status {
                            AccessKeyStatus::Active => StatusType::Active,
                            AccessKeyStatus::Inactive => StatusType::Inactive,
                        }),
                        create_date: Some(timestamp(k.created_at)),
                    })
                    .collect();
                let (page, marker) = self.page_of(
                    caller,
                    "ListAccessKeys",
                    &metadata,
                    input.marker.as_deref(),
                    input.max_items,
                )?;
                Ok(Response::ListAccessKeys(ListAccessKeysResponse {
                    access_key_metadata: page,
                    is_truncated: Some(marker.is_some()),
                    marker,
                }))
            }
            Request::UpdateAccessKey(input) => {
                let owner = self
                    .named_or_self(caller, "iam:UpdateAccessKey", input.user_name.as_deref())
                    .await?;
                self.key_of(&account, owner.as_ref(), &input.access_key_id)
                    .await?;
                let status = match input.status {
                    StatusType::Active => AccessKeyStatus::Active,
                    StatusType::Inactive => AccessKeyStatus::Inactive,
                    StatusType::Expired => {
                        return Err(ServiceError::validation(
                            "1 validation error detected: Value 'Expired' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]",
                        ));
                    }
                };
                self.store
                    .update_access_key_status(&account, &input.access_key_id, status)
                    .await?;
                Ok(Response::UpdateAccessKey)
            }
            Request::DeleteAccessKey(input) => {
                let owner = self
                    .named_or_self(caller, "iam:DeleteAccessKey", input.user_name.as_deref())
                    .await?;
                self.key_of(&account, owner.as_ref(), &input.access_key_id)
                    .await?;
                self.store
                    .delete_access_key(&account, &input.access_key_id)
                    .await?;
                Ok(Response::DeleteAccessKey)
            }
            Request::GetAccessKeyLastUsed(input) => {
                let key = match self.store.get_access_key(&input.access_key_id).await {
                    Ok(key) if key.account_id == account => key,
                    Ok(_) | Err(StoreError::NoSuchEntity { .. }) => {
                        return Err(ServiceError::access_denied(format!(
                            "User: {} is not authorized to perform: iam:GetAccessKeyLastUsed on resource: access key {}",
                            caller.arn(),
                            input.access_key_id
                        )));
                    }
                    Err(other) => return Err(other.into()),
                };
                let owner = match &key.user_id {
                    Some(id) => Some(self.store.get_user_by_id(id).await?),
                    None => None,
                };
                let resource = match &owner {
                    Some(u) => user_arn(&u.account_id, &u.path, &u.name),
                    None => caller.arn(),
                };
                self.allow(caller, "iam:GetAccessKeyLastUsed", &resource, Vec::new())
                    .await?;
                Ok(Response::GetAccessKeyLastUsed(
                    GetAccessKeyLastUsedResponse {
                        user_name: Some(owner.map(|u| u.name).unwrap_or_else(|| "root".to_owned())),
                        access_key_last_used: Some(AccessKeyLastUsed {
                            last_used_date: key.last_used_at.map(timestamp),
                            service_name: key.last_used_service.unwrap_or_else(|| "N/A".to_owned()),
                            region: key.last_used_region.unwrap_or_else(|| "N/A".to_owned()),
                        }),
                    },
                ))
            }
            Request::PutUserPolicy(input) => {
                let user = self
                    .user_for(caller, "iam:PutUserPolicy", &input.user_name, Vec::new())
                    .await?;
                self.put_inline_policy(
                    &store::Principal::user(&user.user_id),
                    &format!("user {}", user.name),
                    &input.policy_name,
                    &input.policy_document,
                    USER_INLINE_POLICY_TOTAL,
                )
                .await?;
                Ok(Response::PutUserPolicy)
            }
            Request::GetUserPolicy(input) => {
                let user = self
                    .user_for(caller, "iam:GetUserPolicy", &input.user_name, Vec::new())
                    .await?;
                let document = self
                    .store
                    .get_inline_policy(&store::Principal::user(&user.user_id), &input.policy_name)
                    .await?;
                Ok(Response::GetUserPolicy(GetUserPolicyResponse {
                    user_name: user.name,
                    policy_name: input.policy_name,
                    policy_document: uri_encode(&document),
                }))
            }
            Request::DeleteUserPolicy(input) => {
                let user = self
                    .user_for(caller, "iam:DeleteUserPolicy", &input.user_name, Vec::new())
                    .await?;
                self.store
                    .delete_inline_policy(
                        &store::Principal::user(&user.user_id),
                        &input.policy_name,
                    )
                    .await?;
                Ok(Response::DeleteUserPolicy)
            }
            Request::ListUserPolicies(input) => {
                let user = self
                    .user_for(caller, "iam:ListUserPolicies", &input.user_name, Vec::new())
                    .await?;
                let names: Vec<String> = self
                    .store
                    .list_inline_policies(&store::Principal::user(&user.user_id))
                    .await?
                    .into_iter()
                    .map(|(name, _)| name)
                    .collect();
                let (page, marker) = self.page_of(
                    caller,
                    "ListUserPolicies",
                    &names,
                    input.marker.as_deref(),
                    input.max_items,
                )?;
                Ok(Response::ListUserPolicies(ListUserPoliciesResponse {
                    policy_names: page,
                    is_truncated: Some(marker.is_some()),
                    marker,
                }))
            }
            Request::AttachUserPolicy(input) => {
                let extra = vec![(
                    "iam:PolicyARN".to_owned(),
                    ContextValue::Single(input.policy_arn.clone()),
                )];
                let user = self
                    .user_for(caller, "iam:AttachUserPolicy", &input.user_name, extra)
                    .await?;
                self.attachable(caller, &input.policy_arn).await?;
                self.store
                    .attach_policy(&store::Principal::user(&user.user_id), &input.policy_arn)
                    .await?;
                Ok(Response::AttachUserPolicy)
            }
            Request::DetachUserPolicy(input) => {
                let extra = vec![(
                    "iam:PolicyARN".to_owned(),
                    ContextValue::Single(input.policy_arn.clone()),
                )];
                let user = self
                    .user_for(caller, "iam:DetachUserPolicy", &input.user_name, extra)
                    .await?;
                self.store
                    .detach_policy(&store::Principal::user(&user.user_id), &input.policy_arn)
                    .await?;
                Ok(Response::DetachUserPolicy)
            }
            Request::ListAttachedUserPolicies(input) => {
                let user = self
                    .user_for(
                        caller,
                        "iam:ListAttachedUserPolicies",
                        &input.user_name,
                        Vec::new(),
                    )
                    .await?;
                let attached = self
                    .attached_policies(
                        &store::Principal::user(&user.user_id),
                        input.path_prefix.as_deref(),
                    )
                    .await?;
                let (page, marker) = self.page_of(
                    caller,
                    "ListAttachedUserPolicies",
                    &attached,
                    input.marker.as_deref(),
                    input.max_items,
                )?;
                Ok(Response::ListAttachedUserPolicies(
                    ListAttachedUserPoliciesResponse {
                        attached_policies: Some(page),
                        is_truncated: Some(marker.is_some()),
                        marker,
                    },
                ))
            }
            Request::PutUserPermissionsBoundary(input) => {
                let extra = vec![(
                    "iam:PermissionsBoundary".to_owned(),
                    ContextValue::Single(input.permissions_boundary.clone()),
                )];
                self.user_for(
                    caller,
                    "iam:PutUserPermissionsBoundary",
                    &input.user_name,
                    extra,
                )
                .await?;
                self.attachable(caller, &input.permissions_boundary).await?;
                // Validate that it can serve as a boundary before storing the reference.
                managed_policy(
                    &self.store,
                    &input.permissions_boundary,
                    PolicyKind::Boundary,
                )
                .await?;
                self.store
                    .set_user_permissions_boundary(
                        &account,
                        &input.user_name,
                        Some(&input.permissions_boundary),
                    )
                    .await?;
                Ok(Response::PutUserPermissionsBoundary)
            }
            Request::DeleteUserPermissionsBoundary(input) => {
                self.user_for(
                    caller,
                    "iam:DeleteUserPermissionsBoundary",
                    &input.user_name,
                    Vec::new(),
                )
                .await?;
                self.store
                    .set_user_permissions_boundary(&account, &input.user_name, None)
                    .await?;
                Ok(Response::DeleteUserPermissionsBoundary)
            }
            other => Err(ServiceError::not_implemented(other.operation().name())),
        }
    }

    /// Checks that a key belongs to the named user (or to the root when no user is named).
    async fn key_of(
        &self,
        account: &str,
        owner: Option<&UserRecord>,
        access_key_id: &str,
    ) -> ServiceResult<()> {
        let key = self.store.get_access_key(access_key_id).await;
        let belongs = matches!(&key, Ok(k) if k.account_id == account
            && k.user_id.as_deref() == owner.map(|u| u.user_id.as_str()));
        if belongs {
            Ok(())
        } else {
            Err(ServiceError::no_such_entity(format!(
                "The Access Key with id {access_key_id} cannot be found."
            )))
        }
    }
}
