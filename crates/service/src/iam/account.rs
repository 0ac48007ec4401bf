//! The account: login profiles and passwords, the password policy, aliases, summary, authorization details.

use std::collections::{BTreeMap, HashMap};

use store::{CredentialKind, MfaOwner, PasswordPolicy, StoreError};
use wire::iam::{
    AttachedPermissionsBoundary, AttachedPolicy, ChangePasswordRequest, CreateAccountAliasRequest,
    CreateLoginProfileRequest, CreateLoginProfileResponse, DeleteAccountAliasRequest,
    DeleteLoginProfileRequest, EntityType, GetAccountAuthorizationDetailsRequest,
    GetAccountAuthorizationDetailsResponse, GetAccountPasswordPolicyResponse,
    GetAccountSummaryResponse, GetLoginProfileRequest, GetLoginProfileResponse, GroupDetail,
    ListAccountAliasesRequest, ListAccountAliasesResponse, LoginProfile, ManagedPolicyDetail,
    Operation, PermissionsBoundaryAttachmentType, PolicyDetail, PolicyVersion, RoleDetail,
    RoleLastUsed, SummaryKeyType, UpdateAccountPasswordPolicyRequest, UpdateLoginProfileRequest,
    UserDetail,
};

use super::instance_profiles::profile_view;
use super::{timestamp, uri_encode, wire_tags};
use crate::caller::{Caller, Identity, group_arn, user_arn};
use crate::catalogue::{Catalogue, ManagedPolicy};
use crate::error::{ServiceError, ServiceResult};
use crate::service::{PasswordCheck, Service};
use crate::state::{AccountState, GroupEntry, PolicyEntry, RoleEntry, UserEntry, lower};

/// The symbols a password policy counts (AWS's list in UpdateAccountPasswordPolicy).
const SYMBOLS: &str = "!@#$%^&*()_+-=[]{}|'";

/// UpdateAccountPasswordPolicy's MinimumPasswordLength when the parameter is omitted.
const POLICY_DEFAULT_MINIMUM_LENGTH: i64 = 6;

/// The minimum length of AWS's default password policy, in force while the account has none.
const DEFAULT_POLICY_MINIMUM_LENGTH: usize = 8;

/// The message of every reuse-prevention violation.
const REUSE_MESSAGE: &str =
    "Policy constraint violation with password reuse prevention during password change.";

/// Account-wide quotas reported by GetAccountSummary (iam-semantics.md section 4).
const USERS_QUOTA: i32 = 5_000;
const GROUPS_QUOTA: i32 = 300;
const ROLES_QUOTA: i32 = 1_000;
const POLICIES_QUOTA: i32 = 1_500;

fn password_policy_violation(message: impl Into<String>) -> ServiceError {
    ServiceError::iam(wire::iam::Error::PasswordPolicyViolation, message)
}

/// A member the model marks optional but AWS requires outside an AssumeRoot session, which
/// Castellan does not issue: reported as the wire decoder reports a missing member.
fn missing(member: &str) -> ServiceError {
    ServiceError::validation(format!(
        "1 validation error detected: Value at '{member}' failed to satisfy constraint: Member must not be null"
    ))
}

fn role_arn(account_id: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account_id}:role{path}{name}")
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn count_i64(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// ChangePassword refused while the user or its address has too many recent failures.
fn too_many_failures() -> ServiceError {
    ServiceError::limit_exceeded("Too many failed password attempts. Try again later.")
}

/// Checks a new password against the account's policy, or against AWS's default policy
/// (eight characters, three of the four character kinds, not the root email) when the
/// account has set none. The password itself never appears in a message.
pub(crate) fn check_password(
    password: &str,
    policy: Option<&PasswordPolicy>,
    account_email: &str,
) -> ServiceResult<()> {
    let length = password.chars().count();
    let upper = password.chars().any(|c| c.is_ascii_uppercase());
    let lower = password.chars().any(|c| c.is_ascii_lowercase());
    let number = password.chars().any(|c| c.is_ascii_digit());
    let symbol = password.chars().any(|c| SYMBOLS.contains(c));
    match policy {
        Some(policy) => {
            let minimum = usize::try_from(policy.minimum_password_length).unwrap_or(0);
            if length < minimum {
                return Err(password_policy_violation(format!(
                    "Password should have a minimum length of {minimum}"
                )));
            }
            let rules = [
                (
                    policy.require_uppercase_characters,
                    upper,
                    "uppercase letter",
                ),
                (
                    policy.require_lowercase_characters,
                    lower,
                    "lowercase letter",
                ),
                (policy.require_numbers, number, "number"),
                (policy.require_symbols, symbol, "symbol"),
            ];
            for (required, present, what) in rules {
                if required && !present {
                    return Err(password_policy_violation(format!(
                        "Password should have at least one {what}"
                    )));
                }
            }
            Ok(())
        }
        None => {
            if length < DEFAULT_POLICY_MINIMUM_LENGTH {
                return Err(password_policy_violation(format!(
                    "Password should have a minimum length of {DEFAULT_POLICY_MINIMUM_LENGTH}"
                )));
            }
            let kinds = [upper, lower, number, symbol]
                .into_iter()
                .filter(|present| *present)
                .count();
            if kinds < 3 {
                return Err(password_policy_violation(
                    "Password should have at least three of the following: uppercase letters, lowercase letters, numbers and symbols",
                ));
            }
            if !account_email.is_empty() && password.eq_ignore_ascii_case(account_email) {
                return Err(password_policy_violation(
                    "Password should not be identical to the account name or email address",
                ));
            }
            Ok(())
        }
    }
}

/// An AWS managed policy as GetAccountAuthorizationDetails shows it.
fn aws_policy_detail(aws: &ManagedPolicy, attached: i64, uses: i32) -> ManagedPolicyDetail {
    ManagedPolicyDetail {
        policy_name: Some(aws.name.clone()),
        policy_id: Some(aws.id.clone()),
        arn: Some(aws.arn.clone()),
        path: Some(aws.path.clone()),
        default_version_id: Some(aws.default_version_id.clone()),
        attachment_count: Some(count(usize::try_from(attached).unwrap_or(0))),
        permissions_boundary_usage_count: Some(uses),
        is_attachable: Some(aws.is_attachable),
        description: None,
        create_date: Some(timestamp(aws.created_at)),
        update_date: Some(timestamp(aws.updated_at)),
        // AWS lists only the default version of its own policies here.
        policy_version_list: Some(vec![PolicyVersion {
            document: Some(uri_encode(&aws.document)),
            version_id: Some(aws.default_version_id.clone()),
            is_default_version: Some(true),
            create_date: Some(timestamp(aws.updated_at)),
        }]),
    }
}

fn login_profile_view(user_name: String, profile: &store::LoginProfileInfo) -> LoginProfile {
    LoginProfile {
        user_name,
        create_date: timestamp(profile.created_at),
        password_reset_required: Some(profile.password_reset_required),
    }
}

fn attached_view(arns: Vec<String>) -> Vec<AttachedPolicy> {
    arns.into_iter()
        .map(|arn| AttachedPolicy {
            policy_name: Some(arn.rsplit('/').next().unwrap_or_default().to_owned()),
            policy_arn: Some(arn),
        })
        .collect()
}

fn inline_view(policies: Vec<(String, String)>) -> Vec<PolicyDetail> {
    policies
        .into_iter()
        .map(|(name, document)| PolicyDetail {
            policy_name: Some(name),
            policy_document: Some(uri_encode(&document)),
        })
        .collect()
}

fn boundary_view(arn: Option<&String>) -> Option<AttachedPermissionsBoundary> {
    arn.map(|arn| AttachedPermissionsBoundary {
        permissions_boundary_type: Some(
            PermissionsBoundaryAttachmentType::PermissionsBoundaryPolicy,
        ),
        permissions_boundary_arn: Some(arn.clone()),
    })
}

/// One entity of GetAccountAuthorizationDetails, borrowed from the state, before its
/// details are built: the listing is paged first so that only one page's details are.
#[derive(Clone, Copy)]
enum Entry<'a> {
    User(&'a UserEntry),
    Group(&'a GroupEntry),
    Role(&'a RoleEntry),
    Local(&'a PolicyEntry),
    Aws(&'static ManagedPolicy, i64),
}

impl Service {
    pub(super) async fn create_login_profile(
        &self,
        caller: &Caller,
        input: CreateLoginProfileRequest,
    ) -> ServiceResult<CreateLoginProfileResponse> {
        let account = caller.account_id.clone();
        let user = self
            .named_or_self(
                caller,
                Operation::CreateLoginProfile,
                input.user_name.as_deref(),
            )
            .await?
            .ok_or_else(|| missing("userName"))?;
        let password = input.password.ok_or_else(|| missing("password"))?;
        let (policy, email) = self.password_rules(&account).await?;
        check_password(&password, policy.as_ref(), &email)?;
        let hashed = self.hash(&password).await?;
        let profile = self
            .store
            .create_login_profile(
                &account,
                &user.name,
                &hashed,
                input.password_reset_required.unwrap_or(false),
                self.clock.seconds(),
            )
            .await?;
        Ok(CreateLoginProfileResponse {
            login_profile: login_profile_view(user.name, &profile.info()),
        })
    }

    pub(super) async fn get_login_profile(
        &self,
        caller: &Caller,
        input: GetLoginProfileRequest,
    ) -> ServiceResult<GetLoginProfileResponse> {
        let account = caller.account_id.clone();
        let user = self
            .named_or_self(
                caller,
                Operation::GetLoginProfile,
                input.user_name.as_deref(),
            )
            .await?
            .ok_or_else(|| missing("userName"))?;
        let profile = self.reads().get_login_profile(&account, &user.name).await?;
        Ok(GetLoginProfileResponse {
            login_profile: login_profile_view(user.name, &profile),
        })
    }

    pub(super) async fn update_login_profile(
        &self,
        caller: &Caller,
        input: UpdateLoginProfileRequest,
    ) -> ServiceResult<()> {
        let account = caller.account_id.clone();
        let user = self
            .entity::<super::Users>(
                caller,
                Operation::UpdateLoginProfile.action(),
                &input.user_name,
                Vec::new(),
            )
            .await?;
        // A missing profile is reported before anything about the new password.
        self.reads().get_login_profile(&account, &user.name).await?;
        let hashed = match &input.password {
            Some(password) => {
                let (policy, email) = self.password_rules(&account).await?;
                check_password(password, policy.as_ref(), &email)?;
                // Every path that sets a password keeps the reuse rule, an administrator's too.
                self.check_reuse(&user.user_id, password, policy.as_ref())
                    .await?;
                Some(self.hash(password).await?)
            }
            None => None,
        };
        self.store
            .update_login_profile(
                &account,
                &user.name,
                hashed.as_deref(),
                input.password_reset_required,
                self.clock.seconds(),
            )
            .await?;
        Ok(())
    }

    pub(super) async fn delete_login_profile(
        &self,
        caller: &Caller,
        input: DeleteLoginProfileRequest,
    ) -> ServiceResult<()> {
        let account = caller.account_id.clone();
        let user = self
            .named_or_self(
                caller,
                Operation::DeleteLoginProfile,
                input.user_name.as_deref(),
            )
            .await?
            .ok_or_else(|| missing("userName"))?;
        self.store
            .delete_login_profile(&account, &user.name)
            .await?;
        Ok(())
    }

    pub(super) async fn change_password(
        &self,
        caller: &Caller,
        input: ChangePasswordRequest,
    ) -> ServiceResult<()> {
        let account = caller.account_id.clone();
        let Identity::User(me) = &caller.identity else {
            return Err(ServiceError::iam(
                wire::iam::Error::InvalidUserType,
                "Only IAM Users can change their own password.",
            ));
        };
        let (policy, email) = self.password_rules(&account).await?;
        self.allow_self_service(
            caller,
            Operation::ChangePassword,
            &user_arn(&me.account_id, &me.path, &me.name),
            policy.as_ref(),
        )
        .await?;
        let profile = self
            .reads()
            .login_profile_with_hash(&account, &me.name)
            .await?;
        self.check_old_password(caller, &me.user_id, &input.old_password, &profile)
            .await?;
        check_password(&input.new_password, policy.as_ref(), &email)?;
        self.check_reuse(&me.user_id, &input.new_password, policy.as_ref())
            .await?;
        let hashed = self.hash(&input.new_password).await?;
        // A changed password satisfies a pending reset requirement.
        self.store
            .update_login_profile(
                &account,
                &me.name,
                Some(&hashed),
                Some(false),
                self.clock.seconds(),
            )
            .await?;
        Ok(())
    }

    pub(super) async fn update_account_password_policy(
        &self,
        caller: &Caller,
        input: UpdateAccountPasswordPolicyRequest,
    ) -> ServiceResult<()> {
        let account = caller.account_id.clone();
        self.allow(
            caller,
            Operation::UpdateAccountPasswordPolicy,
            "*",
            Vec::new(),
        )
        .await?;
        // No partial updates: every omitted parameter reverts to its default.
        let policy = PasswordPolicy {
            minimum_password_length: input
                .minimum_password_length
                .map_or(POLICY_DEFAULT_MINIMUM_LENGTH, i64::from),
            require_symbols: input.require_symbols.unwrap_or(false),
            require_numbers: input.require_numbers.unwrap_or(false),
            require_uppercase_characters: input.require_uppercase_characters.unwrap_or(false),
            require_lowercase_characters: input.require_lowercase_characters.unwrap_or(false),
            allow_users_to_change_password: input.allow_users_to_change_password.unwrap_or(false),
            max_password_age: input.max_password_age.map(i64::from),
            password_reuse_prevention: input.password_reuse_prevention.map(i64::from),
            hard_expiry: input.hard_expiry.unwrap_or(false),
        };
        self.store.put_password_policy(&account, &policy).await?;
        Ok(())
    }

    pub(super) async fn get_account_password_policy(
        &self,
        caller: &Caller,
    ) -> ServiceResult<GetAccountPasswordPolicyResponse> {
        let account = caller.account_id.clone();
        let policy = self.reads().get_password_policy(&account).await?;
        self.allow_self_service(
            caller,
            Operation::GetAccountPasswordPolicy,
            "*",
            policy.as_ref(),
        )
        .await?;
        let Some(policy) = policy else {
            return Err(ServiceError::no_such_entity(format!(
                "The Password Policy with domain name {account} cannot be found."
            )));
        };
        let expires = policy.max_password_age.is_some();
        Ok(GetAccountPasswordPolicyResponse {
            password_policy: wire::iam::PasswordPolicy {
                minimum_password_length: i32::try_from(policy.minimum_password_length).ok(),
                require_symbols: Some(policy.require_symbols),
                require_numbers: Some(policy.require_numbers),
                require_uppercase_characters: Some(policy.require_uppercase_characters),
                require_lowercase_characters: Some(policy.require_lowercase_characters),
                allow_users_to_change_password: Some(policy.allow_users_to_change_password),
                expire_passwords: Some(expires),
                max_password_age: policy.max_password_age.and_then(|n| i32::try_from(n).ok()),
                password_reuse_prevention: policy
                    .password_reuse_prevention
                    .and_then(|n| i32::try_from(n).ok()),
                // AWS shows HardExpiry with expiring passwords, or when it is set.
                hard_expiry: (expires || policy.hard_expiry).then_some(policy.hard_expiry),
            },
        })
    }

    pub(super) async fn delete_account_password_policy(
        &self,
        caller: &Caller,
    ) -> ServiceResult<()> {
        let account = caller.account_id.clone();
        self.allow(
            caller,
            Operation::DeleteAccountPasswordPolicy,
            "*",
            Vec::new(),
        )
        .await?;
        self.store.delete_password_policy(&account).await?;
        Ok(())
    }

    pub(super) async fn create_account_alias(
        &self,
        caller: &Caller,
        input: CreateAccountAliasRequest,
    ) -> ServiceResult<()> {
        let account = caller.account_id.clone();
        self.allow(caller, Operation::CreateAccountAlias, "*", Vec::new())
            .await?;
        // An account has one alias: a new one replaces the old.
        match self
            .store
            .set_account_alias(&account, Some(&input.account_alias))
            .await
        {
            Ok(()) => Ok(()),
            Err(StoreError::EntityAlreadyExists { .. }) => {
                Err(ServiceError::entity_already_exists(format!(
                    "The account alias {} already exists.",
                    input.account_alias
                )))
            }
            Err(other) => Err(other.into()),
        }
    }

    pub(super) async fn delete_account_alias(
        &self,
        caller: &Caller,
        input: DeleteAccountAliasRequest,
    ) -> ServiceResult<()> {
        let account = caller.account_id.clone();
        self.allow(caller, Operation::DeleteAccountAlias, "*", Vec::new())
            .await?;
        let record = self.reads().get_account(&account).await?;
        if record.alias.as_deref() != Some(input.account_alias.as_str()) {
            return Err(ServiceError::no_such_entity(format!(
                "The account alias {} cannot be found.",
                input.account_alias
            )));
        }
        self.store.set_account_alias(&account, None).await?;
        Ok(())
    }

    pub(super) async fn list_account_aliases(
        &self,
        caller: &Caller,
        input: ListAccountAliasesRequest,
    ) -> ServiceResult<ListAccountAliasesResponse> {
        let account = caller.account_id.clone();
        self.allow(caller, Operation::ListAccountAliases, "*", Vec::new())
            .await?;
        let aliases: Vec<String> = self
            .reads()
            .get_account(&account)
            .await?
            .alias
            .into_iter()
            .collect();
        let (page, marker) = self.page_of(
            caller,
            Operation::ListAccountAliases,
            &aliases,
            input.marker.as_deref(),
            input.max_items,
        )?;
        Ok(ListAccountAliasesResponse {
            account_aliases: page,
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(super) async fn get_account_summary(
        &self,
        caller: &Caller,
    ) -> ServiceResult<GetAccountSummaryResponse> {
        let account = caller.account_id.clone();
        self.allow(caller, Operation::GetAccountSummary, "*", Vec::new())
            .await?;
        Ok(GetAccountSummaryResponse {
            summary_map: Some(self.summary(&account).await?),
        })
    }

    pub(super) async fn get_account_authorization_details(
        &self,
        caller: &Caller,
        input: GetAccountAuthorizationDetailsRequest,
    ) -> ServiceResult<GetAccountAuthorizationDetailsResponse> {
        self.authorize_listing(caller, Operation::GetAccountAuthorizationDetails)
            .await?;
        self.authorization_details(caller, input).await
    }

    /// The account's password policy (if any) and the root email AWS's default policy tests.
    async fn password_rules(
        &self,
        account: &str,
    ) -> ServiceResult<(Option<PasswordPolicy>, String)> {
        let policy = self.reads().get_password_policy(account).await?;
        let email = self.reads().get_account(account).await?.email;
        Ok((policy, email))
    }

    /// `PasswordReusePrevention`: the new password is none of the user's last N (the
    /// history holds the current password too, so it counts as a previous one).
    async fn check_reuse(
        &self,
        user_id: &str,
        password: &str,
        policy: Option<&PasswordPolicy>,
    ) -> ServiceResult<()> {
        let remembered = policy
            .and_then(|p| p.password_reuse_prevention)
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(0);
        if remembered == 0 {
            return Ok(());
        }
        for previous in self
            .store
            .recent_password_hashes(user_id, remembered)
            .await?
        {
            if self.matches(password, &previous).await? {
                return Err(password_policy_violation(REUSE_MESSAGE));
            }
        }
        Ok(())
    }

    async fn hash(&self, password: &str) -> ServiceResult<String> {
        self.guards
            .passwords
            .hash(password)
            .await
            .map_err(|e| ServiceError::internal(&e))
    }

    async fn matches(&self, password: &str, hash: &str) -> ServiceResult<bool> {
        self.guards
            .passwords
            .verify(password, hash)
            .await
            .map_err(|e| ServiceError::internal(&e))
    }

    /// ChangePassword's check of the old password, throttled per user and per source
    /// address: a refused attempt costs no Argon2 run and tells nothing about the password.
    async fn check_old_password(
        &self,
        caller: &Caller,
        user_id: &str,
        password: &str,
        profile: &store::LoginProfileRecord,
    ) -> ServiceResult<()> {
        match self
            .check_password(
                user_id,
                caller.request.source_ip,
                password,
                &profile.password_hash,
            )
            .await?
        {
            PasswordCheck::Matches => Ok(()),
            PasswordCheck::Wrong => Err(ServiceError::access_denied(
                "The old password was incorrect.",
            )),
            PasswordCheck::Throttled => Err(too_many_failures()),
        }
    }

    /// Authorizes an action that `AllowUsersToChangePassword` grants every user of the
    /// account (ChangePassword on itself, GetAccountPasswordPolicy) unless a policy denies it
    /// explicitly.
    async fn allow_self_service(
        &self,
        caller: &Caller,
        operation: Operation,
        resource: &str,
        policy: Option<&PasswordPolicy>,
    ) -> ServiceResult<()> {
        match self.allow(caller, operation, resource, Vec::new()).await {
            Err(ServiceError::Denied(denial))
                if !denial.explicit && policy.is_some_and(|p| p.allow_users_to_change_password) =>
            {
                Ok(())
            }
            other => other,
        }
    }

    /// GetAccountSummary's map: the account's real counts, from one view of the state (no
    /// entity copied), and AWS's default quotas.
    async fn summary(&self, account: &str) -> ServiceResult<BTreeMap<SummaryKeyType, i32>> {
        use SummaryKeyType as K;
        let state = self.reads().account_state(account).await?;
        let a = state.as_ref();
        let versions: usize = a.policies.by_name.values().map(|p| p.versions.len()).sum();
        // AWS managed policies attached in the account count as one version in use each.
        let aws_attached = a
            .attached_to
            .keys()
            .filter(|arn| Catalogue::shipped().get(arn).is_some())
            .count();
        let devices = a.mfa_devices.by_name.values().map(|d| &d.record);
        let (mut mfa_devices, mut mfa_in_use, mut root_mfa) = (0, 0, false);
        for device in devices {
            mfa_devices += 1;
            mfa_in_use += usize::from(device.owner.is_some());
            root_mfa |= device.owner == Some(MfaOwner::Root);
        }
        let root_certificates = (None, CredentialKind::SigningCertificate);
        // Identity providers of both kinds (reading 60).
        let providers = a.oidc_providers.len() + a.saml_providers.by_name.len();
        Ok(BTreeMap::from([
            (K::Users, count(a.users.by_name.len())),
            (K::UsersQuota, USERS_QUOTA),
            (K::Groups, count(a.groups.by_name.len())),
            (K::GroupsQuota, GROUPS_QUOTA),
            (K::Roles, count(a.roles.by_name.len())),
            (K::RolesQuota, ROLES_QUOTA),
            (K::Policies, count(a.policies.by_name.len())),
            (K::PoliciesQuota, POLICIES_QUOTA),
            (K::PolicyVersionsInUse, count(versions + aws_attached)),
            (K::PolicyVersionsInUseQuota, 10_000),
            (K::VersionsPerPolicyQuota, 5),
            (K::PolicySizeQuota, 6_144),
            (K::UserPolicySizeQuota, 2_048),
            (K::GroupPolicySizeQuota, 5_120),
            (K::RolePolicySizeQuota, 10_240),
            (K::AssumeRolePolicySizeQuota, 2_048),
            (K::AttachedPoliciesPerUserQuota, 10),
            (K::AttachedPoliciesPerGroupQuota, 10),
            (K::AttachedPoliciesPerRoleQuota, 10),
            (K::GroupsPerUserQuota, 10),
            (K::AccessKeysPerUserQuota, 2),
            (K::SigningCertificatesPerUserQuota, 2),
            (
                K::ServerCertificates,
                count(a.server_certificates.by_name.len()),
            ),
            (K::ServerCertificatesQuota, 20),
            (
                K::InstanceProfiles,
                count(a.instance_profiles.by_name.len()),
            ),
            (K::InstanceProfilesQuota, 1_000),
            (K::Providers, count(providers)),
            (K::MFADevices, count(mfa_devices)),
            (K::MFADevicesInUse, count(mfa_in_use)),
            (K::AccountMFAEnabled, i32::from(root_mfa)),
            (
                K::AccountAccessKeysPresent,
                i32::from(a.keys_by_owner.contains_key(&None)),
            ),
            (
                K::AccountSigningCertificatesPresent,
                i32::from(a.credentials_by_owner.contains_key(&root_certificates)),
            ),
            (
                K::GlobalEndpointTokenVersion,
                a.record.global_endpoint_token_version,
            ),
        ]))
    }

    /// GetAccountAuthorizationDetails: users, groups, roles, then policies (the account's
    /// own, then the AWS managed ones attached in it), paged before details are built. One
    /// view of the state answers the whole page; entries are borrowed from it, not copied.
    async fn authorization_details(
        &self,
        caller: &Caller,
        input: wire::iam::GetAccountAuthorizationDetailsRequest,
    ) -> ServiceResult<GetAccountAuthorizationDetailsResponse> {
        let state = self.reads().account_state(&caller.account_id).await?;
        let a = state.as_ref();
        let filter = input.filter.unwrap_or_default();
        let wanted = |kind: EntityType| filter.is_empty() || filter.contains(&kind);
        let mut entries: Vec<Entry<'_>> = Vec::new();
        if wanted(EntityType::User) {
            entries.extend(a.users.by_name.values().map(|u| Entry::User(u)));
        }
        if wanted(EntityType::Group) {
            entries.extend(a.groups.by_name.values().map(|g| Entry::Group(g)));
        }
        if wanted(EntityType::Role) {
            entries.extend(a.roles.by_name.values().map(|r| Entry::Role(r)));
        }
        if wanted(EntityType::LocalManagedPolicy) {
            entries.extend(a.policies.by_name.values().map(|p| Entry::Local(p)));
        }
        if wanted(EntityType::AWSManagedPolicy) {
            for (arn, principals) in &a.attached_to {
                if let Some(aws) = Catalogue::shipped().get(arn) {
                    let attached = i64::try_from(principals.len()).unwrap_or(i64::MAX);
                    entries.push(Entry::Aws(aws, attached));
                }
            }
        }
        let mut boundary_uses: HashMap<&str, i32> = HashMap::new();
        for arn in a
            .users
            .by_name
            .values()
            .filter_map(|u| u.record.permissions_boundary_arn.as_deref())
            .chain(
                a.roles
                    .by_name
                    .values()
                    .filter_map(|r| r.record.permissions_boundary_arn.as_deref()),
            )
        {
            *boundary_uses.entry(arn).or_default() += 1;
        }
        let (page, marker) = self.page_of(
            caller,
            Operation::GetAccountAuthorizationDetails,
            &entries,
            input.marker.as_deref(),
            input.max_items,
        )?;
        let mut response = GetAccountAuthorizationDetailsResponse {
            user_detail_list: Some(Vec::new()),
            group_detail_list: Some(Vec::new()),
            role_detail_list: Some(Vec::new()),
            policies: Some(Vec::new()),
            is_truncated: Some(marker.is_some()),
            marker,
        };
        for entry in page {
            match entry {
                Entry::User(user) => {
                    let detail = user_detail(a, user);
                    response
                        .user_detail_list
                        .get_or_insert_default()
                        .push(detail);
                }
                Entry::Group(group) => {
                    let detail = group_detail(group);
                    response
                        .group_detail_list
                        .get_or_insert_default()
                        .push(detail);
                }
                Entry::Role(role) => {
                    let detail = self.role_detail(a, role).await?;
                    response
                        .role_detail_list
                        .get_or_insert_default()
                        .push(detail);
                }
                Entry::Local(policy) => {
                    let arn = policy.record.arn.as_str();
                    let uses = boundary_uses.get(arn).copied().unwrap_or(0);
                    let detail = local_policy_detail(a, policy, uses);
                    response.policies.get_or_insert_default().push(detail);
                }
                Entry::Aws(aws, attached) => {
                    let uses = boundary_uses.get(aws.arn.as_str()).copied().unwrap_or(0);
                    let detail = aws_policy_detail(aws, attached, uses);
                    response.policies.get_or_insert_default().push(detail);
                }
            }
        }
        Ok(response)
    }

    async fn role_detail(&self, a: &AccountState, entry: &RoleEntry) -> ServiceResult<RoleDetail> {
        // With this node's latest AssumeRole stamp, as GetRole shows it.
        let role = self.reads().stamped_role(&entry.record);
        // As AWS shows them: each profile that holds the role, with its roles inside.
        let mut instance_profiles = Vec::new();
        for profile in a
            .instance_profiles
            .by_name
            .values()
            .filter(|p| p.role_ids.contains(&role.role_id))
        {
            let rendered = self.rendered_profile(a.profile_record(profile)).await?;
            instance_profiles.push(profile_view(&rendered, None));
        }
        let tags = wire_tags(entry.tags.clone());
        Ok(RoleDetail {
            path: Some(role.path.clone()),
            role_name: Some(role.name.clone()),
            role_id: Some(role.role_id.clone()),
            arn: Some(role_arn(&role.account_id, &role.path, &role.name)),
            create_date: Some(timestamp(role.created_at)),
            assume_role_policy_document: Some(uri_encode(&self.rendered_trust(&role).await?)),
            instance_profile_list: Some(instance_profiles),
            role_policy_list: Some(inline_view(entry.policies.inline.clone())),
            attached_managed_policies: Some(attached_view(entry.policies.attached.clone())),
            permissions_boundary: boundary_view(role.permissions_boundary_arn.as_ref()),
            tags: (!tags.is_empty()).then_some(tags),
            role_last_used: Some(RoleLastUsed {
                last_used_date: role.last_used_at.map(timestamp),
                region: role.last_used_region.clone(),
            }),
        })
    }
}

/// A customer managed policy as GetAccountAuthorizationDetails shows it, all versions
/// included.
fn local_policy_detail(a: &AccountState, entry: &PolicyEntry, uses: i32) -> ManagedPolicyDetail {
    let policy = &entry.record;
    ManagedPolicyDetail {
        policy_name: Some(policy.name.clone()),
        policy_id: Some(policy.policy_id.clone()),
        arn: Some(policy.arn.clone()),
        path: Some(policy.path.clone()),
        default_version_id: Some(policy.default_version_id.clone()),
        attachment_count: Some(count_i64(a.attachment_count(&policy.arn))),
        permissions_boundary_usage_count: Some(uses),
        is_attachable: Some(true),
        description: policy.description.clone(),
        create_date: Some(timestamp(policy.created_at)),
        update_date: Some(timestamp(policy.updated_at)),
        policy_version_list: Some(
            entry
                .versions
                .iter()
                .map(|v| PolicyVersion {
                    document: Some(uri_encode(&v.document)),
                    version_id: Some(v.version_id.clone()),
                    is_default_version: Some(v.is_default),
                    create_date: Some(timestamp(v.created_at)),
                })
                .collect(),
        ),
    }
}

fn user_detail(a: &AccountState, entry: &UserEntry) -> UserDetail {
    let user = &entry.record;
    let inline = inline_view(entry.policies.inline.clone());
    // By name, as ListGroupsForUser orders them.
    let mut groups: Vec<(String, String)> = entry
        .groups
        .iter()
        .filter_map(|id| a.groups.by_id(id))
        .map(|g| (lower(&g.record.name), g.record.name.clone()))
        .collect();
    groups.sort();
    let tags = wire_tags(entry.tags.clone());
    UserDetail {
        path: Some(user.path.clone()),
        user_name: Some(user.name.clone()),
        user_id: Some(user.user_id.clone()),
        arn: Some(user_arn(&user.account_id, &user.path, &user.name)),
        create_date: Some(timestamp(user.created_at)),
        user_policy_list: (!inline.is_empty()).then_some(inline),
        group_list: Some(groups.into_iter().map(|(_, name)| name).collect()),
        attached_managed_policies: Some(attached_view(entry.policies.attached.clone())),
        permissions_boundary: boundary_view(user.permissions_boundary_arn.as_ref()),
        tags: (!tags.is_empty()).then_some(tags),
    }
}

fn group_detail(entry: &GroupEntry) -> GroupDetail {
    let group = &entry.record;
    GroupDetail {
        path: Some(group.path.clone()),
        group_name: Some(group.name.clone()),
        group_id: Some(group.group_id.clone()),
        arn: Some(group_arn(&group.account_id, &group.path, &group.name)),
        create_date: Some(timestamp(group.created_at)),
        group_policy_list: Some(inline_view(entry.policies.inline.clone())),
        attached_managed_policies: Some(attached_view(entry.policies.attached.clone())),
    }
}
