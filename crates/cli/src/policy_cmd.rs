//! `castellan policy validate` and `castellan policy evaluate`.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};
use policy::{Decision, Policy, PolicyKind};
use serde_json::json;

/// Exit code for a policy that is invalid, or a decision that differs from `--expect`.
const EXIT_FAILED: u8 = 1;
/// Exit code for input that cannot be used at all.
const EXIT_UNUSABLE: u8 = 2;

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Check a policy document as AWS does when it is stored; prints each finding.
    /// Exits 0 when valid, 1 when invalid, 2 when the file cannot be read.
    Validate {
        /// The policy document (`-` for standard input).
        file: PathBuf,
        /// Where the policy is used.
        #[arg(long, value_enum, default_value = "identity")]
        kind: KindArg,
    },
    /// Decide one request scenario (JSON) and print the decision as JSON.
    /// Exits 0 whatever the decision, 2 for an unusable scenario, 1 when `--expect` differs.
    Evaluate {
        /// The scenario file (`-` for standard input).
        file: PathBuf,
        /// Exit 1 unless the decision is this.
        #[arg(long, value_enum)]
        expect: Option<Expect>,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum KindArg {
    Identity,
    Resource,
    Trust,
    Boundary,
    Session,
    Scp,
    Rcp,
}

impl KindArg {
    fn kind(self) -> PolicyKind {
        match self {
            KindArg::Identity => PolicyKind::Identity,
            KindArg::Resource => PolicyKind::Resource,
            KindArg::Trust => PolicyKind::Trust,
            KindArg::Boundary => PolicyKind::Boundary,
            KindArg::Session => PolicyKind::Session,
            KindArg::Scp => PolicyKind::ServiceControl,
            KindArg::Rcp => PolicyKind::ResourceControl,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Expect {
    /// The decision must be Allow.
    Allow,
    /// The decision must be a deny, explicit or implicit.
    Deny,
}

pub fn run(command: PolicyCommand) -> ExitCode {
    match command {
        PolicyCommand::Validate { file, kind } => validate(&file, kind.kind()),
        PolicyCommand::Evaluate { file, expect } => evaluate(&file, expect),
    }
}

fn read_input(file: &PathBuf) -> Result<String, String> {
    if file.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        Ok(text)
    } else {
        std::fs::read_to_string(file).map_err(|e| format!("cannot read `{}`: {e}", file.display()))
    }
}

/// Prints a line to standard output; a closed pipe (`| head`) is not an error worth a panic.
fn print_out(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
}

fn validate(file: &PathBuf, kind: PolicyKind) -> ExitCode {
    let text = match read_input(file) {
        Ok(text) => text,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(EXIT_UNUSABLE);
        }
    };
    match Policy::parse(&text, kind) {
        Ok(policy) => {
            let count = policy.statements().len();
            let plural = if count == 1 { "" } else { "s" };
            print_out(&format!(
                "valid {} policy ({count} statement{plural})",
                kind.name()
            ));
            ExitCode::SUCCESS
        }
        Err(error) => {
            for finding in error.findings() {
                print_out(&finding.to_string());
            }
            ExitCode::from(EXIT_FAILED)
        }
    }
}

fn evaluate(file: &PathBuf, expect: Option<Expect>) -> ExitCode {
    let text = match read_input(file) {
        Ok(text) => text,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(EXIT_UNUSABLE);
        }
    };
    let outcome = match policy::evaluate_scenario(&text) {
        Ok(outcome) => outcome,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(EXIT_UNUSABLE);
        }
    };
    let matched: Vec<_> = outcome
        .matched
        .iter()
        .map(|m| {
            json!({
                "policy_type": m.policy_type.key(),
                "policy": m.policy,
                "statement": m.statement,
                "sid": m.sid,
                "effect": m.effect.as_str(),
            })
        })
        .collect();
    let report = json!({
        "decision": outcome.decision.as_str(),
        "message": outcome.message,
        "matched": matched,
    });
    print_out(&format!("{report:#}"));
    let differs = match expect {
        Some(Expect::Allow) => outcome.decision != Decision::Allow,
        Some(Expect::Deny) => outcome.decision == Decision::Allow,
        None => false,
    };
    if differs {
        eprintln!(
            "expected {}, got {}",
            if expect == Some(Expect::Allow) {
                "Allow"
            } else {
                "a deny"
            },
            outcome.decision
        );
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    }
}
