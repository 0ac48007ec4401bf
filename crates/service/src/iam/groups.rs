//! Groups: CRUD, membership, group inline and attached policies.

use policy::ContextValue;
use store::{GroupRecord, NewGroup, Page, StoreError};
use wire::iam::{
    CreateGroupResponse, GetGroupPolicyResponse, GetGroupResponse, Group,
    ListAttachedGroupPoliciesResponse, ListGroupPoliciesResponse, ListGroupsForUserResponse,
    ListGroupsResponse, Operation, Request, Response,
};

use super::{check_path, timestamp, uri_encode, user_view};
use crate::caller::{Caller, group_arn};
use crate::error::{ServiceError, ServiceResult};
use crate::ids::{IdKind, new_unique_id};
use crate::service::Service;

/// Inline policies of one group may total this many characters (white space excluded).
const GROUP_INLINE_POLICY_TOTAL: usize = 5_120;

/// The operations this module answers.
pub(super) const OPERATIONS: &[Operation] = &[
    Operation::CreateGroup,
    Operation::GetGroup,
    Operation::UpdateGroup,
    Operation::DeleteGroup,
    Operation::ListGroups,
    Operation::AddUserToGroup,
    Operation::RemoveUserFromGroup,
    Operation::ListGroupsForUser,
    Operation::PutGroupPolicy,
    Operation::GetGroupPolicy,
    Operation::DeleteGroupPolicy,
    Operation::ListGroupPolicies,
    Operation::AttachGroupPolicy,
    Operation::DetachGroupPolicy,
    Operation::ListAttachedGroupPolicies,
];

fn group_view(group: &GroupRecord) -> Group {
    Group {
        path: group.path.clone(),
        group_name: group.name.clone(),
        group_id: group.group_id.clone(),
        arn: group_arn(&group.account_id, &group.path, &group.name),
        create_date: timestamp(group.created_at),
    }
}

/// The `iam:PolicyARN` context of attaching or detaching a managed policy.
fn policy_arn_context(arn: &str) -> Vec<(String, ContextValue)> {
    vec![(
        "iam:PolicyARN".to_owned(),
        ContextValue::Single(arn.to_owned()),
    )]
}

impl Service {
    /// Looks a group up for an operation, authorizing first: an unknown group is reported
    /// only to callers allowed to act on that name, so existence does not leak.
    async fn group_for(
        &self,
        caller: &Caller,
        action: &str,
        name: &str,
        extra: Vec<(String, ContextValue)>,
    ) -> ServiceResult<GroupRecord> {
        match self.store.get_group(&caller.account_id, name).await {
            Ok(group) => {
                let arn = group_arn(&group.account_id, &group.path, &group.name);
                self.allow(caller, action, &arn, extra).await?;
                Ok(group)
            }
            Err(StoreError::NoSuchEntity { .. }) => {
                self.allow(
                    caller,
                    action,
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

    /// Runs one of [`OPERATIONS`].
    pub(super) async fn group_operation(
        &self,
        caller: &Caller,
        request: Request,
    ) -> ServiceResult<Response> {
        let account = caller.account_id.clone();
        match request {
            Request::CreateGroup(input) => {
                let path = input.path.unwrap_or_else(|| "/".to_owned());
                check_path(&path)?;
                let arn = group_arn(&account, &path, &input.group_name);
                self.allow(caller, "iam:CreateGroup", &arn, Vec::new())
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
                Ok(Response::CreateGroup(CreateGroupResponse {
                    group: group_view(&group),
                }))
            }
            Request::GetGroup(input) => {
                let group = self
                    .group_for(caller, "iam:GetGroup", &input.group_name, Vec::new())
                    .await?;
                let Page { items, next_marker } = self
                    .store
                    .list_users_in_group(
                        &account,
                        &group.name,
                        &self.list_options(
                            caller,
                            "GetGroup",
                            None,
                            input.marker.as_deref(),
                            input.max_items,
                        )?,
                    )
                    .await?;
                Ok(Response::GetGroup(GetGroupResponse {
                    group: group_view(&group),
                    users: items.iter().map(|u| user_view(u, None)).collect(),
                    is_truncated: Some(next_marker.is_some()),
                    marker: self.next_marker(caller, "GetGroup", next_marker)?,
                }))
            }
            Request::UpdateGroup(input) => {
                if let Some(path) = &input.new_path {
                    check_path(path)?;
                }
                let group = self
                    .group_for(caller, "iam:UpdateGroup", &input.group_name, Vec::new())
                    .await?;
                let new_name = input.new_group_name.as_deref().unwrap_or(&group.name);
                let new_path = input.new_path.as_deref().unwrap_or(&group.path);
                let new_arn = group_arn(&account, new_path, new_name);
                let old_arn = group_arn(&account, &group.path, &group.name);
                // AWS requires permission on the group under its old and its new name.
                self.allow_rename(caller, "iam:UpdateGroup", &old_arn, &new_arn, Vec::new())
                    .await?;
                self.store
                    .update_group(
                        &account,
                        &group.name,
                        input.new_group_name.as_deref(),
                        input.new_path.as_deref(),
                    )
                    .await?;
                Ok(Response::UpdateGroup)
            }
            Request::DeleteGroup(input) => {
                let group = self
                    .group_for(caller, "iam:DeleteGroup", &input.group_name, Vec::new())
                    .await?;
                self.store.delete_group(&account, &group.name).await?;
                Ok(Response::DeleteGroup)
            }
            Request::ListGroups(input) => {
                self.allow(
                    caller,
                    "iam:ListGroups",
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
                            "ListGroups",
                            input.path_prefix,
                            input.marker.as_deref(),
                            input.max_items,
                        )?,
                    )
                    .await?;
                Ok(Response::ListGroups(ListGroupsResponse {
                    groups: items.iter().map(group_view).collect(),
                    is_truncated: Some(next_marker.is_some()),
                    marker: self.next_marker(caller, "ListGroups", next_marker)?,
                }))
            }
            Request::AddUserToGroup(input) => {
                // AWS authorizes membership changes on the group, not on the user.
                let group = self
                    .group_for(caller, "iam:AddUserToGroup", &input.group_name, Vec::new())
                    .await?;
                self.store
                    .add_user_to_group(&account, &group.name, &input.user_name)
                    .await?;
                Ok(Response::AddUserToGroup)
            }
            Request::RemoveUserFromGroup(input) => {
                let group = self
                    .group_for(
                        caller,
                        "iam:RemoveUserFromGroup",
                        &input.group_name,
                        Vec::new(),
                    )
                    .await?;
                self.store
                    .remove_user_from_group(&account, &group.name, &input.user_name)
                    .await?;
                Ok(Response::RemoveUserFromGroup)
            }
            Request::ListGroupsForUser(input) => {
                // The resource of ListGroupsForUser is the user.
                let user = self
                    .user_for(
                        caller,
                        "iam:ListGroupsForUser",
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
                            "ListGroupsForUser",
                            None,
                            input.marker.as_deref(),
                            input.max_items,
                        )?,
                    )
                    .await?;
                Ok(Response::ListGroupsForUser(ListGroupsForUserResponse {
                    groups: items.iter().map(group_view).collect(),
                    is_truncated: Some(next_marker.is_some()),
                    marker: self.next_marker(caller, "ListGroupsForUser", next_marker)?,
                }))
            }
            Request::PutGroupPolicy(input) => {
                let group = self
                    .group_for(caller, "iam:PutGroupPolicy", &input.group_name, Vec::new())
                    .await?;
                self.put_inline_policy(
                    &store::Principal::group(&group.group_id),
                    &format!("group {}", group.name),
                    &input.policy_name,
                    &input.policy_document,
                    GROUP_INLINE_POLICY_TOTAL,
                )
                .await?;
                Ok(Response::PutGroupPolicy)
            }
            Request::GetGroupPolicy(input) => {
                let group = self
                    .group_for(caller, "iam:GetGroupPolicy", &input.group_name, Vec::new())
                    .await?;
                let document = self
                    .store
                    .get_inline_policy(
                        &store::Principal::group(&group.group_id),
                        &input.policy_name,
                    )
                    .await?;
                Ok(Response::GetGroupPolicy(GetGroupPolicyResponse {
                    group_name: group.name,
                    policy_name: input.policy_name,
                    policy_document: uri_encode(&document),
                }))
            }
            Request::DeleteGroupPolicy(input) => {
                let group = self
                    .group_for(
                        caller,
                        "iam:DeleteGroupPolicy",
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
                Ok(Response::DeleteGroupPolicy)
            }
            Request::ListGroupPolicies(input) => {
                let group = self
                    .group_for(
                        caller,
                        "iam:ListGroupPolicies",
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
                    "ListGroupPolicies",
                    &names,
                    input.marker.as_deref(),
                    input.max_items,
                )?;
                Ok(Response::ListGroupPolicies(ListGroupPoliciesResponse {
                    policy_names: page,
                    is_truncated: Some(marker.is_some()),
                    marker,
                }))
            }
            Request::AttachGroupPolicy(input) => {
                let group = self
                    .group_for(
                        caller,
                        "iam:AttachGroupPolicy",
                        &input.group_name,
                        policy_arn_context(&input.policy_arn),
                    )
                    .await?;
                self.attachable(caller, &input.policy_arn).await?;
                self.store
                    .attach_policy(&store::Principal::group(&group.group_id), &input.policy_arn)
                    .await?;
                Ok(Response::AttachGroupPolicy)
            }
            Request::DetachGroupPolicy(input) => {
                let group = self
                    .group_for(
                        caller,
                        "iam:DetachGroupPolicy",
                        &input.group_name,
                        policy_arn_context(&input.policy_arn),
                    )
                    .await?;
                self.store
                    .detach_policy(&store::Principal::group(&group.group_id), &input.policy_arn)
                    .await?;
                Ok(Response::DetachGroupPolicy)
            }
            Request::ListAttachedGroupPolicies(input) => {
                let group = self
                    .group_for(
                        caller,
                        "iam:ListAttachedGroupPolicies",
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
                    "ListAttachedGroupPolicies",
                    &attached,
                    input.marker.as_deref(),
                    input.max_items,
                )?;
                Ok(Response::ListAttachedGroupPolicies(
                    ListAttachedGroupPoliciesResponse {
                        attached_policies: Some(page),
                        is_truncated: Some(marker.is_some()),
                        marker,
                    },
                ))
            }
            other => Err(ServiceError::not_implemented(other.operation().name())),
        }
    }
}
