//! `castellan serve` as an operator starts it: first start, restarts, and what it shows.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code fails loudly"
)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Generous: a debug build on a loaded 2-core machine. Only an upper bound on waiting.
const START_LIMIT: Duration = Duration::from_secs(120);

const MASTER_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `castellan serve`, killed when dropped, with its output read line by line.
struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_castellan"))
            .arg("serve")
            .args(args)
            .env_remove("CASTELLAN_MASTER_KEY")
            .env("CASTELLAN_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (send, lines) = mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let send = send.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    if send.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Server {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Reads output until a line contains `text` (standard output and error arrive in no
    /// fixed order, so lines already read count too), or the process ends (then panics).
    fn wait_for(&mut self, text: &str) {
        if self.seen.iter().any(|line| line.contains(text)) {
            return;
        }
        loop {
            match self.lines.recv_timeout(START_LIMIT) {
                Ok(line) => {
                    let found = line.contains(text);
                    self.seen.push(line);
                    if found {
                        return;
                    }
                }
                Err(_) => panic!("never printed `{text}`; printed: {:#?}", self.seen),
            }
        }
    }

    /// Waits for the process to end and returns everything it printed.
    fn finish(mut self) -> (bool, String) {
        let status = self.child.wait().unwrap();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
        (status.success(), self.seen.join("\n"))
    }

    fn output(&self) -> String {
        self.seen.join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn data_dir_args(dir: &Path, port: u16) -> Vec<String> {
    vec![
        "--data-dir".into(),
        dir.display().to_string(),
        "--listen".into(),
        format!("127.0.0.1:{port}"),
    ]
}

fn start(dir: &Path, port: u16, extra: &[&str]) -> Server {
    let mut args = data_dir_args(dir, port);
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Server::start(&args)
}

/// Issue 9, finding 12: a busy port fails before a first start creates or shows anything, so
/// no key pair is announced "shown once" for an account that a later start would not show.
#[test]
fn finding_12_busy_port_fails_before_the_first_start() {
    let dir = tempfile::tempdir().unwrap();
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let (ok, output) = start(dir.path(), port, &[]).finish();
    assert!(!ok);
    assert!(output.contains("cannot listen on"), "{output}");
    assert!(!output.contains("root secret access key"), "{output}");
    assert!(!dir.path().join("root-credentials").exists());
    drop(busy);

    // The next start is a first start: the account is created now, and shown.
    let mut server = start(dir.path(), free_port(), &[]);
    server.wait_for("root secret access key:");
    server.wait_for("listening on");
    assert!(dir.path().join("root-credentials").exists());
}

/// Issue 9, finding 12: the root secret can be kept out of standard output (and so out of
/// service managers' journals), written only to the owner-only credentials file; a restart
/// says which account it serves and where its credentials were written.
#[test]
fn finding_12_root_secret_to_the_file_only_and_restarts_say_where() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path(), free_port(), &["--no-print-root-secret"]);
    server.wait_for("root secret access key:");
    server.wait_for("listening on");
    let output = server.output();
    drop(server);
    let file = dir.path().join("root-credentials");
    let credentials = std::fs::read_to_string(&file).unwrap();
    let secret = credentials
        .lines()
        .find_map(|l| l.strip_prefix("aws_secret_access_key = "))
        .unwrap();
    assert!(!output.contains(secret), "{output}");
    assert!(output.contains("written to"), "{output}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let account = output
        .lines()
        .find_map(|l| l.strip_prefix("account id:"))
        .unwrap()
        .trim()
        .to_owned();

    let mut again = start(dir.path(), free_port(), &[]);
    again.wait_for("the first is");
    again.wait_for("listening on");
    let output = again.output();
    assert!(
        output.contains(&format!("the first is {account}")),
        "{output}"
    );
    assert!(output.contains(&file.display().to_string()), "{output}");
    assert!(!output.contains(secret), "{output}");
}

/// Issue 9, finding 8: a first start that fails leaves nothing behind (no account without
/// its root secret, no credentials file for keys that do not exist), so the next one starts
/// afresh.
#[test]
fn finding_8_failed_first_start_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // An account id IAM refuses makes the account write fail after the key pair was chosen.
    let (ok, output) = start(dir.path(), free_port(), &["--account-id", "12345"]).finish();
    assert!(!ok, "{output}");
    assert!(!output.contains("root secret access key"), "{output}");
    assert!(!dir.path().join("root-credentials").exists());

    let mut server = start(dir.path(), free_port(), &["--account-id", "111122223333"]);
    server.wait_for("account id:             111122223333");
    server.wait_for("listening on");
}

/// Issue 9, finding 12: a master key on the command line is visible to every local user; it
/// still works, with a warning, and a key file is the quiet way.
#[test]
fn finding_12_master_key_on_the_command_line_warns() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path(), free_port(), &["--master-key", MASTER_KEY]);
    server.wait_for("listening on");
    assert!(
        server
            .output()
            .contains("--master-key on the command line is visible"),
        "{}",
        server.output()
    );
    drop(server);

    let key_file = dir.path().join("elsewhere.key");
    std::fs::write(&key_file, format!("{MASTER_KEY}\n")).unwrap();
    let key_file = key_file.display().to_string();
    let mut server = start(dir.path(), free_port(), &["--master-key-file", &key_file]);
    server.wait_for("listening on");
    assert!(!server.output().contains("warning"), "{}", server.output());
    assert!(!dir.path().join("master.key").exists());
}

/// A database whose secrets were sealed with one master key is never served with another,
/// nor with a fresh one made because the key file went missing: both starts stop before
/// listening, with a message that says what to do.
#[test]
fn a_sealed_database_opens_only_with_its_own_master_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path(), free_port(), &[]);
    server.wait_for("listening on");
    drop(server);
    let key_file = dir.path().join("master.key");
    let original = std::fs::read_to_string(&key_file).unwrap();

    let other = dir.path().join("other.key");
    std::fs::write(&other, format!("{MASTER_KEY}\n")).unwrap();
    let other = other.display().to_string();
    let (ok, output) = start(dir.path(), free_port(), &["--master-key-file", &other]).finish();
    assert!(!ok, "{output}");
    assert!(
        output.contains("the master key does not open the secrets stored in this database"),
        "{output}"
    );
    assert!(!output.contains("listening on"), "{output}");

    std::fs::remove_file(&key_file).unwrap();
    let (ok, output) = start(dir.path(), free_port(), &[]).finish();
    assert!(!ok, "{output}");
    assert!(
        output.contains("the database holds sealed secrets but no master key was given"),
        "{output}"
    );
    assert!(
        !key_file.exists(),
        "no new key is made for a database with secrets"
    );

    std::fs::write(&key_file, original).unwrap();
    let mut server = start(dir.path(), free_port(), &[]);
    server.wait_for("listening on");
}
