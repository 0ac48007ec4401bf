//! The account: login profiles and passwords, the password policy, aliases, summary, authorization details.

use std::collections::{BTreeMap, HashMap};

use store::{
    GroupRecord, ListOptions, Page, PasswordPolicy, PolicyRecord, Principal, RoleRecord,
    StoreError, TagTarget, UserRecord,
};
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

fn login_profile_view(user_name: String, profile: &store::LoginProfileRecord) -> LoginProfile {
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

/// One entity of GetAccountAuthorizationDetails, before its details are read: the listing
/// is paged first so that only one page's details are fetched.
#[derive(Clone)]
enum Entry {
    User(UserRecord),
    Group(GroupRecord),
    Role(RoleRecord),
    Local(PolicyRecord),
    Aws(&'static ManagedPolicy, i64),
}

/// Every item of a store listing, paging through it 1,000 at a time. A macro rather than a
/// function over an async closure, whose future would not be `Send` for every lifetime.
macro_rules! every {
    (|$options:ident| $list:expr) => {{
        let mut all = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let $options = ListOptions {
                path_prefix: None,
                marker: marker.clone(),
                max_items: 1000,
            };
            let page: Page<_> = $list.await?;
            all.extend(page.items);
            match page.next_marker {
                // A marker that does not move would loop forever: the listing is complete.
                Some(next) if marker.as_deref() != Some(next.as_str()) => marker = Some(next),
                _ => break,
            }
        }
        all
    }};
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
            login_profile: login_profile_view(user.name, &profile),
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
        let profile = self.reads().get_login_profile(&account, &me.name).await?;
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
        self.allow(
            caller,
            Operation::GetAccountAuthorizationDetails,
            "*",
            Vec::new(),
        )
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

    async fn all_users(&self, account: &str) -> ServiceResult<Vec<UserRecord>> {
        Ok(every!(|options| self.reads().list_users(account, &options)))
    }

    async fn all_groups(&self, account: &str) -> ServiceResult<Vec<GroupRecord>> {
        Ok(every!(|options| self
            .reads()
            .list_groups(account, &options)))
    }

    async fn all_roles(&self, account: &str) -> ServiceResult<Vec<RoleRecord>> {
        Ok(every!(|options| self.reads().list_roles(account, &options)))
    }

    async fn all_policies(&self, account: &str) -> ServiceResult<Vec<PolicyRecord>> {
        Ok(every!(|options| self
            .reads()
            .list_policies(account, false, &options)))
    }

    /// GetAccountSummary's map: the account's real counts and AWS's default quotas.
    async fn summary(&self, account: &str) -> ServiceResult<BTreeMap<SummaryKeyType, i32>> {
        use SummaryKeyType as K;
        let users = self.all_users(account).await?;
        let groups = self.all_groups(account).await?;
        let roles = self.all_roles(account).await?;
        let policies = self.all_policies(account).await?;
        let server_certificates =
            every!(|options| self.reads().list_server_certificates(account, &options)).len();
        let mut versions_in_use = 0usize;
        for policy in &policies {
            versions_in_use += self.reads().list_policy_versions(&policy.arn).await?.len();
        }
        // AWS managed policies attached in the account count as one version in use each.
        versions_in_use += self
            .reads()
            .policy_attachment_counts(account)
            .await?
            .iter()
            .filter(|(arn, _)| Catalogue::shipped().get(arn).is_some())
            .count();
        let root_keys = self.reads().list_access_keys(account, None).await?;
        let root_certificates = self
            .reads()
            .list_user_credentials(account, None, store::CredentialKind::SigningCertificate)
            .await?;
        let profiles = every!(|options| self.reads().list_instance_profiles(account, &options));
        let mfa = self.reads().mfa_counts(account).await?;
        // Identity providers of both kinds (reading 60).
        let providers = self.reads().list_oidc_providers(account).await?.len()
            + self.reads().list_saml_providers(account).await?.len();
        let token_version = self
            .reads()
            .get_account(account)
            .await?
            .global_endpoint_token_version;
        Ok(BTreeMap::from([
            (K::Users, count(users.len())),
            (K::UsersQuota, USERS_QUOTA),
            (K::Groups, count(groups.len())),
            (K::GroupsQuota, GROUPS_QUOTA),
            (K::Roles, count(roles.len())),
            (K::RolesQuota, ROLES_QUOTA),
            (K::Policies, count(policies.len())),
            (K::PoliciesQuota, POLICIES_QUOTA),
            (K::PolicyVersionsInUse, count(versions_in_use)),
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
            (K::ServerCertificates, count(server_certificates)),
            (K::ServerCertificatesQuota, 20),
            (K::InstanceProfiles, count(profiles.len())),
            (K::InstanceProfilesQuota, 1_000),
            (K::Providers, count(providers)),
            (K::MFADevices, count_i64(mfa.devices)),
            (K::MFADevicesInUse, count_i64(mfa.in_use)),
            (K::AccountMFAEnabled, i32::from(mfa.root_enabled)),
            (
                K::AccountAccessKeysPresent,
                i32::from(!root_keys.is_empty()),
            ),
            (
                K::AccountSigningCertificatesPresent,
                i32::from(!root_certificates.is_empty()),
            ),
            (K::GlobalEndpointTokenVersion, token_version),
        ]))
    }

    /// GetAccountAuthorizationDetails: users, groups, roles, then policies (the account's
    /// own, then the AWS managed ones attached in it), paged before details are read.
    async fn authorization_details(
        &self,
        caller: &Caller,
        input: wire::iam::GetAccountAuthorizationDetailsRequest,
    ) -> ServiceResult<GetAccountAuthorizationDetailsResponse> {
        let account = caller.account_id.as_str();
        let filter = input.filter.unwrap_or_default();
        let wanted = |kind: EntityType| filter.is_empty() || filter.contains(&kind);
        let users = self.all_users(account).await?;
        let roles = self.all_roles(account).await?;
        let mut entries: Vec<Entry> = Vec::new();
        if wanted(EntityType::User) {
            entries.extend(users.iter().cloned().map(Entry::User));
        }
        if wanted(EntityType::Group) {
            entries.extend(
                self.all_groups(account)
                    .await?
                    .into_iter()
                    .map(Entry::Group),
            );
        }
        if wanted(EntityType::Role) {
            entries.extend(roles.iter().cloned().map(Entry::Role));
        }
        if wanted(EntityType::LocalManagedPolicy) {
            entries.extend(
                self.all_policies(account)
                    .await?
                    .into_iter()
                    .map(Entry::Local),
            );
        }
        if wanted(EntityType::AWSManagedPolicy) {
            for (arn, attached) in self.reads().policy_attachment_counts(account).await? {
                if let Some(aws) = Catalogue::shipped().get(&arn) {
                    entries.push(Entry::Aws(aws, attached));
                }
            }
        }
        let mut boundary_uses: HashMap<&str, i32> = HashMap::new();
        for arn in users
            .iter()
            .filter_map(|u| u.permissions_boundary_arn.as_deref())
            .chain(
                roles
                    .iter()
                    .filter_map(|r| r.permissions_boundary_arn.as_deref()),
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
                    let detail = self.user_detail(&user).await?;
                    response
                        .user_detail_list
                        .get_or_insert_default()
                        .push(detail);
                }
                Entry::Group(group) => {
                    let detail = self.group_detail(&group).await?;
                    response
                        .group_detail_list
                        .get_or_insert_default()
                        .push(detail);
                }
                Entry::Role(role) => {
                    let detail = self.role_detail(&role).await?;
                    response
                        .role_detail_list
                        .get_or_insert_default()
                        .push(detail);
                }
                Entry::Local(policy) => {
                    let uses = boundary_uses.get(policy.arn.as_str()).copied().unwrap_or(0);
                    let detail = self.local_policy_detail(policy, uses).await?;
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

    /// A customer managed policy as GetAccountAuthorizationDetails shows it, all versions
    /// included.
    async fn local_policy_detail(
        &self,
        policy: PolicyRecord,
        uses: i32,
    ) -> ServiceResult<ManagedPolicyDetail> {
        let versions = self.reads().list_policy_versions(&policy.arn).await?;
        Ok(ManagedPolicyDetail {
            policy_name: Some(policy.name),
            policy_id: Some(policy.policy_id),
            arn: Some(policy.arn),
            path: Some(policy.path),
            default_version_id: Some(policy.default_version_id),
            attachment_count: Some(count(usize::try_from(policy.attachment_count).unwrap_or(0))),
            permissions_boundary_usage_count: Some(uses),
            is_attachable: Some(true),
            description: policy.description,
            create_date: Some(timestamp(policy.created_at)),
            update_date: Some(timestamp(policy.updated_at)),
            policy_version_list: Some(
                versions
                    .into_iter()
                    .map(|v| PolicyVersion {
                        document: Some(uri_encode(&v.document)),
                        version_id: Some(v.version_id),
                        is_default_version: Some(v.is_default),
                        create_date: Some(timestamp(v.created_at)),
                    })
                    .collect(),
            ),
        })
    }

    async fn user_detail(&self, user: &UserRecord) -> ServiceResult<UserDetail> {
        let owner = Principal::user(&user.user_id);
        let inline = inline_view(self.reads().list_inline_policies(&owner).await?);
        let groups = self
            .reads()
            .list_groups_for_user(
                &user.account_id,
                &user.name,
                &ListOptions {
                    max_items: 1000,
                    ..ListOptions::default()
                },
            )
            .await?
            .items
            .into_iter()
            .map(|g| g.name)
            .collect();
        let attached = attached_view(self.reads().list_attached_policies(&owner).await?);
        let tags = wire_tags(
            self.reads()
                .list_tags(&TagTarget::User(user.user_id.clone()))
                .await?,
        );
        Ok(UserDetail {
            path: Some(user.path.clone()),
            user_name: Some(user.name.clone()),
            user_id: Some(user.user_id.clone()),
            arn: Some(user_arn(&user.account_id, &user.path, &user.name)),
            create_date: Some(timestamp(user.created_at)),
            user_policy_list: (!inline.is_empty()).then_some(inline),
            group_list: Some(groups),
            attached_managed_policies: Some(attached),
            permissions_boundary: boundary_view(user.permissions_boundary_arn.as_ref()),
            tags: (!tags.is_empty()).then_some(tags),
        })
    }

    async fn group_detail(&self, group: &GroupRecord) -> ServiceResult<GroupDetail> {
        let owner = Principal::group(&group.group_id);
        Ok(GroupDetail {
            path: Some(group.path.clone()),
            group_name: Some(group.name.clone()),
            group_id: Some(group.group_id.clone()),
            arn: Some(group_arn(&group.account_id, &group.path, &group.name)),
            create_date: Some(timestamp(group.created_at)),
            group_policy_list: Some(inline_view(
                self.reads().list_inline_policies(&owner).await?,
            )),
            attached_managed_policies: Some(attached_view(
                self.reads().list_attached_policies(&owner).await?,
            )),
        })
    }

    async fn role_detail(&self, role: &RoleRecord) -> ServiceResult<RoleDetail> {
        let owner = Principal::role(&role.role_id);
        // As AWS shows them: each profile that holds the role, with its roles inside.
        let mut instance_profiles = Vec::new();
        for profile in every!(|options| self.reads().list_instance_profiles_for_role(
            &role.account_id,
            &role.name,
            &options
        )) {
            instance_profiles.push(profile_view(&self.rendered_profile(profile).await?, None));
        }
        let tags = wire_tags(
            self.reads()
                .list_tags(&TagTarget::Role(role.role_id.clone()))
                .await?,
        );
        Ok(RoleDetail {
            path: Some(role.path.clone()),
            role_name: Some(role.name.clone()),
            role_id: Some(role.role_id.clone()),
            arn: Some(role_arn(&role.account_id, &role.path, &role.name)),
            create_date: Some(timestamp(role.created_at)),
            assume_role_policy_document: Some(uri_encode(&self.rendered_trust(role).await?)),
            instance_profile_list: Some(instance_profiles),
            role_policy_list: Some(inline_view(
                self.reads().list_inline_policies(&owner).await?,
            )),
            attached_managed_policies: Some(attached_view(
                self.reads().list_attached_policies(&owner).await?,
            )),
            permissions_boundary: boundary_view(role.permissions_boundary_arn.as_ref()),
            tags: (!tags.is_empty()).then_some(tags),
            role_last_used: Some(RoleLastUsed {
                last_used_date: role.last_used_at.map(timestamp),
                region: role.last_used_region.clone(),
            }),
        })
    }
}
