//! Groups: CRUD, membership, group inline and attached policies.

use store::{GroupRecord, NewGroup, Page};
use wire::iam::{
    AddUserToGroupRequest, AttachGroupPolicyRequest, CreateGroupRequest, CreateGroupResponse,
    DeleteGroupPolicyRequest, DeleteGroupRequest, DetachGroupPolicyRequest, GetGroupPolicyRequest,
    GetGroupPolicyResponse, GetGroupRequest, GetGroupResponse, Group,
    ListAttachedGroupPoliciesRequest, ListAttachedGroupPoliciesResponse, ListGroupPoliciesRequest,
    ListGroupPoliciesResponse, ListGroupsForUserRequest, ListGroupsForUserResponse,
    ListGroupsRequest, ListGroupsResponse, Operation, PutGroupPolicyRequest,
    RemoveUserFromGroupRequest, UpdateGroupRequest,
};

use super::{Groups, Users, check_path, timestamp, user_view};
use crate::caller::{Caller, group_arn};
use crate::error::ServiceResult;
use crate::ids::{IdKind, new_unique_id};
use crate::service::Service;

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
            .group(caller, Operation::GetGroup, &input.group_name)
            .await?;
        let Page { items, next_marker } = self
            .reads()
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
            users: items.into_iter().map(|u| user_view(u, None)).collect(),
            is_truncated: Some(next_marker.is_some()),
            marker: self.next_marker(caller, Operation::GetGroup, next_marker)?,
        })
    }

    pub(super) async fn update_group(
        &self,
        caller: &Caller,
        input: UpdateGroupRequest,
    ) -> ServiceResult<()> {
        let renamed = (input.new_group_name.as_deref(), input.new_path.as_deref());
        let group = self
            .entity_to_rename::<Groups>(caller, Operation::UpdateGroup, &input.group_name, renamed)
            .await?;
        self.store
            .update_group(&group.account_id, &group.name, renamed.0, renamed.1)
            .await?;
        Ok(())
    }

    pub(super) async fn delete_group(
        &self,
        caller: &Caller,
        input: DeleteGroupRequest,
    ) -> ServiceResult<()> {
        let group = self
            .group(caller, Operation::DeleteGroup, &input.group_name)
            .await?;
        self.store
            .delete_group(&group.account_id, &group.name)
            .await?;
        Ok(())
    }

    pub(super) async fn list_groups(
        &self,
        caller: &Caller,
        input: ListGroupsRequest,
    ) -> ServiceResult<ListGroupsResponse> {
        let account = caller.account_id.clone();
        self.authorize_listing(caller, Operation::ListGroups)
            .await?;
        let Page { items, next_marker } = self
            .reads()
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
            .group(caller, Operation::AddUserToGroup, &input.group_name)
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
            .group(caller, Operation::RemoveUserFromGroup, &input.group_name)
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
            .entity::<Users>(
                caller,
                Operation::ListGroupsForUser.action(),
                &input.user_name,
                Vec::new(),
            )
            .await?;
        let Page { items, next_marker } = self
            .reads()
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
        let policy = (input.policy_name.as_str(), input.policy_document.as_str());
        self.put_inline::<Groups>(caller, Operation::PutGroupPolicy, &input.group_name, policy)
            .await
    }

    pub(super) async fn get_group_policy(
        &self,
        caller: &Caller,
        input: GetGroupPolicyRequest,
    ) -> ServiceResult<GetGroupPolicyResponse> {
        let (group_name, policy_document) = self
            .get_inline::<Groups>(
                caller,
                Operation::GetGroupPolicy,
                &input.group_name,
                &input.policy_name,
            )
            .await?;
        Ok(GetGroupPolicyResponse {
            group_name,
            policy_name: input.policy_name,
            policy_document,
        })
    }

    pub(super) async fn delete_group_policy(
        &self,
        caller: &Caller,
        input: DeleteGroupPolicyRequest,
    ) -> ServiceResult<()> {
        self.delete_inline::<Groups>(
            caller,
            Operation::DeleteGroupPolicy,
            &input.group_name,
            &input.policy_name,
        )
        .await
    }

    pub(super) async fn list_group_policies(
        &self,
        caller: &Caller,
        input: ListGroupPoliciesRequest,
    ) -> ServiceResult<ListGroupPoliciesResponse> {
        let page = (input.marker.as_deref(), input.max_items);
        let (policy_names, marker) = self
            .list_inline::<Groups>(
                caller,
                Operation::ListGroupPolicies,
                &input.group_name,
                page,
            )
            .await?;
        Ok(ListGroupPoliciesResponse {
            policy_names,
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(super) async fn attach_group_policy(
        &self,
        caller: &Caller,
        input: AttachGroupPolicyRequest,
    ) -> ServiceResult<()> {
        self.attach::<Groups>(
            caller,
            Operation::AttachGroupPolicy,
            &input.group_name,
            &input.policy_arn,
        )
        .await
    }

    pub(super) async fn detach_group_policy(
        &self,
        caller: &Caller,
        input: DetachGroupPolicyRequest,
    ) -> ServiceResult<()> {
        self.detach::<Groups>(
            caller,
            Operation::DetachGroupPolicy,
            &input.group_name,
            &input.policy_arn,
        )
        .await
    }

    pub(super) async fn list_attached_group_policies(
        &self,
        caller: &Caller,
        input: ListAttachedGroupPoliciesRequest,
    ) -> ServiceResult<ListAttachedGroupPoliciesResponse> {
        let page = (input.marker.as_deref(), input.max_items);
        let (attached, marker) = self
            .list_attached::<Groups>(
                caller,
                Operation::ListAttachedGroupPolicies,
                &input.group_name,
                input.path_prefix.as_deref(),
                page,
            )
            .await?;
        Ok(ListAttachedGroupPoliciesResponse {
            attached_policies: Some(attached),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    /// The group an operation names, authorized (see [`Service::entity`]).
    async fn group(
        &self,
        caller: &Caller,
        operation: Operation,
        name: &str,
    ) -> ServiceResult<GroupRecord> {
        self.entity::<Groups>(caller, operation.action(), name, Vec::new())
            .await
    }
}
