//! The in-memory state (issue 14): every account's users, groups, roles, customer managed
//! policies, access keys, instance profiles, login profiles, MFA devices, users' other
//! credentials, server certificates and identity providers, with their tags, policies and
//! memberships, and the account's settings, held as an immutable snapshot that readers take
//! without a lock. No secret is in it (see `account.rs`). The store stays the
//! source of truth: a write commits there first, then [`State::catch_up`] reads the store's
//! change log and reloads exactly the entities it names, publishing a new snapshot that
//! shares everything else with the old one. Writes through this node catch up before they
//! answer; other nodes' writes arrive through the same change log
//! (`Service::follow_changes`).

mod account;
mod reads;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use store::{AccessKeyRecord, EntityKind, LoadScope, Loaded, Store, StoreError, TagTarget};

use account::Stale;
pub(crate) use account::{AccountState, GroupEntry, PolicyEntry, RoleEntry, UserEntry, lower};

/// How many change-log entries one read of the log takes.
const CHANGES_PER_READ: u32 = 1000;

/// One published version of the state.
#[derive(Debug, Clone)]
pub(crate) struct Snapshot {
    /// The store revision this snapshot reflects at least; `-1` before the first load (then
    /// nothing is served from memory).
    pub(crate) revision: i64,
    pub(crate) accounts: imbl::HashMap<String, Arc<AccountState>>,
    /// Unique id (user, group, role, customer managed policy, access key, instance profile,
    /// server certificate, SAML provider) -> its account.
    /// The ids' prefixes differ by kind, so one map serves them all.
    pub(crate) owners: imbl::HashMap<String, String>,
    /// What values computed from the state (compiled policies, opened keys) depend on.
    pub(crate) changes: Changed,
}

/// When what a cached value was computed from last changed, so that a value computed from
/// one snapshot is known to hold in a later one without clearing every cache at each
/// change: per user, role and access key id the revision of the last change that affects
/// it (its own, its groups', its managed policies'), the last change of any managed policy
/// (sessions name them), and the last whole reload.
#[derive(Debug, Clone, Default)]
pub(crate) struct Changed {
    by_id: imbl::HashMap<String, i64>,
    any_policy: i64,
    /// The last change that named an organization (`guardrails.rs`).
    organizations: i64,
    reloaded: i64,
}

impl PartialEq for Snapshot {
    /// The state itself; when it changed is not part of it (a fresh load equals a state
    /// caught up change by change).
    fn eq(&self, other: &Snapshot) -> bool {
        self.revision == other.revision
            && self.accounts == other.accounts
            && self.owners == other.owners
    }
}

impl Snapshot {
    fn empty() -> Snapshot {
        Snapshot {
            revision: -1,
            accounts: imbl::HashMap::new(),
            owners: imbl::HashMap::new(),
            changes: Changed::default(),
        }
    }

    /// Whether a value computed from `id` at `revision` (the snapshot's revision before the
    /// computation read anything) still holds in this snapshot.
    pub(crate) fn holds(&self, id: &str, revision: i64) -> bool {
        self.is_loaded()
            && revision >= self.changes.reloaded
            && self
                .changes
                .by_id
                .get(id)
                .is_none_or(|changed| *changed <= revision)
    }

    /// Whether a value computed at `revision` from managed policies still holds.
    pub(crate) fn policies_hold(&self, revision: i64) -> bool {
        self.is_loaded() && revision >= self.changes.reloaded && revision >= self.changes.any_policy
    }

    /// Whether organization guardrails computed at `revision` still hold: no Organizations
    /// write since (those are all the guardrails read).
    pub(crate) fn organizations_hold(&self, revision: i64) -> bool {
        self.is_loaded()
            && revision >= self.changes.reloaded
            && revision >= self.changes.organizations
    }

    /// Whether reads may be served from this snapshot.
    pub(crate) fn is_loaded(&self) -> bool {
        self.revision >= 0
    }

    pub(crate) fn account(&self, account_id: &str) -> Option<&Arc<AccountState>> {
        self.accounts.get(account_id)
    }

    /// Whether the role with this id exists.
    pub(crate) fn has_role(&self, role_id: &str) -> bool {
        self.owner(role_id)
            .is_some_and(|a| a.roles.by_id(role_id).is_some())
    }

    /// The account owning the user, group, role or access key with this id.
    pub(crate) fn owner(&self, id: &str) -> Option<&Arc<AccountState>> {
        self.owners
            .get(id)
            .and_then(|account| self.accounts.get(account))
    }

    fn forget_owned(&mut self, account: &AccountState) {
        for id in account.owned_ids() {
            self.owners.remove(&id);
        }
    }

    fn own_all(&mut self, account: &AccountState) {
        for id in account.owned_ids() {
            self.owners.insert(id, account.record.account_id.clone());
        }
    }

    /// Puts in (or replaces) a whole account.
    fn put_account(&mut self, account: AccountState) {
        if let Some(old) = self.accounts.get(&account.record.account_id).cloned() {
            self.forget_owned(&old);
        }
        self.own_all(&account);
        self.accounts
            .insert(account.record.account_id.clone(), Arc::new(account));
    }

    fn remove_account(&mut self, account_id: &str) {
        if let Some(old) = self.accounts.remove(account_id) {
            self.forget_owned(&old);
        }
    }
}

/// Usage stamps, which do not move the store's revision: RoleLastUsed (AssumeRole) and
/// access key last use. This node's own as it records them, other nodes' as the refresh
/// reads them from the store. Readers take the map without a lock (it is published like the
/// snapshot); a catch-up that removed roles or keys drops their stamps, so the map is bounded
/// by the entities that exist. `T` is what a use records beside its time.
#[derive(Debug)]
struct Stamps<T> {
    /// Entity id -> (time, what was recorded).
    uses: ArcSwap<imbl::HashMap<String, (i64, T)>>,
    /// What only writers of stamps touch.
    writes: Mutex<StampWrites>,
    /// Moved by every change of `uses`: what rendered pages holding RoleLastUsed are keyed
    /// by (`pages.rs`), since the stamps do not move the revision.
    generation: AtomicU64,
}

impl<T: Clone> Default for Stamps<T> {
    fn default() -> Stamps<T> {
        Stamps {
            uses: ArcSwap::from_pointee(imbl::HashMap::new()),
            writes: Mutex::default(),
            generation: AtomicU64::new(0),
        }
    }
}

#[derive(Debug, Default)]
struct StampWrites {
    /// When this node last wrote each entity's stamp to the store.
    written: std::collections::HashMap<String, i64>,
    /// The newest stamp read from the store: the next read starts there.
    read_up_to: i64,
}

impl<T: Clone> Stamps<T> {
    /// Keeps `(at, value)` for the entity unless a newer stamp is there (or, for a stamp
    /// read back from the store, one as new: this node's own use of the same second stays).
    fn note(&self, id: &str, (at, value): (i64, T), own: bool) {
        self.uses.rcu(|uses| {
            let mut uses = imbl::HashMap::clone(uses);
            let replaces = |seen: i64| seen < at || (own && seen == at);
            if uses.get(id).is_none_or(|(seen, _)| replaces(*seen)) {
                uses.insert(id.to_owned(), (at, value.clone()));
            }
            uses
        });
        self.moved();
    }

    fn moved(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    fn get(&self, id: &str) -> Option<(i64, T)> {
        self.uses.load().get(id).cloned()
    }

    fn forget(&self, id: &str) {
        self.uses.rcu(|uses| uses.without(id));
        self.moved();
        if let Ok(mut writes) = self.writes.lock() {
            writes.written.remove(id);
        }
    }

    /// Drops the stamps of entities that no longer exist.
    fn keep_existing(&self, exists: impl Fn(&str) -> bool) {
        if self.uses.load().keys().all(|id| exists(id)) {
            return;
        }
        self.uses.rcu(|uses| {
            let mut kept = imbl::HashMap::clone(uses);
            kept.retain(|id, _| exists(id));
            kept
        });
        self.moved();
        if let Ok(mut writes) = self.writes.lock() {
            writes.written.retain(|id, _| exists(id));
        }
    }

    /// Notes this node's use at `at`; answers whether the store should be told too (the
    /// first use, then at most once per `interval` seconds per entity, so that a use does
    /// not cost a write each time). `exists` is asked after the note: an entity deleted
    /// meanwhile (its catch-up may have pruned the stamps before this note) loses it again.
    fn note_own(&self, id: &str, (at, value): (i64, T), interval: i64, exists: bool) -> bool {
        self.note(id, (at, value), true);
        if !exists {
            self.forget(id);
            return false;
        }
        let Ok(mut writes) = self.writes.lock() else {
            return true;
        };
        let due = writes
            .written
            .get(id)
            .is_none_or(|last| at - last >= interval);
        if due {
            writes.written.insert(id.to_owned(), at);
        }
        due
    }

    fn read_up_to(&self) -> i64 {
        self.writes.lock().map_or(0, |writes| writes.read_up_to)
    }

    /// Notes the stamps read from the store (other nodes' among them).
    fn note_read(&self, uses: Vec<(String, i64, T)>) {
        let newest = uses.iter().map(|(_, at, _)| *at).max();
        for (id, at, value) in uses {
            self.note(&id, (at, value), false);
        }
        if let (Some(newest), Ok(mut writes)) = (newest, self.writes.lock()) {
            writes.read_up_to = writes.read_up_to.max(newest);
        }
    }
}

/// An access key's last use: the service and the region it was signed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyUse {
    pub(crate) service: String,
    pub(crate) region: String,
}

/// The state: the current snapshot, the lock that makes catch-ups one at a time, and when
/// the store last confirmed the snapshot.
#[derive(Debug)]
pub(crate) struct State {
    current: ArcSwap<Snapshot>,
    catching_up: tokio::sync::Mutex<()>,
    /// RoleLastUsed: role id -> (time, region).
    role_stamps: Stamps<String>,
    /// Access key last use: key id -> (time, service and region).
    key_stamps: Stamps<KeyUse>,
    /// When the last successful catch-up began to read the store (the snapshot was the
    /// store's state at that moment at least), as nanoseconds after `created` plus one; 0
    /// before the first. An atomic, not a lock: every request reads it.
    confirmed: AtomicU64,
    created: Instant,
}

impl Default for State {
    fn default() -> State {
        State {
            current: ArcSwap::from_pointee(Snapshot::empty()),
            catching_up: tokio::sync::Mutex::new(()),
            role_stamps: Stamps::default(),
            key_stamps: Stamps::default(),
            confirmed: AtomicU64::new(0),
            created: Instant::now(),
        }
    }
}

impl State {
    /// The current snapshot (a reference count, no lock).
    pub(crate) fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// The current snapshot for a short read: no reference count is taken. Every request
    /// reads the snapshot several times from both worker threads, and a count moving between
    /// the cores on each read cost more than the read (issue 14); the guard is a slot of the
    /// reading thread's own. Not to be kept: a long-held guard pins the snapshot like an
    /// `Arc`, and the thread's few slots fall back to counting.
    pub(crate) fn peek(&self) -> arc_swap::Guard<Arc<Snapshot>> {
        self.current.load()
    }

    /// Whether the store confirmed the snapshot less than `bound` ago.
    pub(crate) fn confirmed_within(&self, bound: Duration) -> bool {
        match self.confirmed.load(Ordering::Acquire) {
            0 => false,
            at => {
                let confirmed = Duration::from_nanos(at - 1);
                self.created.elapsed().saturating_sub(confirmed) <= bound
            }
        }
    }

    /// Forgets everything; the next catch-up loads the whole store again.
    pub(crate) fn clear(&self) {
        self.current.store(Arc::new(Snapshot::empty()));
    }

    /// Notes an AssumeRole of this node; answers whether the store should be told too (the
    /// first use, then at most once per `interval` seconds per role).
    pub(crate) fn stamp_role_use(
        &self,
        role_id: &str,
        at: i64,
        region: &str,
        interval: i64,
    ) -> bool {
        let snapshot = self.snapshot();
        let exists = !snapshot.is_loaded() || snapshot.has_role(role_id);
        self.role_stamps
            .note_own(role_id, (at, region.to_owned()), interval, exists)
    }

    /// Notes a request signed with the access key, at most once per `interval` seconds per
    /// key (a note on every request would cost the hot path a map update); answers whether
    /// it was noted, and so whether the store should be told too.
    pub(crate) fn stamp_key_use(
        &self,
        access_key_id: &str,
        at: i64,
        key_use: KeyUse,
        interval: i64,
    ) -> bool {
        // Looked at in place: this runs on every signed request.
        if self
            .key_stamps
            .uses
            .load()
            .get(access_key_id)
            .is_some_and(|(seen, _)| at - seen < interval)
        {
            return false;
        }
        let snapshot = self.snapshot();
        let exists = !snapshot.is_loaded() || snapshot.owner(access_key_id).is_some();
        self.key_stamps
            .note_own(access_key_id, (at, key_use), interval, exists)
    }

    /// Reads the usage stamps written since the last read (other nodes' among them).
    pub(crate) async fn refresh_stamps(&self, store: &Store) -> Result<(), StoreError> {
        let roles = store.role_uses_since(self.role_stamps.read_up_to()).await?;
        self.role_stamps.note_read(roles);
        let keys = store
            .access_key_uses_since(self.key_stamps.read_up_to())
            .await?;
        self.key_stamps.note_read(
            keys.into_iter()
                .map(|(id, at, service, region)| (id, at, KeyUse { service, region }))
                .collect(),
        );
        Ok(())
    }

    /// How many times the RoleLastUsed stamps have changed.
    pub(crate) fn stamps_generation(&self) -> u64 {
        self.role_stamps.generation.load(Ordering::SeqCst)
    }

    /// The role's last use as this node knows it: the newer of the record and the stamp. No
    /// lock: the stamps are read like the snapshot.
    pub(crate) fn role_with_stamp(&self, mut role: store::RoleRecord) -> store::RoleRecord {
        if let Some((at, region)) = self.role_stamps.get(&role.role_id)
            && role.last_used_at.is_none_or(|seen| seen < at)
        {
            role.last_used_at = Some(at);
            role.last_used_region = Some(region);
        }
        role
    }

    /// The key's last use as this node knows it: the newer of the record and the stamp.
    pub(crate) fn key_with_stamp(&self, mut key: AccessKeyRecord) -> AccessKeyRecord {
        if let Some((at, key_use)) = self.key_stamps.get(&key.access_key_id)
            && key.last_used_at.is_none_or(|seen| seen < at)
        {
            key.last_used_at = Some(at);
            key.last_used_service = Some(key_use.service);
            key.last_used_region = Some(key_use.region);
        }
        key
    }

    /// Brings the snapshot up to the store's latest revision: the whole store on the first
    /// call (or when the change log no longer reaches back), else the entities the change
    /// log names since the snapshot's revision.
    pub(crate) async fn catch_up(&self, store: &Store) -> Result<(), StoreError> {
        let _one_at_a_time = self.catching_up.lock().await;
        let began = Instant::now();
        let may_have_removed = self.catch_up_locked(store).await?;
        if may_have_removed {
            // After the new snapshot is published: a stamp noted meanwhile for a role or key
            // it no longer holds is dropped by `stamp_role_use` or `stamp_key_use` itself.
            let snapshot = self.snapshot();
            self.role_stamps.keep_existing(|id| snapshot.has_role(id));
            self.key_stamps
                .keep_existing(|id| snapshot.owner(id).is_some());
        }
        let since_created = began.duration_since(self.created).as_nanos();
        let at = u64::try_from(since_created).unwrap_or(u64::MAX - 1) + 1;
        self.confirmed.store(at, Ordering::Release);
        Ok(())
    }

    /// Answers whether roles or access keys (or whole accounts) may have gone.
    async fn catch_up_locked(&self, store: &Store) -> Result<bool, StoreError> {
        let mut may_have_removed = false;
        loop {
            let current = self.snapshot();
            if !current.is_loaded() {
                self.current.store(Arc::new(load_everything(store).await?));
                return Ok(true);
            }
            let changes = store
                .changes_since(current.revision, CHANGES_PER_READ)
                .await?;
            if !changes.complete {
                self.current.store(Arc::new(load_everything(store).await?));
                return Ok(true);
            }
            if changes.entries.is_empty() {
                if changes.revision != current.revision {
                    let mut next = (*current).clone();
                    next.revision = changes.revision;
                    self.current.store(Arc::new(next));
                }
                return Ok(may_have_removed);
            }
            let mut next = (*current).clone();
            let mut stale: BTreeMap<String, Stale> = BTreeMap::new();
            for change in &changes.entries {
                if change.kind == EntityKind::Organization {
                    // Nothing of it is held: it ends the guardrails compiled before it.
                    next.changes.organizations = changes.revision;
                    continue;
                }
                let entry = stale.entry(change.account_id.clone()).or_default();
                let id = change.entity_id.clone();
                // Every kind: a new one must say what it reloads.
                match change.kind {
                    EntityKind::Account | EntityKind::PasswordPolicy => entry.settings = true,
                    EntityKind::User | EntityKind::UserPolicy | EntityKind::LoginProfile => {
                        entry.users.push(id);
                    }
                    EntityKind::Group | EntityKind::GroupPolicy => entry.groups.push(id),
                    EntityKind::Role | EntityKind::RolePolicy => entry.roles.push(id),
                    EntityKind::Policy | EntityKind::PolicyVersion => entry.policies.push(id),
                    EntityKind::AccessKey => entry.access_keys.push(id),
                    EntityKind::InstanceProfile => entry.instance_profiles.push(id),
                    EntityKind::MfaDevice => entry.mfa_devices.push(id),
                    EntityKind::SshPublicKey
                    | EntityKind::SigningCertificate
                    | EntityKind::ServiceSpecificCredential => entry.credentials.push(id),
                    EntityKind::ServerCertificate => entry.server_certificates.push(id),
                    EntityKind::OidcProvider => entry.oidc_providers.push(id),
                    EntityKind::SamlProvider => entry.saml_providers.push(id),
                    EntityKind::Organization => {}
                }
            }
            let mut affected = Vec::new();
            for (account_id, mut stale) in stale {
                dedup(&mut stale);
                may_have_removed |= stale.settings
                    || !stale.roles.is_empty()
                    || !stale.users.is_empty()
                    || !stale.access_keys.is_empty();
                if !stale.policies.is_empty() {
                    next.changes.any_policy = changes.revision;
                }
                affected.extend(apply(&mut next, store, &account_id, &stale).await?);
            }
            if next.changes.by_id.len() > 4 * next.owners.len() + 1024 {
                // Ids of deleted entities pile up: start afresh (every cached value is
                // computed once more).
                next.changes = Changed {
                    reloaded: changes.revision,
                    ..Changed::default()
                };
            }
            for id in affected {
                next.changes.by_id.insert(id, changes.revision);
            }
            next.revision = changes.revision;
            self.current.store(Arc::new(next));
        }
    }
}

fn dedup(stale: &mut Stale) {
    for ids in [
        &mut stale.users,
        &mut stale.groups,
        &mut stale.roles,
        &mut stale.policies,
        &mut stale.access_keys,
        &mut stale.instance_profiles,
        &mut stale.mfa_devices,
        &mut stale.credentials,
        &mut stale.server_certificates,
        &mut stale.oidc_providers,
        &mut stale.saml_providers,
    ] {
        ids.sort();
        ids.dedup();
    }
}

/// Reloads what `stale` names of one account into `next`; answers the ids of the users,
/// roles and access keys whose cached values the change may affect.
async fn apply(
    next: &mut Snapshot,
    store: &Store,
    account_id: &str,
    stale: &Stale,
) -> Result<Vec<String>, StoreError> {
    let Some(existing) = next.accounts.get(account_id).cloned() else {
        // A new account (or one this snapshot never had): load it whole.
        let mut loaded = store
            .load(&LoadScope::Account(account_id.to_owned()))
            .await?;
        if let Some(record) = loaded.accounts.pop() {
            next.put_account(AccountState::loaded(record, &mut loaded));
        }
        return Ok(Vec::new());
    };
    let mut scopes = Vec::new();
    if stale.settings {
        scopes.push(LoadScope::AccountSettings(account_id.to_owned()));
    }
    scopes.extend(stale.users.iter().cloned().map(LoadScope::User));
    scopes.extend(stale.groups.iter().cloned().map(LoadScope::Group));
    scopes.extend(stale.roles.iter().cloned().map(LoadScope::Role));
    scopes.extend(stale.policies.iter().cloned().map(LoadScope::Policy));
    scopes.extend(stale.access_keys.iter().cloned().map(LoadScope::AccessKey));
    scopes.extend(
        stale
            .instance_profiles
            .iter()
            .cloned()
            .map(LoadScope::InstanceProfile),
    );
    scopes.extend(stale.mfa_devices.iter().cloned().map(LoadScope::MfaDevice));
    scopes.extend(stale.credentials.iter().cloned().map(LoadScope::Credential));
    scopes.extend(
        stale
            .server_certificates
            .iter()
            .cloned()
            .map(LoadScope::ServerCertificate),
    );
    scopes.extend(
        stale
            .oidc_providers
            .iter()
            .cloned()
            .map(LoadScope::OidcProvider),
    );
    scopes.extend(
        stale
            .saml_providers
            .iter()
            .cloned()
            .map(LoadScope::SamlProvider),
    );
    let mut loaded = store.load_each(&scopes).await?;
    if stale.settings && loaded.accounts.is_empty() {
        let affected = existing.owned_ids().collect();
        next.remove_account(account_id);
        return Ok(affected);
    }
    // The ids that were and those that are now: owners follow the difference.
    let gone: Vec<&String> = stale
        .users
        .iter()
        .chain(&stale.groups)
        .chain(&stale.roles)
        .chain(&stale.policies)
        .chain(&stale.access_keys)
        .chain(&stale.instance_profiles)
        .chain(&stale.server_certificates)
        .chain(&stale.saml_providers)
        .collect();
    let arrived: Vec<String> = loaded
        .users
        .iter()
        .map(|u| u.user_id.clone())
        .chain(loaded.groups.iter().map(|g| g.group_id.clone()))
        .chain(loaded.roles.iter().map(|r| r.role_id.clone()))
        .chain(loaded.policies.iter().map(|p| p.policy_id.clone()))
        .chain(loaded.access_keys.iter().map(|k| k.access_key_id.clone()))
        .chain(
            loaded
                .instance_profiles
                .iter()
                .map(|p| p.instance_profile_id.clone()),
        )
        .chain(
            loaded
                .server_certificates
                .iter()
                .map(|c| c.server_certificate_id.clone()),
        )
        .chain(
            loaded
                .saml_providers
                .iter()
                .map(|p| p.saml_provider_uuid.clone()),
        )
        .collect();
    let mut account = (*existing).clone();
    // Before and after: a group's old members lose its policies, its new ones gain them.
    let mut affected = existing.affected_by(stale);
    account.replace(stale, &mut loaded);
    affected.extend(account.affected_by(stale));
    for id in gone {
        next.owners.remove(id);
    }
    for id in arrived {
        next.owners.insert(id, account_id.to_owned());
    }
    next.accounts
        .insert(account_id.to_owned(), Arc::new(account));
    Ok(affected)
}

/// The whole store in one read, split by account here, at a revision read first (so a write
/// committed during the load is applied again by the next catch-up: reloading is
/// idempotent). Not account by account: the tags and inline policies tables have no index
/// by account, so each account's load scanned them whole (1,000 accounts: 20 s; see
/// bench/RESULTS.md).
async fn load_everything(store: &Store) -> Result<Snapshot, StoreError> {
    let began = Instant::now();
    let revision = store.current_revision().await?;
    let loaded = store.load(&LoadScope::Everything).await?;
    let mut snapshot = Snapshot::empty();
    for (record, mut loaded) in by_account(loaded) {
        snapshot.put_account(AccountState::loaded(record, &mut loaded));
    }
    snapshot.revision = revision;
    snapshot.changes.reloaded = revision;
    // Start-up time and size at a glance (bench/load/scale reads this line).
    tracing::info!(
        accounts = snapshot.accounts.len(),
        entities = snapshot.owners.len(),
        revision,
        elapsed_ms = began.elapsed().as_millis(),
        "in-memory state loaded"
    );
    Ok(snapshot)
}

/// Splits a load of everything into one load per account, as `LoadScope::Account` would
/// read it. Rows that name no account directly (versions, memberships, policies, tags) go
/// to the account of the entity they hang off: unique ids are unique across kinds and
/// accounts. Each list keeps its order, so what was sorted per entity stays sorted. Rows
/// of no account held are dropped, as an account's load never reads them.
fn by_account(mut all: Loaded) -> Vec<(store::AccountRecord, Loaded)> {
    let mut accounts: Vec<(store::AccountRecord, Loaded)> = all
        .accounts
        .drain(..)
        .map(|record| (record, Loaded::default()))
        .collect();
    // Every row's account, as an index into `accounts`, is found while the rows are
    // borrowed (no id is copied); the rows move afterwards.
    let index: std::collections::HashMap<&str, usize> = accounts
        .iter()
        .enumerate()
        .map(|(i, (record, _))| (record.account_id.as_str(), i))
        .collect();
    let of = |account_id: &str| index.get(account_id).copied();
    let owners: std::collections::HashMap<&str, usize> = all
        .users
        .iter()
        .map(|u| (&u.user_id, &u.account_id))
        .chain(all.groups.iter().map(|g| (&g.group_id, &g.account_id)))
        .chain(all.roles.iter().map(|r| (&r.role_id, &r.account_id)))
        .chain(all.policies.iter().map(|p| (&p.policy_id, &p.account_id)))
        .chain(
            all.instance_profiles
                .iter()
                .map(|p| (&p.instance_profile_id, &p.account_id)),
        )
        .chain(
            all.server_certificates
                .iter()
                .map(|c| (&c.server_certificate_id, &c.account_id)),
        )
        .chain(
            all.mfa_devices
                .iter()
                .map(|d| (&d.serial_number, &d.account_id)),
        )
        .chain(
            all.saml_providers
                .iter()
                .map(|p| (&p.saml_provider_uuid, &p.account_id)),
        )
        .filter_map(|(id, account_id)| Some((id.as_str(), of(account_id)?)))
        .collect();
    // OIDC providers' tags name them by ARN.
    let oidc_arns: Vec<(String, Option<usize>)> = all
        .oidc_providers
        .iter()
        .map(|p| (p.arn(), of(&p.account_id)))
        .collect();
    let owner = |id: &str| owners.get(id).copied();
    let password_policies: Vec<_> = all.password_policies.iter().map(|(a, _)| of(a)).collect();
    let users: Vec<_> = all.users.iter().map(|u| of(&u.account_id)).collect();
    let groups: Vec<_> = all.groups.iter().map(|g| of(&g.account_id)).collect();
    let roles: Vec<_> = all.roles.iter().map(|r| of(&r.account_id)).collect();
    let policies: Vec<_> = all.policies.iter().map(|p| of(&p.account_id)).collect();
    let access_keys: Vec<_> = all.access_keys.iter().map(|k| of(&k.account_id)).collect();
    let profiles: Vec<_> = all
        .instance_profiles
        .iter()
        .map(|p| of(&p.account_id))
        .collect();
    let profile_roles: Vec<_> = all.profile_roles.iter().map(|(id, _)| owner(id)).collect();
    let versions: Vec<_> = all.versions.iter().map(|(id, _)| owner(id)).collect();
    let memberships: Vec<_> = all.memberships.iter().map(|(id, _)| owner(id)).collect();
    let attachments: Vec<_> = all.attachments.iter().map(|(p, _)| owner(&p.id)).collect();
    let inline: Vec<_> = all
        .inline_policies
        .iter()
        .map(|(p, ..)| owner(&p.id))
        .collect();
    let oidc_slots: std::collections::HashMap<&str, usize> = oidc_arns
        .iter()
        .filter_map(|(arn, slot)| Some((arn.as_str(), (*slot)?)))
        .collect();
    let oidc_owner = |arn: &str| oidc_slots.get(arn).copied();
    let tags: Vec<_> = all
        .tags
        .iter()
        .map(|(target, _)| match target {
            TagTarget::OidcProvider(arn) => oidc_owner(arn),
            other => owner(other.id()),
        })
        .collect();
    let login_profiles: Vec<_> = all
        .login_profiles
        .iter()
        .map(|p| owner(&p.user_id))
        .collect();
    let properties: Vec<_> = all.account_properties.iter().map(|(a, ..)| of(a)).collect();
    let devices: Vec<_> = all.mfa_devices.iter().map(|d| of(&d.account_id)).collect();
    let credentials: Vec<_> = all.credentials.iter().map(|c| of(&c.account_id)).collect();
    let certificates: Vec<_> = all
        .server_certificates
        .iter()
        .map(|c| of(&c.account_id))
        .collect();
    let oidc: Vec<_> = oidc_arns.iter().map(|(_, slot)| *slot).collect();
    let saml: Vec<_> = all
        .saml_providers
        .iter()
        .map(|p| of(&p.account_id))
        .collect();
    drop(oidc_slots);
    drop(owners);
    drop(index);
    let a = &mut accounts;
    deal(a, all.password_policies, password_policies, |l| {
        &mut l.password_policies
    });
    deal(a, all.users, users, |l| &mut l.users);
    deal(a, all.groups, groups, |l| &mut l.groups);
    deal(a, all.roles, roles, |l| &mut l.roles);
    deal(a, all.policies, policies, |l| &mut l.policies);
    deal(a, all.access_keys, access_keys, |l| &mut l.access_keys);
    deal(a, all.instance_profiles, profiles, |l| {
        &mut l.instance_profiles
    });
    deal(a, all.profile_roles, profile_roles, |l| {
        &mut l.profile_roles
    });
    deal(a, all.versions, versions, |l| &mut l.versions);
    deal(a, all.memberships, memberships, |l| &mut l.memberships);
    deal(a, all.attachments, attachments, |l| &mut l.attachments);
    deal(a, all.inline_policies, inline, |l| &mut l.inline_policies);
    deal(a, all.tags, tags, |l| &mut l.tags);
    deal(a, all.login_profiles, login_profiles, |l| {
        &mut l.login_profiles
    });
    deal(a, all.account_properties, properties, |l| {
        &mut l.account_properties
    });
    deal(a, all.mfa_devices, devices, |l| &mut l.mfa_devices);
    deal(a, all.credentials, credentials, |l| &mut l.credentials);
    deal(a, all.server_certificates, certificates, |l| {
        &mut l.server_certificates
    });
    deal(a, all.oidc_providers, oidc, |l| &mut l.oidc_providers);
    deal(a, all.saml_providers, saml, |l| &mut l.saml_providers);
    accounts
}

/// Moves each row into the load of its account (`slots`: one per row, in order).
fn deal<T>(
    accounts: &mut [(store::AccountRecord, Loaded)],
    rows: Vec<T>,
    slots: Vec<Option<usize>>,
    list: fn(&mut Loaded) -> &mut Vec<T>,
) {
    for (row, slot) in rows.into_iter().zip(slots) {
        if let Some((_, loaded)) = slot.and_then(|slot| accounts.get_mut(slot)) {
            list(loaded).push(row);
        }
    }
}

#[cfg(test)]
mod tests;
