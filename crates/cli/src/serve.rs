//! `castellan serve` and `castellan account create`: settings, first start, and the server.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use clap::Args;
use service::{Clock, Fixtures, MasterKey, NewAccount, Secret, Service};

/// Where the state lives and how to unlock it; shared by `serve` and `account create`.
#[derive(Debug, Args)]
pub struct StorageArgs {
    /// The data directory: the SQLite database, the master key file, the root credentials.
    #[arg(long, env = "CASTELLAN_DATA_DIR", default_value = "castellan-data")]
    data_dir: PathBuf,
    /// A PostgreSQL URL (`postgres://user@host/db`) instead of the embedded SQLite file.
    #[arg(long, env = "CASTELLAN_DATABASE_URL")]
    database_url: Option<String>,
    /// The master key (64 hex digits) that seals secrets at rest; by default it is read from
    /// (or, on first start, written to) `<data-dir>/master.key`, readable only by its owner.
    /// Prefer the environment or `--master-key-file`: a command line is visible to every
    /// user of the machine.
    #[arg(long, env = "CASTELLAN_MASTER_KEY", hide_env_values = true)]
    master_key: Option<String>,
    /// A file holding the master key (64 hex digits), instead of `<data-dir>/master.key`.
    #[arg(long, env = "CASTELLAN_MASTER_KEY_FILE", conflicts_with = "master_key")]
    master_key_file: Option<PathBuf>,
}

/// `castellan serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where to listen.
    #[arg(long, env = "CASTELLAN_LISTEN", default_value = "127.0.0.1:7070")]
    listen: SocketAddr,
    #[command(flatten)]
    storage: StorageArgs,
    /// The first account's id (12 digits), used only when the first account is created.
    #[arg(long, env = "CASTELLAN_ACCOUNT_ID")]
    account_id: Option<String>,
    /// The first account's root email.
    #[arg(
        long,
        env = "CASTELLAN_ROOT_EMAIL",
        default_value = "root@castellan.local"
    )]
    root_email: String,
    /// Fixes the first root access key id instead of generating one.
    #[arg(
        long,
        env = "CASTELLAN_ROOT_ACCESS_KEY_ID",
        requires = "root_secret_access_key"
    )]
    root_access_key_id: Option<String>,
    /// Fixes the first root secret access key.
    #[arg(
        long,
        env = "CASTELLAN_ROOT_SECRET_ACCESS_KEY",
        hide_env_values = true,
        requires = "root_access_key_id"
    )]
    root_secret_access_key: Option<String>,
    /// The first account's root console password (sign in at `/console` with the root
    /// email); generated and shown once when not given.
    #[arg(long, env = "CASTELLAN_ROOT_PASSWORD", hide_env_values = true)]
    root_password: Option<String>,
    /// For test suites: `POST /_castellan/clock?advance=SECONDS` moves the server's clock
    /// forward (password expiry, throttle windows, TOTP steps); a reset takes it back.
    #[arg(long, env = "CASTELLAN_TEST_CLOCK")]
    test_clock: bool,
    /// Keep everything in memory and enable `POST /_castellan/reset` (for test suites).
    #[arg(long)]
    ephemeral: bool,
    /// For test suites: a JSON file (YAML when it ends in `.yaml` or `.yml`) declaring every
    /// account the server starts with (ids, root keys, policies, groups, users with fixed
    /// access keys, roles), validated whole before anything starts, applied to an empty store
    /// and again after every reset.
    #[arg(
        long,
        env = "CASTELLAN_FIXTURES",
        conflicts_with_all = ["account_id", "root_email", "root_access_key_id", "root_secret_access_key", "root_password", "no_print_root_secret"]
    )]
    fixtures: Option<PathBuf>,
    /// On first start, write the root secret access key only to `<data-dir>/root-credentials`
    /// (mode 0600), never to standard output, where service managers keep it in their journals.
    #[arg(
        long,
        env = "CASTELLAN_NO_PRINT_ROOT_SECRET",
        conflicts_with = "ephemeral"
    )]
    no_print_root_secret: bool,
    /// Append an encoded authorization failure message to every AccessDenied, decodable with
    /// sts:DecodeAuthorizationMessage (IAM's own messages carry none, hence off by default).
    #[arg(long, env = "CASTELLAN_ENCODE_AUTHORIZATION_MESSAGES")]
    encode_authorization_messages: bool,
    /// A PEM bundle of CA certificates trusted, besides the system's roots, when fetching
    /// OIDC issuers' discovery documents and keys (AssumeRoleWithWebIdentity with a private
    /// issuer).
    #[arg(long, env = "CASTELLAN_TRUST_CA_FILE")]
    trust_ca_file: Option<PathBuf>,
    /// Seconds a node keeps answering after its database stopped confirming its in-memory
    /// state; past them every request is refused (ServiceUnavailable) until the database
    /// answers again. Decisions are never made on state older than this.
    #[arg(long, env = "CASTELLAN_MAX_STALENESS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3600))]
    max_staleness: u64,
    /// Connection limits, timeouts, TLS and trusted proxies (boxed: clap's arguments are
    /// moved around by value).
    #[command(flatten)]
    network: Box<NetworkArgs>,
    /// The audit log.
    #[command(flatten)]
    audit: Box<AuditArgs>,
}

/// `castellan serve`'s audit log: one CloudTrail-shaped JSON line per authenticated request.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The audit log file (default `<data-dir>/audit.log`; none with `--ephemeral` unless
    /// given). Rotated files are `<file>.1` (newest) and up.
    #[arg(long, env = "CASTELLAN_AUDIT_LOG")]
    audit_log: Option<PathBuf>,
    /// Keep no audit log at all.
    #[arg(long, env = "CASTELLAN_NO_AUDIT_LOG", conflicts_with = "audit_log")]
    no_audit_log: bool,
    /// A file is rotated once it holds this much (default 100MiB).
    #[arg(long, env = "CASTELLAN_AUDIT_MAX_BYTES", value_parser = server::parse_size)]
    audit_max_bytes: Option<usize>,
    /// Rotated files kept (default 10).
    #[arg(long, env = "CASTELLAN_AUDIT_KEEP", default_value_t = 10)]
    audit_keep: usize,
    /// Apply a change even when its audit record cannot be written (by default such a
    /// request is refused with ServiceUnavailable and nothing is changed).
    #[arg(long, env = "CASTELLAN_AUDIT_FAIL_OPEN")]
    audit_fail_open: bool,
}

impl AuditArgs {
    /// The log to open, if any.
    fn settings(&self, storage: &StorageArgs, ephemeral: bool) -> Option<server::AuditSettings> {
        if self.no_audit_log {
            return None;
        }
        let path = match (&self.audit_log, ephemeral) {
            (Some(path), _) => path.clone(),
            (None, true) => return None,
            (None, false) => storage.data_dir.join("audit.log"),
        };
        Some(server::AuditSettings {
            path,
            max_bytes: self.audit_max_bytes.map_or(100 * 1024 * 1024, |n| n as u64),
            keep: self.audit_keep,
            fail_closed: !self.audit_fail_open,
        })
    }
}

/// `castellan serve`'s HTTP settings.
#[derive(Debug, Args)]
pub struct NetworkArgs {
    /// A request head (and TLS handshake) must arrive within this time (default 30s).
    #[arg(long, env = "CASTELLAN_HEADER_TIMEOUT", value_parser = server::parse_duration)]
    header_timeout: Option<std::time::Duration>,
    /// A request body must arrive whole within this time after its head (default 60s).
    #[arg(long, env = "CASTELLAN_BODY_TIMEOUT", value_parser = server::parse_duration)]
    body_timeout: Option<std::time::Duration>,
    /// An idle keep-alive connection is closed after this time (default 60s).
    #[arg(long, env = "CASTELLAN_IDLE_TIMEOUT", value_parser = server::parse_duration)]
    idle_timeout: Option<std::time::Duration>,
    /// Connections served at once; more are answered 503 ServiceUnavailable (default 1024).
    #[arg(long, env = "CASTELLAN_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Body bytes held at once for requests not yet authenticated (default 32MiB).
    #[arg(long, env = "CASTELLAN_UNAUTHENTICATED_BODY_BUDGET", value_parser = server::parse_size)]
    unauthenticated_body_budget: Option<usize>,
    /// Serve HTTPS with this PEM certificate chain (reloaded when it changes).
    #[arg(long, env = "CASTELLAN_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "CASTELLAN_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Proxies (addresses or CIDR blocks, comma-separated) whose X-Forwarded-Proto and
    /// X-Forwarded-For are believed.
    #[arg(long, env = "CASTELLAN_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxies: Vec<server::Cidr>,
    /// The base URL clients reach this server at; outbound web identity federation issuers
    /// are `<public-url>/oidc/<id>` (default: http(s)://<listen address>).
    #[arg(long, env = "CASTELLAN_PUBLIC_URL", value_parser = server::parse_public_url)]
    public_url: Option<String>,
}

impl NetworkArgs {
    /// The server's limits, TLS and proxies: the defaults unless set.
    fn server_config(&self) -> anyhow::Result<server::ServerConfig> {
        let mut config = server::ServerConfig::default();
        config.header_timeout = self.header_timeout.unwrap_or(config.header_timeout);
        config.body_timeout = self.body_timeout.unwrap_or(config.body_timeout);
        config.idle_timeout = self.idle_timeout.unwrap_or(config.idle_timeout);
        config.max_connections = self.max_connections.unwrap_or(config.max_connections);
        config.unauthenticated_body_budget = self
            .unauthenticated_body_budget
            .unwrap_or(config.unauthenticated_body_budget);
        if let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) {
            config.tls = Some(server::TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            });
        }
        config.trusted_proxies = self.trusted_proxies.clone();
        config.public_url = self.public_url.clone();
        config.check()?;
        Ok(config)
    }
}

/// `castellan account create`.
#[derive(Debug, Args)]
pub struct CreateAccountArgs {
    #[command(flatten)]
    storage: StorageArgs,
    /// The root user's email.
    #[arg(long)]
    email: String,
    /// An account alias, unique across the server.
    #[arg(long)]
    alias: Option<String>,
    /// The root console password; generated and shown once when not given.
    #[arg(long, env = "CASTELLAN_ROOT_PASSWORD", hide_env_values = true)]
    root_password: Option<String>,
}

/// `castellan account root-password`.
#[derive(Debug, Args)]
pub struct RootPasswordArgs {
    #[command(flatten)]
    storage: StorageArgs,
    /// The account.
    #[arg(long)]
    account_id: String,
    /// The new root console password; generated and shown once when not given.
    #[arg(long, env = "CASTELLAN_ROOT_PASSWORD", hide_env_values = true)]
    root_password: Option<String>,
}

/// `castellan role revoke-sessions`.
#[derive(Debug, Args)]
pub struct RevokeSessionsArgs {
    #[command(flatten)]
    storage: StorageArgs,
    /// The role's account.
    #[arg(long)]
    account_id: String,
    /// The role's name.
    #[arg(long)]
    role_name: String,
}

/// Creates the data directory, accessible to its owner only.
fn create_private_dir(path: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(path)
        .with_context(|| format!("cannot create the data directory `{}`", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot restrict `{}` to its owner", path.display()))?;
    }
    Ok(())
}

/// Writes `contents` to `path`, readable and writable by the owner only.
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}

/// Opens the store and the sealer; refuses a master key that does not open the stored
/// secrets.
async fn open(storage: &StorageArgs, ephemeral: bool) -> anyhow::Result<Service> {
    let url = match (&storage.database_url, ephemeral) {
        (_, true) => "sqlite::memory:".to_owned(),
        (Some(url), false) => url.clone(),
        (None, false) => {
            create_private_dir(&storage.data_dir)?;
            format!(
                "sqlite://{}?mode=rwc",
                storage.data_dir.join("castellan.db").display()
            )
        }
    };
    let sealed = Service::open(&url)
        .await
        .with_context(|| "cannot open the database".to_owned())?;
    warn_if_secret_on_command_line("--master-key");
    let master = match (&storage.master_key, ephemeral) {
        (Some(text), _) => MasterKey::from_hex(text)
            .context("--master-key / CASTELLAN_MASTER_KEY must be 64 hexadecimal digits")?,
        (None, true) => MasterKey::generate()?,
        (None, false) => {
            let path = match &storage.master_key_file {
                Some(path) => path.clone(),
                None => {
                    create_private_dir(&storage.data_dir)?;
                    storage.data_dir.join("master.key")
                }
            };
            match std::fs::read_to_string(&path) {
                Ok(text) => MasterKey::from_hex(&text).with_context(|| {
                    format!("the master key file `{}` is malformed", path.display())
                })?,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    if !sealed.is_empty().await? {
                        bail!(
                            "the database holds sealed secrets but no master key was given and `{}` does not exist; start with the master key that sealed them (--master-key or CASTELLAN_MASTER_KEY)",
                            path.display()
                        );
                    }
                    let key = MasterKey::generate()?;
                    write_private(&path, &format!("{}\n", key.to_hex().as_str()))?;
                    key
                }
                Err(error) => {
                    return Err(error).with_context(|| format!("cannot read `{}`", path.display()));
                }
            }
        }
    };
    let Some(service) = sealed.unseal(&master, Clock::system()).await? else {
        bail!(
            "the master key does not open the secrets stored in this database; start with the master key that sealed them"
        );
    };
    // Roles stored before trust policies were bound to unique ids are bound now, once.
    let bound = service.bind_unbound_trust_policies().await?;
    if bound > 0 {
        tracing::info!(
            roles = bound,
            "trust policies bound to the unique ids they name"
        );
    }
    Ok(service)
}

/// Warns when a secret came on the command line, where `ps` shows it to every user.
fn warn_if_secret_on_command_line(flag: &str) {
    let given = std::env::args_os().any(|arg| {
        let arg = arg.to_string_lossy();
        arg == flag || arg.starts_with(&format!("{flag}="))
    });
    if given {
        eprintln!(
            "castellan: warning: {flag} on the command line is visible to every user of this machine (ps); pass it in the environment or a file instead"
        );
    }
}

/// What the first start prints. `secret` is `None` when it went to `file` only.
fn print_credentials(account_id: &str, key_id: &str, secret: Option<&Secret>, file: Option<&Path>) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "account id:             {account_id}");
    let _ = writeln!(out, "root access key id:     {key_id}");
    match (secret, file) {
        (Some(secret), Some(file)) => {
            let _ = writeln!(out, "root secret access key: {}", secret.expose());
            let _ = writeln!(
                out,
                "(shown once; also written to {}, readable only by you)",
                file.display()
            );
        }
        (Some(secret), None) => {
            let _ = writeln!(out, "root secret access key: {}", secret.expose());
            let _ = writeln!(out, "(shown once)");
        }
        (None, Some(file)) => {
            let _ = writeln!(
                out,
                "root secret access key: written to {} only, readable only by you",
                file.display()
            );
        }
        (None, None) => {}
    }
}

fn credentials_file(
    account_id: &str,
    key_id: &str,
    secret: &Secret,
    password: Option<&Secret>,
) -> String {
    let mut text = format!(
        "[castellan-{account_id}]\naws_access_key_id = {key_id}\naws_secret_access_key = {}\n",
        secret.expose()
    );
    if let Some(password) = password {
        text.push_str(&format!(
            "# root console password (sign in at /console with the root email): {}\n",
            password.expose()
        ));
    }
    text
}

/// A password given on the command line or in the environment, else a generated one (and
/// whether it was generated, so that only a generated one is shown).
fn password_or_generated(given: Option<String>) -> anyhow::Result<(Secret, bool)> {
    Ok(match given {
        Some(password) => (Secret::new(password), false),
        None => (service::new_console_password()?, true),
    })
}

/// `castellan serve`.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    warn_if_secret_on_command_line("--root-secret-access-key");
    warn_if_secret_on_command_line("--root-password");
    // Before anything else: a malformed fixtures file stops the start, before it listens.
    let fixtures = match &args.fixtures {
        Some(path) => Some((path.clone(), read_fixtures(path)?)),
        None => None,
    };
    let server_config = args.network.server_config()?;
    // Before anything is created: an unreadable --trust-ca-file stops the start.
    let issuer_client = server::IssuerClient::new(args.trust_ca_file.as_deref())
        .map_err(|error| anyhow::anyhow!("--trust-ca-file: {error}"))?;
    // Listen first: a busy port must fail before a first start creates (and shows) anything.
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let listening = listener
        .local_addr()
        .context("cannot read the listening address")?;
    let service = open(&args.storage, args.ephemeral)
        .await?
        .with_encoded_denials(args.encode_authorization_messages)
        .with_max_staleness(std::time::Duration::from_secs(args.max_staleness))
        .with_public_url(&server_config.public_url_for(listening))
        .with_https_client(Arc::new(issuer_client));
    let reset = match fixtures {
        Some((path, fixtures)) => {
            start_with_fixtures(&service, &path, &fixtures).await?;
            args.ephemeral.then(|| fixtures_hook(Arc::new(fixtures)))
        }
        None => {
            let first = start_first_account(&service, &args).await?;
            args.ephemeral.then(|| first_account_hook(first))
        }
    };
    // The in-memory state is loaded before the first request: until then the staleness
    // bound would refuse them all.
    service
        .refresh_caches()
        .await
        .context("cannot load the state from the database")?;
    if args.test_clock {
        eprintln!("castellan: --test-clock: POST /_castellan/clock moves this server's clock");
    }
    let audit = match args.audit.settings(&args.storage, args.ephemeral) {
        Some(settings) => {
            let path = settings.path.display().to_string();
            let log = server::AuditLog::open(settings)
                .with_context(|| format!("cannot open the audit log {path}"))?;
            Some(Arc::new(log))
        }
        None => None,
    };
    if let Some(log) = &audit {
        // Reads are buffered and written out by a thread of the log's own, each second
        // (changes are written at once).
        log.start_writer()
            .context("cannot start the audit log's writer thread")?;
    }
    let app = server::App::configured(service, reset, args.test_clock, audit.clone());
    tracing::info!(listen = %args.listen, "castellan is serving IAM, STS and Organizations");
    let scheme = if server_config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    eprintln!("castellan: listening on {scheme}://{}", args.listen);
    server::serve(listener, app, server_config, server::shutdown_signal()).await?;
    if let Some(log) = audit {
        log.flush();
    }
    Ok(())
}

/// Without fixtures: the first account, created on a first start (its id and root keys
/// chosen or given), or the accounts already stored; what a reset brings back.
async fn start_first_account(service: &Service, args: &ServeArgs) -> anyhow::Result<NewAccount> {
    let root_key = match (
        args.root_access_key_id.clone(),
        args.root_secret_access_key.clone(),
    ) {
        (Some(id), Some(secret)) => Some((id, Secret::new(secret))),
        _ => None,
    };
    let (root_password, generated) = password_or_generated(args.root_password.clone())?;
    let mut first = NewAccount {
        account_id: args.account_id.clone(),
        email: args.root_email.clone(),
        alias: None,
        root_key: root_key.clone(),
        root_password: Some(root_password.clone()),
    };
    let file = (!args.ephemeral).then(|| args.storage.data_dir.join("root-credentials"));
    let accounts = service.accounts().await?;
    if let Some(account) = accounts.first() {
        eprintln!(
            "castellan: serving {} existing account(s); the first is {}{}",
            accounts.len(),
            account.account_id,
            match &file {
                Some(file) if file.exists() => {
                    format!(", its root credentials were written to {}", file.display())
                }
                _ => String::new(),
            }
        );
    } else {
        let (account_id, key_id, secret) =
            first_start(service, &first, generated, file.as_deref()).await?;
        let shown = (!args.no_print_root_secret).then_some(&secret);
        print_credentials(&account_id, &key_id, shown, file.as_deref());
        if generated && !args.no_print_root_secret {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(
                out,
                "root console password:  {} (sign in at /console as {})",
                root_password.expose(),
                args.root_email
            );
        }
        // A reset brings back this very account with this very key pair.
        first.account_id = Some(account_id);
        first.root_key = Some((key_id, secret));
    }
    Ok(first)
}

/// The reset of a server without fixtures: the first account comes back, with the same root
/// key pair.
fn first_account_hook(first: NewAccount) -> server::ResetHook {
    server::ResetHook(Box::new(move |service: Service| {
        let first = first.clone();
        Box::pin(async move {
            service.create_account(first).await?;
            Ok(())
        }) as server::ResetFuture
    }))
}

/// Reads and validates a fixtures file whole, YAML by its name's extension and JSON
/// otherwise; every error, each named by its place.
fn read_fixtures(path: &Path) -> anyhow::Result<Fixtures> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the fixtures file `{}`", path.display()))?;
    let yaml = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
    let read = if yaml {
        Fixtures::from_yaml(&text)
    } else {
        Fixtures::from_json(&text)
    };
    read.map_err(|errors| {
        let count = errors.0.len();
        let lines: Vec<String> = errors
            .0
            .iter()
            .map(|e| format!("  {}: {}", e.place, e.message))
            .collect();
        anyhow::anyhow!(
            "the fixtures file `{}` is invalid ({count} error{}):\n{}",
            path.display(),
            if count == 1 { "" } else { "s" },
            lines.join("\n")
        )
    })
}

/// With fixtures: an empty store gets them; a durable store they were applied to before is
/// served as it is, provided it holds what the file declares and no other account (the file
/// declares every account the server starts with). Anything else stops the start.
async fn start_with_fixtures(
    service: &Service,
    path: &Path,
    fixtures: &Fixtures,
) -> anyhow::Result<()> {
    let declared = fixtures.account_ids();
    let stored = service.accounts().await?;
    if stored.is_empty() {
        service
            .apply_fixtures(fixtures)
            .await
            .with_context(|| format!("cannot apply the fixtures file `{}`", path.display()))?;
        eprintln!(
            "castellan: fixtures `{}` applied: account(s) {}",
            path.display(),
            declared.join(", ")
        );
        return Ok(());
    }
    let missing = service.missing_fixtures(fixtures).await?;
    let others: Vec<&str> = stored
        .iter()
        .map(|a| a.account_id.as_str())
        .filter(|id| !declared.contains(id))
        .collect();
    if !missing.is_empty() || !others.is_empty() {
        bail!(
            "the database holds accounts but not the fixtures of `{}` (missing: {}; other accounts: {}); fixtures apply only to an empty database, or restart on the one they were applied to",
            path.display(),
            if missing.is_empty() {
                "none".to_owned()
            } else {
                missing.join(", ")
            },
            if others.is_empty() {
                "none".to_owned()
            } else {
                others.join(", ")
            },
        );
    }
    eprintln!(
        "castellan: serving the fixtures of `{}`, applied to this database before: account(s) {}",
        path.display(),
        declared.join(", ")
    );
    Ok(())
}

/// The reset of a server with fixtures: the store, emptied, gets them again.
fn fixtures_hook(fixtures: Arc<Fixtures>) -> server::ResetHook {
    server::ResetHook(Box::new(move |service: Service| {
        let fixtures = Arc::clone(&fixtures);
        Box::pin(async move { service.apply_fixtures(&fixtures).await }) as server::ResetFuture
    }))
}

/// Creates the first account, all or nothing: the key pair is chosen, then written to the
/// credentials file (with the root console password when it was generated: one given is
/// known already), and only then stored with the account in one write; a failure removes
/// the file again, so a later start begins afresh and no root secret is ever lost.
async fn first_start(
    service: &Service,
    first: &NewAccount,
    password_generated: bool,
    file: Option<&Path>,
) -> anyhow::Result<(String, String, Secret)> {
    let mut first = first.clone();
    let account_id = match first.account_id.take() {
        Some(id) => id,
        None => service::new_account_id()?,
    };
    let (key_id, secret) = match first.root_key.take() {
        Some(pair) => pair,
        None => (
            service::new_access_key_id(false)?,
            service::new_secret_access_key()?,
        ),
    };
    if let Some(file) = file {
        write_private(
            file,
            &credentials_file(
                &account_id,
                &key_id,
                &secret,
                first.root_password.as_ref().filter(|_| password_generated),
            ),
        )?;
    }
    first.account_id = Some(account_id.clone());
    first.root_key = Some((key_id.clone(), secret.clone()));
    if let Err(error) = service.create_account(first).await {
        if let Some(file) = file {
            let _ = std::fs::remove_file(file);
        }
        return Err(error.into());
    }
    Ok((account_id, key_id, secret))
}

/// `castellan account create`.
pub async fn create_account(args: CreateAccountArgs) -> anyhow::Result<()> {
    warn_if_secret_on_command_line("--root-password");
    let service = open(&args.storage, false).await?;
    let (password, generated) = password_or_generated(args.root_password)?;
    let (account, (key_id, secret)) = service
        .create_account(NewAccount {
            account_id: None,
            email: args.email,
            alias: args.alias,
            root_key: None,
            root_password: Some(password.clone()),
        })
        .await?;
    print_credentials(&account.account_id, &key_id, Some(&secret), None);
    if generated {
        let _ = writeln!(
            std::io::stdout().lock(),
            "root console password:  {}",
            password.expose()
        );
    }
    Ok(())
}

/// `castellan account root-password`: sets the root user's console password (accounts made
/// before console sign-in existed have none).
pub async fn root_password(args: RootPasswordArgs) -> anyhow::Result<()> {
    warn_if_secret_on_command_line("--root-password");
    let service = open(&args.storage, false).await?;
    let (password, generated) = password_or_generated(args.root_password)?;
    service
        .set_root_password(&args.account_id, &password)
        .await?;
    let mut out = std::io::stdout().lock();
    if generated {
        let _ = writeln!(out, "root console password:  {}", password.expose());
    } else {
        let _ = writeln!(out, "root console password set");
    }
    Ok(())
}

/// `castellan role revoke-sessions`.
pub async fn revoke_sessions(args: RevokeSessionsArgs) -> anyhow::Result<()> {
    let service = open(&args.storage, false).await?;
    service
        .revoke_role_sessions(&args.account_id, &args.role_name)
        .await?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "sessions of role {} issued before now are denied (inline policy AWSRevokeOlderSessions)",
        args.role_name
    );
    Ok(())
}
