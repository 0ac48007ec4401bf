//! The one read interface of the operations: every read of IAM state that an operation or a
//! decision makes goes through [`Reads`]. What the in-memory state holds (`state/`: users,
//! groups, roles, customer managed policies, access keys, instance profiles, login profiles,
//! MFA devices, users' other credentials, server certificates, identity providers, every
//! kind's tags, accounts with their aliases, properties and password policies) is served from
//! its current snapshot once it is loaded. The store still answers what the state never
//! holds: secrets (password hashes, MFA seeds with their last accepted step, SAML providers'
//! sealed keys), each read only where it is used; usage stamps that do not move the revision
//! (GetAccessKeyLastUsed); console sessions and outbound federation.
//!
//! Writes go to the store directly: the store stays the source of truth, and a write is
//! followed by the state's catch-up in `Service::iam`.

use std::sync::Arc;

use store::{
    AccessKeyRecord, AccountRecord, GroupRecord, InstanceProfileRecord, ListOptions,
    LoginProfileInfo, LoginProfileRecord, Page, PasswordPolicy, PolicyEntity, PolicyRecord,
    PolicyVersionRecord, Principal, RoleRecord, ServerCertificateRecord, Store, StoreError, Tag,
    TagTarget, UserRecord,
};
use store::{Assignment, MfaDeviceInfo, MfaDeviceRecord, MfaOwner};
use store::{ConsoleSessionRecord, CredentialKind, UserCredentialRecord};
use store::{LoadScope, OidcProviderRecord, SamlProviderInfo, SamlProviderRecord};
use store::{OutboundFederationRecord, SigningKeyRecord};

use crate::service::Service;
use crate::state::{AccountState, Snapshot, State};

/// Reads of IAM state, borrowed from the service (see the module documentation).
#[derive(Clone, Copy)]
pub(crate) struct Reads<'a> {
    store: &'a Store,
    state: Option<&'a State>,
}

impl Service {
    /// The one way operations read IAM state.
    pub(crate) fn reads(&self) -> Reads<'_> {
        Reads {
            store: &self.store,
            state: Some(self.state()),
        }
    }
}

impl<'a> Reads<'a> {
    /// Reads of a store no service holds yet (a database opened but still sealed).
    pub(crate) fn of(store: &'a Store) -> Self {
        Reads { store, state: None }
    }

    /// The state's snapshot, when it is loaded (for this read only: [`State::peek`]).
    fn loaded(&self) -> Option<arc_swap::Guard<Arc<Snapshot>>> {
        self.state
            .map(State::peek)
            .filter(|snapshot| snapshot.is_loaded())
    }

    /// The revision a value computed from the reads that follow will carry: taken before
    /// them, so that a change landing meanwhile makes the value stale, never the reverse.
    pub(crate) fn revision(&self) -> i64 {
        self.loaded().map_or(-1, |snapshot| snapshot.revision)
    }

    /// Whether a value computed at `revision` for the user, role or key `id` still holds.
    pub(crate) fn holds(&self, id: &str, revision: i64) -> bool {
        self.loaded()
            .is_some_and(|snapshot| snapshot.holds(id, revision))
    }

    /// Whether a value computed at `revision` from managed policies still holds.
    pub(crate) fn policies_hold(&self, revision: i64) -> bool {
        self.loaded()
            .is_some_and(|snapshot| snapshot.policies_hold(revision))
    }

    /// Whether organization guardrails computed at `revision` still hold.
    pub(crate) fn organizations_hold(&self, revision: i64) -> bool {
        self.loaded()
            .is_some_and(|snapshot| snapshot.organizations_hold(revision))
    }

    /// A role as this node knows it, with its latest AssumeRole stamp.
    fn stamped(&self, role: RoleRecord) -> RoleRecord {
        match self.state {
            Some(state) => state.role_with_stamp(role),
            None => role,
        }
    }

    /// A role by name.
    pub(crate) async fn get_role(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<RoleRecord, StoreError> {
        let role = match self.loaded() {
            Some(snapshot) => snapshot.get_role(account_id, name)?,
            None => self.store.get_role(account_id, name).await?,
        };
        Ok(self.stamped(role))
    }

    /// A role by unique id.
    pub(crate) async fn get_role_by_id(&self, role_id: &str) -> Result<RoleRecord, StoreError> {
        let role = match self.loaded() {
            Some(snapshot) => snapshot.get_role_by_id(role_id)?,
            None => self.store.get_role_by_id(role_id).await?,
        };
        Ok(self.stamped(role))
    }

    /// A page of roles.
    pub(crate) async fn list_roles(
        &self,
        account_id: &str,
        options: &ListOptions,
    ) -> Result<Page<RoleRecord>, StoreError> {
        let mut page = match self.loaded() {
            Some(snapshot) => snapshot.list_roles(account_id, options),
            None => self.store.list_roles(account_id, options).await?,
        };
        page.items = page.items.into_iter().map(|r| self.stamped(r)).collect();
        Ok(page)
    }

    /// The tags of an entity, by key.
    pub(crate) async fn list_tags(&self, target: &TagTarget) -> Result<Vec<Tag>, StoreError> {
        match self.loaded() {
            Some(snapshot) => snapshot.list_tags(target),
            None => self.store.list_tags(target).await,
        }
    }

    /// One account as the state holds it, shared (not copied): what GetAccountSummary and
    /// GetAccountAuthorizationDetails scan. Before the state is loaded, the account is read
    /// from the store in one transaction.
    pub(crate) async fn account_state(
        &self,
        account_id: &str,
    ) -> Result<Arc<AccountState>, StoreError> {
        let missing = || StoreError::NoSuchEntity {
            kind: store::EntityKind::Account,
            name: account_id.to_owned(),
        };
        if let Some(snapshot) = self.loaded() {
            return snapshot.account(account_id).cloned().ok_or_else(missing);
        }
        let mut loaded = self
            .store
            .load(&LoadScope::Account(account_id.to_owned()))
            .await?;
        let record = loaded.accounts.pop().ok_or_else(missing)?;
        Ok(Arc::new(AccountState::loaded(record, &mut loaded)))
    }

    /// A role of `account` with this node's latest AssumeRole stamp.
    pub(crate) fn stamped_role(&self, role: &RoleRecord) -> RoleRecord {
        self.stamped(role.clone())
    }

    /// An access key of the state with this node's latest use stamp.
    pub(crate) fn stamped_key(&self, key: &AccessKeyRecord) -> AccessKeyRecord {
        match self.state {
            Some(state) => state.key_with_stamp(key.clone()),
            None => key.clone(),
        }
    }

    /// An access key by id, with its last use as this node knows it (GetAccessKeyLastUsed:
    /// the stamp does not move the revision, so it comes from the stamps, not the record).
    pub(crate) async fn access_key_usage(
        &self,
        access_key_id: &str,
    ) -> Result<AccessKeyRecord, StoreError> {
        let key = self.get_access_key(access_key_id).await?;
        Ok(match self.state {
            Some(state) => state.key_with_stamp(key),
            None => key,
        })
    }
}

impl Reads<'_> {
    /// A user's login profile, without its hash.
    pub(crate) async fn get_login_profile(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<LoginProfileInfo, StoreError> {
        match self.loaded() {
            Some(snapshot) => snapshot.get_login_profile(account_id, user_name),
            None => Ok(self
                .store
                .get_login_profile(account_id, user_name)
                .await?
                .info()),
        }
    }

    /// A virtual MFA device of the account by serial number, without its seed.
    pub(crate) async fn get_mfa_device(
        &self,
        account_id: &str,
        serial_number: &str,
    ) -> Result<MfaDeviceInfo, StoreError> {
        match self.loaded() {
            Some(snapshot) => snapshot.get_mfa_device(account_id, serial_number),
            None => Ok(self
                .store
                .get_mfa_device(account_id, serial_number)
                .await?
                .info()),
        }
    }

    /// A page of the account's virtual MFA devices.
    pub(crate) async fn list_virtual_mfa_devices(
        &self,
        account_id: &str,
        assignment: Assignment,
        options: &ListOptions,
    ) -> Result<Page<MfaDeviceInfo>, StoreError> {
        if let Some(snapshot) = self.loaded() {
            return Ok(snapshot.list_virtual_mfa_devices(account_id, assignment, options));
        }
        let page = self
            .store
            .list_virtual_mfa_devices(account_id, assignment, options)
            .await?;
        Ok(Page {
            items: page.items.iter().map(MfaDeviceRecord::info).collect(),
            next_marker: page.next_marker,
        })
    }

    /// The MFA devices enabled for a user or the root user, without their seeds.
    pub(crate) async fn list_mfa_devices_of(
        &self,
        account_id: &str,
        owner: &MfaOwner,
    ) -> Result<Vec<MfaDeviceInfo>, StoreError> {
        if let Some(snapshot) = self.loaded() {
            return Ok(snapshot.list_mfa_devices_of(account_id, owner));
        }
        let devices = self.store.list_mfa_devices_of(account_id, owner).await?;
        Ok(devices.iter().map(MfaDeviceRecord::info).collect())
    }

    /// The account's SAML provider named `name` (case-insensitively), with its keys' ids
    /// only; `NoSuchEntity` naming the ARN when absent.
    pub(crate) async fn saml_provider(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<SamlProviderInfo, StoreError> {
        match self.loaded() {
            Some(snapshot) => snapshot.saml_provider(account_id, name),
            None => Ok(self.store.get_saml_provider(account_id, name).await?.info()),
        }
    }

    /// The SAML provider whose unique id is `uuid`, in any account; `None` when none has it.
    pub(crate) async fn saml_provider_by_uuid(
        &self,
        uuid: &str,
    ) -> Result<Option<SamlProviderInfo>, StoreError> {
        if let Some(snapshot) = self.loaded() {
            return Ok(snapshot.saml_provider_by_uuid(uuid));
        }
        let found = self.store.find_saml_provider_by_uuid(uuid).await?;
        Ok(found.as_ref().map(SamlProviderRecord::info))
    }

    /// The account's SAML providers, by name.
    pub(crate) async fn list_saml_providers(
        &self,
        account_id: &str,
    ) -> Result<Vec<SamlProviderInfo>, StoreError> {
        if let Some(snapshot) = self.loaded() {
            return Ok(snapshot.list_saml_providers(account_id));
        }
        let providers = self.store.list_saml_providers(account_id).await?;
        Ok(providers.iter().map(SamlProviderRecord::info).collect())
    }
}

/// Reads the state serves when loaded (`fallible`: the snapshot answers a `Result`; `total`:
/// it answers the value), with the store's signature.
macro_rules! served {
    ($($(#[$doc:meta])* $how:ident fn $name:ident($($arg:ident: $ty:ty),*) -> $out:ty;)*) => {
        impl Reads<'_> {
            $(
                $(#[$doc])*
                pub(crate) async fn $name(&self, $($arg: $ty),*) -> Result<$out, StoreError> {
                    if let Some(snapshot) = self.loaded() {
                        return served!(@$how snapshot.$name($($arg),*));
                    }
                    self.store.$name($($arg),*).await
                }
            )*
        }
    };
    (@fallible $e:expr) => { $e };
    (@total $e:expr) => { Ok($e) };
}

served! {
    /// An account by id.
    fallible fn get_account(account_id: &str) -> AccountRecord;
    /// Every account of the server.
    total fn list_accounts() -> Vec<AccountRecord>;
    /// The account with this alias (console sign-in).
    fallible fn get_account_by_alias(alias: &str) -> AccountRecord;
    /// The account whose root user signs in with this email.
    fallible fn get_account_by_email(email: &str) -> AccountRecord;
    /// The account's password policy, if it has one.
    total fn get_password_policy(account_id: &str) -> Option<PasswordPolicy>;
    /// A user by name.
    fallible fn get_user(account_id: &str, name: &str) -> UserRecord;
    /// A user by unique id.
    fallible fn get_user_by_id(user_id: &str) -> UserRecord;
    /// A page of users.
    total fn list_users(account_id: &str, options: &ListOptions) -> Page<UserRecord>;
    /// An access key by id.
    fallible fn get_access_key(access_key_id: &str) -> AccessKeyRecord;
    /// The access keys of a user (or of the root user when `user_id` is `None`).
    total fn list_access_keys(account_id: &str, user_id: Option<&str>) -> Vec<AccessKeyRecord>;
    /// A group by name.
    fallible fn get_group(account_id: &str, name: &str) -> GroupRecord;
    /// A page of groups.
    total fn list_groups(account_id: &str, options: &ListOptions) -> Page<GroupRecord>;
    /// A page of a group's members.
    fallible fn list_users_in_group(
        account_id: &str,
        group_name: &str,
        options: &ListOptions
    ) -> Page<UserRecord>;
    /// A page of the groups a user belongs to.
    fallible fn list_groups_for_user(
        account_id: &str,
        user_name: &str,
        options: &ListOptions
    ) -> Page<GroupRecord>;
    /// A customer managed policy by ARN.
    fallible fn get_policy(arn: &str) -> PolicyRecord;
    /// A page of the account's customer managed policies.
    total fn list_policies(
        account_id: &str,
        only_attached: bool,
        options: &ListOptions
    ) -> Page<PolicyRecord>;
    /// One version of a customer managed policy.
    fallible fn get_policy_version(arn: &str, version_id: &str) -> PolicyVersionRecord;
    /// Every version of a customer managed policy.
    fallible fn list_policy_versions(arn: &str) -> Vec<PolicyVersionRecord>;
    /// How many users, groups and roles each policy of the account is attached to.
    total fn policy_attachment_counts(account_id: &str) -> Vec<(String, i64)>;
    /// The users, groups and roles a policy is attached to.
    total fn list_entities_for_policy(account_id: &str, policy_arn: &str) -> Vec<PolicyEntity>;
    /// One inline policy's document.
    fallible fn get_inline_policy(principal: &Principal, policy_name: &str) -> String;
    /// Every inline policy of a user, group or role: (name, document).
    total fn list_inline_policies(principal: &Principal) -> Vec<(String, String)>;
    /// The ARNs of the managed policies attached to a user, group or role.
    total fn list_attached_policies(principal: &Principal) -> Vec<String>;
    /// An instance profile by name.
    fallible fn get_instance_profile(account_id: &str, name: &str) -> InstanceProfileRecord;
    /// A page of instance profiles.
    total fn list_instance_profiles(
        account_id: &str,
        options: &ListOptions
    ) -> Page<InstanceProfileRecord>;
    /// A page of the instance profiles holding a role.
    fallible fn list_instance_profiles_for_role(
        account_id: &str,
        role_name: &str,
        options: &ListOptions
    ) -> Page<InstanceProfileRecord>;
    /// The account's properties (Get/PutAccountProperties), by key.
    total fn list_account_properties(account_id: &str) -> Vec<(String, String)>;
    /// The SSH keys, signing certificates or service-specific credentials of a user (or of
    /// the root user when `user_id` is `None`), without secrets.
    total fn list_user_credentials(
        account_id: &str,
        user_id: Option<&str>,
        kind: CredentialKind
    ) -> Vec<UserCredentialRecord>;
    /// The credentials of one kind in the whole account.
    total fn list_account_credentials(
        account_id: &str,
        kind: CredentialKind
    ) -> Vec<UserCredentialRecord>;
    /// One credential by kind and id.
    fallible fn get_user_credential(
        account_id: &str,
        kind: CredentialKind,
        credential_id: &str
    ) -> UserCredentialRecord;
    /// A server certificate by name.
    fallible fn get_server_certificate(account_id: &str, name: &str) -> ServerCertificateRecord;
    /// A page of server certificates.
    total fn list_server_certificates(
        account_id: &str,
        options: &ListOptions
    ) -> Page<ServerCertificateRecord>;
    /// The account's OpenID Connect provider for `resource` (the ARN's part after
    /// `oidc-provider/`, exact text); `NoSuchEntity` naming the ARN when absent.
    fallible fn get_oidc_provider(account_id: &str, resource: &str) -> OidcProviderRecord;
    /// The account's OpenID Connect providers, by resource.
    total fn list_oidc_providers(account_id: &str) -> Vec<OidcProviderRecord>;
}

/// Reads the state does not hold: each goes to the store, with the store's signature.
macro_rules! reads {
    ($($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*) -> $out:ty;)*) => {
        impl Reads<'_> {
            $(
                $(#[$doc])*
                pub(crate) async fn $name(&self, $($arg: $ty),*) -> Result<$out, StoreError> {
                    self.store.$name($($arg),*).await
                }
            )*
        }
    };
}

reads! {
    /// A stored report or access advisor job by id (credential reports, jobs).
    fn get_report(account_id: &str, report_id: &str) -> Option<store::StoredReport>;
    /// The recorded service (and action) uses of the account's principals among `principal_ids`.
    fn service_access_of(account_id: &str, principal_ids: &[String]) -> Vec<store::ServiceAccess>;
    /// What binds an account in its organization (path, SCPs, RCPs).
    fn org_guardrails(account_id: &str) -> Option<store::GuardrailRows>;
    /// The organization an account belongs to.
    fn organization_of(account_id: &str) -> Option<store::OrganizationRecord>;
    /// The organization's accounts, by id.
    fn list_org_accounts(org_id: &str) -> Vec<store::OrgAccountRecord>;
    /// One account of an organization.
    fn get_org_account(org_id: &str, account_id: &str) -> store::OrgAccountRecord;
    /// One organizational unit.
    fn get_org_unit(org_id: &str, ou_id: &str) -> store::OrgUnitRecord;
    /// The organization's units, by id.
    fn list_org_units(org_id: &str) -> Vec<store::OrgUnitRecord>;
    /// A customer managed SCP or RCP.
    fn get_org_policy(org_id: &str, policy_id: &str) -> store::OrgPolicyRecord;
    /// The customer managed policies of a type.
    fn list_org_policies(org_id: &str, policy_type: &str) -> Vec<store::OrgPolicyRecord>;
    /// The policies of a type attached to a target.
    fn list_org_policies_for_target(org_id: &str, target_id: &str, policy_type: &str) -> Vec<String>;
    /// The targets a policy is attached to.
    fn list_org_targets_for_policy(org_id: &str, policy_id: &str) -> Vec<String>;
    /// An organization resource's tags.
    fn list_org_tags(org_id: &str, resource_id: &str) -> Vec<Tag>;
    /// A CreateAccount request's status.
    fn get_create_account_status(org_id: &str, request_id: &str) -> store::CreateAccountStatusRecord;
    /// The organization's CreateAccount statuses.
    fn list_create_account_statuses(org_id: &str) -> Vec<store::CreateAccountStatusRecord>;
    /// The root user's console password hash, if one was set.
    fn get_root_password_hash(account_id: &str) -> Option<String>;
    /// A console session by the hash of its cookie value.
    fn get_console_session(id_hash: &str) -> Option<ConsoleSessionRecord>;
    /// The account's outbound web identity federation, if ever enabled.
    fn get_outbound_federation(account_id: &str) -> Option<OutboundFederationRecord>;
    /// The outbound federation whose issuer URL carries this id.
    fn outbound_federation_by_issuer(issuer_id: &str) -> Option<OutboundFederationRecord>;
    /// The account's outbound federation signing keys, oldest first.
    fn list_outbound_signing_keys(account_id: &str) -> Vec<SigningKeyRecord>;
}

/// Reads of secrets, which the state never holds: each goes to the store, under a name that
/// says what it carries, and only the code that uses the secret calls it.
macro_rules! secrets {
    ($($(#[$doc:meta])* fn $name:ident = $store:ident($($arg:ident: $ty:ty),*) -> $out:ty;)*) => {
        impl Reads<'_> {
            $(
                $(#[$doc])*
                pub(crate) async fn $name(&self, $($arg: $ty),*) -> Result<$out, StoreError> {
                    self.store.$store($($arg),*).await
                }
            )*
        }
    };
}

secrets! {
    /// A user's login profile with its password hash (sign-in, ChangePassword).
    fn login_profile_with_hash = get_login_profile(
        account_id: &str,
        user_name: &str
    ) -> LoginProfileRecord;
    /// A device with its sealed seed, last accepted step and drift (a code check).
    fn mfa_device_with_seed = get_mfa_device(
        account_id: &str,
        serial_number: &str
    ) -> MfaDeviceRecord;
    /// The devices enabled for an owner with their seeds (console sign-in's code check).
    fn mfa_devices_with_seeds = list_mfa_devices_of(
        account_id: &str,
        owner: &MfaOwner
    ) -> Vec<MfaDeviceRecord>;
    /// A SAML provider with its sealed private keys (an encrypted assertion).
    fn saml_provider_with_keys = get_saml_provider(
        account_id: &str,
        name: &str
    ) -> SamlProviderRecord;
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// The store's read methods as they would be called from elsewhere (white space removed).
    const STORE_READS: &[&str] = &[
        "store.get_",
        "store.list_",
        "store().get_",
        "store().list_",
        "store.policy_attachment_counts",
    ];

    fn rust_files(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
            if path.is_dir() {
                rust_files(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }

    /// Every read of IAM state goes through `Reads`: no other file of the crate calls the
    /// store's read methods, so the in-memory state serves what it holds from here.
    #[test]
    fn the_store_is_read_only_through_reads() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        assert!(files.len() > 20, "the crate's sources were not found");
        let mut offenders = Vec::new();
        // `state/` loads what `Reads` serves.
        let state = src.join("state");
        for file in files
            .iter()
            .filter(|f| !f.ends_with("reads.rs") && !f.starts_with(&state))
        {
            let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{e}"));
            let code: String = text
                .lines()
                .filter(|line| !line.trim_start().starts_with("//"))
                .flat_map(|line| line.chars().filter(|c| !c.is_whitespace()))
                .collect();
            for call in STORE_READS.iter().filter(|call| code.contains(*call)) {
                offenders.push(format!("{}: {call}", file.display()));
            }
        }
        assert!(
            offenders.is_empty(),
            "reads that bypass `Reads`:\n  {}",
            offenders.join("\n  ")
        );
    }
}
