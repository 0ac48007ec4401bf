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

/// A policy file in `dir`, for `policy simulate`; answers its path as given to the command.
fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// Three statements over several lines: an allow, a deny with a Sid, a dated allow.
const SIMULATED: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
    {
      "Sid": "NoDelete",
      "Effect": "Deny",
      "Action": "s3:DeleteBucket",
      "Resource": "*"
    },
    {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*",
     "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2018-08-16T12:00:00Z"}}}
  ]
}"#;

fn simulate(args: &[&str]) -> (Output, serde_json::Value) {
    let mut all = vec!["policy", "simulate"];
    all.extend_from_slice(args);
    let output = castellan(&all, "");
    let report = serde_json::from_slice(&output.stdout).unwrap_or(serde_json::Value::Null);
    (output, report)
}

#[test]
fn simulate_reports_each_pair_as_iam_does() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "app.json", SIMULATED);
    let (output, report) = simulate(&[
        "--policy",
        &file,
        "--action",
        "s3:GetObject",
        "--action",
        "s3:DeleteBucket",
        "--action",
        "dynamodb:GetItem",
        "--resource",
        "arn:aws:s3:::photos",
        "--resource",
        "*",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let results = report["evaluationResults"].as_array().unwrap();
    // Actions outer, resources inner, as IAM orders its results.
    let pairs: Vec<(&str, &str)> = results
        .iter()
        .map(|r| {
            (
                r["evalActionName"].as_str().unwrap(),
                r["evalResourceName"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        [
            ("s3:GetObject", "arn:aws:s3:::photos"),
            ("s3:GetObject", "*"),
            ("s3:DeleteBucket", "arn:aws:s3:::photos"),
            ("s3:DeleteBucket", "*"),
            ("dynamodb:GetItem", "arn:aws:s3:::photos"),
            ("dynamodb:GetItem", "*"),
        ]
    );

    let allowed = &results[0];
    assert_eq!(allowed["evalDecision"], "allowed");
    assert_eq!(
        allowed["matchedStatements"],
        serde_json::json!([{
            "sourcePolicyId": file,
            "sourcePolicyType": "none",
            "startPosition": {"line": 4, "column": 6},
            "endPosition": {"line": 4, "column": 59},
        }])
    );
    assert_eq!(allowed["missingContextValues"], serde_json::json!([]));
    assert!(allowed.get("permissionsBoundaryDecisionDetail").is_none());
    assert!(allowed.get("organizationsDecisionDetail").is_none());

    // The deny decides alone: the allow of `s3:*` also applies but is not what decided.
    let denied = &results[2];
    assert_eq!(denied["evalDecision"], "explicitDeny");
    assert_eq!(
        denied["matchedStatements"],
        serde_json::json!([{
            "sourcePolicyId": file,
            "sourcePolicyType": "none",
            "startPosition": {"line": 5, "column": 6},
            "endPosition": {"line": 10, "column": 6},
        }])
    );

    // No aws:CurrentTime offline: the dated allow cannot apply and the key is reported.
    let undated = &results[4];
    assert_eq!(undated["evalDecision"], "implicitDeny");
    assert_eq!(undated["matchedStatements"], serde_json::json!([]));
    assert_eq!(
        undated["missingContextValues"],
        serde_json::json!(["aws:CurrentTime"])
    );

    // Given, it decides, and nothing is missing.
    let (output, report) = simulate(&[
        "--policy",
        &file,
        "--action",
        "dynamodb:GetItem",
        "--context",
        "aws:CurrentTime=date:2019-04-25T11:00:00Z",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let dated = &report["evaluationResults"][0];
    assert_eq!(dated["evalDecision"], "allowed");
    assert_eq!(dated["missingContextValues"], serde_json::json!([]));
    assert_eq!(dated["matchedStatements"][0]["startPosition"]["line"], 11);
    let (_, report) = simulate(&[
        "--policy",
        &file,
        "--action",
        "dynamodb:GetItem",
        "--context",
        "aws:CurrentTime=date:2014-04-25T11:00:00Z",
    ]);
    assert_eq!(
        report["evaluationResults"][0]["evalDecision"],
        "implicitDeny"
    );
}

#[test]
fn simulate_expect_turns_every_decision_into_an_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "app.json", SIMULATED);
    let run = |action: &str, expect: &str| {
        simulate(&["--policy", &file, "--action", action, "--expect", expect]).0
    };
    assert_eq!(run("s3:GetObject", "allowed").status.code(), Some(0));
    assert_eq!(
        run("s3:DeleteBucket", "explicitDeny").status.code(),
        Some(0)
    );
    assert_eq!(
        run("ec2:RunInstances", "implicitDeny").status.code(),
        Some(0)
    );
    let differs = run("s3:DeleteBucket", "allowed");
    assert_eq!(differs.status.code(), Some(1));
    assert!(
        stderr(&differs).contains("s3:DeleteBucket on *: expected allowed, got explicitDeny"),
        "{}",
        stderr(&differs)
    );
    // The results are printed all the same.
    let report: serde_json::Value = serde_json::from_slice(&differs.stdout).unwrap();
    assert_eq!(
        report["evaluationResults"][0]["evalDecision"],
        "explicitDeny"
    );
    // Every pair must match: one differing pair of two is a failure.
    let (mixed, _) = simulate(&[
        "--policy",
        &file,
        "--action",
        "s3:GetObject",
        "--action",
        "ec2:RunInstances",
        "--expect",
        "allowed",
    ]);
    assert_eq!(mixed.status.code(), Some(1));
    assert_eq!(run("s3:GetObject", "allow").status.code(), Some(2));
}

#[test]
fn simulate_refuses_unusable_input() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "app.json", SIMULATED);
    let invalid = write(
        &dir,
        "invalid.json",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3","Resource":"*"}}"#,
    );
    let broken = write(&dir, "broken.json", r#"{"Statement": ["#);
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec![
                "--policy",
                "/nonexistent/p.json",
                "--action",
                "s3:GetObject",
            ],
            "cannot read `/nonexistent/p.json`".to_owned(),
        ),
        (
            vec!["--policy", &invalid, "--action", "s3:GetObject"],
            format!(
                "`{invalid}` is not a valid identity policy: MalformedPolicyDocument: Actions/Conditions must be prefaced by a vendor"
            ),
        ),
        (
            vec!["--boundary", &broken, "--action", "s3:GetObject"],
            format!(
                "`{broken}` is not a valid boundary policy: MalformedPolicyDocument: Syntax errors in policy."
            ),
        ),
        (
            vec![
                "--policy",
                &file,
                "--action",
                "s3:GetObject",
                "--context",
                "aws:SourceIp",
            ],
            "--context `aws:SourceIp`: expected KEY=TYPE:VALUE".to_owned(),
        ),
        (
            vec![
                "--policy",
                &file,
                "--action",
                "s3:GetObject",
                "--context",
                "n=numeric:ten",
            ],
            "The value ten of context key n is not of type numeric.".to_owned(),
        ),
        (
            vec![
                "--policy",
                &file,
                "--action",
                "s3:GetObject",
                "--context",
                "k=text:x",
            ],
            "Context key k has an unknown type text".to_owned(),
        ),
        (
            vec![
                "--policy",
                &file,
                "--action",
                "s3:GetObject",
                "--caller-arn",
                "bob",
            ],
            "--caller-arn: `bob` is not a principal".to_owned(),
        ),
        (
            vec![
                "--policy",
                &file,
                "--action",
                "s3:GetObject",
                "--resource-owner",
                "acme",
            ],
            "--resource-owner `acme`".to_owned(),
        ),
        (vec!["--policy", &file], "--action".to_owned()),
    ];
    for (args, message) in cases {
        let (output, _) = simulate(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        assert!(
            stderr(&output).contains(&message),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(!stderr(&output).contains("panicked"), "{args:?}");
    }
}

#[test]
fn simulate_with_a_boundary_scps_and_a_resource_policy() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "app.json", SIMULATED);
    let boundary = write(
        &dir,
        "boundary.json",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}}"#,
    );
    let full = write(
        &dir,
        "full.json",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    );
    let no_puts = write(
        &dir,
        "no-puts.json",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:Put*","Resource":"*"}}"#,
    );
    let levels = format!("{full},{no_puts}");
    let (output, report) = simulate(&[
        "--policy",
        &file,
        "--boundary",
        &boundary,
        "--scp",
        &full,
        "--scp",
        &levels,
        "--action",
        "s3:GetObject",
        "--action",
        "s3:ListBucket",
        "--action",
        "s3:PutObject",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let results = &report["evaluationResults"];
    let detail = |at: usize| {
        (
            results[at]["evalDecision"].as_str().unwrap().to_owned(),
            results[at]["permissionsBoundaryDecisionDetail"]["allowedByPermissionsBoundary"]
                .clone(),
            results[at]["organizationsDecisionDetail"]["allowedByOrganizations"].clone(),
        )
    };
    assert_eq!(detail(0), ("allowed".to_owned(), true.into(), true.into()));
    assert_eq!(
        detail(1),
        ("implicitDeny".to_owned(), false.into(), true.into())
    );
    assert_eq!(
        detail(2),
        ("explicitDeny".to_owned(), false.into(), false.into())
    );

    // A bucket of account 222233334444 whose policy lets a role of 111122223333 read it:
    // the resource policy's statement is matched, named as IAM names it.
    let bucket = write(
        &dir,
        "bucket.json",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/Reader"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*"}}"#,
    );
    let cross = |owner: &str| {
        simulate(&[
            "--policy",
            &file,
            "--resource-policy",
            &bucket,
            "--caller-arn",
            "arn:aws:iam::111122223333:role/Reader",
            "--resource-owner",
            owner,
            "--action",
            "s3:GetObject",
            "--resource",
            "arn:aws:s3:::shared/k",
        ])
    };
    let (output, report) = cross("arn:aws:iam::222233334444:root");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let result = &report["evaluationResults"][0];
    assert_eq!(result["evalDecision"], "allowed");
    let mut ids: Vec<(&str, &str)> = result["matchedStatements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["sourcePolicyType"].as_str().unwrap(),
                m["sourcePolicyId"].as_str().unwrap(),
            )
        })
        .collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        [("none", file.as_str()), ("resource", bucket.as_str())]
    );
    // The account's ID works as its ARN does.
    let (_, report) = cross("222233334444");
    assert_eq!(report["evaluationResults"][0]["evalDecision"], "allowed");

    // Without an identity policy, the owner decides: across accounts the bucket's grant is
    // not enough; within the role's account (the default owner) it is.
    let bucket_only = |owner: Option<&str>| {
        let mut args = vec![
            "--resource-policy",
            &bucket,
            "--caller-arn",
            "arn:aws:iam::111122223333:role/Reader",
            "--action",
            "s3:GetObject",
            "--resource",
            "arn:aws:s3:::shared/k",
        ];
        if let Some(owner) = owner {
            args.extend(["--resource-owner", owner]);
        }
        simulate(&args).1["evaluationResults"][0]["evalDecision"].clone()
    };
    assert_eq!(
        bucket_only(Some("arn:aws:iam::222233334444:root")),
        "implicitDeny"
    );
    assert_eq!(bucket_only(None), "allowed");
    assert_eq!(bucket_only(Some("111122223333")), "allowed");
}

/// A role's ARN is a session of the role: `aws:PrincipalArn` is the role's ARN with its
/// path, `aws:PrincipalType` is `AssumedRole`, and a resource policy naming the role grants
/// its sessions.
#[test]
fn a_role_arn_is_a_session_of_the_role() {
    let identity = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/team/Deployer","aws:PrincipalType":"AssumedRole","aws:PrincipalAccount":"111122223333"}}}}"#;
    let scenario = |principal: &str| {
        format!(
            r#"{{"principal":"{principal}","action":"s3:GetObject","resource":"arn:aws:s3:::b/k","identity_policies":[{identity}]}}"#
        )
    };
    let output = castellan(
        &["policy", "evaluate", "-", "--expect", "allow"],
        &scenario("arn:aws:iam::111122223333:role/team/Deployer"),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // Another role of the same name elsewhere in the path is another role.
    let output = castellan(
        &["policy", "evaluate", "-", "--expect", "deny"],
        &scenario("arn:aws:iam::111122223333:role/Deployer"),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    let cross_account = r#"{"principal":"arn:aws:iam::111122223333:role/Reader","action":"s3:GetObject","resource":"arn:aws:s3:::shared/k","resource_account":"222233334444",
        "identity_policies":[{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}],
        "resource_policy":{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/Reader"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*"}}}"#;
    let output = castellan(&["policy", "evaluate", "-"], cross_account);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["decision"], "Allow");
    // Denials name the session, as AWS names the caller.
    let denied =
        cross_account.replace("s3:GetObject\",\"resource\"", "s3:PutObject\",\"resource\"");
    let output = castellan(&["policy", "evaluate", "-"], &denied);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["decision"], "ImplicitDeny");
    assert!(
        report["message"]
            .as_str()
            .unwrap()
            .starts_with("User: arn:aws:sts::111122223333:assumed-role/Reader/simulation is not authorized to perform: s3:PutObject"),
        "{}",
        report["message"]
    );

    // In the simulator too.
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "deployer.json", identity);
    let (output, _) = simulate(&[
        "--policy",
        &file,
        "--caller-arn",
        "arn:aws:iam::111122223333:role/team/Deployer",
        "--action",
        "s3:GetObject",
        "--expect",
        "allowed",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn lenient_evaluates_what_iam_would_not_store() {
    // A Sid with a dash and a service prefix with an underscore parse, and IAM refuses both.
    let wild = r#"{"principal":"arn:aws:iam::111122223333:user/alice","action":"s3:GetObject","resource":"arn:aws:s3:::b/k",
        "identity_policies":[{"Version":"2012-10-17","Statement":[{"Sid":"read-all","Effect":"Allow","Action":["s3:GetObject","s3_x:Thing"],"Resource":"*"}]}]}"#;
    let strict = castellan(&["policy", "evaluate", "-"], wild);
    assert_eq!(strict.status.code(), Some(2));
    assert!(strict.stdout.is_empty());
    assert!(
        stderr(&strict).contains("error: `identity_policies[0]` is not a valid identity policy: MalformedPolicyDocument: Statement IDs (SID) must be alpha-numeric"),
        "{}",
        stderr(&strict)
    );

    let lenient = castellan(&["policy", "evaluate", "-", "--lenient"], wild);
    assert_eq!(lenient.status.code(), Some(0), "{}", stderr(&lenient));
    let report: serde_json::Value = serde_json::from_slice(&lenient.stdout).unwrap();
    assert_eq!(report["decision"], "Allow");
    assert_eq!(report["matched"][0]["sid"], "read-all");
    assert_eq!(
        stderr(&lenient),
        "warning: `identity_policies[0]` is not a valid identity policy: MalformedPolicyDocument: Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*\n\
         warning: `identity_policies[0]` is not a valid identity policy: MalformedPolicyDocument: Vendor s3_x is not valid\n"
    );

    // A document over IAM's size quota (6,144 characters for an inline user policy's
    // kind) is evaluated, its deny included.
    let actions: Vec<String> = (0..400).map(|i| format!("\"s3:Action{i:04}\"")).collect();
    let long = format!(
        r#"{{"principal":"arn:aws:iam::111122223333:user/alice","action":"s3:Action0399",
        "identity_policies":[{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:*","Resource":"*"}},{{"Effect":"Deny","Action":[{}],"Resource":"*"}}]}}]}}"#,
        actions.join(",")
    );
    let strict = castellan(&["policy", "evaluate", "-"], &long);
    assert_eq!(strict.status.code(), Some(2));
    assert!(stderr(&strict).contains("LimitExceeded: Cannot exceed quota for PolicySize"));
    let lenient = castellan(
        &["policy", "evaluate", "-", "--lenient", "--expect", "deny"],
        &long,
    );
    assert_eq!(lenient.status.code(), Some(0), "{}", stderr(&lenient));
    let report: serde_json::Value = serde_json::from_slice(&lenient.stdout).unwrap();
    assert_eq!(report["decision"], "ExplicitDeny");
    assert!(stderr(&lenient).starts_with("warning: `identity_policies[0]` is not a valid identity policy: LimitExceeded: Cannot exceed quota for PolicySize: "));

    // A document whose syntax fails is still unusable.
    let broken = r#"{"principal":"arn:aws:iam::111122223333:user/alice","action":"s3:GetObject","identity_policies":[{"Statement":"x"}]}"#;
    let output = castellan(&["policy", "evaluate", "-", "--lenient"], broken);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("MalformedPolicyDocument: Syntax errors in policy."));
}

/// The README's example, as it says.
#[test]
fn simulate_the_readme_example() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/dated.json");
    let args = |context: Option<&str>| {
        let mut args = vec!["--policy", file, "--action", "dynamodb:CreateBackup"];
        args.extend(context.iter().flat_map(|c| ["--context", *c]));
        simulate(&args).1["evaluationResults"][0].clone()
    };
    let dated = args(Some("aws:CurrentTime=date:2019-04-25T11:00:00Z"));
    assert_eq!(dated["evalDecision"], "allowed");
    assert_eq!(
        dated["matchedStatements"][0]["startPosition"],
        serde_json::json!({"line": 4, "column": 6})
    );
    assert_eq!(
        dated["matchedStatements"][0]["endPosition"],
        serde_json::json!({"line": 10, "column": 6})
    );
    let undated = args(None);
    assert_eq!(undated["evalDecision"], "implicitDeny");
    assert_eq!(
        undated["missingContextValues"],
        serde_json::json!(["aws:CurrentTime"])
    );
}
