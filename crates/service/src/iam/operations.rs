//! The one implementation of the models' IAM operation surface: each operation built so far
//! forwards to its inherent method in the area module that owns it; every other operation
//! keeps the generated default, `NotImplemented`.

use std::future::Future;

use wire::iam::{
    AddClientIDToOpenIDConnectProviderRequest, CreateOpenIDConnectProviderRequest,
    CreateOpenIDConnectProviderResponse, CreateSAMLProviderRequest, CreateSAMLProviderResponse,
    DeleteOpenIDConnectProviderRequest, DeleteSAMLProviderRequest, GetOpenIDConnectProviderRequest,
    GetOpenIDConnectProviderResponse, GetSAMLProviderRequest, GetSAMLProviderResponse,
    ListOpenIDConnectProviderTagsRequest, ListOpenIDConnectProviderTagsResponse,
    ListOpenIDConnectProvidersRequest, ListOpenIDConnectProvidersResponse,
    ListSAMLProviderTagsRequest, ListSAMLProviderTagsResponse, ListSAMLProvidersRequest,
    ListSAMLProvidersResponse, RemoveClientIDFromOpenIDConnectProviderRequest,
    TagOpenIDConnectProviderRequest, TagSAMLProviderRequest, UntagOpenIDConnectProviderRequest,
    UntagSAMLProviderRequest, UpdateOpenIDConnectProviderThumbprintRequest,
    UpdateSAMLProviderRequest, UpdateSAMLProviderResponse,
};
use wire::iam::{
    AddRoleToInstanceProfileRequest, AddUserToGroupRequest, AttachGroupPolicyRequest,
    AttachRolePolicyRequest, AttachUserPolicyRequest, ChangePasswordRequest,
    CreateAccessKeyRequest, CreateAccessKeyResponse, CreateAccountAliasRequest, CreateGroupRequest,
    CreateGroupResponse, CreateInstanceProfileRequest, CreateInstanceProfileResponse,
    CreateLoginProfileRequest, CreateLoginProfileResponse, CreatePolicyRequest,
    CreatePolicyResponse, CreatePolicyVersionRequest, CreatePolicyVersionResponse,
    CreateRoleRequest, CreateRoleResponse, CreateServiceLinkedRoleRequest,
    CreateServiceLinkedRoleResponse, CreateUserRequest, CreateUserResponse, DeleteAccessKeyRequest,
    DeleteAccountAliasRequest, DeleteGroupPolicyRequest, DeleteGroupRequest,
    DeleteInstanceProfileRequest, DeleteLoginProfileRequest, DeletePolicyRequest,
    DeletePolicyVersionRequest, DeleteRolePermissionsBoundaryRequest, DeleteRolePolicyRequest,
    DeleteRoleRequest, DeleteServiceLinkedRoleRequest, DeleteServiceLinkedRoleResponse,
    DeleteUserPermissionsBoundaryRequest, DeleteUserPolicyRequest, DeleteUserRequest,
    DetachGroupPolicyRequest, DetachRolePolicyRequest, DetachUserPolicyRequest,
    EnableOutboundWebIdentityFederationResponse, GetAccessKeyLastUsedRequest,
    GetAccessKeyLastUsedResponse, GetAccountAuthorizationDetailsRequest,
    GetAccountAuthorizationDetailsResponse, GetAccountPasswordPolicyResponse,
    GetAccountSummaryResponse, GetGroupPolicyRequest, GetGroupPolicyResponse, GetGroupRequest,
    GetGroupResponse, GetInstanceProfileRequest, GetInstanceProfileResponse,
    GetLoginProfileRequest, GetLoginProfileResponse, GetOutboundWebIdentityFederationInfoResponse,
    GetPolicyRequest, GetPolicyResponse, GetPolicyVersionRequest, GetPolicyVersionResponse,
    GetRolePolicyRequest, GetRolePolicyResponse, GetRoleRequest, GetRoleResponse,
    GetServiceLinkedRoleDeletionStatusRequest, GetServiceLinkedRoleDeletionStatusResponse,
    GetUserPolicyRequest, GetUserPolicyResponse, GetUserRequest, GetUserResponse,
    ListAccessKeysRequest, ListAccessKeysResponse, ListAccountAliasesRequest,
    ListAccountAliasesResponse, ListAttachedGroupPoliciesRequest,
    ListAttachedGroupPoliciesResponse, ListAttachedRolePoliciesRequest,
    ListAttachedRolePoliciesResponse, ListAttachedUserPoliciesRequest,
    ListAttachedUserPoliciesResponse, ListEntitiesForPolicyRequest, ListEntitiesForPolicyResponse,
    ListGroupPoliciesRequest, ListGroupPoliciesResponse, ListGroupsForUserRequest,
    ListGroupsForUserResponse, ListGroupsRequest, ListGroupsResponse,
    ListInstanceProfileTagsRequest, ListInstanceProfileTagsResponse,
    ListInstanceProfilesForRoleRequest, ListInstanceProfilesForRoleResponse,
    ListInstanceProfilesRequest, ListInstanceProfilesResponse, ListPoliciesRequest,
    ListPoliciesResponse, ListPolicyTagsRequest, ListPolicyTagsResponse, ListPolicyVersionsRequest,
    ListPolicyVersionsResponse, ListRolePoliciesRequest, ListRolePoliciesResponse,
    ListRoleTagsRequest, ListRoleTagsResponse, ListRolesRequest, ListRolesResponse,
    ListUserPoliciesRequest, ListUserPoliciesResponse, ListUserTagsRequest, ListUserTagsResponse,
    ListUsersRequest, ListUsersResponse, PutGroupPolicyRequest, PutRolePermissionsBoundaryRequest,
    PutRolePolicyRequest, PutUserPermissionsBoundaryRequest, PutUserPolicyRequest,
    RemoveRoleFromInstanceProfileRequest, RemoveUserFromGroupRequest,
    SetDefaultPolicyVersionRequest, TagInstanceProfileRequest, TagPolicyRequest, TagRoleRequest,
    TagUserRequest, UntagInstanceProfileRequest, UntagPolicyRequest, UntagRoleRequest,
    UntagUserRequest, UpdateAccessKeyRequest, UpdateAccountPasswordPolicyRequest,
    UpdateAssumeRolePolicyRequest, UpdateGroupRequest, UpdateLoginProfileRequest,
    UpdateRoleDescriptionRequest, UpdateRoleDescriptionResponse, UpdateRoleRequest,
    UpdateRoleResponse, UpdateUserRequest,
};
use wire::iam::{
    CreateServiceSpecificCredentialRequest, CreateServiceSpecificCredentialResponse,
    DeleteSSHPublicKeyRequest, DeleteServiceSpecificCredentialRequest,
    DeleteSigningCertificateRequest, GetSSHPublicKeyRequest, GetSSHPublicKeyResponse,
    ListSSHPublicKeysRequest, ListSSHPublicKeysResponse, ListServiceSpecificCredentialsRequest,
    ListServiceSpecificCredentialsResponse, ListSigningCertificatesRequest,
    ListSigningCertificatesResponse, ResetServiceSpecificCredentialRequest,
    ResetServiceSpecificCredentialResponse, UpdateSSHPublicKeyRequest,
    UpdateServiceSpecificCredentialRequest, UpdateSigningCertificateRequest,
    UploadSSHPublicKeyRequest, UploadSSHPublicKeyResponse, UploadSigningCertificateRequest,
    UploadSigningCertificateResponse,
};
use wire::iam::{
    CreateVirtualMFADeviceRequest, CreateVirtualMFADeviceResponse, DeactivateMFADeviceRequest,
    DeleteVirtualMFADeviceRequest, EnableMFADeviceRequest, GetMFADeviceRequest,
    GetMFADeviceResponse, ListMFADeviceTagsRequest, ListMFADeviceTagsResponse,
    ListMFADevicesRequest, ListMFADevicesResponse, ListVirtualMFADevicesRequest,
    ListVirtualMFADevicesResponse, ResyncMFADeviceRequest, TagMFADeviceRequest,
    UntagMFADeviceRequest,
};
use wire::iam::{
    DeleteServerCertificateRequest, GetAccountPropertiesRequest, GetAccountPropertiesResponse,
    GetServerCertificateRequest, GetServerCertificateResponse, ListServerCertificateTagsRequest,
    ListServerCertificateTagsResponse, ListServerCertificatesRequest,
    ListServerCertificatesResponse, PutAccountPropertiesRequest, PutAccountPropertiesResponse,
    SetSecurityTokenServicePreferencesRequest, TagServerCertificateRequest,
    UntagServerCertificateRequest, UpdateServerCertificateRequest, UploadServerCertificateRequest,
    UploadServerCertificateResponse,
};
use wire::iam::{GenerateCredentialReportResponse, GetCredentialReportResponse};
use wire::iam::{
    GenerateOrganizationsAccessReportRequest, GenerateOrganizationsAccessReportResponse,
    GetOrganizationsAccessReportRequest, GetOrganizationsAccessReportResponse,
};
use wire::iam::{
    GenerateServiceLastAccessedDetailsRequest, GenerateServiceLastAccessedDetailsResponse,
    GetServiceLastAccessedDetailsRequest, GetServiceLastAccessedDetailsResponse,
    GetServiceLastAccessedDetailsWithEntitiesRequest,
    GetServiceLastAccessedDetailsWithEntitiesResponse, ListPoliciesGrantingServiceAccessRequest,
    ListPoliciesGrantingServiceAccessResponse,
};
use wire::iam::{
    GetContextKeysForCustomPolicyRequest, GetContextKeysForPolicyResponse,
    GetContextKeysForPrincipalPolicyRequest, SimulateCustomPolicyRequest, SimulatePolicyResponse,
    SimulatePrincipalPolicyRequest,
};
use wire::iam::{IamOperations, Operation};

use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::service::Service;

/// The trait's implementation and the list of operations built, from one table: each entry
/// forwards to the inherent method of the same name (inherent methods take precedence, so
/// `Service::$method` is never the trait's own).
macro_rules! operations {
    (
        without_input { $($bare:ident: $bare_method:ident() -> $bare_output:ty;)* }
        with_input { $($operation:ident: $method:ident($input:ty) -> $output:ty;)* }
    ) => {
        impl IamOperations for Service {
            type Context = Caller;
            type Error = ServiceError;

            fn not_implemented(&self, operation: Operation) -> ServiceError {
                ServiceError::not_implemented(operation.name())
            }

            // Each operation's future is boxed: the dispatch over every operation would
            // otherwise be as large as the largest of them, on the stack of every request
            // (debug builds overflowed a 2 MiB thread stack). One allocation per request.
            $(
                fn $bare_method(
                    &self,
                    caller: &Caller,
                ) -> impl Future<Output = ServiceResult<$bare_output>> + Send {
                    Box::pin(Service::$bare_method(self, caller))
                }
            )*

            $(
                fn $method(
                    &self,
                    caller: &Caller,
                    input: $input,
                ) -> impl Future<Output = ServiceResult<$output>> + Send {
                    Box::pin(Service::$method(self, caller, input))
                }
            )*
        }

        /// The operations that do not answer `NotImplemented`.
        #[cfg(test)]
        pub(super) const BUILT: &[Operation] = &[$(Operation::$bare,)* $(Operation::$operation,)*];
    };
}

operations! {
    without_input {
        DeleteAccountPasswordPolicy: delete_account_password_policy() -> ();
        DisableOutboundWebIdentityFederation: disable_outbound_web_identity_federation() -> ();
        EnableOutboundWebIdentityFederation: enable_outbound_web_identity_federation()
            -> EnableOutboundWebIdentityFederationResponse;
        GenerateCredentialReport: generate_credential_report()
            -> GenerateCredentialReportResponse;
        GetAccountPasswordPolicy: get_account_password_policy() -> GetAccountPasswordPolicyResponse;
        GetCredentialReport: get_credential_report() -> GetCredentialReportResponse;
        GetAccountSummary: get_account_summary() -> GetAccountSummaryResponse;
        GetOutboundWebIdentityFederationInfo: get_outbound_web_identity_federation_info()
            -> GetOutboundWebIdentityFederationInfoResponse;
    }
    with_input {
        GenerateOrganizationsAccessReport:
            generate_organizations_access_report(GenerateOrganizationsAccessReportRequest)
            -> GenerateOrganizationsAccessReportResponse;
        GetOrganizationsAccessReport:
            get_organizations_access_report(GetOrganizationsAccessReportRequest)
            -> GetOrganizationsAccessReportResponse;
        GenerateServiceLastAccessedDetails:
            generate_service_last_accessed_details(GenerateServiceLastAccessedDetailsRequest)
            -> GenerateServiceLastAccessedDetailsResponse;
        GetServiceLastAccessedDetails:
            get_service_last_accessed_details(GetServiceLastAccessedDetailsRequest)
            -> GetServiceLastAccessedDetailsResponse;
        GetServiceLastAccessedDetailsWithEntities: get_service_last_accessed_details_with_entities(
            GetServiceLastAccessedDetailsWithEntitiesRequest
        ) -> GetServiceLastAccessedDetailsWithEntitiesResponse;
        ListPoliciesGrantingServiceAccess:
            list_policies_granting_service_access(ListPoliciesGrantingServiceAccessRequest)
            -> ListPoliciesGrantingServiceAccessResponse;
        AddClientIDToOpenIDConnectProvider:
            add_client_id_to_open_id_connect_provider(AddClientIDToOpenIDConnectProviderRequest)
            -> ();
        CreateOpenIDConnectProvider:
            create_open_id_connect_provider(CreateOpenIDConnectProviderRequest)
            -> CreateOpenIDConnectProviderResponse;
        CreateSAMLProvider: create_saml_provider(CreateSAMLProviderRequest)
            -> CreateSAMLProviderResponse;
        DeleteOpenIDConnectProvider:
            delete_open_id_connect_provider(DeleteOpenIDConnectProviderRequest) -> ();
        DeleteSAMLProvider: delete_saml_provider(DeleteSAMLProviderRequest) -> ();
        GetOpenIDConnectProvider: get_open_id_connect_provider(GetOpenIDConnectProviderRequest)
            -> GetOpenIDConnectProviderResponse;
        GetSAMLProvider: get_saml_provider(GetSAMLProviderRequest) -> GetSAMLProviderResponse;
        ListOpenIDConnectProviderTags:
            list_open_id_connect_provider_tags(ListOpenIDConnectProviderTagsRequest)
            -> ListOpenIDConnectProviderTagsResponse;
        ListOpenIDConnectProviders:
            list_open_id_connect_providers(ListOpenIDConnectProvidersRequest)
            -> ListOpenIDConnectProvidersResponse;
        ListSAMLProviderTags: list_saml_provider_tags(ListSAMLProviderTagsRequest)
            -> ListSAMLProviderTagsResponse;
        ListSAMLProviders: list_saml_providers(ListSAMLProvidersRequest)
            -> ListSAMLProvidersResponse;
        RemoveClientIDFromOpenIDConnectProvider: remove_client_id_from_open_id_connect_provider(
            RemoveClientIDFromOpenIDConnectProviderRequest
        ) -> ();
        TagOpenIDConnectProvider: tag_open_id_connect_provider(TagOpenIDConnectProviderRequest)
            -> ();
        TagSAMLProvider: tag_saml_provider(TagSAMLProviderRequest) -> ();
        UntagOpenIDConnectProvider:
            untag_open_id_connect_provider(UntagOpenIDConnectProviderRequest) -> ();
        UntagSAMLProvider: untag_saml_provider(UntagSAMLProviderRequest) -> ();
        UpdateOpenIDConnectProviderThumbprint: update_open_id_connect_provider_thumbprint(
            UpdateOpenIDConnectProviderThumbprintRequest
        ) -> ();
        UpdateSAMLProvider: update_saml_provider(UpdateSAMLProviderRequest)
            -> UpdateSAMLProviderResponse;
        AddRoleToInstanceProfile: add_role_to_instance_profile(AddRoleToInstanceProfileRequest)
            -> ();
        AddUserToGroup: add_user_to_group(AddUserToGroupRequest) -> ();
        AttachGroupPolicy: attach_group_policy(AttachGroupPolicyRequest) -> ();
        AttachRolePolicy: attach_role_policy(AttachRolePolicyRequest) -> ();
        AttachUserPolicy: attach_user_policy(AttachUserPolicyRequest) -> ();
        ChangePassword: change_password(ChangePasswordRequest) -> ();
        CreateAccessKey: create_access_key(CreateAccessKeyRequest) -> CreateAccessKeyResponse;
        CreateAccountAlias: create_account_alias(CreateAccountAliasRequest) -> ();
        CreateGroup: create_group(CreateGroupRequest) -> CreateGroupResponse;
        CreateInstanceProfile: create_instance_profile(CreateInstanceProfileRequest)
            -> CreateInstanceProfileResponse;
        CreateLoginProfile: create_login_profile(CreateLoginProfileRequest)
            -> CreateLoginProfileResponse;
        CreatePolicy: create_policy(CreatePolicyRequest) -> CreatePolicyResponse;
        CreatePolicyVersion: create_policy_version(CreatePolicyVersionRequest)
            -> CreatePolicyVersionResponse;
        CreateRole: create_role(CreateRoleRequest) -> CreateRoleResponse;
        CreateServiceLinkedRole: create_service_linked_role(CreateServiceLinkedRoleRequest)
            -> CreateServiceLinkedRoleResponse;
        CreateServiceSpecificCredential:
            create_service_specific_credential(CreateServiceSpecificCredentialRequest)
            -> CreateServiceSpecificCredentialResponse;
        CreateUser: create_user(CreateUserRequest) -> CreateUserResponse;
        CreateVirtualMFADevice: create_virtual_mfa_device(CreateVirtualMFADeviceRequest)
            -> CreateVirtualMFADeviceResponse;
        DeactivateMFADevice: deactivate_mfa_device(DeactivateMFADeviceRequest) -> ();
        DeleteVirtualMFADevice: delete_virtual_mfa_device(DeleteVirtualMFADeviceRequest) -> ();
        EnableMFADevice: enable_mfa_device(EnableMFADeviceRequest) -> ();
        GetMFADevice: get_mfa_device(GetMFADeviceRequest) -> GetMFADeviceResponse;
        ListMFADeviceTags: list_mfa_device_tags(ListMFADeviceTagsRequest)
            -> ListMFADeviceTagsResponse;
        ListMFADevices: list_mfa_devices(ListMFADevicesRequest) -> ListMFADevicesResponse;
        ListVirtualMFADevices: list_virtual_mfa_devices(ListVirtualMFADevicesRequest)
            -> ListVirtualMFADevicesResponse;
        ResyncMFADevice: resync_mfa_device(ResyncMFADeviceRequest) -> ();
        TagMFADevice: tag_mfa_device(TagMFADeviceRequest) -> ();
        UntagMFADevice: untag_mfa_device(UntagMFADeviceRequest) -> ();
        DeleteAccessKey: delete_access_key(DeleteAccessKeyRequest) -> ();
        DeleteAccountAlias: delete_account_alias(DeleteAccountAliasRequest) -> ();
        DeleteGroup: delete_group(DeleteGroupRequest) -> ();
        DeleteGroupPolicy: delete_group_policy(DeleteGroupPolicyRequest) -> ();
        DeleteInstanceProfile: delete_instance_profile(DeleteInstanceProfileRequest) -> ();
        DeleteLoginProfile: delete_login_profile(DeleteLoginProfileRequest) -> ();
        DeletePolicy: delete_policy(DeletePolicyRequest) -> ();
        DeletePolicyVersion: delete_policy_version(DeletePolicyVersionRequest) -> ();
        DeleteRole: delete_role(DeleteRoleRequest) -> ();
        DeleteRolePermissionsBoundary:
            delete_role_permissions_boundary(DeleteRolePermissionsBoundaryRequest)
            -> ();
        DeleteRolePolicy: delete_role_policy(DeleteRolePolicyRequest) -> ();
        DeleteSSHPublicKey: delete_ssh_public_key(DeleteSSHPublicKeyRequest) -> ();
        DeleteServerCertificate: delete_server_certificate(DeleteServerCertificateRequest) -> ();
        DeleteServiceLinkedRole: delete_service_linked_role(DeleteServiceLinkedRoleRequest)
            -> DeleteServiceLinkedRoleResponse;
        DeleteServiceSpecificCredential:
            delete_service_specific_credential(DeleteServiceSpecificCredentialRequest) -> ();
        DeleteSigningCertificate: delete_signing_certificate(DeleteSigningCertificateRequest) -> ();
        DeleteUser: delete_user(DeleteUserRequest) -> ();
        DeleteUserPermissionsBoundary:
            delete_user_permissions_boundary(DeleteUserPermissionsBoundaryRequest)
            -> ();
        DeleteUserPolicy: delete_user_policy(DeleteUserPolicyRequest) -> ();
        DetachGroupPolicy: detach_group_policy(DetachGroupPolicyRequest) -> ();
        DetachRolePolicy: detach_role_policy(DetachRolePolicyRequest) -> ();
        DetachUserPolicy: detach_user_policy(DetachUserPolicyRequest) -> ();
        GetContextKeysForCustomPolicy:
            get_context_keys_for_custom_policy(GetContextKeysForCustomPolicyRequest)
            -> GetContextKeysForPolicyResponse;
        GetContextKeysForPrincipalPolicy:
            get_context_keys_for_principal_policy(GetContextKeysForPrincipalPolicyRequest)
            -> GetContextKeysForPolicyResponse;
        GetAccessKeyLastUsed: get_access_key_last_used(GetAccessKeyLastUsedRequest)
            -> GetAccessKeyLastUsedResponse;
        GetAccountAuthorizationDetails:
            get_account_authorization_details(GetAccountAuthorizationDetailsRequest)
            -> GetAccountAuthorizationDetailsResponse;
        GetAccountProperties: get_account_properties(GetAccountPropertiesRequest)
            -> GetAccountPropertiesResponse;
        GetGroup: get_group(GetGroupRequest) -> GetGroupResponse;
        GetGroupPolicy: get_group_policy(GetGroupPolicyRequest) -> GetGroupPolicyResponse;
        GetInstanceProfile: get_instance_profile(GetInstanceProfileRequest)
            -> GetInstanceProfileResponse;
        GetLoginProfile: get_login_profile(GetLoginProfileRequest) -> GetLoginProfileResponse;
        GetPolicy: get_policy(GetPolicyRequest) -> GetPolicyResponse;
        GetPolicyVersion: get_policy_version(GetPolicyVersionRequest) -> GetPolicyVersionResponse;
        GetRole: get_role(GetRoleRequest) -> GetRoleResponse;
        GetRolePolicy: get_role_policy(GetRolePolicyRequest) -> GetRolePolicyResponse;
        GetSSHPublicKey: get_ssh_public_key(GetSSHPublicKeyRequest) -> GetSSHPublicKeyResponse;
        GetServerCertificate: get_server_certificate(GetServerCertificateRequest)
            -> GetServerCertificateResponse;
        GetServiceLinkedRoleDeletionStatus:
            get_service_linked_role_deletion_status(GetServiceLinkedRoleDeletionStatusRequest)
            -> GetServiceLinkedRoleDeletionStatusResponse;
        GetUser: get_user(GetUserRequest) -> GetUserResponse;
        GetUserPolicy: get_user_policy(GetUserPolicyRequest) -> GetUserPolicyResponse;
        ListAccessKeys: list_access_keys(ListAccessKeysRequest) -> ListAccessKeysResponse;
        ListAccountAliases: list_account_aliases(ListAccountAliasesRequest)
            -> ListAccountAliasesResponse;
        ListAttachedGroupPolicies: list_attached_group_policies(ListAttachedGroupPoliciesRequest)
            -> ListAttachedGroupPoliciesResponse;
        ListAttachedRolePolicies: list_attached_role_policies(ListAttachedRolePoliciesRequest)
            -> ListAttachedRolePoliciesResponse;
        ListAttachedUserPolicies: list_attached_user_policies(ListAttachedUserPoliciesRequest)
            -> ListAttachedUserPoliciesResponse;
        ListEntitiesForPolicy: list_entities_for_policy(ListEntitiesForPolicyRequest)
            -> ListEntitiesForPolicyResponse;
        ListGroupPolicies: list_group_policies(ListGroupPoliciesRequest)
            -> ListGroupPoliciesResponse;
        ListGroups: list_groups(ListGroupsRequest) -> ListGroupsResponse;
        ListGroupsForUser: list_groups_for_user(ListGroupsForUserRequest)
            -> ListGroupsForUserResponse;
        ListInstanceProfileTags: list_instance_profile_tags(ListInstanceProfileTagsRequest)
            -> ListInstanceProfileTagsResponse;
        ListInstanceProfiles: list_instance_profiles(ListInstanceProfilesRequest)
            -> ListInstanceProfilesResponse;
        ListInstanceProfilesForRole:
            list_instance_profiles_for_role(ListInstanceProfilesForRoleRequest)
            -> ListInstanceProfilesForRoleResponse;
        ListPolicies: list_policies(ListPoliciesRequest) -> ListPoliciesResponse;
        ListPolicyTags: list_policy_tags(ListPolicyTagsRequest) -> ListPolicyTagsResponse;
        ListPolicyVersions: list_policy_versions(ListPolicyVersionsRequest)
            -> ListPolicyVersionsResponse;
        ListRolePolicies: list_role_policies(ListRolePoliciesRequest) -> ListRolePoliciesResponse;
        ListRoleTags: list_role_tags(ListRoleTagsRequest) -> ListRoleTagsResponse;
        ListRoles: list_roles(ListRolesRequest) -> ListRolesResponse;
        ListSSHPublicKeys: list_ssh_public_keys(ListSSHPublicKeysRequest)
            -> ListSSHPublicKeysResponse;
        ListServerCertificateTags: list_server_certificate_tags(ListServerCertificateTagsRequest)
            -> ListServerCertificateTagsResponse;
        ListServerCertificates: list_server_certificates(ListServerCertificatesRequest)
            -> ListServerCertificatesResponse;
        ListServiceSpecificCredentials:
            list_service_specific_credentials(ListServiceSpecificCredentialsRequest)
            -> ListServiceSpecificCredentialsResponse;
        ListSigningCertificates: list_signing_certificates(ListSigningCertificatesRequest)
            -> ListSigningCertificatesResponse;
        ListUserPolicies: list_user_policies(ListUserPoliciesRequest) -> ListUserPoliciesResponse;
        ListUserTags: list_user_tags(ListUserTagsRequest) -> ListUserTagsResponse;
        ListUsers: list_users(ListUsersRequest) -> ListUsersResponse;
        PutAccountProperties: put_account_properties(PutAccountPropertiesRequest)
            -> PutAccountPropertiesResponse;
        PutGroupPolicy: put_group_policy(PutGroupPolicyRequest) -> ();
        PutRolePermissionsBoundary: put_role_permissions_boundary(PutRolePermissionsBoundaryRequest)
            -> ();
        PutRolePolicy: put_role_policy(PutRolePolicyRequest) -> ();
        PutUserPermissionsBoundary: put_user_permissions_boundary(PutUserPermissionsBoundaryRequest)
            -> ();
        PutUserPolicy: put_user_policy(PutUserPolicyRequest) -> ();
        RemoveRoleFromInstanceProfile:
            remove_role_from_instance_profile(RemoveRoleFromInstanceProfileRequest)
            -> ();
        RemoveUserFromGroup: remove_user_from_group(RemoveUserFromGroupRequest) -> ();
        ResetServiceSpecificCredential:
            reset_service_specific_credential(ResetServiceSpecificCredentialRequest)
            -> ResetServiceSpecificCredentialResponse;
        SetDefaultPolicyVersion: set_default_policy_version(SetDefaultPolicyVersionRequest) -> ();
        SetSecurityTokenServicePreferences:
            set_security_token_service_preferences(SetSecurityTokenServicePreferencesRequest)
            -> ();
        SimulateCustomPolicy: simulate_custom_policy(SimulateCustomPolicyRequest)
            -> SimulatePolicyResponse;
        SimulatePrincipalPolicy: simulate_principal_policy(SimulatePrincipalPolicyRequest)
            -> SimulatePolicyResponse;
        TagInstanceProfile: tag_instance_profile(TagInstanceProfileRequest) -> ();
        TagPolicy: tag_policy(TagPolicyRequest) -> ();
        TagRole: tag_role(TagRoleRequest) -> ();
        TagServerCertificate: tag_server_certificate(TagServerCertificateRequest) -> ();
        TagUser: tag_user(TagUserRequest) -> ();
        UntagInstanceProfile: untag_instance_profile(UntagInstanceProfileRequest) -> ();
        UntagPolicy: untag_policy(UntagPolicyRequest) -> ();
        UntagRole: untag_role(UntagRoleRequest) -> ();
        UntagServerCertificate: untag_server_certificate(UntagServerCertificateRequest) -> ();
        UntagUser: untag_user(UntagUserRequest) -> ();
        UpdateAccessKey: update_access_key(UpdateAccessKeyRequest) -> ();
        UpdateAccountPasswordPolicy:
            update_account_password_policy(UpdateAccountPasswordPolicyRequest)
            -> ();
        UpdateAssumeRolePolicy: update_assume_role_policy(UpdateAssumeRolePolicyRequest) -> ();
        UpdateGroup: update_group(UpdateGroupRequest) -> ();
        UpdateLoginProfile: update_login_profile(UpdateLoginProfileRequest) -> ();
        UpdateRole: update_role(UpdateRoleRequest) -> UpdateRoleResponse;
        UpdateRoleDescription: update_role_description(UpdateRoleDescriptionRequest)
            -> UpdateRoleDescriptionResponse;
        UpdateSSHPublicKey: update_ssh_public_key(UpdateSSHPublicKeyRequest) -> ();
        UpdateServerCertificate: update_server_certificate(UpdateServerCertificateRequest) -> ();
        UpdateServiceSpecificCredential:
            update_service_specific_credential(UpdateServiceSpecificCredentialRequest) -> ();
        UpdateSigningCertificate: update_signing_certificate(UpdateSigningCertificateRequest) -> ();
        UpdateUser: update_user(UpdateUserRequest) -> ();
        UploadSSHPublicKey: upload_ssh_public_key(UploadSSHPublicKeyRequest)
            -> UploadSSHPublicKeyResponse;
        UploadServerCertificate: upload_server_certificate(UploadServerCertificateRequest)
            -> UploadServerCertificateResponse;
        UploadSigningCertificate: upload_signing_certificate(UploadSigningCertificateRequest)
            -> UploadSigningCertificateResponse;
    }
}
