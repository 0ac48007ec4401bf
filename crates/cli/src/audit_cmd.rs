//! `castellan audit query`: the audit log's records (rotated files first, oldest to newest)
//! that match every filter given, printed as the JSON lines they are.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde_json::Value;

/// `castellan audit query`.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The audit log file (its rotated files `<file>.1`, `<file>.2`... are read too).
    #[arg(
        long,
        env = "CASTELLAN_AUDIT_LOG",
        default_value = "castellan-data/audit.log"
    )]
    file: PathBuf,
    /// Records at or after this time: ISO 8601 (`2026-12-05T13:00:00Z`, or a date), or a
    /// span before now (`90s`, `15m`, `2h`, `7d`).
    #[arg(long)]
    since: Option<String>,
    /// The caller: its ARN, a user name, or a role session's `role/session` ending.
    #[arg(long)]
    principal: Option<String>,
    /// The operation (`CreateUser`, or with its service: `iam:CreateUser`), case aside.
    #[arg(long)]
    action: Option<String>,
    /// `success`, `failure`, or an error code (`AccessDenied`).
    #[arg(long)]
    outcome: Option<String>,
}

/// What `--outcome` selects.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum Outcome {
    Success,
    Failure,
}

/// The filters, checked.
struct Filter {
    since: Option<String>,
    principal: Option<String>,
    action: Option<(Option<String>, String)>,
    outcome: Option<String>,
}

pub fn query(args: &QueryArgs) -> ExitCode {
    let since = match args.since.as_deref().map(since_time).transpose() {
        Ok(since) => since,
        Err(message) => {
            eprintln!("error: --since: {message}");
            return ExitCode::from(2);
        }
    };
    let action = args.action.as_ref().map(|a| match a.split_once(':') {
        Some((service, name)) => (Some(service.to_ascii_lowercase()), name.to_owned()),
        None => (None, a.clone()),
    });
    let filter = Filter {
        since,
        principal: args.principal.clone(),
        action,
        outcome: args.outcome.clone(),
    };
    let files = files_of(&args.file);
    if files.is_empty() {
        eprintln!("error: no audit log at {}", args.file.display());
        return ExitCode::from(2);
    }
    let mut out = std::io::stdout().lock();
    for path in files {
        let file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(error) => {
                eprintln!("error: cannot read {}: {error}", path.display());
                return ExitCode::from(2);
            }
        };
        for line in BufReader::new(file).lines() {
            let Ok(line) = line else {
                eprintln!("warning: {} holds a line that is not text", path.display());
                continue;
            };
            let Ok(record) = serde_json::from_str::<Value>(&line) else {
                eprintln!("warning: {} holds a line that is not JSON", path.display());
                continue;
            };
            if filter.matches(&record) && writeln!(out, "{line}").is_err() {
                // The reader went away (`| head`): nothing more to do.
                return ExitCode::SUCCESS;
            }
        }
    }
    ExitCode::SUCCESS
}

impl Filter {
    fn matches(&self, record: &Value) -> bool {
        let text = |pointer: &str| record.pointer(pointer).and_then(Value::as_str);
        if let Some(since) = &self.since
            && text("/eventTime").is_none_or(|time| time < since.as_str())
        {
            return false;
        }
        if let Some(principal) = &self.principal {
            let arn = text("/userIdentity/arn").unwrap_or_default();
            let user = text("/userIdentity/userName").unwrap_or_default();
            let ends = arn.ends_with(&format!("/{principal}"));
            if arn != principal && user != principal && !ends {
                return false;
            }
        }
        if let Some((service, name)) = &self.action {
            if !text("/eventName").is_some_and(|n| n.eq_ignore_ascii_case(name)) {
                return false;
            }
            if let Some(service) = service
                && text("/eventSource") != Some(&format!("{service}.amazonaws.com"))
            {
                return false;
            }
        }
        if let Some(outcome) = &self.outcome {
            let failed = record.get("errorCode").is_some() || record.get("errorMessage").is_some();
            let matched = match Outcome::from_str(outcome, true) {
                Ok(Outcome::Success) => !failed,
                Ok(Outcome::Failure) => failed,
                Err(_) => text("/errorCode") == Some(outcome.as_str()),
            };
            if !matched {
                return false;
            }
        }
        true
    }
}

/// The log's files in the order they were written: `<file>.N` ... `<file>.1`, `<file>`.
fn files_of(path: &Path) -> Vec<PathBuf> {
    let mut rotated: Vec<PathBuf> = (1..)
        .map(|n| server::rotated_audit_file(path, n))
        .take_while(|p| p.exists())
        .collect();
    rotated.reverse();
    if path.exists() {
        rotated.push(path.to_owned());
    }
    rotated
}

/// `--since` as the records write times, so that times compare as text.
fn since_time(text: &str) -> Result<String, String> {
    let span = |unit: char, seconds: u64| {
        text.strip_suffix(unit)
            .and_then(|n| n.parse::<u64>().ok())
            .map(|n| n.saturating_mul(seconds))
    };
    let relative = span('s', 1)
        .or_else(|| span('m', 60))
        .or_else(|| span('h', 3600))
        .or_else(|| span('d', 86_400));
    if let Some(seconds) = relative {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|e| e.to_string())?
            .as_secs();
        let at = i64::try_from(now.saturating_sub(seconds)).map_err(|e| e.to_string())?;
        return Ok(wire::Timestamp::from_unix_seconds(at).to_string());
    }
    let full = if text.len() == 10 {
        format!("{text}T00:00:00Z")
    } else {
        text.to_owned()
    };
    wire::Timestamp::parse_iso8601(&full)
        .map(|t| wire::Timestamp::from_unix_seconds(t.unix_seconds()).to_string())
        .map_err(|_| format!("{text} is neither an ISO 8601 time nor a span such as 15m"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn filter(principal: Option<&str>, action: Option<&str>, outcome: Option<&str>) -> Filter {
        Filter {
            since: Some("2026-12-05T10:00:00Z".to_owned()),
            principal: principal.map(str::to_owned),
            action: action.map(|a| match a.split_once(':') {
                Some((s, n)) => (Some(s.to_owned()), n.to_owned()),
                None => (None, a.to_owned()),
            }),
            outcome: outcome.map(str::to_owned),
        }
    }

    #[test]
    fn filters_select_by_time_principal_action_and_outcome() {
        let denied = json!({
            "eventTime": "2026-12-05T11:00:00Z",
            "eventSource": "iam.amazonaws.com",
            "eventName": "CreateUser",
            "userIdentity": {"arn": "arn:aws:iam::111122223333:user/alice", "userName": "alice"},
            "errorCode": "AccessDenied",
            "errorMessage": "no",
        });
        let early = json!({"eventTime": "2026-12-05T09:59:59Z", "eventName": "CreateUser"});
        assert!(filter(None, None, None).matches(&denied));
        assert!(!filter(None, None, None).matches(&early));
        assert!(filter(Some("alice"), Some("iam:createuser"), Some("failure")).matches(&denied));
        assert!(
            filter(
                Some("arn:aws:iam::111122223333:user/alice"),
                None,
                Some("AccessDenied")
            )
            .matches(&denied)
        );
        assert!(!filter(Some("bob"), None, None).matches(&denied));
        assert!(!filter(None, Some("sts:CreateUser"), None).matches(&denied));
        assert!(!filter(None, Some("DeleteUser"), None).matches(&denied));
        assert!(!filter(None, None, Some("success")).matches(&denied));
        assert!(!filter(None, None, Some("NoSuchEntity")).matches(&denied));
    }

    #[test]
    fn since_reads_times_dates_and_spans() {
        assert_eq!(since_time("2026-12-05").unwrap(), "2026-12-05T00:00:00Z");
        assert_eq!(
            since_time("2026-12-05T13:14:15Z").unwrap(),
            "2026-12-05T13:14:15Z"
        );
        assert!(since_time("15m").unwrap().ends_with('Z'));
        assert!(since_time("yesterday").is_err());
    }
}
