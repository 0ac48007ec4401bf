//! Groups: CRUD, membership, group inline and attached policies.

use policy::ContextValue;
use store::{GroupRecord, NewGroup, Page, StoreError};
use wire::iam::{
    AddUserToGroupRequest, AttachGroupPolicyRequest, CreateGroupRequest, CreateGroupResponse,
    DeleteGroupPolicyRequest, DeleteGroupRequest, DetachGroupPolicyRequest, GetGroupPolicyRequest,
    GetGroupPolicyResponse, GetGroupRequest, GetGroupResponse, Group,
    ListAttachedGroupPoliciesRequest, ListAttachedGroupPoliciesResponse, ListGroupPoliciesRequest,
    ListGroupPoliciesResponse, ListGroupsForUserRequest, ListGroupsForUserResponse,
    ListGroupsRequest, ListGroupsResponse, Operation, PutGroupPolicyRequest,
    RemoveUserFromGroupRequest, UpdateGroupRequest,
};

use super::{check_path, policy_arn_context, timestamp, uri_encode, user_view};
use crate::caller::{Caller, group_arn};
use crate::error::{ServiceError, ServiceResult};
use crate::ids::{IdKind, new_unique_id};
use crate::service::Service;

/// Inline policies of one group may total this many characters (white space excluded).
const GROUP_INLINE_POLICY_TOTAL: usize = 5_120;

fn group_view(group: &GroupRecord) -> Group {
    Group {
        path: group.path.clone(),
        group_name: group.name.clone(),
        group_id: group.group_id.clone(),
        arn: group_arn(&group.account_id, &group.path, &group.name),
        create_date: timestamp(group.created_at),
    }
}

impl Service {
    /// Looks a group up for an operation, authorizing first: an unknown group is reported
    /// only to callers allowed to act on that name, so existence does not leak.
    async fn group_for(
        &self,
        caller: &Caller,
        operation: Operation,
        name: &str,
        extra: Vec<(String, ContextValue)>,
    ) -> ServiceResult<GroupRecord> {
        match self.store.get_group(&caller.account_id, name).await {
            Ok(group) => {
                let arn = group_arn(&group.account_id, &group.path, &group.name);
                self.allow(caller, operation, &arn, extra).await?;
                Ok(group)
            }
            Err(StoreError::NoSuchEntity { .. }) => {
                self.allow(
                    caller,
                    operation,
                    &group_arn(&caller.account_id, "/", name),
                    extra,
                )
                .await?;
                Err(ServiceError::no_such_entity(format!(
                    "The group with name {name} cannot be found."
                )))
            }
            Err(other) => Err(other.into()),
        }
    }

    pub(super) async fn create_group(
        &self,
        caller: &Caller,
        input: CreateGroupRequest,
    ) -> ServiceResult<CreateGroupResponse> {
        let account = caller.account_id.clone();
        let path = input.path.unwrap_or_else(|| "/".to_owned());
        check_path(&path)?;
        let arn = group_arn(&account, &path, &input.group_name);
        self.allow(caller, Operation::CreateGroup, &arn, Vec::new())
            .await?;
        let group = self
            .store
            .create_group(&NewGroup {
                account_id: account,
                group_id: new_unique_id(IdKind::Group)?,
                name: input.group_name,
                path,
                created_at: self.clock.seconds(),
            })
            .await?;
        Ok(CreateGroupResponse {
            group: group_view(&group),
        })
    }

    pub(super) async fn get_group(
        &self,
        caller: &Caller,
        input: GetGroupRequest,
    ) -> ServiceResult<GetGroupResponse> {
        let account = caller.account_id.clone();
        let group = self
            .group_for(caller, Operation::GetGroup, &input.group_name, Vec::new())
            .await?;
        let Page { items, next_marker } = self
            .store
            .list_users_in_group(
                &account,
                &group.name,
                &self.list_options(
                    caller,
                    Operation::GetGroup,
                    None,
                    input.marker.as_deref(),
                    input.max_items,
                )?,
            )
            .await?;
        Ok(GetGroupResponse {
            group: group_view(&group),
            users: items.iter().map(|u| user_view(u, None)).collect(),
            is_truncated: Some(next_marker.is_some()),
            marker: self.next_marker(caller, Operation::GetGroup, next_marker)?,
        })
    }

    pub(super) async fn update_group(
        &self,
        caller: &Caller,
        input: UpdateGroupRequest,
    ) -> ServiceResult<()> {
        let account = caller.account_id.clone();
        if let Some(path) = &input.new_path {
            check_path(path)?;
        }
        let group = self
            .group_for(
                caller,
                Operation::UpdateGroup,
                &input.group_name,
                Vec::new(),
            )
            .await?;
        let new_name = input.new_group_name.as_deref().unwrap_or(&group.name);
        let new_path = input.new_path.as_deref().unwrap_or(&group.path);
        let new_arn = group_arn(&account, new_path, new_name);
        let old_arn = group_arn(&account, &group.path, &group.name);
        // AWS requires permission on the group under its old and its new name.
        self.allow_rename(
            caller,
            Operation::UpdateGroup,
            &old_arn,
            &new_arn,
            Vec::new(),
        )
        .await?;
        self.store
            .update_group(
                &account,
                &group.name,
                input.new_group_name.as_deref(),
                input.new_path.as_deref(),
            )
            .await?;
        Ok(())
    }

    pub(super) async fn delete_group(
        &self,
        caller: &Caller,
        input: DeleteGroupRequest,
    ) -> ServiceResult<()> {
        let account = caller.account_id.clone();
        let group = self
            .group_for(
                caller,
                Operation::DeleteGroup,
                &input.group_name,
                Vec::new(),
            )
            .await?;
        self.store.delete_group(&account, &group.name).await?;
        Ok(())
    }

    pub(super) async fn list_groups(
        &self,
        caller: &Caller,
        input: ListGroupsRequest,
    ) -> ServiceResult<ListGroupsResponse> {
        let account = caller.account_id.clone();
        self.allow(
            caller,
            Operation::ListGroups,
            &group_arn(&account, "/", ""),
            Vec::new(),
        )
        .await?;
        let Page { items, next_marker } = self
            .store
            .list_groups(
                &account,
                &self.list_options(
                    caller,
                    Operation::ListGroups,
                    input.path_prefix,
                    input.marker.as_deref(),
                    input.max_items,
                )?,
            )
            .await?;
        Ok(ListGroupsResponse {
            groups: items.iter().map(group_view).collect(),
            is_truncated: Some(next_marker.is_some()),
            marker: self.next_marker(caller, Operation::ListGroups, next_marker)?,
        })
    }

    pub(super) async fn add_user_to_group(
        &self,
        caller: &Caller,
        input: AddUserToGroupRequest,
    ) -> ServiceResult<()> {
        let account = caller.account_id.clone();
        // AWS authorizes membership changes on the group, not on the user.
        let group = self
            .group_for(
                caller,
                Operation::AddUserToGroup,
                &input.group_name,
                Vec::new(),
            )
            .await?;
        self.store
            .add_user_to_group(&account, &group.name, &input.user_name)
            .await?;
        Ok(())
    }

    pub(super) async fn remove_user_from_group(
        &self,
        caller: &Caller,
        input: RemoveUserFromGroupRequest,
    ) -> ServiceResult<()> {
        let account = caller.account_id.clone();
        let group = self
            .group_for(
                caller,
                Operation::RemoveUserFromGroup,
                &input.group_name,
                Vec::new(),
            )
            .await?;
        self.store
            .remove_user_from_group(&account, &group.name, &input.user_name)
            .await?;
        Ok(())
    }

    pub(super) async fn list_groups_for_user(
        &self,
        caller: &Caller,
        input: ListGroupsForUserRequest,
    ) -> ServiceResult<ListGroupsForUserResponse> {
        let account = caller.account_id.clone();
        // The resource of ListGroupsForUser is the user.
        let user = self
            .user_for(
                caller,
                Operation::ListGroupsForUser,
                &input.user_name,
                Vec::new(),
            )
            .await?;
        let Page { items, next_marker } = self
            .store
            .list_groups_for_user(
                &account,
                &user.name,
                &self.list_options(
                    caller,
                    Operation::ListGroupsForUser,
                    None,
                    input.marker.as_deref(),
                    input.max_items,
                )?,
            )
            .await?;
        Ok(ListGroupsForUserResponse {
            groups: items.iter().map(group_view).collect(),
            is_truncated: Some(next_marker.is_some()),
            marker: self.next_marker(caller, Operation::ListGroupsForUser, next_marker)?,
        })
    }

    pub(super) async fn put_group_policy(
        &self,
        caller: &Caller,
        input: PutGroupPolicyRequest,
    ) -> ServiceResult<()> {
        let group = self
            .group_for(
                caller,
                Operation::PutGroupPolicy,
                &input.group_name,
                Vec::new(),
            )
            .await?;
        self.put_inline_policy(
            &store::Principal::group(&group.group_id),
            &format!("group {}", group.name),
            &input.policy_name,
            &input.policy_document,
            GROUP_INLINE_POLICY_TOTAL,
        )
        .await?;
        Ok(())
    }

    pub(super) async fn get_group_policy(
        &self,
        caller: &Caller,
        input: GetGroupPolicyRequest,
    ) -> ServiceResult<GetGroupPolicyResponse> {
        let group = self
            .group_for(
                caller,
                Operation::GetGroupPolicy,
                &input.group_name,
                Vec::new(),
            )
            .await?;
        let document = self
            .store
            .get_inline_policy(
                &store::Principal::group(&group.group_id),
                &input.policy_name,
            )
            .await?;
        Ok(GetGroupPolicyResponse {
            group_name: group.name,
            policy_name: input.policy_name,
            policy_document: uri_encode(&document),
        })
    }

    pub(super) async fn delete_group_policy(
        &self,
        caller: &Caller,
        input: DeleteGroupPolicyRequest,
    ) -> ServiceResult<()> {
        let group = self
            .group_for(
                caller,
                Operation::DeleteGroupPolicy,
                &input.group_name,
                Vec::new(),
            )
            .await?;
        self.store
            .delete_inline_policy(
                &store::Principal::group(&group.group_id),
                &input.policy_name,
            )
            .await?;
        Ok(())
    }

    pub(super) async fn list_group_policies(
        &self,
        caller: &Caller,
        input: ListGroupPoliciesRequest,
    ) -> ServiceResult<ListGroupPoliciesResponse> {
        let group = self
            .group_for(
                caller,
                Operation::ListGroupPolicies,
                &input.group_name,
                Vec::new(),
            )
            .await?;
        let names: Vec<String> = self
            .store
            .list_inline_policies(&store::Principal::group(&group.group_id))
            .await?
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        let (page, marker) = self.page_of(
            caller,
            Operation::ListGroupPolicies,
            &names,
            input.marker.as_deref(),
            input.max_items,
        )?;
        Ok(ListGroupPoliciesResponse {
            policy_names: page,
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(super) async fn attach_group_policy(
        &self,
        caller: &Caller,
        input: AttachGroupPolicyRequest,
    ) -> ServiceResult<()> {
        let group = self
            .group_for(
                caller,
                Operation::AttachGroupPolicy,
                &input.group_name,
                policy_arn_context(Operation::AttachGroupPolicy, &input.policy_arn),
            )
            .await?;
        self.attachable(caller, &input.policy_arn).await?;
        self.store
            .attach_policy(&store::Principal::group(&group.group_id), &input.policy_arn)
            .await?;
        Ok(())
    }

    pub(super) async fn detach_group_policy(
        &self,
        caller: &Caller,
        input: DetachGroupPolicyRequest,
    ) -> ServiceResult<()> {
        let group = self
            .group_for(
                caller,
                Operation::DetachGroupPolicy,
                &input.group_name,
                policy_arn_context(Operation::DetachGroupPolicy, &input.policy_arn),
            )
            .await?;
        self.store
            .detach_policy(&store::Principal::group(&group.group_id), &input.policy_arn)
            .await?;
        Ok(())
    }

    pub(super) async fn list_attached_group_policies(
        &self,
        caller: &Caller,
        input: ListAttachedGroupPoliciesRequest,
    ) -> ServiceResult<ListAttachedGroupPoliciesResponse> {
        let group = self
            .group_for(
                caller,
                Operation::ListAttachedGroupPolicies,
                &input.group_name,
                Vec::new(),
            )
            .await?;
        let attached = self
            .attached_policies(
                &store::Principal::group(&group.group_id),
                input.path_prefix.as_deref(),
            )
            .await?;
        let (page, marker) = self.page_of(
            caller,
            Operation::ListAttachedGroupPolicies,
            &attached,
            input.marker.as_deref(),
            input.max_items,
        )?;
        Ok(ListAttachedGroupPoliciesResponse {
            attached_policies: Some(page),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }
}
