//! `castellan policy validate`, `castellan policy evaluate` and `castellan policy simulate`.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use policy::{
    Context, Decision, MatchedSource, Policy, PolicyKind, PolicySet, Principal, SimulatedOutcome,
    Simulation, TextPosition,
};
use serde_json::{Value, json};

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
        /// Evaluate policies that parse but fail IAM's storage checks (an unknown service
        /// prefix, an oversized document...), printing each finding as a warning.
        #[arg(long)]
        lenient: bool,
    },
    /// Simulate policies offline as IAM's SimulateCustomPolicy does: one JSON result per
    /// (action, resource). Exits 0, 1 when `--expect` differs, 2 for unusable input.
    Simulate(SimulateArgs),
}

/// The inputs of `policy simulate`, named after SimulateCustomPolicy's.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// An identity policy file (repeatable).
    #[arg(long = "policy", value_name = "FILE")]
    policies: Vec<PathBuf>,
    /// A permissions boundary file (repeatable).
    #[arg(long = "boundary", value_name = "FILE")]
    boundaries: Vec<PathBuf>,
    /// One level of the organization's SCPs, root first (repeatable); several SCPs attached
    /// at one level are comma-separated files.
    #[arg(long = "scp", value_name = "FILE[,FILE]")]
    scps: Vec<String>,
    /// The resource's policy file.
    #[arg(long, value_name = "FILE")]
    resource_policy: Option<PathBuf>,
    /// An action to simulate, such as `s3:GetObject` (repeatable, at least one).
    #[arg(long = "action", value_name = "ACTION", required = true)]
    actions: Vec<String>,
    /// A resource ARN (repeatable); `*` when none.
    #[arg(long = "resource", value_name = "ARN")]
    resources: Vec<String>,
    /// Who is simulated: a user, role (a session of it) or assumed-role session ARN; by
    /// default the user `SimulatedUser` of account 123456789012.
    #[arg(long, value_name = "ARN")]
    caller_arn: Option<String>,
    /// The account owning resources whose ARN names none, and the resource policy: its
    /// ARN (`arn:aws:iam::ACCOUNT:root`) or its ID; by default the caller's account.
    #[arg(long, value_name = "ARN")]
    resource_owner: Option<String>,
    /// A context value, `KEY=TYPE:VALUE` (a list type takes `VALUE,VALUE...`); types as
    /// IAM's ContextKeyType: string, stringList, numeric, boolean, date, ip, binary... (repeatable).
    #[arg(long = "context", value_name = "KEY=TYPE:VALUE")]
    context: Vec<String>,
    /// Exit 1 unless every result's decision is this.
    #[arg(long, value_enum)]
    expect: Option<ExpectDecision>,
}

/// A simulation's decision as IAM's `EvalDecision` spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExpectDecision {
    /// Allowed.
    #[value(name = "allowed")]
    Allowed,
    /// Denied by a `Deny` statement.
    #[value(name = "explicitDeny")]
    ExplicitDeny,
    /// Denied for want of an `Allow`.
    #[value(name = "implicitDeny")]
    ImplicitDeny,
}

impl ExpectDecision {
    fn decision(self) -> Decision {
        match self {
            ExpectDecision::Allowed => Decision::Allow,
            ExpectDecision::ExplicitDeny => Decision::ExplicitDeny,
            ExpectDecision::ImplicitDeny => Decision::ImplicitDeny,
        }
    }
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
        PolicyCommand::Evaluate {
            file,
            expect,
            lenient,
        } => evaluate(&file, expect, lenient),
        PolicyCommand::Simulate(args) => match simulate(&args) {
            Ok(code) => code,
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::from(EXIT_UNUSABLE)
            }
        },
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

fn evaluate(file: &PathBuf, expect: Option<Expect>, lenient: bool) -> ExitCode {
    let text = match read_input(file) {
        Ok(text) => text,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(EXIT_UNUSABLE);
        }
    };
    let outcome = if lenient {
        policy::evaluate_scenario_lenient(&text)
    } else {
        policy::evaluate_scenario(&text)
    };
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(EXIT_UNUSABLE);
        }
    };
    for warning in &outcome.warnings {
        eprintln!("warning: {warning}");
    }
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

/// The principal simulated without `--caller-arn`: a stand-in user of AWS's documentation
/// account (reading 111).
const DEFAULT_CALLER: &str = "arn:aws:iam::123456789012:user/SimulatedUser";

/// A policy file of a simulation: the name it was given by, its policy.
struct PolicyFile {
    name: String,
    policy: Policy,
}

fn policy_file(path: &PathBuf, kind: PolicyKind) -> Result<PolicyFile, String> {
    let text = read_input(path)?;
    let policy = Policy::parse(&text, kind).map_err(|error| {
        format!(
            "`{}` is not a valid {} policy: {error}",
            path.display(),
            kind.name()
        )
    })?;
    Ok(PolicyFile {
        name: path.display().to_string(),
        policy,
    })
}

fn policy_files(paths: &[PathBuf], kind: PolicyKind) -> Result<Vec<PolicyFile>, String> {
    paths.iter().map(|path| policy_file(path, kind)).collect()
}

/// A `--context KEY=TYPE:VALUE` entry, its value checked against its type as IAM checks a
/// `ContextEntry`. A list type splits its values at commas; a scalar type's value is taken
/// whole, commas included.
fn context_entry(context: &mut Context, entry: &str) -> Result<(), String> {
    let unusable = || {
        format!("--context `{entry}`: expected KEY=TYPE:VALUE, such as aws:SourceIp=ip:192.0.2.1")
    };
    let (key, typed) = entry.split_once('=').ok_or_else(unusable)?;
    let (kind, value) = typed.split_once(':').ok_or_else(unusable)?;
    if key.is_empty() {
        return Err(unusable());
    }
    let values: Vec<String> = if !kind.ends_with("List") {
        vec![value.to_owned()]
    } else if value.is_empty() {
        Vec::new()
    } else {
        value.split(',').map(str::to_owned).collect()
    };
    let value =
        policy::context_entry_value(key, kind, values).map_err(|e| format!("--context: {e}"))?;
    context.insert(key, value);
    Ok(())
}

fn decision_name(decision: Decision) -> &'static str {
    match decision {
        Decision::Allow => "allowed",
        Decision::ExplicitDeny => "explicitDeny",
        Decision::ImplicitDeny => "implicitDeny",
    }
}

fn position(position: TextPosition) -> Value {
    json!({"line": position.line, "column": position.column})
}

/// One result as IAM's `EvaluationResult` shapes it, in camelCase, its matched statements,
/// missing keys and decision details at the top whatever the resource (reading 111).
fn result_json(
    action: &str,
    resource: &str,
    outcome: &SimulatedOutcome,
    identity: &[PolicyFile],
    resource_policy: Option<&PolicyFile>,
) -> Value {
    let matched: Vec<Value> = outcome
        .matched
        .iter()
        .filter_map(|m| {
            let (file, kind) = match m.source {
                MatchedSource::Identity(at) => (identity.get(at)?, "none"),
                MatchedSource::Resource => (resource_policy?, "resource"),
            };
            Some(json!({
                "sourcePolicyId": file.name,
                "sourcePolicyType": kind,
                "startPosition": position(m.start),
                "endPosition": position(m.end),
            }))
        })
        .collect();
    let mut result = json!({
        "evalActionName": action,
        "evalResourceName": resource,
        "evalDecision": decision_name(outcome.decision),
        "matchedStatements": matched,
        "missingContextValues": outcome.missing,
    });
    if let Some(allowed) = outcome.boundary_allows
        && let Some(map) = result.as_object_mut()
    {
        map.insert(
            "permissionsBoundaryDecisionDetail".to_owned(),
            json!({"allowedByPermissionsBoundary": allowed}),
        );
    }
    if let Some(allowed) = outcome.organizations_allow
        && let Some(map) = result.as_object_mut()
    {
        map.insert(
            "organizationsDecisionDetail".to_owned(),
            json!({"allowedByOrganizations": allowed}),
        );
    }
    result
}

/// `policy simulate`: every input read and checked before anything is simulated; an
/// error is unusable input (exit 2).
fn simulate(args: &SimulateArgs) -> Result<ExitCode, String> {
    let identity = policy_files(&args.policies, PolicyKind::Identity)?;
    let boundary = policy_files(&args.boundaries, PolicyKind::Boundary)?;
    let resource_policy = args
        .resource_policy
        .as_ref()
        .map(|path| policy_file(path, PolicyKind::Resource))
        .transpose()?;
    let mut scps = Vec::with_capacity(args.scps.len());
    for level in &args.scps {
        let mut set = PolicySet::default();
        for path in level.split(',') {
            let file = policy_file(&PathBuf::from(path), PolicyKind::ServiceControl)?;
            set.add(file.name, &file.policy);
        }
        scps.push(set);
    }
    let caller = args.caller_arn.as_deref().unwrap_or(DEFAULT_CALLER);
    let principal = Principal::parse(caller).map_err(|e| format!("--caller-arn: {e}"))?;
    let owner = match args.resource_owner.as_deref() {
        Some(owner) => policy::owner_account(owner).ok_or_else(|| {
            format!("--resource-owner `{owner}`: expected an account's ARN (arn:aws:iam::123456789012:root) or ID")
        })?,
        None => principal.account().unwrap_or_default(),
    };
    let mut context = Context::new();
    for entry in &args.context {
        context_entry(&mut context, entry)?;
    }
    let identity_policies: Vec<&Policy> = identity.iter().map(|f| &f.policy).collect();
    let boundary_policies: Vec<&Policy> = boundary.iter().map(|f| &f.policy).collect();
    let simulation = Simulation {
        principal: &principal,
        identity: &identity_policies,
        boundary: &boundary_policies,
        resource: resource_policy.as_ref().map(|f| &f.policy),
        service_control: (!scps.is_empty()).then_some(scps.as_slice()),
        context: &context,
        resource_account: owner,
    };
    let resources: Vec<&str> = if args.resources.is_empty() {
        vec!["*"]
    } else {
        args.resources.iter().map(String::as_str).collect()
    };
    let mut results = Vec::new();
    let mut differing = Vec::new();
    for action in &args.actions {
        for resource in &resources {
            let outcome = simulation.simulate(action, resource);
            if let Some(expect) = args.expect
                && outcome.decision != expect.decision()
            {
                differing.push(format!(
                    "{action} on {resource}: expected {}, got {}",
                    decision_name(expect.decision()),
                    decision_name(outcome.decision)
                ));
            }
            results.push(result_json(
                action,
                resource,
                &outcome,
                &identity,
                resource_policy.as_ref(),
            ));
        }
    }
    print_out(&format!("{:#}", json!({ "evaluationResults": results })));
    for line in &differing {
        eprintln!("{line}");
    }
    Ok(if differing.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    })
}
