//! The reads a snapshot answers, each with the store's answer for the same question: the same
//! records, order, pagination markers and `NoSuchEntity` errors.

use std::ops::Bound;
use std::sync::Arc;

use imbl::OrdMap;
use store::{
    AccessKeyRecord, AccountRecord, Assignment, CredentialKind, EntityKind, GroupRecord,
    InstanceProfileRecord, ListOptions, LoginProfileInfo, MfaDeviceInfo, MfaOwner,
    OidcProviderRecord, Page, PasswordPolicy, PolicyEntity, PolicyRecord, PolicyVersionRecord,
    Principal, PrincipalKind, RoleRecord, SamlProviderInfo, ServerCertificateRecord, StoreError,
    Tag, TagTarget, UserCredentialRecord, UserRecord,
};

use super::Snapshot;
use super::account::{
    AccountState, Named, OwnerIndex, Policies, ProfileEntry, lower, version_number,
};

fn not_found(kind: EntityKind, name: &str) -> StoreError {
    StoreError::NoSuchEntity {
        kind,
        name: name.to_owned(),
    }
}

/// The page size the store uses: 1 to 1000.
fn page_size(options: &ListOptions) -> usize {
    usize::try_from(options.max_items.clamp(1, 1000)).unwrap_or(1000)
}

/// One page of `items` (in key order, each with its key, those after the marker): at most
/// the page size, with the last key as the next marker when more follow.
fn page<K: Into<String>, T>(items: impl Iterator<Item = (K, T)>, options: &ListOptions) -> Page<T> {
    let max = page_size(options);
    // Sized for a usual page up front: growing a vector of records copies them each time.
    let mut out = Vec::with_capacity(max.min(128));
    let mut last_key = None;
    for (key, item) in items {
        if out.len() == max {
            return Page {
                items: out,
                next_marker: last_key.map(Into::into),
            };
        }
        last_key = Some(key);
        out.push(item);
    }
    Page {
        items: out,
        next_marker: None,
    }
}

/// The entries of a by-name map after the marker, without visiting those before it.
fn after_marker<'a, T: Clone>(
    map: &'a OrdMap<String, Arc<T>>,
    options: &ListOptions,
) -> impl Iterator<Item = (&'a String, &'a Arc<T>)> {
    let start = match &options.marker {
        Some(marker) => Bound::Excluded(marker.clone()),
        None => Bound::Unbounded,
    };
    map.range((start, Bound::Unbounded))
}

fn path_matches(path: &str, options: &ListOptions) -> bool {
    options
        .path_prefix
        .as_deref()
        .is_none_or(|prefix| path.starts_with(prefix))
}

impl Snapshot {
    fn in_account(&self, account_id: &str) -> Result<&Arc<AccountState>, StoreError> {
        self.account(account_id)
            .ok_or_else(|| not_found(EntityKind::Account, account_id))
    }

    /// A page of one kind of an account's entities, in name order after the marker: those
    /// `answer` keeps, as it answers them.
    fn list_of<T: Clone, R>(
        &self,
        account_id: &str,
        options: &ListOptions,
        kind: impl Fn(&AccountState) -> &Named<T>,
        answer: impl Fn(&AccountState, &T) -> Option<R>,
    ) -> Page<R> {
        let Some(account) = self.account(account_id) else {
            return page(std::iter::empty::<(String, R)>(), options);
        };
        let answered = after_marker(&kind(account).by_name, options)
            .filter_map(|(key, entry)| answer(account, entry).map(|r| (key, r)));
        page(answered, options)
    }

    pub(crate) fn get_account(&self, account_id: &str) -> Result<AccountRecord, StoreError> {
        Ok(self.in_account(account_id)?.record.clone())
    }

    /// The account with this alias (aliases are unique across the server).
    pub(crate) fn get_account_by_alias(&self, alias: &str) -> Result<AccountRecord, StoreError> {
        self.accounts
            .values()
            .find(|a| a.record.alias.as_deref() == Some(alias))
            .map(|a| a.record.clone())
            .ok_or_else(|| not_found(EntityKind::Account, alias))
    }

    /// The account whose root user signs in with this email, compared case-insensitively.
    pub(crate) fn get_account_by_email(&self, email: &str) -> Result<AccountRecord, StoreError> {
        let wanted = lower(email);
        self.accounts
            .values()
            .find(|a| lower(&a.record.email) == wanted)
            .map(|a| a.record.clone())
            .ok_or_else(|| not_found(EntityKind::Account, email))
    }

    pub(crate) fn list_accounts(&self) -> Vec<AccountRecord> {
        let mut accounts: Vec<AccountRecord> =
            self.accounts.values().map(|a| a.record.clone()).collect();
        accounts.sort_by(|a, b| a.account_id.cmp(&b.account_id));
        accounts
    }

    pub(crate) fn get_password_policy(&self, account_id: &str) -> Option<PasswordPolicy> {
        self.account(account_id)
            .and_then(|a| a.password_policy.clone())
    }

    pub(crate) fn get_user(&self, account_id: &str, name: &str) -> Result<UserRecord, StoreError> {
        self.account(account_id)
            .and_then(|a| a.users.by_name.get(&lower(name)))
            .map(|u| u.record.clone())
            .ok_or_else(|| not_found(EntityKind::User, name))
    }

    pub(crate) fn get_user_by_id(&self, user_id: &str) -> Result<UserRecord, StoreError> {
        self.owner(user_id)
            .and_then(|a| a.users.by_id(user_id))
            .map(|u| u.record.clone())
            .ok_or_else(|| not_found(EntityKind::User, user_id))
    }

    pub(crate) fn list_users(&self, account_id: &str, options: &ListOptions) -> Page<UserRecord> {
        self.list_of(
            account_id,
            options,
            |a| &a.users,
            |_, u| path_matches(&u.record.path, options).then(|| u.record.clone()),
        )
    }

    pub(crate) fn get_group(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<GroupRecord, StoreError> {
        self.account(account_id)
            .and_then(|a| a.groups.by_name.get(&lower(name)))
            .map(|g| g.record.clone())
            .ok_or_else(|| not_found(EntityKind::Group, name))
    }

    pub(crate) fn list_groups(&self, account_id: &str, options: &ListOptions) -> Page<GroupRecord> {
        self.list_of(
            account_id,
            options,
            |a| &a.groups,
            |_, g| path_matches(&g.record.path, options).then(|| g.record.clone()),
        )
    }

    pub(crate) fn list_users_in_group(
        &self,
        account_id: &str,
        group_name: &str,
        options: &ListOptions,
    ) -> Result<Page<UserRecord>, StoreError> {
        let account = self.account(account_id);
        let group = account
            .and_then(|a| a.groups.by_name.get(&lower(group_name)))
            .ok_or_else(|| not_found(EntityKind::Group, group_name))?;
        let account = self.in_account(account_id)?;
        Ok(members_page(&account.users, &group.members, options, |u| {
            &u.record
        }))
    }

    pub(crate) fn list_groups_for_user(
        &self,
        account_id: &str,
        user_name: &str,
        options: &ListOptions,
    ) -> Result<Page<GroupRecord>, StoreError> {
        let account = self.in_account(account_id).ok();
        let user = account
            .and_then(|a| a.users.by_name.get(&lower(user_name)))
            .ok_or_else(|| not_found(EntityKind::User, user_name))?;
        let account = self.in_account(account_id)?;
        Ok(members_page(&account.groups, &user.groups, options, |g| {
            &g.record
        }))
    }

    pub(crate) fn get_role(&self, account_id: &str, name: &str) -> Result<RoleRecord, StoreError> {
        self.account(account_id)
            .and_then(|a| a.roles.by_name.get(&lower(name)))
            .map(|r| r.record.clone())
            .ok_or_else(|| not_found(EntityKind::Role, name))
    }

    pub(crate) fn get_role_by_id(&self, role_id: &str) -> Result<RoleRecord, StoreError> {
        self.owner(role_id)
            .and_then(|a| a.roles.by_id(role_id))
            .map(|r| r.record.clone())
            .ok_or_else(|| not_found(EntityKind::Role, role_id))
    }

    pub(crate) fn list_roles(&self, account_id: &str, options: &ListOptions) -> Page<RoleRecord> {
        self.list_of(
            account_id,
            options,
            |a| &a.roles,
            |_, r| path_matches(&r.record.path, options).then(|| r.record.clone()),
        )
    }

    /// The account a customer managed policy ARN names (`arn:aws:iam::<account>:policy/..`).
    fn policy_account(&self, arn: &str) -> Option<&Arc<AccountState>> {
        let account_id = arn.strip_prefix("arn:aws:iam::")?.split(':').next()?;
        self.account(account_id)
    }

    fn policy_entry(
        &self,
        arn: &str,
    ) -> Option<(&Arc<AccountState>, &Arc<super::account::PolicyEntry>)> {
        let account = self.policy_account(arn)?;
        let id = account.policy_ids.get(arn)?;
        Some((account, account.policies.by_id(id)?))
    }

    fn policy_record(account: &AccountState, record: &PolicyRecord) -> PolicyRecord {
        let mut record = record.clone();
        record.attachment_count = account.attachment_count(&record.arn);
        record
    }

    pub(crate) fn get_policy(&self, arn: &str) -> Result<PolicyRecord, StoreError> {
        self.policy_entry(arn)
            .map(|(account, p)| Self::policy_record(account, &p.record))
            .ok_or_else(|| not_found(EntityKind::Policy, arn))
    }

    pub(crate) fn list_policies(
        &self,
        account_id: &str,
        only_attached: bool,
        options: &ListOptions,
    ) -> Page<PolicyRecord> {
        self.list_of(
            account_id,
            options,
            |a| &a.policies,
            |a, p| {
                let kept = path_matches(&p.record.path, options)
                    && (!only_attached || a.attached_to.contains_key(&p.record.arn));
                kept.then(|| Self::policy_record(a, &p.record))
            },
        )
    }

    pub(crate) fn get_policy_version(
        &self,
        arn: &str,
        version_id: &str,
    ) -> Result<PolicyVersionRecord, StoreError> {
        let wanted = version_id
            .strip_prefix('v')
            .and_then(|n| n.parse::<i64>().ok());
        self.policy_entry(arn)
            .and_then(|(_, p)| {
                p.versions
                    .iter()
                    .find(|v| Some(version_number(&v.version_id)) == wanted)
            })
            .cloned()
            .ok_or_else(|| not_found(EntityKind::PolicyVersion, &format!("{arn} {version_id}")))
    }

    pub(crate) fn list_policy_versions(
        &self,
        arn: &str,
    ) -> Result<Vec<PolicyVersionRecord>, StoreError> {
        self.policy_entry(arn)
            .map(|(_, p)| p.versions.clone())
            .ok_or_else(|| not_found(EntityKind::Policy, arn))
    }

    pub(crate) fn policy_attachment_counts(&self, account_id: &str) -> Vec<(String, i64)> {
        self.account(account_id).map_or_else(Vec::new, |account| {
            account
                .attached_to
                .iter()
                .map(|(arn, set)| (arn.clone(), i64::try_from(set.len()).unwrap_or(i64::MAX)))
                .collect()
        })
    }

    pub(crate) fn list_entities_for_policy(
        &self,
        account_id: &str,
        policy_arn: &str,
    ) -> Vec<PolicyEntity> {
        let Some(account) = self.account(account_id) else {
            return Vec::new();
        };
        let Some(set) = account.attached_to.get(policy_arn) else {
            return Vec::new();
        };
        let mut entities: Vec<(&'static str, String, PolicyEntity)> = set
            .iter()
            .filter_map(|(kind, id)| {
                let (kind, name) = match *kind {
                    "user" => (
                        PrincipalKind::User,
                        account.users.by_id(id)?.record.name.clone(),
                    ),
                    "group" => (
                        PrincipalKind::Group,
                        account.groups.by_id(id)?.record.name.clone(),
                    ),
                    _ => (
                        PrincipalKind::Role,
                        account.roles.by_id(id)?.record.name.clone(),
                    ),
                };
                Some((
                    kind_text(kind),
                    lower(&name),
                    PolicyEntity {
                        kind,
                        id: id.clone(),
                        name,
                    },
                ))
            })
            .collect();
        entities.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        entities.into_iter().map(|(_, _, entity)| entity).collect()
    }

    /// The policies of a user, group or role; `None` when it does not exist.
    fn policies_of(&self, principal: &Principal) -> Option<&Policies> {
        let account = self.owner(&principal.id)?;
        match principal.kind {
            PrincipalKind::User => account.users.by_id(&principal.id).map(|u| &u.policies),
            PrincipalKind::Group => account.groups.by_id(&principal.id).map(|g| &g.policies),
            PrincipalKind::Role => account.roles.by_id(&principal.id).map(|r| &r.policies),
        }
    }

    pub(crate) fn get_inline_policy(
        &self,
        principal: &Principal,
        policy_name: &str,
    ) -> Result<String, StoreError> {
        self.policies_of(principal)
            .and_then(|p| p.inline.iter().find(|(name, _)| name == policy_name))
            .map(|(_, document)| document.clone())
            .ok_or_else(|| {
                let kind = match principal.kind {
                    PrincipalKind::User => EntityKind::UserPolicy,
                    PrincipalKind::Group => EntityKind::GroupPolicy,
                    PrincipalKind::Role => EntityKind::RolePolicy,
                };
                not_found(kind, policy_name)
            })
    }

    pub(crate) fn list_inline_policies(&self, principal: &Principal) -> Vec<(String, String)> {
        self.policies_of(principal)
            .map_or_else(Vec::new, |p| p.inline.clone())
    }

    pub(crate) fn list_attached_policies(&self, principal: &Principal) -> Vec<String> {
        self.policies_of(principal)
            .map_or_else(Vec::new, |p| p.attached.clone())
    }

    /// The tags of an entity of any taggable kind; `NoSuchEntity` when it does not exist.
    pub(crate) fn list_tags(&self, target: &TagTarget) -> Result<Vec<Tag>, StoreError> {
        let missing = |kind| move || not_found(kind, target.id());
        match target {
            TagTarget::User(id) => self
                .owner(id)
                .and_then(|a| a.users.by_id(id))
                .map(|u| u.tags.clone())
                .ok_or_else(missing(EntityKind::User)),
            TagTarget::Role(id) => self
                .owner(id)
                .and_then(|a| a.roles.by_id(id))
                .map(|r| r.tags.clone())
                .ok_or_else(missing(EntityKind::Role)),
            TagTarget::Policy(id) => self
                .owner(id)
                .and_then(|a| a.policies.by_id(id))
                .map(|p| p.tags.clone())
                .ok_or_else(missing(EntityKind::Policy)),
            TagTarget::InstanceProfile(id) => self
                .owner(id)
                .and_then(|a| a.instance_profiles.by_id(id))
                .map(|p| p.tags.clone())
                .ok_or_else(missing(EntityKind::InstanceProfile)),
            TagTarget::ServerCertificate(id) => self
                .owner(id)
                .and_then(|a| a.server_certificates.by_id(id))
                .map(|c| c.tags.clone())
                .ok_or_else(missing(EntityKind::ServerCertificate)),
            TagTarget::MfaDevice(serial) => self
                .arn_account(serial)
                .and_then(|a| a.mfa_devices.by_id(serial))
                .map(|d| d.tags.clone())
                .ok_or_else(missing(EntityKind::MfaDevice)),
            TagTarget::OidcProvider(arn) => self
                .arn_account(arn)
                .and_then(|a| a.oidc_providers.get(arn))
                .map(|p| p.tags.clone())
                .ok_or_else(missing(EntityKind::OidcProvider)),
            TagTarget::SamlProvider(uuid) => self
                .owner(uuid)
                .and_then(|a| a.saml_providers.by_id(uuid))
                .map(|p| p.tags.clone())
                .ok_or_else(missing(EntityKind::SamlProvider)),
        }
    }

    /// The account an IAM ARN (`arn:aws:iam::<account>:...`) names.
    fn arn_account(&self, arn: &str) -> Option<&Arc<AccountState>> {
        let account_id = arn.strip_prefix("arn:aws:iam::")?.split(':').next()?;
        self.account(account_id)
    }

    pub(crate) fn get_access_key(
        &self,
        access_key_id: &str,
    ) -> Result<AccessKeyRecord, StoreError> {
        self.owner(access_key_id)
            .and_then(|a| a.access_keys.get(access_key_id))
            .map(|k| k.as_ref().clone())
            .ok_or_else(|| not_found(EntityKind::AccessKey, access_key_id))
    }

    pub(crate) fn list_access_keys(
        &self,
        account_id: &str,
        user_id: Option<&str>,
    ) -> Vec<AccessKeyRecord> {
        let Some(account) = self.account(account_id) else {
            return Vec::new();
        };
        owned(&account.keys_by_owner, &user_id.map(str::to_owned), |id| {
            account.access_keys.get(id).map(|k| k.as_ref().clone())
        })
    }
}

/// What an owner index holds for `key`, in its order, as `answer` gives each id.
fn owned<K: std::hash::Hash + Eq + Clone, R>(
    index: &OwnerIndex<K>,
    key: &K,
    answer: impl Fn(&str) -> Option<R>,
) -> Vec<R> {
    index
        .get(key)
        .into_iter()
        .flatten()
        .filter_map(|(_, id)| answer(id))
        .collect()
}

impl Snapshot {
    /// A user's login profile (GetLoginProfile), without the hash.
    pub(crate) fn get_login_profile(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<LoginProfileInfo, StoreError> {
        let user = self
            .account(account_id)
            .and_then(|a| a.users.by_name.get(&lower(user_name)))
            .ok_or_else(|| not_found(EntityKind::User, user_name))?;
        user.login_profile
            .clone()
            .ok_or_else(|| not_found(EntityKind::LoginProfile, &user.record.name))
    }

    /// The account's properties, by key.
    pub(crate) fn list_account_properties(&self, account_id: &str) -> Vec<(String, String)> {
        self.account(account_id)
            .map_or_else(Vec::new, |a| a.properties.clone())
    }

    /// A virtual MFA device of the account by its exact serial number.
    pub(crate) fn get_mfa_device(
        &self,
        account_id: &str,
        serial_number: &str,
    ) -> Result<MfaDeviceInfo, StoreError> {
        self.account(account_id)
            .and_then(|a| a.mfa_devices.by_id(serial_number))
            .map(|d| d.record.clone())
            .ok_or_else(|| not_found(EntityKind::MfaDevice, serial_number))
    }

    /// A page of the account's virtual MFA devices in serial-number order.
    pub(crate) fn list_virtual_mfa_devices(
        &self,
        account_id: &str,
        assignment: Assignment,
        options: &ListOptions,
    ) -> Page<MfaDeviceInfo> {
        self.list_of(
            account_id,
            options,
            |a| &a.mfa_devices,
            |_, d| {
                let kept = match assignment {
                    Assignment::Assigned => d.record.owner.is_some(),
                    Assignment::Unassigned => d.record.owner.is_none(),
                    Assignment::Any => true,
                };
                kept.then(|| d.record.clone())
            },
        )
    }

    /// The devices enabled for a user (or the account's root user), oldest first.
    pub(crate) fn list_mfa_devices_of(
        &self,
        account_id: &str,
        owner: &MfaOwner,
    ) -> Vec<MfaDeviceInfo> {
        let Some(account) = self.account(account_id) else {
            return Vec::new();
        };
        owned(&account.mfa_by_owner, owner, |serial| {
            account.mfa_devices.by_id(serial).map(|d| d.record.clone())
        })
    }

    /// The credentials of one kind a user (or, with `None`, the root user) owns, oldest first.
    pub(crate) fn list_user_credentials(
        &self,
        account_id: &str,
        user_id: Option<&str>,
        kind: CredentialKind,
    ) -> Vec<UserCredentialRecord> {
        let Some(account) = self.account(account_id) else {
            return Vec::new();
        };
        let key = (user_id.map(str::to_owned), kind);
        owned(&account.credentials_by_owner, &key, |id| {
            account.credentials.get(id).map(|c| c.as_ref().clone())
        })
    }

    /// The credentials of one kind in the whole account, oldest first.
    pub(crate) fn list_account_credentials(
        &self,
        account_id: &str,
        kind: CredentialKind,
    ) -> Vec<UserCredentialRecord> {
        let Some(account) = self.account(account_id) else {
            return Vec::new();
        };
        let mut found: Vec<UserCredentialRecord> = account
            .credentials
            .values()
            .filter(|c| c.kind == kind)
            .map(|c| c.as_ref().clone())
            .collect();
        found.sort_by(|a, b| {
            (a.created_at, &a.credential_id).cmp(&(b.created_at, &b.credential_id))
        });
        found
    }

    /// One credential of the account by kind and id.
    pub(crate) fn get_user_credential(
        &self,
        account_id: &str,
        kind: CredentialKind,
        credential_id: &str,
    ) -> Result<UserCredentialRecord, StoreError> {
        self.account(account_id)
            .and_then(|a| a.credentials.get(credential_id))
            .filter(|c| c.kind == kind)
            .map(|c| c.as_ref().clone())
            .ok_or_else(|| not_found(kind.entity_kind(), credential_id))
    }

    /// A server certificate by name, case-insensitively.
    pub(crate) fn get_server_certificate(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<ServerCertificateRecord, StoreError> {
        self.account(account_id)
            .and_then(|a| a.server_certificates.by_name.get(&lower(name)))
            .map(|c| c.record.clone())
            .ok_or_else(|| not_found(EntityKind::ServerCertificate, name))
    }

    /// A page of the account's server certificates in name order.
    pub(crate) fn list_server_certificates(
        &self,
        account_id: &str,
        options: &ListOptions,
    ) -> Page<ServerCertificateRecord> {
        self.list_of(
            account_id,
            options,
            |a| &a.server_certificates,
            |_, c| path_matches(&c.record.path, options).then(|| c.record.clone()),
        )
    }

    /// The account's OpenID Connect provider for `resource` (exact text).
    pub(crate) fn get_oidc_provider(
        &self,
        account_id: &str,
        resource: &str,
    ) -> Result<OidcProviderRecord, StoreError> {
        let arn = format!("arn:aws:iam::{account_id}:oidc-provider/{resource}");
        self.account(account_id)
            .and_then(|a| a.oidc_providers.get(&arn))
            .map(|p| p.record.clone())
            .ok_or_else(|| not_found(EntityKind::OidcProvider, &arn))
    }

    /// The account's OpenID Connect providers, by resource.
    pub(crate) fn list_oidc_providers(&self, account_id: &str) -> Vec<OidcProviderRecord> {
        self.account(account_id).map_or_else(Vec::new, |a| {
            a.oidc_providers
                .values()
                .map(|p| p.record.clone())
                .collect()
        })
    }

    /// The account's SAML provider named `name`, case-insensitively.
    pub(crate) fn saml_provider(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<SamlProviderInfo, StoreError> {
        self.account(account_id)
            .and_then(|a| a.saml_providers.by_name.get(&lower(name)))
            .map(|p| p.record.clone())
            .ok_or_else(|| {
                let arn = format!("arn:aws:iam::{account_id}:saml-provider/{name}");
                not_found(EntityKind::SamlProvider, &arn)
            })
    }

    /// The SAML provider whose `SAMLProviderUUID` is `uuid`, in any account.
    pub(crate) fn saml_provider_by_uuid(&self, uuid: &str) -> Option<SamlProviderInfo> {
        self.owner(uuid)
            .and_then(|a| a.saml_providers.by_id(uuid))
            .map(|p| p.record.clone())
    }

    /// The account's SAML providers in name order.
    pub(crate) fn list_saml_providers(&self, account_id: &str) -> Vec<SamlProviderInfo> {
        self.account(account_id).map_or_else(Vec::new, |a| {
            a.saml_providers
                .by_name
                .values()
                .map(|p| p.record.clone())
                .collect()
        })
    }
}

impl AccountState {
    /// An instance profile's record with its role as the state holds it now.
    pub(crate) fn profile_record(&self, entry: &ProfileEntry) -> InstanceProfileRecord {
        let mut record = entry.record.clone();
        record.roles = entry
            .role_ids
            .iter()
            .filter_map(|id| self.roles.by_id(id).map(|r| r.record.clone()))
            .collect();
        record
    }

    /// How many users, groups and roles a managed policy is attached to.
    pub(crate) fn attachment_count(&self, arn: &str) -> i64 {
        self.attached_to
            .get(arn)
            .map_or(0, |set| i64::try_from(set.len()).unwrap_or(i64::MAX))
    }
}

impl Snapshot {
    pub(crate) fn get_instance_profile(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<InstanceProfileRecord, StoreError> {
        self.account(account_id)
            .and_then(|a| {
                let entry = a.instance_profiles.by_name.get(&lower(name))?;
                Some(a.profile_record(entry))
            })
            .ok_or_else(|| not_found(EntityKind::InstanceProfile, name))
    }

    pub(crate) fn list_instance_profiles(
        &self,
        account_id: &str,
        options: &ListOptions,
    ) -> Page<InstanceProfileRecord> {
        self.list_of(
            account_id,
            options,
            |a| &a.instance_profiles,
            |a, p| path_matches(&p.record.path, options).then(|| a.profile_record(p)),
        )
    }

    pub(crate) fn list_instance_profiles_for_role(
        &self,
        account_id: &str,
        role_name: &str,
        options: &ListOptions,
    ) -> Result<Page<InstanceProfileRecord>, StoreError> {
        let role_id = self
            .account(account_id)
            .and_then(|a| a.roles.by_name.get(&lower(role_name)))
            .map(|r| r.record.role_id.clone())
            .ok_or_else(|| not_found(EntityKind::Role, role_name))?;
        Ok(self.list_of(
            account_id,
            options,
            |a| &a.instance_profiles,
            |a, p| p.role_ids.contains(&role_id).then(|| a.profile_record(p)),
        ))
    }
}

fn kind_text(kind: PrincipalKind) -> &'static str {
    match kind {
        PrincipalKind::User => "user",
        PrincipalKind::Group => "group",
        PrincipalKind::Role => "role",
    }
}

/// A page of the entities `ids` names (a group's members, a user's groups), in name order.
fn members_page<T: Clone, R: Clone>(
    entities: &Named<T>,
    ids: &[String],
    options: &ListOptions,
    record: impl Fn(&T) -> &R,
) -> Page<R> {
    let mut named: Vec<(String, R)> = ids
        .iter()
        .filter_map(|id| {
            let name = entities.names.get(id)?;
            let entry = entities.by_name.get(name)?;
            Some((name.clone(), record(entry).clone()))
        })
        .collect();
    named.sort_by(|a, b| a.0.cmp(&b.0));
    let after = named
        .into_iter()
        .filter(|(name, _)| options.marker.as_ref().is_none_or(|m| name > m));
    page(after, options)
}
