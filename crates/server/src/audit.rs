//! The audit log: one CloudTrail-shaped JSON line per authenticated request (IAM, STS,
//! Organizations, the console's IAM calls) and per console sign-in, appended to a file that
//! is rotated by size. Secrets never enter a record: request parameters that carry one are
//! left out by name, and no response body is recorded.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use serde::Serialize;
use serde_json::{Map, Value};
use service::{Caller, Identity};

/// Request parameters whose values are secrets (or one-time codes): never recorded. A
/// parameter is left out when any segment of its dotted name is one of these: every member
/// the IAM and STS models mark sensitive (a test holds the list to the models), MFA codes,
/// session tokens and context assertions.
const SECRET_PARAMETERS: &[&str] = &[
    "AddPrivateKey",
    "AuthenticationCode1",
    "AuthenticationCode2",
    "Base32StringSeed",
    "ContextAssertion",
    "NewPassword",
    "OldPassword",
    "Password",
    "PrivateKey",
    "QRCodePNG",
    "SAMLAssertion",
    "SecretAccessKey",
    "ServiceCredentialSecret",
    "ServicePassword",
    "SessionToken",
    "TokenCode",
    "TradeInToken",
    "WebIdentityToken",
];
/// Where and how the log is written.
#[derive(Clone, Debug)]
pub struct AuditSettings {
    /// The file appended to; rotated files are `<file>.1` (newest) to `<file>.<keep>`.
    pub path: PathBuf,
    /// A file is rotated once it holds this many bytes.
    pub max_bytes: u64,
    /// How many rotated files are kept.
    pub keep: usize,
    /// Whether a mutation is refused (`ServiceUnavailable`) while its record cannot be
    /// written; `false` applies it and logs the failure instead.
    pub fail_closed: bool,
}

/// The open log.
#[derive(Debug)]
pub struct AuditLog {
    settings: AuditSettings,
    /// Whole lines, in order, not yet written: reads wait here until the writer thread
    /// takes them (each second or when `BUFFERED` is reached); after a failure every record
    /// waits here (bounded by `MAX_PENDING`). Held only to append or to take the lines, so a
    /// request never waits on the disk for a read's record.
    pending: Mutex<Vec<u8>>,
    /// The file, held while lines are written: writers take the pending lines only while
    /// holding it, so lines reach the file in the order they were appended.
    sink: Mutex<Sink>,
    /// Wakes the writer thread, once [`AuditLog::start_writer`] started it.
    writer: OnceLock<std::sync::mpsc::SyncSender<()>>,
    /// Records wait in memory because the file refused them; until they are written out,
    /// mutations are refused (when fail-closed).
    broken: AtomicBool,
}

/// The file the lines go to.
#[derive(Debug)]
struct Sink {
    /// `None` after a failure until the file is reopened.
    file: Option<File>,
    /// The file's size.
    bytes: u64,
    /// The lines being written: swapped with `pending` so neither allocates again.
    writing: Vec<u8>,
}

/// Records buffered before the file is written (reads are written at least each second).
const BUFFERED: usize = 64 * 1024;
/// Records held while the file cannot be written; past this, the oldest are dropped (and
/// the loss logged): the server keeps serving reads.
const MAX_PENDING: usize = 16 * 1024 * 1024;

/// Why a mutation is not applied.
#[derive(Debug)]
pub(crate) struct AuditUnavailable;

impl AuditLog {
    /// Opens (creating) the file and its directory.
    pub fn open(settings: AuditSettings) -> std::io::Result<AuditLog> {
        let (file, bytes) = open_file(&settings.path)?;
        Ok(AuditLog {
            settings,
            pending: Mutex::new(Vec::with_capacity(BUFFERED)),
            sink: Mutex::new(Sink {
                file: Some(file),
                bytes,
                writing: Vec::with_capacity(BUFFERED),
            }),
            writer: OnceLock::new(),
            broken: AtomicBool::new(false),
        })
    }

    /// Starts the thread that writes reads' records out, each second and whenever a
    /// buffer's worth waits. File writes (and rotation's renames and removals) can block for
    /// milliseconds when the disk is busy; on this thread they hold up no request. Without
    /// it, a full buffer is written by the request that filled it.
    pub fn start_writer(self: &std::sync::Arc<Self>) -> std::io::Result<()> {
        let (wake, woken) = std::sync::mpsc::sync_channel(1);
        if self.writer.set(wake).is_err() {
            return Ok(());
        }
        let log = std::sync::Arc::downgrade(self);
        std::thread::Builder::new()
            .name("castellan-audit".to_owned())
            .spawn(move || {
                // Woken early by a full buffer; ends with the log (whose drop also drops
                // the sender, which ends the wait at once).
                loop {
                    _ = woken.recv_timeout(std::time::Duration::from_secs(1));
                    let Some(log) = log.upgrade() else { return };
                    log.flush();
                }
            })?;
        Ok(())
    }

    /// Before a mutation: whether its record can be written. Every waiting record is
    /// written out first (reopening the file after a failure), so that a failing file shows
    /// now, before anything changes. With fail-open the answer is always yes.
    pub(crate) fn ready_for_mutation(&self) -> Result<(), AuditUnavailable> {
        self.flush();
        if self.broken.load(Ordering::Acquire) && self.settings.fail_closed {
            Err(AuditUnavailable)
        } else {
            Ok(())
        }
    }

    /// Appends one record. A mutation's record (`flush`) is written to the file before the
    /// answer goes out; reads wait for the writer thread (or the next mutation).
    pub(crate) fn write(&self, record: &impl Serialize, flush: bool) {
        let mut line = Vec::with_capacity(768);
        if let Err(error) = serde_json::to_writer(&mut line, record) {
            tracing::error!(%error, "an audit record could not be written as JSON");
            return;
        }
        line.push(b'\n');
        let full = {
            let mut pending = lock(&self.pending);
            if pending.len() + line.len() > MAX_PENDING {
                tracing::error!(
                    path = %self.settings.path.display(),
                    dropped_bytes = pending.len(),
                    "the audit log cannot be written: records held in memory are dropped"
                );
                pending.clear();
            }
            pending.extend_from_slice(&line);
            pending.len() >= BUFFERED
        };
        if flush {
            self.flush();
        } else if full {
            match self.writer.get() {
                // A full channel means the thread is already woken.
                Some(wake) => _ = wake.try_send(()),
                None => self.flush(),
            }
        }
    }

    /// Writes out every waiting record (reopening the file if it failed before).
    pub fn flush(&self) {
        let mut sink = lock(&self.sink);
        let sink = &mut *sink;
        {
            let mut pending = lock(&self.pending);
            if pending.is_empty() {
                return;
            }
            std::mem::swap(&mut *pending, &mut sink.writing);
        }
        match self.try_write_out(sink) {
            Ok(()) => {
                if self.broken.swap(false, Ordering::AcqRel) {
                    tracing::warn!(path = %self.settings.path.display(), "the audit log is written again");
                }
            }
            Err(error) => {
                if !self.broken.swap(true, Ordering::AcqRel) {
                    tracing::error!(path = %self.settings.path.display(), %error, "the audit log cannot be written");
                }
                sink.file = None;
                // What was not written goes back ahead of what came since, in order.
                let mut pending = lock(&self.pending);
                sink.writing.extend_from_slice(&pending);
                std::mem::swap(&mut *pending, &mut sink.writing);
            }
        }
        sink.writing.clear();
    }

    /// Writes `sink.writing`, rotating first when the file is full; what was written leaves
    /// the buffer even when a later write fails (no line is written twice).
    fn try_write_out(&self, sink: &mut Sink) -> std::io::Result<()> {
        if sink.file.is_none() {
            let (file, bytes) = open_file(&self.settings.path)?;
            sink.file = Some(file);
            sink.bytes = bytes;
        }
        if sink.bytes >= self.settings.max_bytes {
            sink.file = None;
            self.rotate()?;
            let (file, bytes) = open_file(&self.settings.path)?;
            sink.file = Some(file);
            sink.bytes = bytes;
        }
        let Some(file) = sink.file.as_mut() else {
            return Ok(());
        };
        while !sink.writing.is_empty() {
            match file.write(&sink.writing) {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    sink.writing.drain(..n);
                    sink.bytes += n as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// `<file>` becomes `<file>.1`, each `<file>.n` becomes `<file>.n+1`, and the oldest
    /// beyond `keep` is removed.
    fn rotate(&self) -> std::io::Result<()> {
        let path = &self.settings.path;
        let keep = self.settings.keep;
        let numbered = |n: usize| rotated(path, n);
        let gone = |result: std::io::Result<()>| match result {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
        if keep == 0 {
            return gone(std::fs::remove_file(path));
        }
        gone(std::fs::remove_file(numbered(keep)))?;
        for n in (1..keep).rev() {
            gone(std::fs::rename(numbered(n), numbered(n + 1)))?;
        }
        std::fs::rename(path, numbered(1))
    }
}

/// A mutex's value; a panic while it was held leaves a value that is still usable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `<file>.<n>`.
#[must_use]
pub fn rotated(path: &Path, n: usize) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

fn open_file(path: &Path) -> std::io::Result<(File, u64)> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Who called what is for the operators only.
        options.mode(0o600);
    }
    let file = options.open(path)?;
    let bytes = file.metadata()?.len();
    Ok((file, bytes))
}

/// One event as the handlers gather it.
#[derive(Debug)]
pub(crate) struct Event<'a> {
    /// `iam.amazonaws.com`, `sts.amazonaws.com`, `organizations.amazonaws.com`,
    /// `signin.amazonaws.com`.
    pub(crate) source: &'static str,
    /// The operation (or `ConsoleLogin`); empty until the request names a known one.
    pub(crate) name: String,
    pub(crate) read_only: bool,
    pub(crate) request_id: &'a str,
    pub(crate) region: &'a str,
    pub(crate) source_ip: Option<std::net::IpAddr>,
    pub(crate) user_agent: Option<&'a str>,
    pub(crate) identity: Who<'a>,
    pub(crate) recipient_account: Option<&'a str>,
    pub(crate) parameters: Value,
}

/// Who made the request: an authenticated caller, or what is known of someone who is not
/// one (yet).
#[derive(Debug)]
pub(crate) enum Who<'a> {
    Caller(&'a Caller),
    Described(Value),
}

/// How a request ended: `None` for success.
pub(crate) type Outcome<'a> = Option<(Option<&'a str>, &'a str)>;

/// One record as written: CloudTrail's fields, borrowed from the event (serialized once,
/// straight to the line).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Record<'a> {
    event_version: &'static str,
    user_identity: &'a Who<'a>,
    event_time: String,
    event_source: &'static str,
    event_name: &'a str,
    aws_region: &'a str,
    #[serde(rename = "sourceIPAddress")]
    source_ip_address: Option<String>,
    user_agent: Option<&'a str>,
    request_parameters: &'a Value,
    response_elements: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_message: Option<&'a str>,
    #[serde(rename = "requestID")]
    request_id: &'a str,
    #[serde(rename = "eventID")]
    event_id: String,
    read_only: bool,
    event_type: &'static str,
    management_event: bool,
    recipient_account_id: Option<&'a str>,
    event_category: &'static str,
}

impl<'e> Event<'e> {
    /// The record, with the outcome (the error's code, if it has one, and message) and what
    /// the response says (`Null`: nothing recorded).
    pub(crate) fn record<'r>(
        &'r self,
        now: std::time::SystemTime,
        outcome: Outcome<'r>,
        response: Value,
    ) -> Record<'r> {
        let seconds = now
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        Record {
            event_version: "1.08",
            user_identity: &self.identity,
            event_time: wire::Timestamp::from_unix_seconds(seconds).to_string(),
            event_source: self.source,
            event_name: &self.name,
            aws_region: self.region,
            source_ip_address: self.source_ip.map(|ip| ip.to_string()),
            user_agent: self.user_agent,
            request_parameters: &self.parameters,
            response_elements: response,
            error_code: outcome.and_then(|(code, _)| code),
            error_message: outcome.map(|(_, message)| message),
            request_id: self.request_id,
            event_id: next_event_id(),
            read_only: self.read_only,
            event_type: if self.source == "signin.amazonaws.com" {
                "AwsConsoleSignIn"
            } else {
                "AwsApiCall"
            },
            management_event: true,
            recipient_account_id: self.recipient_account,
            event_category: "Management",
        }
    }
}

/// A unique id per event: a random base drawn once per process, plus a counter (a random
/// UUID per event would cost a system call on every request).
fn next_event_id() -> String {
    static BASE: OnceLock<(u64, u64)> = OnceLock::new();
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let (high, low) = *BASE.get_or_init(|| uuid::Uuid::new_v4().as_u64_pair());
    let n = COUNT.fetch_add(1, Ordering::Relaxed);
    uuid::Uuid::from_u64_pair(high, low.wrapping_add(n))
        .hyphenated()
        .to_string()
}

impl Serialize for Who<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Who::Caller(caller) => CallerIdentity::of(caller).serialize(serializer),
            Who::Described(value) => value.serialize(serializer),
        }
    }
}

/// CloudTrail's `userIdentity` of an authenticated caller.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CallerIdentity<'a> {
    r#type: &'static str,
    principal_id: String,
    arn: String,
    account_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_key_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_context: Option<SessionContext<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionContext<'a> {
    attributes: SessionAttributes,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_issuer: Option<SessionIssuer<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionAttributes {
    creation_date: String,
    mfa_authenticated: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionIssuer<'a> {
    r#type: &'static str,
    principal_id: &'a str,
    arn: String,
    account_id: &'a str,
    user_name: &'a str,
}

impl<'a> CallerIdentity<'a> {
    fn of(caller: &'a Caller) -> CallerIdentity<'a> {
        let kind = match &caller.identity {
            Identity::Root => "Root",
            Identity::User(_) => "IAMUser",
            Identity::RoleSession { .. } => "AssumedRole",
            Identity::FederatedUser { .. } => "FederatedUser",
        };
        let session_context = caller.session.as_ref().map(|session| SessionContext {
            attributes: SessionAttributes {
                creation_date: wire::Timestamp::from_unix_seconds(session.issued_at).to_string(),
                mfa_authenticated: if session.mfa { "true" } else { "false" },
            },
            session_issuer: match &caller.identity {
                Identity::RoleSession { role, .. } => Some(SessionIssuer {
                    r#type: "Role",
                    principal_id: &role.role_id,
                    arn: caller.principal_arn(),
                    account_id: &role.account_id,
                    user_name: &role.name,
                }),
                _ => None,
            },
        });
        CallerIdentity {
            r#type: kind,
            principal_id: caller.user_id(),
            arn: caller.arn(),
            account_id: &caller.account_id,
            access_key_id: (!caller.access_key_id.is_empty())
                .then_some(caller.access_key_id.as_str()),
            user_name: match &caller.identity {
                Identity::User(user) => Some(&user.name),
                _ => None,
            },
            session_context,
        }
    }
}

/// The request's Query parameters as CloudTrail shows them (`UserName` as `userName`,
/// nested names segment by segment), without `Action`, `Version` or any secret.
pub(crate) fn query_parameters(pairs: &[(String, String)]) -> Value {
    let mut fields = Map::new();
    for (name, value) in pairs {
        if name == "Action" || name == "Version" {
            continue;
        }
        if name
            .split('.')
            .any(|segment| SECRET_PARAMETERS.contains(&segment))
        {
            continue;
        }
        let mut camel = String::with_capacity(name.len());
        for (n, segment) in name.split('.').enumerate() {
            if n > 0 {
                camel.push('.');
            }
            lower_first(segment, &mut camel);
        }
        fields.insert(camel, Value::from(unless_key(value)));
    }
    if fields.is_empty() {
        Value::Null
    } else {
        Value::Object(fields)
    }
}

/// A JSON request body (Organizations) with any secret member removed, at any depth.
pub(crate) fn json_parameters(body: &[u8]) -> Value {
    fn scrub(value: &mut Value) {
        match value {
            Value::Object(fields) => {
                fields.retain(|name, _| !SECRET_PARAMETERS.contains(&name.as_str()));
                fields.values_mut().for_each(scrub);
            }
            Value::Array(items) => items.iter_mut().for_each(scrub),
            Value::String(text) if text.contains("PRIVATE KEY") => *value = Value::from(HIDDEN),
            _ => {}
        }
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(mut value) => {
            scrub(&mut value);
            value
        }
        Err(_) => Value::Null,
    }
}

/// What stands in a record for a value that holds a private key in any parameter (a key
/// pasted where a certificate goes is still a key).
const HIDDEN: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";

fn unless_key(value: &str) -> &str {
    if value.contains("PRIVATE KEY") {
        HIDDEN
    } else {
        value
    }
}

/// Writes `segment` with its first letter in lower case after `out`.
fn lower_first(segment: &str, out: &mut String) {
    let mut chars = segment.chars();
    if let Some(first) = chars.next() {
        out.extend(first.to_lowercase());
        out.push_str(chars.as_str());
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn parameters_leave_secrets_out() {
        let value = query_parameters(&pairs(&[
            ("Action", "CreateLoginProfile"),
            ("Version", "2010-05-08"),
            ("UserName", "alice"),
            ("Password", "hunter2-secret"),
            ("Tags.member.1.Key", "team"),
            ("AuthenticationCode1", "123456"),
            ("CertificateBody", "-----BEGIN PRIVATE KEY-----\nMIIE...\n"),
        ]));
        assert_eq!(
            value,
            json!({"userName": "alice", "tags.member.1.key": "team", "certificateBody": HIDDEN})
        );
        let body = br#"{"Email":"a@example.com","Nested":[{"SecretAccessKey":"x","Name":"n","K":"-----BEGIN RSA PRIVATE KEY-----"}]}"#;
        assert_eq!(
            json_parameters(body),
            json!({"Email":"a@example.com","Nested":[{"Name":"n","K":HIDDEN}]})
        );
        assert_eq!(json_parameters(b"not json"), Value::Null);
    }

    /// Every member the IAM and STS models mark sensitive is left out of the records.
    #[test]
    fn every_sensitive_member_of_the_models_is_a_secret_parameter() {
        for model in ["iam-2010-05-08", "sts-2011-06-15"] {
            let path = format!(
                "{}/../../data/aws-models/{model}.service.json",
                env!("CARGO_MANIFEST_DIR")
            );
            let text = std::fs::read_to_string(&path).unwrap();
            let document: Value = serde_json::from_str(&text).unwrap();
            let shapes = document["shapes"].as_object().unwrap();
            let sensitive: Vec<&String> = shapes
                .iter()
                .filter(|(_, shape)| shape["sensitive"] == Value::Bool(true))
                .map(|(name, _)| name)
                .collect();
            for shape in shapes.values() {
                for (member, target) in shape["members"].as_object().into_iter().flatten() {
                    if target["shape"]
                        .as_str()
                        .is_some_and(|t| sensitive.iter().any(|s| *s == t))
                    {
                        assert!(
                            SECRET_PARAMETERS.contains(&member.as_str()),
                            "{model}: {member} is sensitive"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn files_rotate_by_size_and_keep_the_newest() {
        let dir = std::env::temp_dir().join(format!("castellan-audit-{}", uuid::Uuid::new_v4()));
        let path = dir.join("audit.log");
        let log = AuditLog::open(AuditSettings {
            path: path.clone(),
            max_bytes: 100,
            keep: 2,
            fail_closed: true,
        })
        .unwrap();
        for n in 0..20 {
            log.write(&json!({"n": n, "padding": "x".repeat(40)}), n % 2 == 0);
        }
        log.flush();
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        let newest = read(&path);
        let first = read(&rotated(&path, 1));
        let second = read(&rotated(&path, 2));
        assert!(!rotated(&path, 3).exists());
        // Every line whole, the newest in the live file, older ones in .1 then .2.
        let numbers = |text: &str| -> Vec<i64> {
            text.lines()
                .map(|l| {
                    serde_json::from_str::<Value>(l).unwrap()["n"]
                        .as_i64()
                        .unwrap()
                })
                .collect()
        };
        let (n2, n1, n0) = (numbers(&second), numbers(&first), numbers(&newest));
        assert!(!n1.is_empty() && !n2.is_empty());
        assert!(n2.last() < n1.first() && n1.last() < n0.first().or(Some(&20)));
        assert_eq!(n0.last().or(n1.last()), Some(&19));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_writer_thread_writes_reads_out_and_keeps_their_order() {
        let dir = std::env::temp_dir().join(format!("castellan-audit-{}", uuid::Uuid::new_v4()));
        let path = dir.join("audit.log");
        let log = std::sync::Arc::new(
            AuditLog::open(AuditSettings {
                path: path.clone(),
                max_bytes: 1 << 30,
                keep: 1,
                fail_closed: true,
            })
            .unwrap(),
        );
        log.start_writer().unwrap();
        // More than a buffer's worth of reads, then one change written at once: every line
        // reaches the file whole and in order, whoever wrote it.
        let count = 2 * BUFFERED / 60;
        for n in 0..count {
            log.write(&json!({"n": n, "padding": "x".repeat(40)}), false);
        }
        log.write(&json!({"n": count}), true);
        for n in count + 1..count + 10 {
            log.write(&json!({"n": n}), false);
        }
        // The last reads are left to the thread's round each second.
        let mut numbers = Vec::new();
        for _ in 0..100 {
            let text = std::fs::read_to_string(&path).unwrap();
            numbers = text
                .lines()
                .map(|l| {
                    serde_json::from_str::<Value>(l).unwrap()["n"]
                        .as_u64()
                        .unwrap()
                })
                .collect();
            if numbers.len() == count + 10 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let expected: Vec<u64> = (0..count as u64 + 10).collect();
        assert_eq!(numbers, expected);
        drop(log);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_broken_log_refuses_mutations_until_it_reopens() {
        let dir = std::env::temp_dir().join(format!("castellan-audit-{}", uuid::Uuid::new_v4()));
        let path = dir.join("audit.log");
        let log = AuditLog::open(AuditSettings {
            path: path.clone(),
            max_bytes: 1 << 20,
            keep: 1,
            fail_closed: true,
        })
        .unwrap();
        assert!(log.ready_for_mutation().is_ok());
        // The file goes away with its directory, replaced by a file: the next write out
        // reopens and fails, the records wait, mutations are refused.
        lock(&log.sink).file = None;
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::write(&dir, b"not a directory").unwrap();
        log.write(&json!({"waiting": true}), false);
        assert!(log.ready_for_mutation().is_err());
        log.write(&json!({"still": true}), true);
        assert!(log.ready_for_mutation().is_err());
        // The directory is back: what waited is written, in order, and mutations go on.
        std::fs::remove_file(&dir).unwrap();
        assert!(log.ready_for_mutation().is_ok());
        log.write(&json!({"after": true}), true);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "{\"waiting\":true}\n{\"still\":true}\n{\"after\":true}\n"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
