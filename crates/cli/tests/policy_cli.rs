//! The offline policy tools as users run them: exit codes, output, and messages for bad input.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code fails loudly"
)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn castellan(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_castellan"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // A command that fails on its arguments exits without reading its input: a closed pipe
    // here is the program's choice, not a test failure.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const EXAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/read-photos.json"
);

#[test]
fn validate_exit_codes() {
    let valid =
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
    let ok = castellan(&["policy", "validate", "-"], valid);
    assert_eq!(ok.status.code(), Some(0));
    assert_eq!(stdout(&ok), "valid identity policy (1 statement)\n");

    let invalid = castellan(&["policy", "validate", "-", "--kind", "trust"], valid);
    assert_eq!(invalid.status.code(), Some(1));
    assert_eq!(
        stdout(&invalid),
        "MalformedPolicyDocument: Policy statement must contain a principal.\n\
         MalformedPolicyDocument: AssumeRole policy may only specify STS AssumeRole actions.\n\
         MalformedPolicyDocument: Has prohibited field Resource\n"
    );

    let missing = castellan(&["policy", "validate", "/nonexistent/policy.json"], "");
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("cannot read `/nonexistent/policy.json`"));

    let bad_kind = castellan(&["policy", "validate", "-", "--kind", "bucket"], valid);
    assert_eq!(bad_kind.status.code(), Some(2));
}

#[test]
fn evaluate_prints_the_decision_as_json() {
    let output = castellan(&["policy", "evaluate", EXAMPLE], "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["decision"], "Allow");
    assert_eq!(report["matched"][0]["sid"], "OwnFolder");
    assert_eq!(report["matched"][0]["policy_type"], "identity");
}

#[test]
fn expect_turns_the_decision_into_an_exit_code() {
    let allow = castellan(&["policy", "evaluate", EXAMPLE, "--expect", "allow"], "");
    assert_eq!(allow.status.code(), Some(0));
    let deny = castellan(&["policy", "evaluate", EXAMPLE, "--expect", "deny"], "");
    assert_eq!(deny.status.code(), Some(1));
    assert!(stderr(&deny).contains("expected a deny, got Allow"));

    let denied = std::fs::read_to_string(EXAMPLE).unwrap().replace(
        "\"aws:SecureTransport\": \"true\"",
        "\"aws:SecureTransport\": \"false\"",
    );
    let output = castellan(&["policy", "evaluate", "-", "--expect", "deny"], &denied);
    assert_eq!(output.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["decision"], "ExplicitDeny");
    assert_eq!(
        report["message"],
        "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:GetObject \
         on resource: arn:aws:s3:::photos/alice/cat.jpg with an explicit deny in an \
         identity-based policy"
    );
}

#[test]
fn unusable_scenarios_name_the_problem() {
    let cases = [
        ("not json", "the scenario is not a JSON object"),
        (
            r#"{"action":"s3:GetObject"}"#,
            "the scenario needs `principal`",
        ),
        (
            r#"{"principal":"bob","action":"s3:GetObject"}"#,
            "`bob` is not a principal",
        ),
        (
            r#"{"principal":"anonymous","action":"s3:GetObject","identity_policies":[{"Statement":{"Effect":"Allow","Action":"s3","Resource":"*"}}]}"#,
            "`identity_policies[0]` is not a valid identity policy: MalformedPolicyDocument: Actions/Conditions must be prefaced by a vendor",
        ),
        (
            r#"{"principal":"anonymous","action":"s3:GetObject","contexts":{}}"#,
            "unknown scenario key `contexts`",
        ),
        (
            r#"{"principal":"anonymous","action":"s3:GetObject","context":{"aws:SourceIp":5}}"#,
            "`context.aws:SourceIp` must be a string or a list of strings",
        ),
    ];
    for (input, message) in cases {
        let output = castellan(&["policy", "evaluate", "-"], input);
        assert_eq!(output.status.code(), Some(2), "{input}");
        assert!(
            stderr(&output).contains(message),
            "{input}: {}",
            stderr(&output)
        );
        assert!(!stderr(&output).contains("panicked"), "{input}");
    }
}
