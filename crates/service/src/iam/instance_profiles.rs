//! Instance profiles: CRUD, their role, tags.

use store::{InstanceProfileRecord, ListOptions, NewInstanceProfile, Page};
use wire::iam::{
    AddRoleToInstanceProfileRequest, CreateInstanceProfileRequest, CreateInstanceProfileResponse,
    DeleteInstanceProfileRequest, GetInstanceProfileRequest, GetInstanceProfileResponse,
    InstanceProfile, ListInstanceProfileTagsRequest, ListInstanceProfileTagsResponse,
    ListInstanceProfilesForRoleRequest, ListInstanceProfilesForRoleResponse,
    ListInstanceProfilesRequest, ListInstanceProfilesResponse, Operation,
    RemoveRoleFromInstanceProfileRequest, TagInstanceProfileRequest, UntagInstanceProfileRequest,
};

use super::entity::profile_arn;
use super::roles::{role_view, single};
use super::{InstanceProfiles, Roles, check_path, timestamp};
use crate::caller::Caller;
use crate::error::ServiceResult;
use crate::ids::{IdKind, new_unique_id};
use crate::service::Service;

/// The service a role handed to an instance profile is passed to.
const EC2_SERVICE: &str = "ec2.amazonaws.com";

pub(super) fn profile_view(
    profile: &InstanceProfileRecord,
    tags: Option<Vec<wire::iam::Tag>>,
) -> InstanceProfile {
    InstanceProfile {
        path: profile.path.clone(),
        instance_profile_name: profile.name.clone(),
        instance_profile_id: profile.instance_profile_id.clone(),
        arn: profile_arn(&profile.account_id, &profile.path, &profile.name),
        create_date: timestamp(profile.created_at),
        roles: profile
            .roles
            .iter()
            .map(|r| role_view(r, None, false))
            .collect(),
        tags,
    }
}

impl Service {
    /// An instance profile with the trust policies of its roles rendered for a response.
    pub(super) async fn rendered_profile(
        &self,
        mut profile: InstanceProfileRecord,
    ) -> ServiceResult<InstanceProfileRecord> {
        let mut roles = Vec::with_capacity(profile.roles.len());
        for role in profile.roles {
            roles.push(self.rendered_role(role).await?);
        }
        profile.roles = roles;
        Ok(profile)
    }

    pub(super) async fn create_instance_profile(
        &self,
        caller: &Caller,
        input: CreateInstanceProfileRequest,
    ) -> ServiceResult<CreateInstanceProfileResponse> {
        let account = caller.account_id.clone();
        let path = input.path.unwrap_or_else(|| "/".to_owned());
        check_path(&path)?;
        let tags = input.tags.unwrap_or_default();
        let arn = profile_arn(&account, &path, &input.instance_profile_name);
        let operations = (
            Operation::CreateInstanceProfile,
            Operation::TagInstanceProfile,
        );
        let stored_tags = self
            .allow_creation(caller, operations, &arn, &tags, Vec::new())
            .await?;
        let profile = self
            .store
            .create_instance_profile(&NewInstanceProfile {
                account_id: account,
                instance_profile_id: new_unique_id(IdKind::InstanceProfile)?,
                name: input.instance_profile_name,
                path,
                tags: stored_tags,
                created_at: self.clock.seconds(),
            })
            .await?;
        let tags = (!tags.is_empty()).then_some(tags);
        Ok(CreateInstanceProfileResponse {
            instance_profile: profile_view(&profile, tags),
        })
    }

    pub(super) async fn get_instance_profile(
        &self,
        caller: &Caller,
        input: GetInstanceProfileRequest,
    ) -> ServiceResult<GetInstanceProfileResponse> {
        let (profile, tags) = self
            .entity_with_tags::<InstanceProfiles>(
                caller,
                Operation::GetInstanceProfile.action(),
                &input.instance_profile_name,
            )
            .await?;
        let profile = self.rendered_profile(profile).await?;
        Ok(GetInstanceProfileResponse {
            instance_profile: profile_view(&profile, tags),
        })
    }

    pub(super) async fn delete_instance_profile(
        &self,
        caller: &Caller,
        input: DeleteInstanceProfileRequest,
    ) -> ServiceResult<()> {
        let account = caller.account_id.clone();
        self.entity::<InstanceProfiles>(
            caller,
            Operation::DeleteInstanceProfile.action(),
            &input.instance_profile_name,
            Vec::new(),
        )
        .await?;
        self.store
            .delete_instance_profile(&account, &input.instance_profile_name)
            .await?;
        Ok(())
    }

    pub(super) async fn list_instance_profiles(
        &self,
        caller: &Caller,
        input: ListInstanceProfilesRequest,
    ) -> ServiceResult<ListInstanceProfilesResponse> {
        let account = caller.account_id.clone();
        self.allow(
            caller,
            Operation::ListInstanceProfiles,
            &profile_arn(&account, "/", ""),
            Vec::new(),
        )
        .await?;
        let Page { items, next_marker } = self
            .reads()
            .list_instance_profiles(
                &account,
                &self.list_options(
                    caller,
                    Operation::ListInstanceProfiles,
                    input.path_prefix,
                    input.marker.as_deref(),
                    input.max_items,
                )?,
            )
            .await?;
        let mut instance_profiles = Vec::with_capacity(items.len());
        for profile in items {
            instance_profiles.push(profile_view(&self.rendered_profile(profile).await?, None));
        }
        Ok(ListInstanceProfilesResponse {
            instance_profiles,
            is_truncated: Some(next_marker.is_some()),
            marker: self.next_marker(caller, Operation::ListInstanceProfiles, next_marker)?,
        })
    }

    pub(super) async fn list_instance_profiles_for_role(
        &self,
        caller: &Caller,
        input: ListInstanceProfilesForRoleRequest,
    ) -> ServiceResult<ListInstanceProfilesForRoleResponse> {
        let account = caller.account_id.clone();
        self.entity::<Roles>(
            caller,
            Operation::ListInstanceProfilesForRole.action(),
            &input.role_name,
            Vec::new(),
        )
        .await?;
        let options = ListOptions {
            path_prefix: None,
            ..self.list_options(
                caller,
                Operation::ListInstanceProfilesForRole,
                None,
                input.marker.as_deref(),
                input.max_items,
            )?
        };
        let Page { items, next_marker } = self
            .reads()
            .list_instance_profiles_for_role(&account, &input.role_name, &options)
            .await?;
        let mut instance_profiles = Vec::with_capacity(items.len());
        for profile in items {
            instance_profiles.push(profile_view(&self.rendered_profile(profile).await?, None));
        }
        Ok(ListInstanceProfilesForRoleResponse {
            instance_profiles,
            is_truncated: Some(next_marker.is_some()),
            marker: self.next_marker(
                caller,
                Operation::ListInstanceProfilesForRole,
                next_marker,
            )?,
        })
    }

    pub(super) async fn add_role_to_instance_profile(
        &self,
        caller: &Caller,
        input: AddRoleToInstanceProfileRequest,
    ) -> ServiceResult<()> {
        let account = caller.account_id.clone();
        self.entity::<InstanceProfiles>(
            caller,
            Operation::AddRoleToInstanceProfile.action(),
            &input.instance_profile_name,
            Vec::new(),
        )
        .await?;
        // The role goes to EC2 with the profile: the caller must be allowed to pass it.
        self.entity::<Roles>(
            caller,
            "iam:PassRole",
            &input.role_name,
            single("iam:PassedToService", EC2_SERVICE),
        )
        .await?;
        self.store
            .add_role_to_instance_profile(&account, &input.instance_profile_name, &input.role_name)
            .await?;
        Ok(())
    }

    pub(super) async fn remove_role_from_instance_profile(
        &self,
        caller: &Caller,
        input: RemoveRoleFromInstanceProfileRequest,
    ) -> ServiceResult<()> {
        let account = caller.account_id.clone();
        self.entity::<InstanceProfiles>(
            caller,
            Operation::RemoveRoleFromInstanceProfile.action(),
            &input.instance_profile_name,
            Vec::new(),
        )
        .await?;
        self.store
            .remove_role_from_instance_profile(
                &account,
                &input.instance_profile_name,
                &input.role_name,
            )
            .await?;
        Ok(())
    }

    pub(super) async fn tag_instance_profile(
        &self,
        caller: &Caller,
        input: TagInstanceProfileRequest,
    ) -> ServiceResult<()> {
        self.tag_entity::<InstanceProfiles>(
            caller,
            Operation::TagInstanceProfile,
            &input.instance_profile_name,
            &input.tags,
        )
        .await
    }
    pub(super) async fn untag_instance_profile(
        &self,
        caller: &Caller,
        input: UntagInstanceProfileRequest,
    ) -> ServiceResult<()> {
        self.untag_entity::<InstanceProfiles>(
            caller,
            Operation::UntagInstanceProfile,
            &input.instance_profile_name,
            &input.tag_keys,
        )
        .await
    }
    pub(super) async fn list_instance_profile_tags(
        &self,
        caller: &Caller,
        input: ListInstanceProfileTagsRequest,
    ) -> ServiceResult<ListInstanceProfileTagsResponse> {
        let page = (input.marker.as_deref(), input.max_items);
        let (tags, marker) = self
            .list_entity_tags::<InstanceProfiles>(
                caller,
                Operation::ListInstanceProfileTags,
                &input.instance_profile_name,
                page,
            )
            .await?;
        Ok(ListInstanceProfileTagsResponse {
            tags,
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }
}
