//! Users: CRUD, tags, access keys, inline and attached policies, permissions boundaries.

use policy::{ContextValue, PolicyKind};
use store::{AccessKeyStatus, NewUser, Page, StoreError, Tag, TagTarget, UserRecord};
use wire::iam::{
    AccessKey, AccessKeyLastUsed, AccessKeyMetadata, AttachUserPolicyRequest,
    CreateAccessKeyRequest, CreateAccessKeyResponse, CreateUserRequest, CreateUserResponse,
    DeleteAccessKeyRequest, DeleteUserPermissionsBoundaryRequest, DeleteUserPolicyRequest,
    DeleteUserRequest, DetachUserPolicyRequest, GetAccessKeyLastUsedRequest,
    GetAccessKeyLastUsedResponse, GetUserPolicyRequest, GetUserPolicyResponse, GetUserRequest,
    GetUserResponse, ListAccessKeysRequest, ListAccessKeysResponse,
    ListAttachedUserPoliciesRequest, ListAttachedUserPoliciesResponse, ListUserPoliciesRequest,
    ListUserPoliciesResponse, ListUserTagsRequest, ListUserTagsResponse, ListUsersRequest,
    ListUsersResponse, Operation, PutUserPermissionsBoundaryRequest, PutUserPolicyRequest,
    StatusType, TagUserRequest, UntagUserRequest, UpdateAccessKeyRequest, UpdateUserRequest, User,
};

use super::{
    check_path, check_tags, policy_arn_context, tag_context, timestamp, uri_encode, user_view,
    wire_tags,
};
use crate::authorize::managed_policy;
use crate::caller::{Caller, user_arn};
use crate::error::{ServiceError, ServiceResult};
use crate::ids::{IdKind, new_access_key_id, new_secret_access_key, new_unique_id};
use crate::service::Service;

/// Inline policies of one user may total this many characters (white space excluded).
const USER_INLINE_POLICY_TOTAL: usize = 2_048;

impl Service {
    pub(super) async fn create_user(
        &self,
        caller: &Caller,
        input: CreateUserRequest,
    ) -> ServiceResult<CreateUserResponse> {
        let account = caller.account_id.clone();
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
        self.allow(caller, Operation::CreateUser, &arn, extra)
            .await?;
        if !tags.is_empty() {
            self.allow(caller, Operation::TagUser, &arn, tag_context(&tags))
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
        Ok(CreateUserResponse {
            user: Some(user_view(&user, tags)),
        })
    }

    pub(super) async fn get_user(
        &self,
        caller: &Caller,
        input: GetUserRequest,
    ) -> ServiceResult<GetUserResponse> {
        let account = caller.account_id.clone();
        let user = match self
            .named_or_self(caller, Operation::GetUser, input.user_name.as_deref())
            .await?
        {
            Some(user) => user,
            None => {
                // Root without a name: AWS answers with the root "user".
                return Ok(GetUserResponse {
                    user: User {
                        path: "/".to_owned(),
                        user_name: String::new(),
                        user_id: account.clone(),
                        arn: caller.arn(),
                        create_date: timestamp(self.store.get_account(&account).await?.created_at),
                        password_last_used: None,
                        permissions_boundary: None,
                        tags: None,
                    },
                });
            }
        };
        let tags = wire_tags(
            self.store
                .list_tags(&TagTarget::User(user.user_id.clone()))
                .await?,
        );
        Ok(GetUserResponse {
            user: user_view(&user, (!tags.is_empty()).then_some(tags)),
        })
    }

    pub(super) async fn list_users(
        &self,
        caller: &Caller,
        input: ListUsersRequest,
    ) -> ServiceResult<ListUsersResponse> {
        let account = caller.account_id.clone();
        self.allow(
            caller,
            Operation::ListUsers,
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
                    Operation::ListUsers,
                    input.path_prefix,
                    input.marker.as_deref(),
                    input.max_items,
                )?,
            )
            .await?;
        Ok(ListUsersResponse {
            users: items.iter().map(|u| user_view(u, None)).collect(),
            is_truncated: Some(next_marker.is_some()),
            marker: self.next_marker(caller, Operation::ListUsers, next_marker)?,
        })
    }

    pub(super) async fn update_user(
        &self,
        caller: &Caller,
        input: UpdateUserRequest,
    ) -> ServiceResult<()> {
        let account = caller.account_id.clone();
        if let Some(path) = &input.new_path {
            check_path(path)?;
        }
        let user = self
            .user_for(caller, Operation::UpdateUser, &input.user_name, Vec::new())
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
        self.allow_rename(caller, Operation::UpdateUser, &old_arn, &new_arn, tags)
            .await?;
        self.store
            .update_user(
                &account,
                &input.user_name,
                input.new_user_name.as_deref(),
                input.new_path.as_deref(),
            )
            .await?;
        Ok(())
    }

    pub(super) async fn delete_user(
        &self,
        caller: &Caller,
        input: DeleteUserRequest,
    ) -> ServiceResult<()> {
        let account = caller.account_id.clone();
        self.user_for(caller, Operation::DeleteUser, &input.user_name, Vec::new())
            .await?;
        self.store.delete_user(&account, &input.user_name).await?;
        Ok(())
    }

    pub(super) async fn tag_user(
        &self,
        caller: &Caller,
        input: TagUserRequest,
    ) -> ServiceResult<()> {
        check_tags(&input.tags)?;
        let user = self
            .user_for(
                caller,
                Operation::TagUser,
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
        Ok(())
    }

    pub(super) async fn untag_user(
        &self,
        caller: &Caller,
        input: UntagUserRequest,
    ) -> ServiceResult<()> {
        let extra = vec![(
            "aws:TagKeys".to_owned(),
            ContextValue::Multi(input.tag_keys.clone()),
        )];
        let user = self
            .user_for(caller, Operation::UntagUser, &input.user_name, extra)
            .await?;
        self.store
            .untag_resource(&TagTarget::User(user.user_id), &input.tag_keys)
            .await?;
        Ok(())
    }

    pub(super) async fn list_user_tags(
        &self,
        caller: &Caller,
        input: ListUserTagsRequest,
    ) -> ServiceResult<ListUserTagsResponse> {
        let user = self
            .user_for(
                caller,
                Operation::ListUserTags,
                &input.user_name,
                Vec::new(),
            )
            .await?;
        let tags = wire_tags(self.store.list_tags(&TagTarget::User(user.user_id)).await?);
        let (tags, marker) = self.page_of(
            caller,
            Operation::ListUserTags,
            &tags,
            input.marker.as_deref(),
            input.max_items,
        )?;
        Ok(ListUserTagsResponse {
            tags,
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(super) async fn create_access_key(
        &self,
        caller: &Caller,
        input: CreateAccessKeyRequest,
    ) -> ServiceResult<CreateAccessKeyResponse> {
        let account = caller.account_id.clone();
        let owner = self
            .named_or_self(
                caller,
                Operation::CreateAccessKey,
                input.user_name.as_deref(),
            )
            .await?;
        let key_id = new_access_key_id(false)?;
        let secret = new_secret_access_key()?;
        let user_id = owner.as_ref().map(|u| u.user_id.as_str());
        let record = self.store_key(&account, user_id, &key_id, &secret).await?;
        Ok(CreateAccessKeyResponse {
            access_key: AccessKey {
                user_name: owner.map(|u| u.name).unwrap_or_default(),
                access_key_id: key_id,
                status: StatusType::Active,
                secret_access_key: secret.expose().to_owned(),
                create_date: Some(timestamp(record.created_at)),
            },
        })
    }

    pub(super) async fn list_access_keys(
        &self,
        caller: &Caller,
        input: ListAccessKeysRequest,
    ) -> ServiceResult<ListAccessKeysResponse> {
        let account = caller.account_id.clone();
        let owner = self
            .named_or_self(
                caller,
                Operation::ListAccessKeys,
                input.user_name.as_deref(),
            )
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
            Operation::ListAccessKeys,
            &metadata,
            input.marker.as_deref(),
            input.max_items,
        )?;
        Ok(ListAccessKeysResponse {
            access_key_metadata: page,
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(super) async fn update_access_key(
        &self,
        caller: &Caller,
        input: UpdateAccessKeyRequest,
    ) -> ServiceResult<()> {
        let account = caller.account_id.clone();
        let owner = self
            .named_or_self(
                caller,
                Operation::UpdateAccessKey,
                input.user_name.as_deref(),
            )
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
        Ok(())
    }

    pub(super) async fn delete_access_key(
        &self,
        caller: &Caller,
        input: DeleteAccessKeyRequest,
    ) -> ServiceResult<()> {
        let account = caller.account_id.clone();
        let owner = self
            .named_or_self(
                caller,
                Operation::DeleteAccessKey,
                input.user_name.as_deref(),
            )
            .await?;
        self.key_of(&account, owner.as_ref(), &input.access_key_id)
            .await?;
        self.store
            .delete_access_key(&account, &input.access_key_id)
            .await?;
        Ok(())
    }

    pub(super) async fn get_access_key_last_used(
        &self,
        caller: &Caller,
        input: GetAccessKeyLastUsedRequest,
    ) -> ServiceResult<GetAccessKeyLastUsedResponse> {
        let account = caller.account_id.clone();
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
        self.allow(
            caller,
            Operation::GetAccessKeyLastUsed,
            &resource,
            Vec::new(),
        )
        .await?;
        Ok(GetAccessKeyLastUsedResponse {
            user_name: Some(owner.map(|u| u.name).unwrap_or_else(|| "root".to_owned())),
            access_key_last_used: Some(AccessKeyLastUsed {
                last_used_date: key.last_used_at.map(timestamp),
                service_name: key.last_used_service.unwrap_or_else(|| "N/A".to_owned()),
                region: key.last_used_region.unwrap_or_else(|| "N/A".to_owned()),
            }),
        })
    }

    pub(super) async fn put_user_policy(
        &self,
        caller: &Caller,
        input: PutUserPolicyRequest,
    ) -> ServiceResult<()> {
        let user = self
            .user_for(
                caller,
                Operation::PutUserPolicy,
                &input.user_name,
                Vec::new(),
            )
            .await?;
        self.put_inline_policy(
            &store::Principal::user(&user.user_id),
            &format!("user {}", user.name),
            &input.policy_name,
            &input.policy_document,
            USER_INLINE_POLICY_TOTAL,
        )
        .await?;
        Ok(())
    }

    pub(super) async fn get_user_policy(
        &self,
        caller: &Caller,
        input: GetUserPolicyRequest,
    ) -> ServiceResult<GetUserPolicyResponse> {
        let user = self
            .user_for(
                caller,
                Operation::GetUserPolicy,
                &input.user_name,
                Vec::new(),
            )
            .await?;
        let document = self
            .store
            .get_inline_policy(&store::Principal::user(&user.user_id), &input.policy_name)
            .await?;
        Ok(GetUserPolicyResponse {
            user_name: user.name,
            policy_name: input.policy_name,
            policy_document: uri_encode(&document),
        })
    }

    pub(super) async fn delete_user_policy(
        &self,
        caller: &Caller,
        input: DeleteUserPolicyRequest,
    ) -> ServiceResult<()> {
        let user = self
            .user_for(
                caller,
                Operation::DeleteUserPolicy,
                &input.user_name,
                Vec::new(),
            )
            .await?;
        self.store
            .delete_inline_policy(&store::Principal::user(&user.user_id), &input.policy_name)
            .await?;
        Ok(())
    }

    pub(super) async fn list_user_policies(
        &self,
        caller: &Caller,
        input: ListUserPoliciesRequest,
    ) -> ServiceResult<ListUserPoliciesResponse> {
        let user = self
            .user_for(
                caller,
                Operation::ListUserPolicies,
                &input.user_name,
                Vec::new(),
            )
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
            Operation::ListUserPolicies,
            &names,
            input.marker.as_deref(),
            input.max_items,
        )?;
        Ok(ListUserPoliciesResponse {
            policy_names: page,
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(super) async fn attach_user_policy(
        &self,
        caller: &Caller,
        input: AttachUserPolicyRequest,
    ) -> ServiceResult<()> {
        let extra = policy_arn_context(Operation::AttachUserPolicy, &input.policy_arn);
        let user = self
            .user_for(caller, Operation::AttachUserPolicy, &input.user_name, extra)
            .await?;
        self.attachable(caller, &input.policy_arn).await?;
        self.store
            .attach_policy(&store::Principal::user(&user.user_id), &input.policy_arn)
            .await?;
        Ok(())
    }

    pub(super) async fn detach_user_policy(
        &self,
        caller: &Caller,
        input: DetachUserPolicyRequest,
    ) -> ServiceResult<()> {
        let extra = policy_arn_context(Operation::DetachUserPolicy, &input.policy_arn);
        let user = self
            .user_for(caller, Operation::DetachUserPolicy, &input.user_name, extra)
            .await?;
        self.store
            .detach_policy(&store::Principal::user(&user.user_id), &input.policy_arn)
            .await?;
        Ok(())
    }

    pub(super) async fn list_attached_user_policies(
        &self,
        caller: &Caller,
        input: ListAttachedUserPoliciesRequest,
    ) -> ServiceResult<ListAttachedUserPoliciesResponse> {
        let user = self
            .user_for(
                caller,
                Operation::ListAttachedUserPolicies,
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
            Operation::ListAttachedUserPolicies,
            &attached,
            input.marker.as_deref(),
            input.max_items,
        )?;
        Ok(ListAttachedUserPoliciesResponse {
            attached_policies: Some(page),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(super) async fn put_user_permissions_boundary(
        &self,
        caller: &Caller,
        input: PutUserPermissionsBoundaryRequest,
    ) -> ServiceResult<()> {
        let account = caller.account_id.clone();
        let extra = vec![(
            "iam:PermissionsBoundary".to_owned(),
            ContextValue::Single(input.permissions_boundary.clone()),
        )];
        self.user_for(
            caller,
            Operation::PutUserPermissionsBoundary,
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
        Ok(())
    }

    pub(super) async fn delete_user_permissions_boundary(
        &self,
        caller: &Caller,
        input: DeleteUserPermissionsBoundaryRequest,
    ) -> ServiceResult<()> {
        let account = caller.account_id.clone();
        self.user_for(
            caller,
            Operation::DeleteUserPermissionsBoundary,
            &input.user_name,
            Vec::new(),
        )
        .await?;
        self.store
            .set_user_permissions_boundary(&account, &input.user_name, None)
            .await?;
        Ok(())
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
