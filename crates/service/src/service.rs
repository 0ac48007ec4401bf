//! The service object: the store, the sealer, the clock, and the caches that keep the hot
//! path (key lookup and authorization) off the database while nothing changes.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use store::{AccessKeyStatus, AccountRecord, NewAccessKey, Store, StoreError};

use crate::authorize::PolicyCache;
use crate::bounded::{Bound, BoundedMap};
use crate::caller::{Caller, Identity, RequestInfo};
use crate::error::{ServiceError, ServiceResult};
use crate::federation::KeyFetcher;
use crate::ids::{new_access_key_id, new_account_id, new_secret_access_key};
use crate::pages::RenderedPage;
use crate::password::PasswordPool;
use crate::reads::Reads;
use crate::seal::{MasterKey, Sealer};
use crate::secret::Secret;
use crate::session::Session;
use crate::state::{KeyUse, State};
use crate::throttle::{Throttle, ThrottleLimit};

/// The time source: the system clock, or a fixed time that tests move by hand; either
/// moved forward by an offset that a test suite sets through the server (`--test-clock`).
#[derive(Clone, Debug, Default)]
pub struct Clock {
    fixed: Option<Arc<AtomicI64>>,
    offset: Arc<AtomicI64>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock stopped at `seconds` since the epoch; see [`Clock::set`].
    pub fn fixed(seconds: i64) -> Clock {
        Clock {
            fixed: Some(Arc::new(AtomicI64::new(seconds))),
            offset: Arc::default(),
        }
    }

    /// Moves the clock forward by `seconds` from wherever it is (a negative number moves it
    /// back); [`Clock::reset_offset`] undoes every move.
    pub fn advance(&self, seconds: i64) {
        self.offset.fetch_add(seconds, Ordering::SeqCst);
    }

    /// Takes back every [`Clock::advance`].
    pub fn reset_offset(&self) {
        self.offset.store(0, Ordering::SeqCst);
    }

    /// Moves a fixed clock; no effect on the system clock.
    pub fn set(&self, seconds: i64) {
        if let Some(fixed) = &self.fixed {
            fixed.store(seconds, Ordering::SeqCst);
        }
    }

    /// Now.
    pub fn now(&self) -> SystemTime {
        let base = match &self.fixed {
            Some(fixed) => {
                let seconds = u64::try_from(fixed.load(Ordering::SeqCst)).unwrap_or_default();
                UNIX_EPOCH + Duration::from_secs(seconds)
            }
            None => SystemTime::now(),
        };
        let offset = self.offset.load(Ordering::SeqCst);
        let by = Duration::from_secs(offset.unsigned_abs());
        let moved = if offset >= 0 {
            base.checked_add(by)
        } else {
            base.checked_sub(by)
        };
        moved.unwrap_or(base)
    }

    /// Now, in epoch seconds.
    pub fn seconds(&self) -> i64 {
        let seconds = self
            .now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        i64::try_from(seconds).unwrap_or_default()
    }
}

/// A signing key found by access key id: its owner and its opened secret.
#[derive(Clone, Debug)]
pub struct KeyEntry {
    /// The access key id.
    pub access_key_id: String,
    /// The owning account.
    pub account_id: String,
    /// The owning user; `None` for the account root.
    pub user_id: Option<String>,
    /// Whether the key is active.
    pub active: bool,
    /// The secret, for the SigV4 verifier.
    pub secret: sigv4::SecretKey,
}

/// What to create with [`Service::create_account`].
#[derive(Clone, Debug, Default)]
pub struct NewAccount {
    /// A fixed account id, or `None` for a random one.
    pub account_id: Option<String>,
    /// The root user's email.
    pub email: String,
    /// An alias, unique across the server.
    pub alias: Option<String>,
    /// A fixed root key pair, or `None` to generate one.
    pub root_key: Option<(String, Secret)>,
    /// The root user's console password, or `None` for no console sign-in until one is set.
    pub root_password: Option<Secret>,
}

/// How often at most the last use of one access key is written to the store: the first use
/// is recorded at once, later ones within the interval are not, so signed requests do not
/// each cost a write (AWS's own last-used data is coarse too).
const KEY_USE_INTERVAL_SECONDS: i64 = 60;

/// How much each of the service's caches may hold. Every cache is bounded: the defaults
/// keep the hot set of a 100,000-user account in memory while capping what requests can
/// make the server hold (a flood of sessions with inline policies, say).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheLimits {
    /// Signing keys by access key id.
    pub keys: Bound,
    /// Compiled identity policies by user or role; weight: policy text in bytes.
    pub compiled: Bound,
    /// Compiled session policies by temporary key; weight: policy text and ARNs in bytes.
    pub sessions: Bound,
    /// Trust policies bound to the principals they name, by role; weight: text in bytes.
    pub trusts: Bound,
    /// Opened session tokens by temporary key; weight: token text in bytes plus the session.
    pub tokens: Bound,
    /// Rendered answers of listings and entity reads (`pages.rs`); weight: their bytes.
    pub pages: Bound,
}

impl Default for CacheLimits {
    fn default() -> CacheLimits {
        CacheLimits {
            keys: Bound::entries(262_144),
            compiled: Bound {
                entries: 131_072,
                weight: 64 << 20,
            },
            sessions: Bound {
                entries: 4_096,
                weight: 1 << 20,
            },
            trusts: Bound {
                entries: 65_536,
                weight: 16 << 20,
            },
            tokens: Bound {
                entries: 65_536,
                weight: 64 << 20,
            },
            // Listings run to tens of kilobytes, one entity's answer to about one: the
            // bytes bound the first, the entries the second.
            pages: Bound {
                entries: 16_384,
                weight: 32 << 20,
            },
        }
    }
}

/// What the caches hold now: (entries, weight) of each, for tests and metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheUsage {
    /// Signing keys.
    pub keys: (usize, usize),
    /// Compiled user and role policies.
    pub compiled: (usize, usize),
    /// Compiled session policies.
    pub sessions: (usize, usize),
    /// Bound trust policies.
    pub trusts: (usize, usize),
    /// Opened session tokens.
    pub tokens: (usize, usize),
    /// Rendered answers (`pages.rs`).
    pub pages: (usize, usize),
}

#[derive(Debug)]
struct Caches {
    /// Opened signing keys, each with the state revision it was read at.
    keys: BoundedMap<(i64, Arc<KeyEntry>)>,
    policies: PolicyCache,
    /// Opened session tokens by temporary key: opening one (base64, decryption, JSON) cost
    /// a tenth of a role session's request. The token is kept to be compared.
    tokens: BoundedMap<OpenedToken>,
    /// Rendered answers of listings and entity reads (`pages.rs`).
    pages: BoundedMap<Arc<RenderedPage>>,
    /// When this node last wrote each principal's use of each service and action (the
    /// access advisor's rows): one write a minute per row, whatever the request rate.
    access_written: BoundedMap<i64>,
}

/// A session token opened once: valid for the reset generation it was opened in, and only
/// for the same token text.
#[derive(Clone)]
struct OpenedToken {
    generation: u64,
    token: Arc<str>,
    session: Arc<Session>,
}

// The token must never reach a log line or a Debug dump.
impl std::fmt::Debug for OpenedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedToken")
            .field("generation", &self.generation)
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

impl Caches {
    fn new(limits: &CacheLimits) -> Caches {
        Caches {
            keys: BoundedMap::new(limits.keys),
            policies: PolicyCache::new(limits),
            tokens: BoundedMap::new(limits.tokens),
            pages: BoundedMap::new(limits.pages),
            access_written: BoundedMap::new(crate::bounded::Bound::entries(65_536)),
        }
    }

    fn clear(&self) {
        self.keys.clear();
        self.policies.clear();
        self.tokens.clear();
        self.pages.clear();
    }
}

/// How often the state is refreshed from the store (when no notice comes sooner).
const REFRESH_INTERVAL: Duration = Duration::from_secs(1);

/// How long the first load of the state may take before it is abandoned and tried again. It
/// reads the whole store, which takes seconds for a large one (100,000 users: bench/load/
/// scale), and the node refuses every request until it completes anyway: held to
/// [`REFRESH_INTERVAL`], a large store would never load.
const FIRST_LOAD_TIMEOUT: Duration = Duration::from_secs(300);

/// The public base URL until [`Service::with_public_url`] sets one (`serve` always does).
pub const DEFAULT_PUBLIC_URL: &str = "http://localhost";

/// Castellan's IAM and STS operations.
#[derive(Clone, Debug)]
pub struct Service {
    pub(crate) store: Store,
    pub(crate) sealer: Sealer,
    pub(crate) clock: Clock,
    caches: Arc<Caches>,
    /// The in-memory state that reads are served from (`state/`).
    state: Arc<State>,
    /// How old the state may be (since the store last confirmed it) before requests are
    /// refused; `None`: no bound (a service no refresher keeps fresh, in tests).
    max_staleness: Option<Duration>,
    pub(crate) guards: Arc<Guards>,
    /// Whether denials carry an encoded authorization message (off: AWS's IAM messages).
    encode_denials: bool,
    /// The base URL clients reach this server at: outbound federation issuers live under it.
    pub(crate) public_url: Arc<str>,
    /// OIDC issuers' signing keys, fetched over HTTPS and cached (AssumeRoleWithWebIdentity).
    pub(crate) key_fetcher: Arc<KeyFetcher>,
}

/// Failed password checks allowed per user: 5 within 15 minutes.
pub const PASSWORD_FAILURES_PER_USER: ThrottleLimit = ThrottleLimit {
    failures: 5,
    window_seconds: 900,
};

/// Failed password checks allowed per source address (users behind one NAT share it): 20
/// within 15 minutes.
pub const PASSWORD_FAILURES_PER_ADDRESS: ThrottleLimit = ThrottleLimit {
    failures: 20,
    window_seconds: 900,
};

/// The outcome of a throttled password check ([`Service::check_password`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordCheck {
    /// The password is the user's.
    Matches,
    /// It is not (counted against the user and the address).
    Wrong,
    /// Too many recent failures of the user or of the address: not checked at all.
    Throttled,
}

/// What protects the server from its callers: the password pool and throttles, and the
/// reset lock and generation.
#[derive(Debug)]
pub(crate) struct Guards {
    pub(crate) passwords: PasswordPool,
    pub(crate) failed_by_user: Throttle,
    pub(crate) failed_by_address: Throttle,
    /// A hash of no one's password, made on first use: what an unknown name's password is
    /// checked against, so that it costs what a known one does.
    dummy_hash: tokio::sync::OnceCell<String>,
    /// Held for a whole reset (and what is re-created after it), so resets never interleave.
    reset: tokio::sync::Mutex<()>,
    /// How many resets this server has done: sealed into each session token's binding, so a
    /// token issued before a reset does not open after it.
    pub(crate) generation: AtomicU64,
}

impl Default for Guards {
    fn default() -> Guards {
        Guards {
            passwords: PasswordPool::default(),
            dummy_hash: tokio::sync::OnceCell::new(),
            failed_by_user: Throttle::new(PASSWORD_FAILURES_PER_USER, 65_536),
            failed_by_address: Throttle::new(PASSWORD_FAILURES_PER_ADDRESS, 65_536),
            reset: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
        }
    }
}

impl Service {
    /// A service over `store`, sealing secrets with `sealer`.
    pub fn new(store: Store, sealer: Sealer, clock: Clock) -> Service {
        Service {
            store,
            sealer,
            clock,
            caches: Arc::new(Caches::new(&CacheLimits::default())),
            state: Arc::new(State::default()),
            max_staleness: None,
            guards: Arc::new(Guards::default()),
            encode_denials: false,
            public_url: Arc::from(DEFAULT_PUBLIC_URL),
            key_fetcher: Arc::new(KeyFetcher::default()),
        }
    }

    /// Sets the HTTPS client that fetches OIDC issuers' discovery documents and keys
    /// (AssumeRoleWithWebIdentity); without one, every fetch fails.
    pub fn with_https_client(mut self, client: Arc<dyn crate::federation::HttpsGet>) -> Service {
        self.key_fetcher = Arc::new(KeyFetcher::new(client));
        self
    }

    /// Sets the base URL clients reach this server at (`http://host:port`, no trailing
    /// slash needed): the issuer URLs of outbound web identity federation are built on it.
    pub fn with_public_url(mut self, url: &str) -> Service {
        self.public_url = Arc::from(url.trim_end_matches('/'));
        self
    }

    /// Makes denials carry an encoded authorization message that
    /// `sts:DecodeAuthorizationMessage` reveals (AWS does this for some services; IAM's own
    /// denials do not, hence off by default).
    pub fn with_encoded_denials(mut self, encode: bool) -> Service {
        self.encode_denials = encode;
        self
    }

    /// Refuses every request (`ServiceUnavailable`) while the store has not confirmed the
    /// in-memory state for longer than `bound`: a node cut off from its database stops
    /// deciding on what it last knew. [`Service::follow_changes`] keeps it confirmed.
    pub fn with_max_staleness(mut self, bound: Duration) -> Service {
        self.max_staleness = Some(bound);
        self
    }

    /// Replaces the caches with empty ones of these bounds (at start-up).
    pub fn with_cache_limits(mut self, limits: CacheLimits) -> Service {
        self.caches = Arc::new(Caches::new(&limits));
        self
    }

    /// What the caches hold now.
    pub fn cache_usage(&self) -> CacheUsage {
        let caches = &self.caches;
        CacheUsage {
            keys: caches.keys.usage(),
            compiled: caches.policies.compiled_usage(),
            sessions: caches.policies.sessions_usage(),
            trusts: caches.policies.trusts_usage(),
            tokens: caches.tokens.usage(),
            pages: caches.pages.usage(),
        }
    }

    pub(crate) fn denial_encoder(&self) -> Option<&Sealer> {
        self.encode_denials.then_some(&self.sealer)
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Brings the in-memory state up to the store's latest revision (the first call loads
    /// it whole) and reads other nodes' AssumeRole stamps. Cached keys and compiled policies
    /// need no clearing: each carries the revision it was computed at, and holds only while
    /// nothing it depends on changed since (`Snapshot::holds`). Called periodically by the
    /// server.
    pub async fn refresh_caches(&self) -> ServiceResult<()> {
        self.state.catch_up(&self.store).await?;
        self.state.refresh_stamps(&self.store).await?;
        Ok(())
    }

    /// Follows the store for as long as it runs: a refresh every second, and at once when
    /// PostgreSQL notifies another node's commit. A refresh that takes longer than a second
    /// is abandoned and tried again, so a database that stops answering shows as staleness
    /// (see [`Service::with_max_staleness`]), and one that returns is followed again at the
    /// next tick.
    pub async fn follow_changes(self) {
        let mut tick = tokio::time::interval(REFRESH_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut notices = None;
        loop {
            if notices.is_none() {
                notices = match tokio::time::timeout(REFRESH_INTERVAL, self.store.change_notices())
                    .await
                {
                    Ok(Ok(found)) => found,
                    Ok(Err(error)) => {
                        tracing::warn!(%error, "cannot listen for other nodes' changes");
                        None
                    }
                    Err(_) => None,
                };
            }
            let notice = async {
                match notices.as_mut() {
                    Some(notices) => notices.next().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = tick.tick() => {}
                heard = notice => {
                    if let Err(error) = heard {
                        tracing::warn!(%error, "lost the change notices; polling until they return");
                        notices = None;
                    }
                }
            }
            let bound = if self.state.snapshot().is_loaded() {
                REFRESH_INTERVAL
            } else {
                FIRST_LOAD_TIMEOUT
            };
            match tokio::time::timeout(bound, self.refresh_caches()).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::warn!(%error, "could not refresh the state"),
                Err(_) => {
                    tracing::warn!(?bound, "refreshing the state took too long; trying again")
                }
            }
        }
    }

    /// `ServiceUnavailable` when the state is older than the staleness bound.
    /// Whether this node can answer (`/readyz`): its state is loaded and its database has
    /// confirmed it within the staleness bound; else why not.
    pub fn readiness(&self) -> Result<(), &'static str> {
        if !self.state.snapshot().is_loaded() {
            return Err("the state is not loaded yet");
        }
        self.check_fresh()
            .map_err(|_| "the database has not answered recently")
    }

    /// Each cache's lookups so far, (found, not found), by cache name (`/metrics`).
    pub fn cache_lookups(&self) -> Vec<(&'static str, (u64, u64))> {
        let caches = &self.caches;
        let mut lookups = vec![
            ("keys", caches.keys.lookups()),
            ("tokens", caches.tokens.lookups()),
            ("pages", caches.pages.lookups()),
        ];
        lookups.extend(caches.policies.lookups());
        lookups
    }

    /// How long the engine's decisions take (`/metrics`).
    pub fn decision_latency(&self) -> store::metrics::HistogramSnapshot {
        self.caches.policies.decision_latency.snapshot()
    }

    /// How long the store's writes and change-log reads take (`/metrics`).
    pub fn store_latency(
        &self,
    ) -> (
        store::metrics::HistogramSnapshot,
        store::metrics::HistogramSnapshot,
    ) {
        let latency = self.store.latency();
        (latency.writes.snapshot(), latency.change_reads.snapshot())
    }

    pub(crate) fn check_fresh(&self) -> ServiceResult<()> {
        match self.max_staleness {
            Some(bound) if !self.state.confirmed_within(bound) => Err(ServiceError::common(
                wire::CommonError::ServiceUnavailable,
                "Service is unavailable: the database has not answered recently.",
            )),
            _ => Ok(()),
        }
    }

    /// After a write through this node: the state catches up with it, so the very next
    /// request sees the write. The write is committed whatever happens here; a failed
    /// catch-up is retried by the next one (a second at most).
    pub(crate) async fn after_write(&self) {
        if let Err(error) = self.state.catch_up(&self.store).await {
            tracing::warn!(%error, "could not catch up with a write");
        }
    }

    /// Stamps an AssumeRole (RoleLastUsed) in this node's state at once, and in the store
    /// (where other nodes read it) at most once per [`KEY_USE_INTERVAL_SECONDS`] per role.
    pub(crate) async fn record_role_use(&self, role_id: &str, at: i64, region: &str) {
        if !self
            .state
            .stamp_role_use(role_id, at, region, KEY_USE_INTERVAL_SECONDS)
        {
            return;
        }
        if let Err(error) = self.store.record_role_use(role_id, at, region).await {
            tracing::warn!(%error, "could not record role use");
        }
    }

    pub(crate) fn state(&self) -> &State {
        &self.state
    }

    pub(crate) fn pages(&self) -> &BoundedMap<Arc<RenderedPage>> {
        &self.caches.pages
    }

    pub(crate) fn policy_cache(&self) -> &PolicyCache {
        &self.caches.policies
    }

    /// Whether a principal's use of a service and action is due to be written (not written
    /// by this node within `interval` seconds); if so, it counts as written now.
    pub(crate) fn note_access_due(
        &self,
        principal_id: &str,
        service: &str,
        action: &str,
        now: i64,
        interval: i64,
    ) -> bool {
        let key = format!("{principal_id}/{service}/{action}");
        let written = &self.caches.access_written;
        if written.get(&key).is_some_and(|at| now - at < interval) {
            return false;
        }
        written.insert(&key, now);
        true
    }

    /// The signing key with this id, from the cache or the store.
    pub async fn signing_key(&self, access_key_id: &str) -> ServiceResult<Option<Arc<KeyEntry>>> {
        let reads = self.reads();
        if let Some((_, entry)) = self
            .caches
            .keys
            .get(access_key_id)
            .filter(|(revision, _)| reads.holds(access_key_id, *revision))
        {
            return Ok(Some(entry));
        }
        let revision = reads.revision();
        let record = match reads.get_access_key(access_key_id).await {
            Ok(record) => record,
            Err(StoreError::NoSuchEntity { .. }) => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        let binding = key_binding(&record.access_key_id);
        let secret = self
            .sealer
            .open(&record.secret_ciphertext, binding.as_bytes())
            .map_err(|e| ServiceError::internal(&e))?;
        let secret = String::from_utf8(secret.to_vec()).map_err(|e| ServiceError::internal(&e))?;
        let entry = Arc::new(KeyEntry {
            access_key_id: record.access_key_id,
            account_id: record.account_id,
            user_id: record.user_id,
            active: record.status == AccessKeyStatus::Active,
            secret: sigv4::SecretKey::new(secret),
        });
        self.caches
            .keys
            .insert(access_key_id, (revision, Arc::clone(&entry)));
        Ok(Some(entry))
    }

    /// The caller behind a verified key (from the cache while nothing changed), and a note
    /// of the key's use, written in the background.
    pub async fn caller(&self, key: &KeyEntry, request: RequestInfo) -> ServiceResult<Caller> {
        let identity = match &key.user_id {
            None => Identity::Root,
            Some(user_id) => Identity::User(self.reads().get_user_by_id(user_id).await?),
        };
        self.note_key_use(&key.access_key_id, &request).await;
        Ok(Caller {
            account_id: key.account_id.clone(),
            identity,
            access_key_id: key.access_key_id.clone(),
            request,
            session: None,
        })
    }

    /// Records a key's use (time, service, region) in this node's state and in the store
    /// (where other nodes read it) unless it was recorded within the last
    /// [`KEY_USE_INTERVAL_SECONDS`], so at most one request per key per interval pays for
    /// the write (and a client reading GetAccessKeyLastUsed right after sees its use).
    async fn note_key_use(&self, access_key_id: &str, request: &RequestInfo) {
        let now = self.clock.seconds();
        let key_use = KeyUse {
            service: request.service.clone(),
            region: request.region.clone(),
        };
        if !self
            .state
            .stamp_key_use(access_key_id, now, key_use, KEY_USE_INTERVAL_SECONDS)
        {
            return;
        }
        if let Err(error) = self
            .store
            .record_access_key_use(access_key_id, now, &request.service, &request.region)
            .await
        {
            tracing::warn!(%error, "could not record access key use");
        }
    }

    /// Creates an account with its root access key; returns the account and the root key
    /// pair (shown once).
    pub async fn create_account(
        &self,
        new: NewAccount,
    ) -> ServiceResult<(AccountRecord, (String, Secret))> {
        let account_id = match new.account_id {
            Some(id) => id,
            None => new_account_id()?,
        };
        if account_id.len() != 12 || !account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ServiceError::invalid_input(format!(
                "The account id {account_id} must be 12 digits."
            )));
        }
        let (key_id, secret) = match new.root_key {
            Some(pair) => pair,
            None => (new_access_key_id(false)?, new_secret_access_key()?),
        };
        let account = self
            .insert_account(account_id, new.email, new.alias, Some((&key_id, &secret)))
            .await?;
        if let Some(password) = &new.root_password {
            // A second write: should it fail, the account stands without a console password,
            // which `castellan account root-password` sets.
            self.set_root_password(&account.account_id, password)
                .await?;
        }
        self.after_write().await;
        Ok((account, (key_id, secret)))
    }

    /// Writes an account with its alias and root key, if any (a fixtures file may declare
    /// none), in one write: the key pair exists only if all of it does.
    pub(crate) async fn insert_account(
        &self,
        account_id: String,
        email: String,
        alias: Option<String>,
        root_key: Option<(&str, &Secret)>,
    ) -> ServiceResult<AccountRecord> {
        let root_key = root_key
            .map(|(key_id, secret)| self.sealed_key(&account_id, None, key_id, secret))
            .transpose()?;
        Ok(self
            .store
            .create_account(&store::NewAccount {
                account_id,
                email,
                alias,
                created_at: self.clock.seconds(),
                root_key,
            })
            .await?)
    }

    /// Seals and stores an access key.
    pub(crate) async fn store_key(
        &self,
        account_id: &str,
        user_id: Option<&str>,
        key_id: &str,
        secret: &Secret,
    ) -> ServiceResult<store::AccessKeyRecord> {
        let new = self.sealed_key(account_id, user_id, key_id, secret)?;
        Ok(self.store.create_access_key(&new).await?)
    }

    /// An access key ready for the store, its secret sealed under the key's own binding.
    fn sealed_key(
        &self,
        account_id: &str,
        user_id: Option<&str>,
        key_id: &str,
        secret: &Secret,
    ) -> ServiceResult<NewAccessKey> {
        let sealed = self
            .sealer
            .seal(secret.expose().as_bytes(), key_binding(key_id).as_bytes())
            .map_err(|e| ServiceError::internal(&e))?;
        Ok(NewAccessKey {
            access_key_id: key_id.to_owned(),
            account_id: account_id.to_owned(),
            user_id: user_id.map(str::to_owned),
            secret_ciphertext: sealed,
            created_at: self.clock.seconds(),
        })
    }

    /// Whether `sealer` opens the secrets already stored: a server started with the wrong
    /// master key must stop rather than fail every request.
    pub async fn master_key_matches(&self) -> ServiceResult<bool> {
        for account in self.reads().list_accounts().await? {
            let keys = self
                .reads()
                .list_access_keys(&account.account_id, None)
                .await?;
            if let Some(key) = keys.first() {
                let binding = key_binding(&key.access_key_id);
                return Ok(self
                    .sealer
                    .open(&key.secret_ciphertext, binding.as_bytes())
                    .is_ok());
            }
        }
        Ok(true)
    }

    /// Every account of the server, oldest first.
    pub async fn accounts(&self) -> ServiceResult<Vec<AccountRecord>> {
        Ok(self.reads().list_accounts().await?)
    }

    /// Opens (and migrates) the database at `url` (`sqlite://...`, `sqlite::memory:`,
    /// `postgres://...`), sealed: nothing is served until a master key opens it.
    pub async fn open(url: &str) -> Result<Sealed, StoreError> {
        Ok(Sealed {
            store: Store::open(url).await?,
        })
    }

    /// Deletes everything (the test-suite mode's reset).
    pub async fn reset(&self) -> ServiceResult<()> {
        self.reset_then(|_| async { Ok::<(), ServiceError>(()) })
            .await
    }

    /// Deletes everything, then runs `after` (re-creating the first account, say) before any
    /// other reset may start: concurrent resets run one after the other, each whole. Every
    /// session token issued before the reset stops opening.
    pub async fn reset_then<F, Fut, E>(&self, after: F) -> Result<(), E>
    where
        F: FnOnce(Service) -> Fut,
        Fut: std::future::Future<Output = Result<(), E>>,
        E: From<ServiceError>,
    {
        let _one_at_a_time = self.guards.reset.lock().await;
        let reset = self.empty_store().await;
        // After the delete: a token issued while it ran carries the old generation too.
        self.guards.generation.fetch_add(1, Ordering::SeqCst);
        reset?;
        self.guards.failed_by_user.clear();
        self.guards.failed_by_address.clear();
        self.clock.reset_offset();
        let after = after(self.clone()).await;
        self.after_write().await;
        after
    }

    /// Deletes everything in the store and forgets what memory held of it; nothing is served
    /// from memory until the state is loaded again (the next catch-up loads it whole).
    pub(crate) async fn empty_store(&self) -> ServiceResult<()> {
        let emptied = self.store.reset().await;
        self.state.clear();
        self.caches.clear();
        Ok(emptied?)
    }

    /// Checks a user's password against its stored hash, throttled per user and per source
    /// address ([`PASSWORD_FAILURES_PER_USER`], [`PASSWORD_FAILURES_PER_ADDRESS`]), with
    /// Argon2 on the bounded blocking pool. ChangePassword uses it; so will console sign-in.
    pub async fn check_password(
        &self,
        user_id: &str,
        source_ip: Option<std::net::IpAddr>,
        password: &str,
        stored_hash: &str,
    ) -> ServiceResult<PasswordCheck> {
        self.check_password_of(
            &format!("user:{user_id}"),
            source_ip,
            password,
            Some(stored_hash),
        )
        .await
    }

    /// [`Service::check_password`] for any throttle key (`user:<id>`, `root:<account>`, or a
    /// name that names no one); without a stored hash the password is checked against a
    /// dummy hash, so an unknown name costs the same Argon2 run and is always wrong.
    pub(crate) async fn check_password_of(
        &self,
        user_key: &str,
        source_ip: Option<std::net::IpAddr>,
        password: &str,
        stored_hash: Option<&str>,
    ) -> ServiceResult<PasswordCheck> {
        let now = self.clock.seconds();
        let address_key = source_ip.map(|ip| format!("address:{ip}"));
        let guards = &self.guards;
        if !guards.failed_by_user.allows(user_key, now)
            || address_key
                .as_deref()
                .is_some_and(|key| !guards.failed_by_address.allows(key, now))
        {
            return Ok(PasswordCheck::Throttled);
        }
        let (hash, known) = match stored_hash {
            Some(hash) => (hash, true),
            None => (self.dummy_password_hash().await?, false),
        };
        let matches = guards
            .passwords
            .verify(password, hash)
            .await
            .map_err(|e| ServiceError::internal(&e))?;
        if matches && known {
            guards.failed_by_user.succeeded(user_key);
            return Ok(PasswordCheck::Matches);
        }
        guards.failed_by_user.failed(user_key, now);
        if let Some(key) = &address_key {
            guards.failed_by_address.failed(key, now);
        }
        Ok(PasswordCheck::Wrong)
    }

    /// Counts a failed check that was not a password's (a wrong MFA code after a right
    /// password), so that codes cannot be guessed faster than passwords.
    pub(crate) fn count_failure(&self, user_key: &str, source_ip: Option<std::net::IpAddr>) {
        let now = self.clock.seconds();
        self.guards.failed_by_user.failed(user_key, now);
        if let Some(ip) = source_ip {
            self.guards
                .failed_by_address
                .failed(&format!("address:{ip}"), now);
        }
    }

    async fn dummy_password_hash(&self) -> ServiceResult<&str> {
        let guards = &self.guards;
        let hash = guards
            .dummy_hash
            .get_or_try_init(|| async {
                let password =
                    crate::ids::new_console_password().map_err(|e| ServiceError::internal(&e))?;
                guards
                    .passwords
                    .hash(password.expose())
                    .await
                    .map_err(|e| ServiceError::internal(&e))
            })
            .await?;
        Ok(hash.as_str())
    }

    /// The session a temporary key opened before with this very token, in this generation.
    pub(crate) fn opened_token(
        &self,
        access_key_id: &str,
        token: &str,
        generation: u64,
    ) -> Option<Arc<Session>> {
        let opened = self.caches.tokens.get(access_key_id)?;
        let same = opened.generation == generation
            && same_token(opened.token.as_bytes(), token.as_bytes());
        same.then_some(opened.session)
    }

    /// Keeps a token opened for `access_key_id` (see [`Service::opened_token`]).
    pub(crate) fn keep_opened_token(
        &self,
        access_key_id: &str,
        token: &str,
        generation: u64,
        session: &Arc<Session>,
    ) {
        // The session's own fields are about as large as the token's sealed text.
        let weight = token.len().saturating_mul(2);
        let opened = OpenedToken {
            generation,
            token: Arc::from(token),
            session: Arc::clone(session),
        };
        self.caches
            .tokens
            .insert_weighted(access_key_id, opened, weight);
    }

    /// The number of resets so far (see [`Service::reset_then`]).
    pub(crate) fn generation(&self) -> u64 {
        self.guards.generation.load(Ordering::SeqCst)
    }
}

/// Whether two session tokens are the same, in time that depends on their length only.
/// Tokens run to a kilobyte and are compared on every request signed with one: this folds
/// eight bytes at a time, where `subtle`'s slice comparison guards each byte on its own.
fn same_token(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq as _;
    if a.len() != b.len() {
        return false;
    }
    let (a_words, b_words) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail = a_words.remainder().ct_eq(b_words.remainder());
    let difference = a_words.zip(b_words).fold(0u64, |difference, (x, y)| {
        let word = |bytes: &[u8]| u64::from_ne_bytes(bytes.try_into().unwrap_or_default());
        difference | (word(x) ^ word(y))
    });
    bool::from(difference.ct_eq(&0) & tail)
}

/// The authenticated data that binds a sealed secret to its key id.
fn key_binding(access_key_id: &str) -> String {
    format!("access-key:{access_key_id}")
}

/// A database opened by [`Service::open`] whose secrets are not unsealed yet.
#[derive(Debug)]
pub struct Sealed {
    store: Store,
}

impl Sealed {
    /// Whether the database holds no account yet: a first start, where a new master key may
    /// be made (a database with accounts needs the key that sealed their secrets).
    pub async fn is_empty(&self) -> ServiceResult<bool> {
        Ok(Reads::of(&self.store).list_accounts().await?.is_empty())
    }

    /// The service, once `master` is shown to open the secrets stored in the database;
    /// `None` when it does not (the wrong key: nothing would verify or decrypt).
    pub async fn unseal(self, master: &MasterKey, clock: Clock) -> ServiceResult<Option<Service>> {
        let service = Service::new(self.store, Sealer::new(master), clock);
        Ok(service.master_key_matches().await?.then_some(service))
    }
}

#[cfg(test)]
mod tests {
    use super::same_token;

    #[test]
    fn tokens_are_the_same_only_byte_for_byte() {
        let token = b"IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ";
        assert!(same_token(token, token));
        assert!(same_token(b"", b""));
        for at in 0..token.len() {
            let mut other = token.to_vec();
            other[at] ^= 1;
            assert!(
                !same_token(token, &other),
                "a change at byte {at} went unseen"
            );
        }
        assert!(!same_token(token, &token[..token.len() - 1]));
        assert!(!same_token(&token[..8], &token[..9]));
    }
}
