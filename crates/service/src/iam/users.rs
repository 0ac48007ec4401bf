//! Users: CRUD, tags, access keys, inline and attached policies, permissions boundaries.

use store::{NewUser, Page, StoreError, UserRecord};
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

use super::entity::boundary_context;
use super::{Users, check_path, timestamp, user_view};
use crate::caller::{Caller, user_arn};
use crate::error::{ServiceError, ServiceResult};
use crate::ids::{
    IdKind, is_access_key_id, is_secret_access_key, new_access_key_id, new_secret_access_key,
    new_unique_id,
};
use crate::secret::Secret;
use crate::service::Service;

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
        let boundary = input.permissions_boundary;
        let arn = user_arn(&account, &path, &input.user_name);
        let operations = (Operation::CreateUser, Operation::TagUser);
        let context = boundary
            .as_deref()
            .map(boundary_context)
            .unwrap_or_default();
        let stored_tags = self
            .allow_creation(caller, operations, &arn, &tags, context)
            .await?;
        if let Some(boundary) = &boundary {
            self.checked_boundary(caller, boundary).await?;
        }
        let user = self
            .store
            .create_user(&NewUser {
                account_id: account,
                user_id: new_unique_id(IdKind::User)?,
                name: input.user_name,
                path,
                permissions_boundary_arn: boundary,
                created_at: self.clock.seconds(),
                tags: stored_tags,
            })
            .await?;
        Ok(CreateUserResponse {
            user: Some(user_view(user, (!tags.is_empty()).then_some(tags))),
        })
    }

    pub(super) async fn get_user(
        &self,
        caller: &Caller,
        input: GetUserRequest,
    ) -> ServiceResult<GetUserResponse> {
        let account = caller.account_id.clone();
        if let Some(name) = input.user_name.as_deref() {
            let (user, tags) = self
                .entity_with_tags::<Users>(caller, Operation::GetUser.action(), name)
                .await?;
            return Ok(GetUserResponse {
                user: user_view(user, tags),
            });
        }
        let user = match self.named_or_self(caller, Operation::GetUser, None).await? {
            Some(user) => user,
            None => {
                // Root without a name: AWS answers with the root "user".
                let record = self.reads().get_account(&account).await?;
                return Ok(GetUserResponse {
                    user: User {
                        path: "/".to_owned(),
                        user_name: String::new(),
                        user_id: account.clone(),
                        arn: caller.arn(),
                        create_date: timestamp(record.created_at),
                        password_last_used: record.root_password_last_used.map(timestamp),
                        permissions_boundary: None,
                        tags: None,
                    },
                });
            }
        };
        let tags = self.tags_of::<Users>(&user).await?;
        Ok(GetUserResponse {
            user: user_view(user, tags),
        })
    }

    pub(super) async fn list_users(
        &self,
        caller: &Caller,
        input: ListUsersRequest,
    ) -> ServiceResult<ListUsersResponse> {
        let account = caller.account_id.clone();
        self.authorize_listing(caller, Operation::ListUsers).await?;
        let Page { items, next_marker } = self
            .reads()
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
            users: items.into_iter().map(|u| user_view(u, None)).collect(),
            is_truncated: Some(next_marker.is_some()),
            marker: self.next_marker(caller, Operation::ListUsers, next_marker)?,
        })
    }

    pub(super) async fn update_user(
        &self,
        caller: &Caller,
        input: UpdateUserRequest,
    ) -> ServiceResult<()> {
        let renamed = (input.new_user_name.as_deref(), input.new_path.as_deref());
        let user = self
            .entity_to_rename::<Users>(caller, Operation::UpdateUser, &input.user_name, renamed)
            .await?;
        self.store
            .update_user(&user.account_id, &user.name, renamed.0, renamed.1)
            .await?;
        Ok(())
    }

    pub(super) async fn delete_user(
        &self,
        caller: &Caller,
        input: DeleteUserRequest,
    ) -> ServiceResult<()> {
        let user = self
            .entity::<Users>(
                caller,
                Operation::DeleteUser.action(),
                &input.user_name,
                Vec::new(),
            )
            .await?;
        self.store.delete_user(&user.account_id, &user.name).await?;
        Ok(())
    }

    pub(super) async fn tag_user(
        &self,
        caller: &Caller,
        input: TagUserRequest,
    ) -> ServiceResult<()> {
        self.tag_entity::<Users>(caller, Operation::TagUser, &input.user_name, &input.tags)
            .await
    }

    pub(super) async fn untag_user(
        &self,
        caller: &Caller,
        input: UntagUserRequest,
    ) -> ServiceResult<()> {
        self.untag_entity::<Users>(
            caller,
            Operation::UntagUser,
            &input.user_name,
            &input.tag_keys,
        )
        .await
    }

    pub(super) async fn list_user_tags(
        &self,
        caller: &Caller,
        input: ListUserTagsRequest,
    ) -> ServiceResult<ListUserTagsResponse> {
        let page = (input.marker.as_deref(), input.max_items);
        let (tags, marker) = self
            .list_entity_tags::<Users>(caller, Operation::ListUserTags, &input.user_name, page)
            .await?;
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

    /// An access key with a fixed id and secret for `user_name` of the caller's account, or
    /// for the caller itself: not an IAM operation (IAM always chooses the pair), but what a
    /// fixtures file declares so that test suites know their keys in advance. Authorized as
    /// CreateAccessKey, held to the same quota, the secret sealed like every other.
    pub(crate) async fn create_fixed_access_key(
        &self,
        caller: &Caller,
        user_name: Option<&str>,
        key_id: &str,
        secret: &Secret,
    ) -> ServiceResult<()> {
        if !is_access_key_id(key_id) || !is_secret_access_key(secret.expose()) {
            return Err(ServiceError::invalid_input(
                "A fixed access key pair must look like AWS's: AKIA and 16 upper-case letters or digits, and a secret of 40 base64 characters.",
            ));
        }
        let owner = self
            .named_or_self(caller, Operation::CreateAccessKey, user_name)
            .await?;
        self.store_key(
            &caller.account_id,
            owner.as_ref().map(|u| u.user_id.as_str()),
            key_id,
            secret,
        )
        .await?;
        self.after_write().await;
        Ok(())
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
            .reads()
            .list_access_keys(&account, owner.as_ref().map(|u| u.user_id.as_str()))
            .await?;
        let name = owner.map(|u| u.name);
        let metadata: Vec<AccessKeyMetadata> = keys
            .into_iter()
            .map(|k| AccessKeyMetadata {
                user_name: name.clone(),
                access_key_id: Some(k.access_key_id),
                status: Some(super::credentials::wire_status(k.status)),
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
        let status = super::credentials::stored_status(input.status)?;
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
        let key = match self.reads().access_key_usage(&input.access_key_id).await {
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
            Some(id) => Some(self.reads().get_user_by_id(id).await?),
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
        let policy = (input.policy_name.as_str(), input.policy_document.as_str());
        self.put_inline::<Users>(caller, Operation::PutUserPolicy, &input.user_name, policy)
            .await
    }

    pub(super) async fn get_user_policy(
        &self,
        caller: &Caller,
        input: GetUserPolicyRequest,
    ) -> ServiceResult<GetUserPolicyResponse> {
        let (user_name, policy_document) = self
            .get_inline::<Users>(
                caller,
                Operation::GetUserPolicy,
                &input.user_name,
                &input.policy_name,
            )
            .await?;
        Ok(GetUserPolicyResponse {
            user_name,
            policy_name: input.policy_name,
            policy_document,
        })
    }

    pub(super) async fn delete_user_policy(
        &self,
        caller: &Caller,
        input: DeleteUserPolicyRequest,
    ) -> ServiceResult<()> {
        self.delete_inline::<Users>(
            caller,
            Operation::DeleteUserPolicy,
            &input.user_name,
            &input.policy_name,
        )
        .await
    }

    pub(super) async fn list_user_policies(
        &self,
        caller: &Caller,
        input: ListUserPoliciesRequest,
    ) -> ServiceResult<ListUserPoliciesResponse> {
        let page = (input.marker.as_deref(), input.max_items);
        let (policy_names, marker) = self
            .list_inline::<Users>(caller, Operation::ListUserPolicies, &input.user_name, page)
            .await?;
        Ok(ListUserPoliciesResponse {
            policy_names,
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(super) async fn attach_user_policy(
        &self,
        caller: &Caller,
        input: AttachUserPolicyRequest,
    ) -> ServiceResult<()> {
        self.attach::<Users>(
            caller,
            Operation::AttachUserPolicy,
            &input.user_name,
            &input.policy_arn,
        )
        .await
    }

    pub(super) async fn detach_user_policy(
        &self,
        caller: &Caller,
        input: DetachUserPolicyRequest,
    ) -> ServiceResult<()> {
        self.detach::<Users>(
            caller,
            Operation::DetachUserPolicy,
            &input.user_name,
            &input.policy_arn,
        )
        .await
    }

    pub(super) async fn list_attached_user_policies(
        &self,
        caller: &Caller,
        input: ListAttachedUserPoliciesRequest,
    ) -> ServiceResult<ListAttachedUserPoliciesResponse> {
        let page = (input.marker.as_deref(), input.max_items);
        let (attached, marker) = self
            .list_attached::<Users>(
                caller,
                Operation::ListAttachedUserPolicies,
                &input.user_name,
                input.path_prefix.as_deref(),
                page,
            )
            .await?;
        Ok(ListAttachedUserPoliciesResponse {
            attached_policies: Some(attached),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(super) async fn put_user_permissions_boundary(
        &self,
        caller: &Caller,
        input: PutUserPermissionsBoundaryRequest,
    ) -> ServiceResult<()> {
        self.put_boundary::<Users>(
            caller,
            Operation::PutUserPermissionsBoundary,
            &input.user_name,
            &input.permissions_boundary,
        )
        .await
    }

    pub(super) async fn delete_user_permissions_boundary(
        &self,
        caller: &Caller,
        input: DeleteUserPermissionsBoundaryRequest,
    ) -> ServiceResult<()> {
        self.delete_boundary::<Users>(
            caller,
            Operation::DeleteUserPermissionsBoundary,
            &input.user_name,
        )
        .await
    }

    /// Checks that a key belongs to the named user (or to the root when no user is named).
    async fn key_of(
        &self,
        account: &str,
        owner: Option<&UserRecord>,
        access_key_id: &str,
    ) -> ServiceResult<()> {
        let key = self.reads().get_access_key(access_key_id).await;
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
