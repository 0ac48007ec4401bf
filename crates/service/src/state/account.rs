//! One account's in-memory state: its users, groups, roles, customer managed policies, access
//! keys, instance profiles, login profiles, MFA devices, users' other credentials, server
//! certificates and identity providers, with their tags, policies and memberships, and the
//! account's settings, in persistent maps, so that a new snapshot after a write shares
//! everything it did not change with the one before. No secret is held: no password hash, MFA
//! seed, sealed service-specific secret or private key (the loads never select them).

use std::hash::Hash;
use std::sync::Arc;

use imbl::{HashMap, OrdMap, OrdSet};
use store::{
    AccessKeyRecord, AccountRecord, CredentialKind, GroupRecord, InstanceProfileRecord, Loaded,
    LoginProfileInfo, MfaDeviceInfo, MfaOwner, OidcProviderRecord, PasswordPolicy, PolicyRecord,
    PolicyVersionRecord, Principal, PrincipalKind, RoleRecord, SamlProviderInfo,
    ServerCertificateRecord, Tag, TagTarget, UserCredentialRecord, UserRecord,
};

/// A user, group or role's own policies (and a user's or role's tags).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Policies {
    /// Inline policies (name, document), by name.
    pub(crate) inline: Vec<(String, String)>,
    /// Attached managed policy ARNs, sorted.
    pub(crate) attached: Vec<String>,
}

/// A user and what hangs off it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UserEntry {
    pub(crate) record: UserRecord,
    pub(crate) tags: Vec<Tag>,
    pub(crate) policies: Policies,
    /// The ids of its groups.
    pub(crate) groups: Vec<String>,
    /// Its console password, without the hash.
    pub(crate) login_profile: Option<LoginProfileInfo>,
}

/// A group and what hangs off it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GroupEntry {
    pub(crate) record: GroupRecord,
    pub(crate) policies: Policies,
    /// The ids of its members.
    pub(crate) members: Vec<String>,
}

/// A role and what hangs off it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RoleEntry {
    pub(crate) record: RoleRecord,
    pub(crate) tags: Vec<Tag>,
    pub(crate) policies: Policies,
}

/// A customer managed policy with its versions (newest first) and tags.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PolicyEntry {
    pub(crate) record: PolicyRecord,
    pub(crate) versions: Vec<PolicyVersionRecord>,
    pub(crate) tags: Vec<Tag>,
}

/// An instance profile and the id of its role (none or one).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ProfileEntry {
    /// The record, its `roles` empty: they are the state's current roles when read.
    pub(crate) record: InstanceProfileRecord,
    pub(crate) role_ids: Vec<String>,
    pub(crate) tags: Vec<Tag>,
}

/// An entity known by its record with its tags (MFA devices, server certificates, identity
/// providers).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tagged<R> {
    pub(crate) record: R,
    pub(crate) tags: Vec<Tag>,
}

/// An ordered index from an owner to the ids it owns, each with what orders it (a creation
/// or enabling time): a user's access keys or credentials without a scan of the account's.
pub(crate) type OwnerIndex<K> = HashMap<K, OrdSet<(i64, String)>>;

/// Adds (or removes) `item` under `key`, dropping a set left empty, so that an index built
/// change by change equals one built at once.
fn index<K: Hash + Eq + Clone>(map: &mut OwnerIndex<K>, key: &K, item: (i64, String), add: bool) {
    match map.get_mut(key) {
        Some(set) => {
            if add {
                set.insert(item);
            } else {
                set.remove(&item);
            }
            if set.is_empty() {
                map.remove(key);
            }
        }
        None if add => {
            map.insert(key.clone(), OrdSet::unit(item));
        }
        None => {}
    }
}

/// Entities of one kind: by lower-cased name (the store's list order and markers) and by id.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Named<T: Clone> {
    pub(crate) by_name: OrdMap<String, Arc<T>>,
    pub(crate) names: HashMap<String, String>,
}

impl<T: Clone> Default for Named<T> {
    fn default() -> Self {
        Named {
            by_name: OrdMap::new(),
            names: HashMap::new(),
        }
    }
}

impl<T: Clone> Named<T> {
    pub(crate) fn by_id(&self, id: &str) -> Option<&Arc<T>> {
        self.names.get(id).and_then(|name| self.by_name.get(name))
    }

    /// Removes the entity with this id, answering what it was.
    fn remove(&mut self, id: &str) -> Option<Arc<T>> {
        let name = self.names.remove(id)?;
        self.by_name.remove(&name)
    }

    fn insert(&mut self, id: &str, name: &str, entry: T) {
        let name = lower(name);
        self.names.insert(id.to_owned(), name.clone());
        self.by_name.insert(name, Arc::new(entry));
    }
}

/// The store's comparison form of a name.
pub(crate) fn lower(name: &str) -> String {
    name.to_lowercase()
}

/// A principal as an ordered key of the attachment index (kind text first, as the store
/// orders ListEntitiesForPolicy).
pub(crate) type PrincipalKey = (&'static str, String);

fn principal_key(principal: &Principal) -> PrincipalKey {
    let kind = match principal.kind {
        PrincipalKind::User => "user",
        PrincipalKind::Group => "group",
        PrincipalKind::Role => "role",
    };
    (kind, principal.id.clone())
}

/// One account.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AccountState {
    pub(crate) record: AccountRecord,
    pub(crate) password_policy: Option<PasswordPolicy>,
    pub(crate) users: Named<UserEntry>,
    pub(crate) groups: Named<GroupEntry>,
    pub(crate) roles: Named<RoleEntry>,
    pub(crate) policies: Named<PolicyEntry>,
    /// Customer managed policy ARN -> policy id.
    pub(crate) policy_ids: HashMap<String, String>,
    pub(crate) access_keys: OrdMap<String, Arc<AccessKeyRecord>>,
    /// A user's (or, under `None`, the root user's) access keys by (creation, id).
    pub(crate) keys_by_owner: OwnerIndex<Option<String>>,
    pub(crate) instance_profiles: Named<ProfileEntry>,
    /// Managed policy ARN (customer or AWS) -> the principals it is attached to.
    pub(crate) attached_to: OrdMap<String, OrdSet<PrincipalKey>>,
    /// Account properties (Get/PutAccountProperties), by key.
    pub(crate) properties: Vec<(String, String)>,
    /// Virtual MFA devices, by serial number (the id) and its lower-cased form (the order).
    pub(crate) mfa_devices: Named<Tagged<MfaDeviceInfo>>,
    /// The devices enabled for each owner, by (enabling time, serial number).
    pub(crate) mfa_by_owner: OwnerIndex<MfaOwner>,
    /// SSH public keys, signing certificates and service-specific credentials by id.
    pub(crate) credentials: HashMap<String, Arc<UserCredentialRecord>>,
    /// Each owner's credentials of each kind, by (creation, id).
    pub(crate) credentials_by_owner: OwnerIndex<(Option<String>, CredentialKind)>,
    pub(crate) server_certificates: Named<Tagged<ServerCertificateRecord>>,
    /// OpenID Connect providers by ARN (the order of their resources).
    pub(crate) oidc_providers: OrdMap<String, Arc<Tagged<OidcProviderRecord>>>,
    /// SAML providers by `SAMLProviderUUID` (the id) and lower-cased name.
    pub(crate) saml_providers: Named<Tagged<SamlProviderInfo>>,
}

/// The rows of a load, grouped by their owner's id.
struct Grouped {
    tags: std::collections::HashMap<TagTarget, Vec<Tag>>,
    policies: std::collections::HashMap<String, Policies>,
    user_groups: std::collections::HashMap<String, Vec<String>>,
    group_members: std::collections::HashMap<String, Vec<String>>,
    versions: std::collections::HashMap<String, Vec<PolicyVersionRecord>>,
}

impl Grouped {
    fn of(loaded: &mut Loaded) -> Grouped {
        let mut grouped = Grouped {
            tags: std::collections::HashMap::new(),
            policies: std::collections::HashMap::new(),
            user_groups: std::collections::HashMap::new(),
            group_members: std::collections::HashMap::new(),
            versions: std::collections::HashMap::new(),
        };
        grouped.tags.extend(std::mem::take(&mut loaded.tags));
        // Attachments and inline policies arrive sorted per principal; ids are unique across
        // kinds (their prefixes differ), so the id alone keys them.
        for (principal, arn) in std::mem::take(&mut loaded.attachments) {
            grouped
                .policies
                .entry(principal.id)
                .or_default()
                .attached
                .push(arn);
        }
        for (principal, name, document) in std::mem::take(&mut loaded.inline_policies) {
            grouped
                .policies
                .entry(principal.id)
                .or_default()
                .inline
                .push((name, document));
        }
        for (group_id, user_id) in std::mem::take(&mut loaded.memberships) {
            grouped
                .user_groups
                .entry(user_id.clone())
                .or_default()
                .push(group_id.clone());
            grouped
                .group_members
                .entry(group_id)
                .or_default()
                .push(user_id);
        }
        for (policy_id, version) in std::mem::take(&mut loaded.versions) {
            grouped.versions.entry(policy_id).or_default().push(version);
        }
        // Row order is the database's: sort, so that one entity loaded alone and the whole
        // account loaded at once give equal entries. A membership arrives twice when its
        // user and its group are both reloaded.
        for ids in grouped
            .user_groups
            .values_mut()
            .chain(grouped.group_members.values_mut())
        {
            ids.sort();
            ids.dedup();
        }
        for versions in grouped.versions.values_mut() {
            versions.sort_by_key(|v| std::cmp::Reverse(version_number(&v.version_id)));
        }
        grouped
    }

    fn tags(&mut self, target: &TagTarget) -> Vec<Tag> {
        self.tags.remove(target).unwrap_or_default()
    }

    fn policies(&mut self, id: &str) -> Policies {
        self.policies.remove(id).unwrap_or_default()
    }
}

/// `v12` -> 12.
pub(crate) fn version_number(version_id: &str) -> i64 {
    version_id
        .strip_prefix('v')
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

impl AccountState {
    /// An account with nothing in it yet.
    pub(crate) fn new(record: AccountRecord) -> AccountState {
        AccountState {
            record,
            password_policy: None,
            users: Named::default(),
            groups: Named::default(),
            roles: Named::default(),
            policies: Named::default(),
            policy_ids: HashMap::new(),
            access_keys: OrdMap::new(),
            keys_by_owner: HashMap::new(),
            instance_profiles: Named::default(),
            attached_to: OrdMap::new(),
            properties: Vec::new(),
            mfa_devices: Named::default(),
            mfa_by_owner: HashMap::new(),
            credentials: HashMap::new(),
            credentials_by_owner: HashMap::new(),
            server_certificates: Named::default(),
            oidc_providers: OrdMap::new(),
            saml_providers: Named::default(),
        }
    }

    /// An account with everything a load of it holds.
    pub(crate) fn loaded(record: AccountRecord, loaded: &mut Loaded) -> AccountState {
        let mut account = AccountState::new(record);
        account.replace(&Stale::default(), loaded);
        account
    }

    fn index_attachments(&mut self, principal: &Principal, policies: &Policies, add: bool) {
        let key = principal_key(principal);
        for arn in &policies.attached {
            // Changed in place: a copy taken out and put back would copy the set's nodes
            // (shared with the map's) on every change, 100,000 times at start-up.
            match self.attached_to.get_mut(arn) {
                Some(set) => {
                    if add {
                        set.insert(key.clone());
                    } else {
                        set.remove(&key);
                    }
                    if set.is_empty() {
                        self.attached_to.remove(arn);
                    }
                }
                None if add => {
                    self.attached_to
                        .insert(arn.clone(), OrdSet::unit(key.clone()));
                }
                None => {}
            }
        }
    }

    /// Removes the entities `stale` names, then puts in everything `loaded` holds: an entity
    /// that was reloaded comes back as it is now, one that was deleted stays out.
    pub(crate) fn replace(&mut self, stale: &Stale, loaded: &mut Loaded) {
        for id in &stale.users {
            if let Some(old) = self.users.remove(id) {
                self.index_attachments(&Principal::user(id), &old.policies, false);
            }
        }
        for id in &stale.groups {
            if let Some(old) = self.groups.remove(id) {
                self.index_attachments(&Principal::group(id), &old.policies, false);
            }
        }
        for id in &stale.roles {
            if let Some(old) = self.roles.remove(id) {
                self.index_attachments(&Principal::role(id), &old.policies, false);
            }
        }
        for id in &stale.policies {
            if let Some(old) = self.policies.remove(id) {
                self.policy_ids.remove(&old.record.arn);
            }
        }
        for id in &stale.access_keys {
            if let Some(old) = self.access_keys.remove(id) {
                self.index_key(&old, false);
            }
        }
        for id in &stale.instance_profiles {
            self.instance_profiles.remove(id);
        }
        for serial in &stale.mfa_devices {
            if let Some(old) = self.mfa_devices.remove(serial) {
                self.index_device(&old.record, false);
            }
        }
        for id in &stale.credentials {
            if let Some(old) = self.credentials.remove(id) {
                self.index_credential(&old, false);
            }
        }
        for id in &stale.server_certificates {
            self.server_certificates.remove(id);
        }
        for arn in &stale.oidc_providers {
            self.oidc_providers.remove(arn);
        }
        for uuid in &stale.saml_providers {
            self.saml_providers.remove(uuid);
        }
        if stale.settings {
            self.password_policy = None;
            self.properties.clear();
        }
        if let Some(record) = loaded.accounts.pop() {
            self.record = record;
        }
        if let Some((_, policy)) = loaded.password_policies.pop() {
            self.password_policy = Some(policy);
        }

        for (_, key, value) in std::mem::take(&mut loaded.account_properties) {
            self.properties.push((key, value));
        }
        self.properties.sort();

        let mut grouped = Grouped::of(loaded);
        let mut login_profiles: std::collections::HashMap<String, LoginProfileInfo> =
            std::mem::take(&mut loaded.login_profiles)
                .into_iter()
                .map(|profile| (profile.user_id.clone(), profile))
                .collect();
        for record in std::mem::take(&mut loaded.users) {
            let id = record.user_id.clone();
            let entry = UserEntry {
                login_profile: login_profiles.remove(&id),
                tags: grouped.tags(&TagTarget::User(id.clone())),
                policies: grouped.policies(&id),
                groups: grouped.user_groups.remove(&id).unwrap_or_default(),
                record,
            };
            self.index_attachments(&Principal::user(&id), &entry.policies, true);
            let name = entry.record.name.clone();
            self.users.insert(&id, &name, entry);
        }
        for record in std::mem::take(&mut loaded.groups) {
            let id = record.group_id.clone();
            let entry = GroupEntry {
                policies: grouped.policies(&id),
                members: grouped.group_members.remove(&id).unwrap_or_default(),
                record,
            };
            self.index_attachments(&Principal::group(&id), &entry.policies, true);
            let name = entry.record.name.clone();
            self.groups.insert(&id, &name, entry);
        }
        for record in std::mem::take(&mut loaded.roles) {
            let id = record.role_id.clone();
            let entry = RoleEntry {
                tags: grouped.tags(&TagTarget::Role(id.clone())),
                policies: grouped.policies(&id),
                record,
            };
            self.index_attachments(&Principal::role(&id), &entry.policies, true);
            let name = entry.record.name.clone();
            self.roles.insert(&id, &name, entry);
        }
        for mut record in std::mem::take(&mut loaded.policies) {
            // Derived from `attached_to` when read: a user's attachment reloads the user,
            // not the policy, so the stored count would go stale.
            record.attachment_count = 0;
            let id = record.policy_id.clone();
            let entry = PolicyEntry {
                tags: grouped.tags(&TagTarget::Policy(id.clone())),
                versions: grouped.versions.remove(&id).unwrap_or_default(),
                record,
            };
            self.policy_ids.insert(entry.record.arn.clone(), id.clone());
            let name = entry.record.name.clone();
            self.policies.insert(&id, &name, entry);
        }
        for key in std::mem::take(&mut loaded.access_keys) {
            self.index_key(&key, true);
            self.access_keys
                .insert(key.access_key_id.clone(), Arc::new(key));
        }
        let mut roles_of: std::collections::HashMap<String, Vec<String>> =
            std::collections::HashMap::new();
        for (profile_id, role_id) in std::mem::take(&mut loaded.profile_roles) {
            roles_of.entry(profile_id).or_default().push(role_id);
        }
        for record in std::mem::take(&mut loaded.instance_profiles) {
            let id = record.instance_profile_id.clone();
            let mut role_ids = roles_of.remove(&id).unwrap_or_default();
            role_ids.sort();
            let name = record.name.clone();
            let tags = grouped.tags(&TagTarget::InstanceProfile(id.clone()));
            let entry = ProfileEntry {
                record,
                role_ids,
                tags,
            };
            self.instance_profiles.insert(&id, &name, entry);
        }
        for record in std::mem::take(&mut loaded.mfa_devices) {
            self.index_device(&record, true);
            let serial = record.serial_number.clone();
            let tags = grouped.tags(&TagTarget::MfaDevice(serial.clone()));
            self.mfa_devices
                .insert(&serial, &serial, Tagged { record, tags });
        }
        for record in std::mem::take(&mut loaded.credentials) {
            self.index_credential(&record, true);
            self.credentials
                .insert(record.credential_id.clone(), Arc::new(record));
        }
        for record in std::mem::take(&mut loaded.server_certificates) {
            let id = record.server_certificate_id.clone();
            let name = record.name.clone();
            let tags = grouped.tags(&TagTarget::ServerCertificate(id.clone()));
            self.server_certificates
                .insert(&id, &name, Tagged { record, tags });
        }
        for record in std::mem::take(&mut loaded.oidc_providers) {
            let arn = record.arn();
            let tags = grouped.tags(&TagTarget::OidcProvider(arn.clone()));
            self.oidc_providers
                .insert(arn, Arc::new(Tagged { record, tags }));
        }
        for record in std::mem::take(&mut loaded.saml_providers) {
            let uuid = record.saml_provider_uuid.clone();
            let name = record.name.clone();
            let tags = grouped.tags(&TagTarget::SamlProvider(uuid.clone()));
            self.saml_providers
                .insert(&uuid, &name, Tagged { record, tags });
        }
    }

    fn index_key(&mut self, key: &AccessKeyRecord, add: bool) {
        let item = (key.created_at, key.access_key_id.clone());
        index(&mut self.keys_by_owner, &key.user_id, item, add);
    }

    /// Only enabled devices are indexed: the index answers ListMFADevices.
    fn index_device(&mut self, device: &MfaDeviceInfo, add: bool) {
        if let (Some(owner), Some(at)) = (&device.owner, device.enabled_at) {
            let item = (at, device.serial_number.clone());
            index(&mut self.mfa_by_owner, owner, item, add);
        }
    }

    fn index_credential(&mut self, credential: &UserCredentialRecord, add: bool) {
        let key = (credential.user_id.clone(), credential.kind);
        let item = (credential.created_at, credential.credential_id.clone());
        index(&mut self.credentials_by_owner, &key, item, add);
    }
}

impl AccountState {
    /// Every unique id this account owns that is looked up without its account (users,
    /// groups, roles, policies, access keys, instance profiles, server certificates, SAML
    /// providers).
    pub(crate) fn owned_ids(&self) -> impl Iterator<Item = String> + '_ {
        self.users
            .names
            .keys()
            .chain(self.groups.names.keys())
            .chain(self.roles.names.keys())
            .chain(self.policies.names.keys())
            .chain(self.access_keys.keys())
            .chain(self.instance_profiles.names.keys())
            .chain(self.server_certificates.names.keys())
            .chain(self.saml_providers.names.keys())
            .cloned()
    }

    /// The users, roles and access keys whose compiled policies or opened keys a change of
    /// the `stale` entities may affect, as this account holds them now.
    pub(crate) fn affected_by(&self, stale: &Stale) -> Vec<String> {
        let mut affected: Vec<String> = stale
            .users
            .iter()
            .chain(&stale.roles)
            .chain(&stale.access_keys)
            .cloned()
            .collect();
        let members_of = |group_id: &str| {
            self.groups
                .by_id(group_id)
                .map(|g| g.members.clone())
                .unwrap_or_default()
        };
        for group_id in &stale.groups {
            affected.extend(members_of(group_id));
        }
        for policy_id in &stale.policies {
            let Some(policy) = self.policies.by_id(policy_id) else {
                continue;
            };
            for (kind, id) in self
                .attached_to
                .get(&policy.record.arn)
                .into_iter()
                .flatten()
            {
                if *kind == "group" {
                    affected.extend(members_of(id));
                } else {
                    affected.push(id.clone());
                }
            }
        }
        affected
    }
}

/// The entities of one account that a catch-up reloads (their old entries are dropped first).
#[derive(Debug, Default, Clone)]
pub(crate) struct Stale {
    pub(crate) settings: bool,
    pub(crate) users: Vec<String>,
    pub(crate) groups: Vec<String>,
    pub(crate) roles: Vec<String>,
    pub(crate) policies: Vec<String>,
    pub(crate) access_keys: Vec<String>,
    pub(crate) instance_profiles: Vec<String>,
    /// By serial number.
    pub(crate) mfa_devices: Vec<String>,
    pub(crate) credentials: Vec<String>,
    pub(crate) server_certificates: Vec<String>,
    /// By ARN.
    pub(crate) oidc_providers: Vec<String>,
    /// By `SAMLProviderUUID`.
    pub(crate) saml_providers: Vec<String>,
}
