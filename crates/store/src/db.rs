//! Opening a store, migrations, and the write transaction every mutation goes through.
//!
//! Both backends run the same SQL text through sqlx's `Any` driver (`$1` placeholders work on
//! SQLite too); the few differences (how to take the write lock, `FOR UPDATE`, `NOTIFY`) are
//! chosen by [`Backend`] here and nowhere else.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::{Any, AnyPool, Row, SqlSafeStr, Transaction};
use sqlx::{AnyConnection, Connection as _};

use crate::error::{BackendError, EntityKind, Result, StoreError};
use crate::model::{ListOptions, Page};

/// Which database a [`Store`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite (file or in-memory).
    Sqlite,
    /// PostgreSQL, possibly shared by several server nodes.
    Postgres,
}

/// The PostgreSQL channel notified (with the new revision as payload) when a write commits,
/// so that other nodes can refresh without waiting for their next poll.
pub const CHANGE_CHANNEL: &str = "castellan_changes";

/// How long a SQLite writer waits for the write lock before failing.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 30_000;

/// The persistence layer: cheap to clone (a connection pool inside), safe to share.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    pub(crate) backend: Backend,
    /// For an in-memory database, a connection outside the pool that owns it (see
    /// [`MemoryAnchor`]); `None` otherwise.
    _anchor: Option<Arc<MemoryAnchor>>,
    /// PostgreSQL's URL, for the connection that listens for other nodes' changes (it may
    /// hold a password: never printed).
    listen_url: Option<ListenUrl>,
    /// How long writes and change-log reads take (for `/metrics`).
    pub(crate) latency: Arc<crate::metrics::StoreLatency>,
}

/// A database URL that `Debug` does not print (it may carry a password).
#[derive(Clone)]
struct ListenUrl(Arc<str>);

impl std::fmt::Debug for ListenUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<database url>")
    }
}

/// Other nodes' commits, as PostgreSQL notifies them ([`Store::change_notices`]).
pub struct ChangeNotices {
    listener: sqlx::postgres::PgListener,
}

impl std::fmt::Debug for ChangeNotices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChangeNotices")
    }
}

impl ChangeNotices {
    /// Waits for the next notice. A lost connection is opened again by the listener; notices
    /// sent meanwhile are lost, which is why the caller polls besides.
    pub async fn next(&mut self) -> Result<()> {
        self.listener.recv().await?;
        Ok(())
    }
}

/// Keeps an in-memory SQLite database alive.
///
/// An in-memory database lives exactly as long as some connection to it is open. The pool's
/// connections come and go (one is dropped when a query fails mid-way or a future using it is
/// cancelled, and the pool opens a fresh one), so the database is anchored in a connection the
/// pool never sees. It runs no statement, so it holds no lock.
struct MemoryAnchor {
    _connection: Mutex<AnyConnection>,
}

impl std::fmt::Debug for MemoryAnchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemoryAnchor")
    }
}

/// Numbers the in-memory databases of this process, which are shared by name.
static MEMORY_DATABASES: AtomicU64 = AtomicU64::new(0);

impl Store {
    /// Opens (creating if asked) and migrates a store.
    ///
    /// `url` is `sqlite://path?mode=rwc`, `sqlite::memory:` (a new in-memory database that
    /// every clone of this store shares, for as long as one clone lives) or `postgres://...`.
    pub async fn open(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(BackendError::message(format!(
                "unsupported database url scheme in `{}`",
                url.split(':').next().unwrap_or_default()
            ))
            .into());
        };
        let mut anchor = None;
        let pool = match backend {
            Backend::Sqlite => {
                let in_memory = url.contains(":memory:") || url.contains("mode=memory");
                let options = AnyPoolOptions::new()
                    .acquire_timeout(Duration::from_secs(60))
                    .after_connect(|conn, _meta| Box::pin(sqlite_pragmas(conn)));
                if in_memory {
                    // A name of our own: sqlx names `:memory:` afresh on every connect, so a
                    // replacement pool connection would open a new, empty database. Under one
                    // name, in shared-cache mode, every connection of this process opens the
                    // same one, which the anchor keeps alive.
                    let number = MEMORY_DATABASES.fetch_add(1, Ordering::Relaxed);
                    let url = format!(
                        "sqlite:file:castellan-memory-{}-{number}?mode=memory",
                        std::process::id()
                    );
                    anchor = Some(Arc::new(MemoryAnchor {
                        _connection: Mutex::new(AnyConnection::connect(&url).await?),
                    }));
                    // One pool connection: shared-cache connections lock whole tables and
                    // report conflicts instead of waiting, so writers and readers take turns.
                    options.max_connections(1).connect(&url).await?
                } else {
                    options.max_connections(4).connect(url).await?
                }
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(60))
                    .connect(url)
                    .await?
            }
        };
        let migrations = match backend {
            Backend::Sqlite => Embedded(SQLITE_MIGRATIONS),
            Backend::Postgres => Embedded(POSTGRES_MIGRATIONS),
        };
        // The migrator takes a lock of its own (an advisory lock on PostgreSQL), so several
        // nodes starting at once apply each migration exactly once.
        Migrator::new(migrations).await?.run(&pool).await?;
        Ok(Store {
            pool,
            backend,
            _anchor: anchor,
            listen_url: (backend == Backend::Postgres).then(|| ListenUrl(Arc::from(url))),
            latency: Arc::default(),
        })
    }

    /// How long the store's writes and change-log reads have taken.
    #[must_use]
    pub fn latency(&self) -> &crate::metrics::StoreLatency {
        &self.latency
    }

    /// Which backend this store runs on.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A subscription to the notices of [`CHANGE_CHANNEL`], which every committed write sends
    /// on PostgreSQL: other nodes' writes arrive in milliseconds instead of at the next poll.
    /// `None` on SQLite (one node; nothing to hear).
    pub async fn change_notices(&self) -> Result<Option<ChangeNotices>> {
        let Some(ListenUrl(url)) = &self.listen_url else {
            return Ok(None);
        };
        let mut listener = sqlx::postgres::PgListener::connect(url).await?;
        listener.listen(CHANGE_CHANNEL).await?;
        Ok(Some(ChangeNotices { listener }))
    }

    /// Closes every connection; later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Deletes every entity (the test-suite mode). The revision keeps counting up and the
    /// change log is marked incomplete, so that caching nodes reload everything.
    pub async fn reset(&self) -> Result<()> {
        let mut w = self.begin_write().await?;
        for table in [
            "DELETE FROM change_log",
            "DELETE FROM org_tags",
            "DELETE FROM org_create_account_status",
            "DELETE FROM org_policy_attachments",
            "DELETE FROM org_policies",
            "DELETE FROM org_accounts",
            "DELETE FROM org_units",
            "DELETE FROM org_policy_types",
            "DELETE FROM organizations",
            "DELETE FROM console_sessions",
            "DELETE FROM reports",
            "DELETE FROM service_access",
            "DELETE FROM mfa_devices",
            "DELETE FROM instance_profile_roles",
            "DELETE FROM instance_profiles",
            "DELETE FROM server_certificates",
            "DELETE FROM oidc_provider_values",
            "DELETE FROM oidc_providers",
            "DELETE FROM saml_provider_private_keys",
            "DELETE FROM saml_providers",
            "DELETE FROM tags",
            "DELETE FROM password_policies",
            "DELETE FROM password_history",
            "DELETE FROM login_profiles",
            "DELETE FROM access_keys",
            "DELETE FROM user_credentials",
            "DELETE FROM account_properties",
            "DELETE FROM outbound_signing_keys",
            "DELETE FROM outbound_federation",
            "DELETE FROM inline_policies",
            "DELETE FROM attachments",
            "DELETE FROM policy_versions",
            "DELETE FROM policies",
            "DELETE FROM roles",
            "DELETE FROM group_members",
            "DELETE FROM iam_groups",
            "DELETE FROM users",
            "DELETE FROM accounts",
        ] {
            sqlx::query(table).execute(w.conn()).await?;
        }
        let revision = w.revision;
        sqlx::query("UPDATE revision SET log_floor = $1 WHERE id = 1")
            .bind(revision)
            .execute(w.conn())
            .await?;
        w.commit().await?;
        Ok(())
    }

    /// Starts a write transaction: takes the write lock, then bumps the revision.
    ///
    /// Bumping first, under the lock of the single revision row, serialises writers in commit
    /// order on both backends, so a reader that sees revision `n` has every change up to `n`,
    /// and every writer takes its locks in the same order (no deadlocks).
    pub(crate) async fn begin_write(&self) -> Result<Write> {
        let started = std::time::Instant::now();
        let mut tx = match self.backend {
            // A deferred transaction would take the write lock at its first write, after its
            // quota count, and could then fail with SQLITE_BUSY instead of waiting.
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        let row = sqlx::query("UPDATE revision SET value = value + 1 WHERE id = 1 RETURNING value")
            .fetch_one(&mut *tx)
            .await?;
        let revision: i64 = row.try_get("value")?;
        if self.backend == Backend::Postgres {
            // Delivered only if and when the transaction commits.
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANGE_CHANNEL)
                .bind(revision.to_string())
                .execute(&mut *tx)
                .await?;
        }
        Ok(Write {
            tx,
            revision,
            backend: self.backend,
            started,
            latency: Arc::clone(&self.latency),
        })
    }
}

/// An open write transaction; dropping it without [`Write::commit`] rolls everything back.
pub(crate) struct Write {
    tx: Transaction<'static, Any>,
    pub(crate) revision: i64,
    backend: Backend,
    started: std::time::Instant,
    latency: Arc<crate::metrics::StoreLatency>,
}

impl Write {
    pub(crate) fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// Records in the change log that this transaction touched an entity.
    pub(crate) async fn touched(
        &mut self,
        account_id: &str,
        kind: EntityKind,
        id: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO change_log (revision, account_id, entity_kind, entity_id) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(self.revision)
        .bind(account_id)
        .bind(kind.as_str())
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Locks a parent row before its children are counted. On SQLite `BEGIN IMMEDIATE` already
    /// holds the database's single write lock, so there is nothing more to take.
    pub(crate) async fn lock_row(&mut self, lock: Lock, key: &str) -> Result<()> {
        if self.backend == Backend::Postgres {
            let sql = match lock {
                Lock::Account => "SELECT 1 FROM accounts WHERE account_id = $1 FOR UPDATE",
                Lock::User => "SELECT 1 FROM users WHERE user_id = $1 FOR UPDATE",
                Lock::Group => "SELECT 1 FROM iam_groups WHERE group_id = $1 FOR UPDATE",
                Lock::Role => "SELECT 1 FROM roles WHERE role_id = $1 FOR UPDATE",
                Lock::Policy => "SELECT 1 FROM policies WHERE policy_id = $1 FOR UPDATE",
            };
            sqlx::query(sql).bind(key).execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Commits and returns the revision this transaction produced.
    pub(crate) async fn commit(self) -> Result<i64> {
        self.tx.commit().await?;
        self.latency.writes.observe(self.started.elapsed());
        Ok(self.revision)
    }
}

/// Parent rows that quota checks lock.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lock {
    Account,
    User,
    Group,
    Role,
    Policy,
}

async fn sqlite_pragmas(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    // WAL lets readers run beside the writer; FULL makes every acknowledged commit durable
    // across power loss, not only across a process crash.
    for pragma in [
        "PRAGMA journal_mode = WAL",
        "PRAGMA synchronous = FULL",
        "PRAGMA foreign_keys = ON",
    ] {
        sqlx::query(pragma).execute(&mut *conn).await?;
    }
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}"
    )))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// One embedded migration: version, description, SQL.
type MigrationText = (i64, &'static str, &'static str);

const SQLITE_MIGRATIONS: &[MigrationText] = &[
    (
        1,
        "initial",
        include_str!("../migrations/sqlite/0001_initial.sql"),
    ),
    (
        2,
        "instance profiles",
        include_str!("../migrations/sqlite/0002_instance_profiles.sql"),
    ),
    (
        3,
        "trust principals",
        include_str!("../migrations/sqlite/0003_trust_principals.sql"),
    ),
    (
        4,
        "one tags table",
        include_str!("../migrations/sqlite/0004_one_tags_table.sql"),
    ),
    (
        5,
        "user credentials",
        include_str!("../migrations/sqlite/0005_user_credentials.sql"),
    ),
    (
        6,
        "server certificates",
        include_str!("../migrations/sqlite/0006_server_certificates.sql"),
    ),
    (
        7,
        "account settings",
        include_str!("../migrations/sqlite/0007_account_settings.sql"),
    ),
    (
        8,
        "outbound federation",
        include_str!("../migrations/sqlite/0008_outbound_federation.sql"),
    ),
    (
        9,
        "policy tag keys",
        include_str!("../migrations/sqlite/0009_policy_tag_keys.sql"),
    ),
    (
        10,
        "console",
        include_str!("../migrations/sqlite/0010_console.sql"),
    ),
    (
        11,
        "mfa devices",
        include_str!("../migrations/sqlite/0011_mfa_devices.sql"),
    ),
    (
        12,
        "identity providers",
        include_str!("../migrations/sqlite/0012_identity_providers.sql"),
    ),
    (
        13,
        "console federation",
        include_str!("../migrations/sqlite/0013_console_federation.sql"),
    ),
    (
        14,
        "organizations",
        include_str!("../migrations/sqlite/0014_organizations.sql"),
    ),
    (
        15,
        "use stamps",
        include_str!("../migrations/sqlite/0015_use_stamps.sql"),
    ),
    (
        16,
        "reports",
        include_str!("../migrations/sqlite/0016_reports.sql"),
    ),
    (
        17,
        "service access",
        include_str!("../migrations/sqlite/0017_service_access.sql"),
    ),
];
const POSTGRES_MIGRATIONS: &[MigrationText] = &[
    (
        1,
        "initial",
        include_str!("../migrations/postgres/0001_initial.sql"),
    ),
    (
        2,
        "instance profiles",
        include_str!("../migrations/postgres/0002_instance_profiles.sql"),
    ),
    (
        3,
        "trust principals",
        include_str!("../migrations/postgres/0003_trust_principals.sql"),
    ),
    (
        4,
        "one tags table",
        include_str!("../migrations/postgres/0004_one_tags_table.sql"),
    ),
    (
        5,
        "user credentials",
        include_str!("../migrations/postgres/0005_user_credentials.sql"),
    ),
    (
        6,
        "server certificates",
        include_str!("../migrations/postgres/0006_server_certificates.sql"),
    ),
    (
        7,
        "account settings",
        include_str!("../migrations/postgres/0007_account_settings.sql"),
    ),
    (
        8,
        "outbound federation",
        include_str!("../migrations/postgres/0008_outbound_federation.sql"),
    ),
    (
        9,
        "policy tag keys",
        include_str!("../migrations/postgres/0009_policy_tag_keys.sql"),
    ),
    (
        10,
        "console",
        include_str!("../migrations/postgres/0010_console.sql"),
    ),
    (
        11,
        "mfa devices",
        include_str!("../migrations/postgres/0011_mfa_devices.sql"),
    ),
    (
        12,
        "identity providers",
        include_str!("../migrations/postgres/0012_identity_providers.sql"),
    ),
    (
        13,
        "console federation",
        include_str!("../migrations/postgres/0013_console_federation.sql"),
    ),
    (
        14,
        "organizations",
        include_str!("../migrations/postgres/0014_organizations.sql"),
    ),
    (
        15,
        "use stamps",
        include_str!("../migrations/postgres/0015_use_stamps.sql"),
    ),
    (
        16,
        "reports",
        include_str!("../migrations/postgres/0016_reports.sql"),
    ),
    (
        17,
        "service access",
        include_str!("../migrations/postgres/0017_service_access.sql"),
    ),
];

/// Migrations embedded with `include_str!` rather than `sqlx::migrate!`, which would pull in
/// sqlx's proc macros and compile both drivers (and SQLite's C source) a second time.
#[derive(Debug)]
struct Embedded(&'static [MigrationText]);

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(
        self,
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<
                    Output = std::result::Result<Vec<Migration>, sqlx::error::BoxDynError>,
                > + Send
                + 's,
        >,
    > {
        let migrations = self
            .0
            .iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect();
        Box::pin(std::future::ready(Ok(migrations)))
    }
}

// ---- helpers shared by the entity modules ----

/// AWS names are ASCII, but lower-casing in Rust (not in SQL, where SQLite's `lower` is ASCII
/// only and PostgreSQL's depends on the locale) keeps both backends identical.
pub(crate) fn lower(name: &str) -> String {
    name.to_lowercase()
}

/// Whether an error is a unique-constraint violation: a concurrent writer took the name first.
pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// Maps a unique violation to `EntityAlreadyExists`, anything else to a backend error.
pub(crate) fn conflict_as_exists(error: sqlx::Error, kind: EntityKind, name: &str) -> StoreError {
    if is_unique_violation(&error) {
        StoreError::EntityAlreadyExists {
            kind,
            name: name.to_owned(),
        }
    } else {
        error.into()
    }
}

pub(crate) fn not_found(kind: EntityKind, name: &str) -> StoreError {
    StoreError::NoSuchEntity {
        kind,
        name: name.to_owned(),
    }
}

pub(crate) fn flag(row: &AnyRow, column: &str) -> Result<bool> {
    Ok(row.try_get::<i64, _>(column)? != 0)
}

/// The page size as a SQL limit: one more than asked, to learn whether more follow.
pub(crate) fn fetch_limit(options: &ListOptions) -> i64 {
    i64::from(options.max_items.clamp(1, 1000)) + 1
}

/// Cuts the extra row off and turns the last key into the marker.
pub(crate) fn paginate<T>(
    mut items: Vec<T>,
    options: &ListOptions,
    key: impl Fn(&T) -> String,
) -> Page<T> {
    let max = usize::try_from(options.max_items.clamp(1, 1000)).unwrap_or(1000);
    if items.len() > max {
        items.truncate(max);
        let next_marker = items.last().map(key);
        Page { items, next_marker }
    } else {
        Page {
            items,
            next_marker: None,
        }
    }
}

/// The entity of an account named `name` (case-insensitively), on any connection: `select`
/// is its table's `SELECT ... FROM ...`, `row` reads it; `NoSuchEntity` (as `kind`) otherwise.
pub(crate) async fn find_named<T>(
    conn: &mut AnyConnection,
    (select, kind): (&str, EntityKind),
    account_id: &str,
    name: &str,
    row: fn(&AnyRow) -> Result<T>,
) -> Result<T> {
    let found = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{select} WHERE account_id = $1 AND name_lower = $2"
    )))
    .bind(account_id)
    .bind(lower(name))
    .fetch_optional(conn)
    .await?;
    found
        .as_ref()
        .map(row)
        .transpose()?
        .ok_or_else(|| not_found(kind, name))
}

/// One page of an account's entities of one table in name order, filtered by path prefix:
/// `select` is the table's `SELECT ... FROM ...`, `row` reads one row, `name` is its name.
pub(crate) async fn list_named<T>(
    pool: &AnyPool,
    select: &str,
    account_id: &str,
    options: &ListOptions,
    row: fn(&AnyRow) -> Result<T>,
    name: fn(&T) -> &str,
) -> Result<Page<T>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{select} WHERE account_id = $1 AND ($2 IS NULL OR substr(path, 1, length($2)) = $2) \
         AND ($3 IS NULL OR name_lower > $3) ORDER BY name_lower LIMIT $4"
    )))
    .bind(account_id)
    .bind(options.path_prefix.as_deref())
    .bind(options.marker.as_deref())
    .bind(fetch_limit(options))
    .fetch_all(pool)
    .await?;
    let items = rows.iter().map(row).collect::<Result<Vec<_>>>()?;
    Ok(paginate(items, options, |item| lower(name(item))))
}

/// Gives the entity `id` of `table` (keyed by `id_column`) its new name and path within an
/// open write; `EntityAlreadyExists` (as `kind`) when the name is taken in the account.
pub(crate) async fn rename(
    w: &mut Write,
    (table, id_column, kind): (&str, &str, EntityKind),
    id: &str,
    (name, path): (&str, &str),
) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE {table} SET name = $1, name_lower = $2, path = $3 WHERE {id_column} = $4"
    )))
    .bind(name)
    .bind(lower(name))
    .bind(path)
    .bind(id)
    .execute(w.conn())
    .await
    .map_err(|e| conflict_as_exists(e, kind, name))?;
    Ok(())
}

/// The text of a validated policy document about to be stored in a slot for `kind` (inline
/// and managed policies: identity; a role's trust policy: trust). A document of another kind
/// is a caller's bug, refused as a backend failure rather than stored.
pub(crate) fn document_text(document: &policy::Policy, kind: policy::PolicyKind) -> Result<&str> {
    if document.kind() == kind {
        Ok(document.text())
    } else {
        Err(StoreError::Backend(BackendError::message(format!(
            "a {} policy offered where a {} policy is stored",
            document.kind().name(),
            kind.name()
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 9, finding 0: the in-memory database outlives any one connection of its pool.
    #[tokio::test]
    async fn finding_0_memory_database_survives_losing_its_pool_connection() {
        let store = Store::open("sqlite::memory:").await.unwrap();
        store
            .create_account(&crate::NewAccount {
                account_id: "123456789012".into(),
                email: "root@example.com".into(),
                alias: None,
                created_at: 0,
                root_key: None,
            })
            .await
            .unwrap();
        for _ in 0..3 {
            // What happens when a request is cancelled mid-query or a connection breaks: the
            // pool closes that connection and later opens another.
            store.pool.acquire().await.unwrap().close().await.unwrap();
            let accounts = store.list_accounts().await.unwrap();
            assert_eq!(accounts.len(), 1);
        }
    }
}
