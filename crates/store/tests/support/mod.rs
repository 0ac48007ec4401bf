//! Test fixtures: a SQLite file per test, and a PostgreSQL database per test on a throwaway
//! cluster that this test binary starts (unless `CASTELLAN_TEST_DATABASE_URL` names a server).

/// Generates `sqlite::<case>` and `postgres::<case>` tests from each `async fn case(&Fixture)`.
macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let fixture = crate::support::sqlite().await;
                    crate::$case(&fixture).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let fixture = crate::support::postgres().await;
                    crate::$case(&fixture).await;
                }
            )*
        }
    };
}

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection;
use store::Store;

/// A store under test and the URL it was opened with (to open a second one on the same data).
pub struct Fixture {
    pub store: Store,
    pub url: String,
    // Keeps a SQLite test's directory alive until the test ends.
    _dir: Option<tempfile::TempDir>,
}

pub async fn sqlite() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("castellan.db").display()
    );
    let store = Store::open(&url).await.expect("open sqlite store");
    Fixture {
        store,
        url,
        _dir: Some(dir),
    }
}

pub async fn postgres() -> Fixture {
    let url = empty_postgres_database().await;
    let store = Store::open(&url).await.expect("open postgres store");
    Fixture {
        store,
        url,
        _dir: None,
    }
}

/// The URL of a new, empty database on the test PostgreSQL server.
pub async fn empty_postgres_database() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let server = server_url();
    let name = format!(
        "castellan_t{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres"))
        .await
        .expect("connect to the test PostgreSQL server");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create test database");
    admin.close().await.expect("close admin connection");
    format!("{server}/{name}")
}

/// `postgres://user@host:port` without a database name.
fn server_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| match std::env::var("CASTELLAN_TEST_DATABASE_URL") {
        Ok(url) => {
            // Drop the database part: each test creates its own database on that server.
            let (base, _db) = url.rsplit_once('/').expect("a postgres:// url");
            base.to_owned()
        }
        Err(_) => start_cluster(),
    })
}

fn start_cluster() -> String {
    let bin = postgres_bin().unwrap_or_else(|| {
        panic!(
            "PostgreSQL server binaries (initdb, pg_ctl) not found under \
             /usr/lib/postgresql/*/bin: install the Debian package `postgresql` \
             (apt-get install postgresql), or set CASTELLAN_TEST_DATABASE_URL to a server \
             where this user may create databases"
        )
    });
    let root = is_root();
    let dir = tempfile::Builder::new()
        .prefix("castellan-pg-")
        .tempdir()
        .expect("temp dir for the cluster")
        .keep();
    if root {
        // initdb refuses to run as root: the cluster belongs to the `postgres` user.
        run(Command::new("chown").arg("postgres:postgres").arg(&dir));
    }
    let data = dir.join("data");
    let port = free_port();
    as_postgres(root, &bin.join("initdb"), |c| {
        c.arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres", "--no-sync"]);
    });
    let options = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off",
        dir.display()
    );
    as_postgres(root, &bin.join("pg_ctl"), |c| {
        c.arg("-D")
            .arg(&data)
            .arg("-o")
            .arg(&options)
            .arg("-l")
            .arg(dir.join("log"));
        c.args(["-w", "start"]);
    });
    watchdog(root, &bin.join("pg_ctl"), &data, &dir);
    format!("postgres://postgres@127.0.0.1:{port}")
}

/// Statics are never dropped, so a small shell process waits for this test binary to exit
/// (however it exits) and then stops the cluster and removes its directory.
#[expect(
    clippy::zombie_processes,
    reason = "the watchdog must outlive this process; init reaps it"
)]
fn watchdog(root: bool, pg_ctl: &Path, data: &Path, dir: &Path) {
    let stop = format!(
        "'{}' -D '{}' -m immediate stop",
        pg_ctl.display(),
        data.display()
    );
    let stop = if root {
        format!("runuser -u postgres -- {stop}")
    } else {
        stop
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf '{dir}'",
        pid = std::process::id(),
        dir = dir.display()
    );
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn the cluster watchdog");
}

fn postgres_bin() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            (bin.join("initdb").exists() && bin.join("pg_ctl").exists()).then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output().expect("run id -u");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

fn as_postgres(root: bool, program: &Path, args: impl FnOnce(&mut Command)) {
    let mut command = if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    args(&mut command);
    run(&mut command);
}

fn run(command: &mut Command) {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("run {command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}
