//! One account's in-memory state: its users, groups, roles, customer managed policies and
//! access keys with their tags, policies and memberships, in persistent maps, so that a new
//! snapshot after a write shares everything it did not change with the one before.

use std::sync::Arc;

use imbl::{HashMap, OrdMap, OrdSet};
use store::{
    AccessKeyRecord, AccountRecord, GroupRecord, InstanceProfileRecord, Loaded, PasswordPolicy,
    PolicyRecord, PolicyVersionRecord, Principal, PrincipalKind, RoleRecord, Tag, TagTarget,
    UserRecord,
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
    pub(crate) instance_profiles: Named<ProfileEntry>,
    /// Managed policy ARN (customer or AWS) -> the principals it is attached to.
    pub(crate) attached_to: OrdMap<String, OrdSet<PrincipalKey>>,
}

/// The rows of a load, grouped by their owner's id.
struct Grouped {
    tags: std::collections::HashMap<(u8, String), Vec<Tag>>,
    policies: std::collections::HashMap<String, Policies>,
    user_groups: std::collections::HashMap<String, Vec<String>>,
    group_members: std::collections::HashMap<String, Vec<String>>,
    versions: std::collections::HashMap<String, Vec<PolicyVersionRecord>>,
}

const USER_TAGS: u8 = 0;
const ROLE_TAGS: u8 = 1;
const POLICY_TAGS: u8 = 2;

impl Grouped {
    fn of(loaded: &mut Loaded) -> Grouped {
        let mut grouped = Grouped {
            tags: std::collections::HashMap::new(),
            policies: std::collections::HashMap::new(),
            user_groups: std::collections::HashMap::new(),
            group_members: std::collections::HashMap::new(),
            versions: std::collections::HashMap::new(),
        };
        for (target, tags) in std::mem::take(&mut loaded.tags) {
            let key = match target {
                TagTarget::User(id) => (USER_TAGS, id),
                TagTarget::Role(id) => (ROLE_TAGS, id),
                TagTarget::Policy(id) => (POLICY_TAGS, id),
                _ => continue,
            };
            grouped.tags.insert(key, tags);
        }
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

    fn tags(&mut self, kind: u8, id: &str) -> Vec<Tag> {
        self.tags.remove(&(kind, id.to_owned())).unwrap_or_default()
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
            instance_profiles: Named::default(),
            attached_to: OrdMap::new(),
        }
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
            self.access_keys.remove(id);
        }
        for id in &stale.instance_profiles {
            self.instance_profiles.remove(id);
        }
        if stale.settings {
            self.password_policy = None;
        }
        if let Some(record) = loaded.accounts.pop() {
            self.record = record;
        }
        if let Some((_, policy)) = loaded.password_policies.pop() {
            self.password_policy = Some(policy);
        }

        let mut grouped = Grouped::of(loaded);
        for record in std::mem::take(&mut loaded.users) {
            let id = record.user_id.clone();
            let entry = UserEntry {
                tags: grouped.tags(USER_TAGS, &id),
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
                tags: grouped.tags(ROLE_TAGS, &id),
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
                tags: grouped.tags(POLICY_TAGS, &id),
                versions: grouped.versions.remove(&id).unwrap_or_default(),
                record,
            };
            self.policy_ids.insert(entry.record.arn.clone(), id.clone());
            let name = entry.record.name.clone();
            self.policies.insert(&id, &name, entry);
        }
        for key in std::mem::take(&mut loaded.access_keys) {
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
            self.instance_profiles
                .insert(&id, &name, ProfileEntry { record, role_ids });
        }
    }
}

impl AccountState {
    /// Every id this account owns.
    pub(crate) fn owned_ids(&self) -> impl Iterator<Item = String> + '_ {
        self.users
            .names
            .keys()
            .chain(self.groups.names.keys())
            .chain(self.roles.names.keys())
            .chain(self.policies.names.keys())
            .chain(self.access_keys.keys())
            .chain(self.instance_profiles.names.keys())
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
}
