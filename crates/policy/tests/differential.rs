//! Differential test: the compiled engine against the naive reference evaluator on random
//! scenarios, plus hand-made cases that pin the reference itself to the spec.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code: clippy.toml allows these in #[test] functions, and the helpers and \
              the reference evaluator of this test crate are test code too"
)]

#[allow(
    dead_code,
    reason = "the property tests use parts of the module this file does not"
)]
mod reference;

use reference::generate::Generator;
use serde_json::{Value, json};

/// Cases run by default; DIFFERENTIAL_CASES overrides (e.g. for a long soak).
const DEFAULT_CASES: u64 = 100_000;

/// The engine's answer for a scenario, or its error text.
fn engine(scenario: &Value) -> Result<&'static str, String> {
    let text = scenario.to_string();
    policy::evaluate_scenario(&text)
        .map(|outcome| outcome.decision.as_str())
        .map_err(|e| e.to_string())
}

#[test]
fn engine_agrees_with_reference() {
    let cases: u64 = std::env::var("DIFFERENTIAL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    let seed: u64 = std::env::var("DIFFERENTIAL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed);
    // The engine runs in a debug build here; spread the cases over the cores.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4)) as u64;
    let results: Vec<([u64; 3], Vec<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| scope.spawn(move || run_cases(seed, (t..cases).step_by(threads as usize))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut counts = [0u64; 3];
    let mut failures = Vec::new();
    for (c, f) in results {
        for (total, n) in counts.iter_mut().zip(c) {
            *total += n;
        }
        failures.extend(f);
    }
    failures.truncate(5);
    assert!(
        failures.is_empty(),
        "{} mismatch(es):\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    let total: u64 = counts.iter().sum();
    println!(
        "{total} cases: Allow {}, ExplicitDeny {}, ImplicitDeny {}",
        counts[0], counts[1], counts[2]
    );
    for (name, count) in ["Allow", "ExplicitDeny", "ImplicitDeny"].iter().zip(counts) {
        assert!(
            count * 20 >= total,
            "{name} is only {count} of {total}: the generator has drifted into a corner"
        );
    }
}

/// Runs the given cases; returns the decision counts and up to five failure reports.
fn run_cases(seed: u64, cases: impl Iterator<Item = u64>) -> ([u64; 3], Vec<String>) {
    let mut counts = [0u64; 3];
    let mut failures = Vec::new();
    for case in cases {
        // One generator per case, so a failure replays from its seed alone.
        let case_seed = seed.wrapping_mul(1_000_003).wrapping_add(case);
        let scenario = Generator::new(case_seed).scenario();
        let expected = reference::decide(&scenario)
            .unwrap_or_else(|e| panic!("reference rejected case {case_seed}: {e}\n{scenario:#}"));
        let actual = engine(&scenario);
        if actual.as_deref() != Ok(expected) {
            let small = shrink(scenario.clone());
            let (small_ref, small_engine) = (reference::decide(&small), engine(&small));
            failures.push(format!(
                "case seed {case_seed}: reference {expected}, engine {actual:?}\n{scenario:#}\n\
                 shrunk: reference {small_ref:?}, engine {small_engine:?}\n{small:#}"
            ));
            if failures.len() >= 5 {
                break;
            }
            continue;
        }
        let slot = match expected {
            "Allow" => 0,
            "ExplicitDeny" => 1,
            _ => 2,
        };
        counts[slot] += 1;
    }
    (counts, failures)
}

/// The two answers, with any engine error reduced to "error" so that shrinking keeps the
/// kind of mismatch rather than the message.
fn answers(scenario: &Value) -> (Result<&'static str, String>, &'static str) {
    let engine = engine(scenario).unwrap_or("error");
    (reference::decide(scenario), engine)
}

/// Greedily deletes pieces of a mismatching scenario (array elements, object members)
/// while the mismatch persists, so that a report shows only what matters.
fn shrink(mut scenario: Value) -> Value {
    let original = answers(&scenario);
    fn paths(value: &Value, prefix: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    prefix.push(json!(k));
                    out.push(prefix.clone());
                    paths(v, prefix, out);
                    prefix.pop();
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    prefix.push(json!(i));
                    out.push(prefix.clone());
                    paths(v, prefix, out);
                    prefix.pop();
                }
            }
            _ => {}
        }
    }
    fn remove(value: &mut Value, path: &[Value]) {
        let (last, parents) = path.split_last().unwrap();
        let mut node = value;
        for step in parents {
            node = match step {
                Value::String(k) => &mut node[k.as_str()],
                _ => &mut node[step.as_u64().unwrap() as usize],
            };
        }
        match (node, last) {
            (Value::Object(map), Value::String(k)) => {
                map.remove(k);
            }
            (Value::Array(items), i) => {
                items.remove(i.as_u64().unwrap() as usize);
            }
            _ => {}
        }
    }
    loop {
        let mut all = Vec::new();
        paths(&scenario, &mut Vec::new(), &mut all);
        let smaller = all.into_iter().find_map(|path| {
            let mut candidate = scenario.clone();
            remove(&mut candidate, &path);
            (answers(&candidate) == original).then_some(candidate)
        });
        match smaller {
            Some(s) => scenario = s,
            None => return scenario,
        }
    }
}

/// The reference alone on random scenarios: it must accept everything the generator makes
/// and reach all three decisions in healthy proportions.
#[test]
fn reference_accepts_generated_scenarios_with_a_healthy_mix() {
    let mut counts = [0u64; 3];
    for case in 0..20_000u64 {
        let scenario = Generator::new(case).scenario();
        let decision = reference::decide(&scenario)
            .unwrap_or_else(|e| panic!("case {case}: {e}\n{scenario:#}"));
        counts[["Allow", "ExplicitDeny", "ImplicitDeny"]
            .iter()
            .position(|d| *d == decision)
            .unwrap()] += 1;
    }
    println!("reference mix: {counts:?}");
    for count in counts {
        assert!(count * 20 >= 20_000, "unhealthy mix {counts:?}");
    }
}

const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/Admin/s1";
const FEDERATED: &str = "arn:aws:sts::111122223333:federated-user/carol";

fn allow(action: &str, resource: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]})
}

fn deny(action: &str, resource: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": action, "Resource": resource}]})
}

fn with_condition(condition: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition
    }]})
}

fn resource_policy(principal: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": principal, "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::photos/*"
    }]})
}

/// A scenario for alice reading a photo, with `extra` fields merged in.
fn alice(extra: Value) -> Value {
    let mut s = json!({
        "principal": ALICE,
        "action": "s3:GetObject",
        "resource": "arn:aws:s3:::photos/cat.jpg",
    });
    for (k, v) in extra.as_object().unwrap() {
        s[k] = v.clone();
    }
    s
}

fn check(name: &str, scenario: Value, expected: &str) {
    let got = reference::decide(&scenario).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(got, expected, "{name}\n{scenario:#}");
}

/// Condition cases: alice with an Allow guarded by `condition` and the given context.
fn check_condition(name: &str, condition: Value, context: Value, expected_allow: bool) {
    let s = alice(json!({"identity_policies": [with_condition(condition)], "context": context}));
    let expected = if expected_allow {
        "Allow"
    } else {
        "ImplicitDeny"
    };
    check(name, s, expected);
}

#[test]
fn reference_decision_procedure() {
    check("no policies", alice(json!({})), "ImplicitDeny");
    check(
        "identity allow",
        alice(json!({"identity_policies": [allow("s3:Get*", "arn:aws:s3:::photos/*")]})),
        "Allow",
    );
    check(
        "deny wins",
        alice(json!({"identity_policies": [allow("*", "*"), deny("s3:*", "*")]})),
        "ExplicitDeny",
    );
    check(
        "action case-insensitive, resource case-sensitive",
        alice(json!({"identity_policies": [allow("S3:GETOBJECT", "arn:aws:s3:::Photos/*")]})),
        "ImplicitDeny",
    );
    check(
        "boundary must allow",
        alice(
            json!({"identity_policies": [allow("*", "*")], "permissions_boundary": allow("iam:*", "*")}),
        ),
        "ImplicitDeny",
    );
    check(
        "direct user grant skips identity and boundary",
        alice(json!({
            "resource_policy": resource_policy(json!({"AWS": ALICE})),
            "permissions_boundary": allow("iam:*", "*"),
        })),
        "Allow",
    );
    check(
        "star grant substitutes identity but boundary applies",
        alice(json!({
            "resource_policy": resource_policy(json!("*")),
            "permissions_boundary": allow("iam:*", "*"),
        })),
        "ImplicitDeny",
    );
    check(
        "star grant substitutes identity",
        alice(json!({"resource_policy": resource_policy(json!({"AWS": "*"}))})),
        "Allow",
    );
    check(
        "account grant delegates to identity",
        alice(json!({"resource_policy": resource_policy(json!({"AWS": "111122223333"}))})),
        "ImplicitDeny",
    );
    check(
        "account grant with identity allow",
        alice(json!({
            "resource_policy": resource_policy(json!({"AWS": "arn:aws:iam::111122223333:root"})),
            "identity_policies": [allow("s3:GetObject", "*")],
        })),
        "Allow",
    );
    check(
        "strongest grant wins",
        alice(json!({"resource_policy": resource_policy(json!({"AWS": ["111122223333", ALICE]}))})),
        "Allow",
    );
    check(
        "cross-account needs resource policy",
        alice(json!({"resource_account": "444455556666", "identity_policies": [allow("*", "*")]})),
        "ImplicitDeny",
    );
    check(
        "cross-account direct grant is not enough",
        alice(json!({
            "resource_account": "444455556666",
            "resource_policy": resource_policy(json!({"AWS": ALICE})),
        })),
        "ImplicitDeny",
    );
    check(
        "cross-account both sides",
        alice(json!({
            "resource_account": "444455556666",
            "resource_policy": resource_policy(json!({"AWS": "111122223333"})),
            "identity_policies": [allow("*", "*")],
        })),
        "Allow",
    );
    check(
        "scp every level",
        alice(json!({
            "identity_policies": [allow("*", "*")],
            "service_control_policies": [[allow("*", "*")], [allow("iam:*", "*")]],
        })),
        "ImplicitDeny",
    );
    check(
        "scp deny",
        alice(json!({
            "identity_policies": [allow("*", "*")],
            "service_control_policies": [[allow("*", "*"), deny("s3:GetObject", "*")]],
        })),
        "ExplicitDeny",
    );
    check(
        "scp blocks a direct grant",
        alice(json!({
            "resource_policy": resource_policy(json!({"AWS": ALICE})),
            "service_control_policies": [[allow("iam:*", "*")]],
        })),
        "ImplicitDeny",
    );
    check(
        "root in own account",
        json!({"principal": "arn:aws:iam::111122223333:root", "action": "s3:GetObject",
               "resource": "arn:aws:s3:::photos/cat.jpg"}),
        "Allow",
    );
    check(
        "root under an scp",
        json!({"principal": "arn:aws:iam::111122223333:root", "action": "s3:GetObject",
               "service_control_policies": [[allow("iam:*", "*")]]}),
        "ImplicitDeny",
    );
    check(
        "root cross-account",
        json!({"principal": "arn:aws:iam::444455556666:root", "action": "s3:GetObject",
               "resource": "arn:aws:s3:::photos/cat.jpg", "resource_account": "111122223333"}),
        "ImplicitDeny",
    );
    check(
        "anonymous with a star grant",
        json!({"principal": "anonymous", "action": "s3:GetObject",
               "resource": "arn:aws:s3:::photos/cat.jpg", "resource_policy": resource_policy(json!("*"))}),
        "Allow",
    );
    check(
        "anonymous is not in the account",
        json!({"principal": "anonymous", "action": "s3:GetObject", "resource_account": "111122223333",
               "resource": "arn:aws:s3:::photos/cat.jpg",
               "resource_policy": resource_policy(json!({"AWS": "111122223333"}))}),
        "ImplicitDeny",
    );
    check(
        "service principal",
        json!({"principal": "lambda.amazonaws.com", "action": "s3:GetObject",
               "resource": "arn:aws:s3:::photos/cat.jpg",
               "service_control_policies": [[deny("*", "*")]],
               "resource_policy": resource_policy(json!({"Service": "lambda.amazonaws.com"}))}),
        "Allow",
    );
    check(
        "get caller identity",
        alice(json!({"action": "sts:GetCallerIdentity", "identity_policies": [deny("*", "*")]})),
        "Allow",
    );
    let trust = |principal: Value| {
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})
    };
    check(
        "trust policy must allow in the same account",
        alice(
            json!({"action": "sts:AssumeRole", "resource": "arn:aws:iam::111122223333:role/Admin",
                     "identity_policies": [allow("*", "*")]}),
        ),
        "ImplicitDeny",
    );
    check(
        "trust policy naming the account delegates",
        alice(
            json!({"action": "sts:AssumeRole", "resource": "arn:aws:iam::111122223333:role/Admin",
                     "resource_policy": trust(json!({"AWS": "111122223333"})),
                     "identity_policies": [allow("sts:AssumeRole", "*")]}),
        ),
        "Allow",
    );
    check(
        "root cannot assume roles (/tmp/engine-mismatches/1.json)",
        json!({"principal": "arn:aws:iam::111122223333:root", "action": "sts:AssumeRole",
               "resource": "arn:aws:iam::111122223333:role/Admin",
               "resource_policy": trust(json!({"AWS": "111122223333"}))}),
        "ImplicitDeny",
    );
    check(
        "trust policy naming the user",
        alice(
            json!({"action": "sts:AssumeRole", "resource": "arn:aws:iam::111122223333:role/Admin",
                     "resource_policy": trust(json!({"AWS": ALICE}))}),
        ),
        "Allow",
    );
    check(
        "session policy limits a role session",
        json!({"principal": SESSION, "action": "s3:GetObject", "identity_policies": [allow("*", "*")],
               "session_policy": allow("iam:*", "*")}),
        "ImplicitDeny",
    );
    check(
        "role session without session policy",
        json!({"principal": SESSION, "action": "s3:GetObject", "identity_policies": [allow("*", "*")]}),
        "Allow",
    );
    check(
        "role arn grant for a session",
        json!({"principal": SESSION, "action": "s3:GetObject", "resource": "arn:aws:s3:::photos/x",
               "resource_policy": resource_policy(json!({"AWS": "arn:aws:iam::111122223333:role/Admin"}))}),
        "Allow",
    );
    check(
        "federated user without session policy",
        json!({"principal": FEDERATED, "action": "s3:GetObject", "identity_policies": [allow("*", "*")]}),
        "ImplicitDeny",
    );
    check(
        "federated user with session policy",
        json!({"principal": FEDERATED, "action": "s3:GetObject", "identity_policies": [allow("*", "*")],
               "session_policy": allow("s3:*", "*")}),
        "Allow",
    );
    check(
        "not-principal deny hits a bounded principal",
        alice(json!({
            "identity_policies": [allow("*", "*")],
            "permissions_boundary": allow("*", "*"),
            "resource_policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Deny",
                "NotPrincipal": {"AWS": ALICE}, "Action": "*", "Resource": "*"}]},
        })),
        "ExplicitDeny",
    );
    check(
        "not-principal deny spares the named principal",
        alice(json!({
            "identity_policies": [allow("*", "*")],
            "resource_policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Deny",
                "NotPrincipal": {"AWS": ALICE}, "Action": "*", "Resource": "*"}]},
        })),
        "Allow",
    );
    check(
        "request resource star needs pattern star",
        alice(json!({"resource": "*", "identity_policies": [allow("*", "arn:aws:s3:::*")]})),
        "ImplicitDeny",
    );
    check(
        "not-resource applies to a star request",
        alice(
            json!({"resource": "*", "identity_policies": [{"Version": "2012-10-17",
            "Statement": {"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::*"}}]}),
        ),
        "Allow",
    );
    check(
        "segment wildcard does not cross colons",
        alice(
            json!({"resource": "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
                     "identity_policies": [allow("*", "arn:aws:ec2:*:instance/*")]}),
        ),
        "ImplicitDeny",
    );
    check(
        "tail wildcard crosses colons",
        alice(
            json!({"resource": "arn:aws:logs:us-east-1:111122223333:log-group:app:log-stream:x",
                     "identity_policies": [allow("*", "arn:aws:logs:*:*:log-group:*")]}),
        ),
        "Allow",
    );
    check(
        "rcp needs allow",
        alice(json!({"identity_policies": [allow("*", "*")],
                     "resource_control_policies": [[deny("iam:*", "*")]]})),
        "ImplicitDeny",
    );
    check(
        "question mark action",
        alice(
            json!({"action": "iam:GetUser", "resource": "*", "identity_policies": [allow("iam:?etUser", "*")]}),
        ),
        "Allow",
    );
}

#[test]
fn reference_variables() {
    let photo = |user_part: &str| format!("arn:aws:s3:::photos/{user_part}");
    check(
        "username variable",
        alice(json!({"resource": photo("alice/a.txt"),
                     "identity_policies": [allow("*", "arn:aws:s3:::photos/${aws:username}/*")]})),
        "Allow",
    );
    check(
        "old version keeps variables literal",
        alice(
            json!({"resource": photo("alice/a.txt"), "identity_policies": [{
            "Version": "2008-10-17", "Statement": {"Effect": "Allow", "Action": "*",
            "Resource": "arn:aws:s3:::photos/${aws:username}/*"}}]}),
        ),
        "ImplicitDeny",
    );
    check(
        "default value",
        alice(json!({"resource": photo("none/a"),
                     "identity_policies": [allow("*", "arn:aws:s3:::photos/${aws:PrincipalTag/team, 'none'}/*")]})),
        "Allow",
    );
    check(
        "missing variable matches nothing",
        alice(json!({"resource": photo("x/a"),
                     "identity_policies": [allow("*", "arn:aws:s3:::photos/${aws:PrincipalTag/team}*")]})),
        "ImplicitDeny",
    );
    check(
        "substituted star is literal",
        alice(
            json!({"resource": photo("red/a"), "context": {"aws:PrincipalTag/team": "*"},
                     "identity_policies": [allow("*", "arn:aws:s3:::photos/${aws:PrincipalTag/team}/a")]}),
        ),
        "ImplicitDeny",
    );
    check(
        "escaped question mark",
        alice(json!({"resource": photo("?"),
                     "identity_policies": [allow("*", "arn:aws:s3:::photos/${?}")]})),
        "Allow",
    );
    check_condition(
        "negated operator with unresolvable variable",
        json!({"StringNotEquals": {"aws:RequestTag/env": "${aws:PrincipalTag/team}"}}),
        json!({"aws:RequestTag/env": "prod"}),
        false,
    );
    check_condition(
        "multivalued key is not substituted",
        json!({"StringEquals": {"aws:RequestTag/env": "${aws:PrincipalTag/team}"}}),
        json!({"aws:RequestTag/env": "red", "aws:PrincipalTag/team": ["red"]}),
        false,
    );
    check_condition(
        "derived username in a condition",
        json!({"StringLike": {"s3:prefix": "home/${aws:username}/*"}}),
        json!({"s3:prefix": "home/alice/docs"}),
        true,
    );
}

#[test]
fn reference_conditions() {
    let mut cases: Vec<(&str, Value, Value, bool)> = vec![
        (
            "string equals",
            json!({"StringEquals": {"aws:RequestTag/env": ["dev", "prod"]}}),
            json!({"aws:RequestTag/env": "prod"}),
            true,
        ),
        (
            "key case-insensitive",
            json!({"StringEquals": {"AWS:REQUESTTAG/ENV": "prod"}}),
            json!({"aws:RequestTag/env": "prod"}),
            true,
        ),
        (
            "value case-sensitive",
            json!({"StringEquals": {"aws:RequestTag/env": "PROD"}}),
            json!({"aws:RequestTag/env": "prod"}),
            false,
        ),
        (
            "ignore case",
            json!({"StringEqualsIgnoreCase": {"aws:RequestTag/env": "PROD"}}),
            json!({"aws:RequestTag/env": "prod"}),
            true,
        ),
        (
            "equals has no wildcard",
            json!({"StringEquals": {"aws:RequestTag/env": "p*"}}),
            json!({"aws:RequestTag/env": "prod"}),
            false,
        ),
        (
            "like wildcard",
            json!({"StringLike": {"aws:RequestTag/env": "p?o*"}}),
            json!({"aws:RequestTag/env": "prod"}),
            true,
        ),
        (
            "negated: none of",
            json!({"StringNotEquals": {"aws:RequestTag/env": ["dev", "prod"]}}),
            json!({"aws:RequestTag/env": "prod"}),
            false,
        ),
        (
            "absent positive",
            json!({"StringEquals": {"aws:RequestTag/env": "prod"}}),
            json!({}),
            false,
        ),
        (
            "absent negated",
            json!({"StringNotEquals": {"aws:RequestTag/env": "prod"}}),
            json!({}),
            true,
        ),
        (
            "if exists absent",
            json!({"StringEqualsIfExists": {"aws:RequestTag/env": "prod"}}),
            json!({}),
            true,
        ),
        (
            "if exists present",
            json!({"StringEqualsIfExists": {"aws:RequestTag/env": "prod"}}),
            json!({"aws:RequestTag/env": "dev"}),
            false,
        ),
        (
            "single op on list",
            json!({"StringNotEquals": {"aws:TagKeys": "x"}}),
            json!({"aws:TagKeys": ["a"]}),
            false,
        ),
        (
            "for all values",
            json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}}),
            json!({"aws:TagKeys": ["team"]}),
            true,
        ),
        (
            "for all values extra",
            json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}),
            json!({"aws:TagKeys": ["team", "x"]}),
            false,
        ),
        (
            "for all values absent",
            json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}),
            json!({}),
            true,
        ),
        (
            "for all values empty",
            json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}),
            json!({"aws:TagKeys": []}),
            true,
        ),
        (
            "for any value",
            json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["x", "team"]}}),
            json!({"aws:TagKeys": ["team", "y"]}),
            true,
        ),
        (
            "for any value absent",
            json!({"ForAnyValue:StringEquals": {"aws:TagKeys": "team"}}),
            json!({"aws:TagKeys": []}),
            false,
        ),
        (
            "for any value single",
            json!({"ForAnyValue:StringEquals": {"aws:TagKeys": "team"}}),
            json!({"aws:TagKeys": "team"}),
            true,
        ),
        (
            "for any value negated",
            json!({"ForAnyValue:StringNotEquals": {"aws:TagKeys": "team"}}),
            json!({"aws:TagKeys": ["team", "x"]}),
            true,
        ),
        (
            "numeric",
            json!({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}),
            json!({"aws:MultiFactorAuthAge": "30"}),
            true,
        ),
        (
            "numeric decimal",
            json!({"NumericGreaterThanEquals": {"aws:MultiFactorAuthAge": 12.5}}),
            json!({"aws:MultiFactorAuthAge": "12.50"}),
            true,
        ),
        (
            "numeric unreadable",
            json!({"NumericNotEquals": {"aws:MultiFactorAuthAge": "abc"}}),
            json!({"aws:MultiFactorAuthAge": "30"}),
            false,
        ),
        (
            "numeric context unreadable",
            json!({"NumericNotEquals": {"aws:MultiFactorAuthAge": "10"}}),
            json!({"aws:MultiFactorAuthAge": "x"}),
            false,
        ),
        (
            "date iso vs epoch",
            json!({"DateEquals": {"aws:CurrentTime": "1717243200"}}),
            json!({"aws:CurrentTime": "2024-06-01T14:00:00+02:00"}),
            true,
        ),
        (
            "date less",
            json!({"DateLessThan": {"aws:CurrentTime": "2024-06-01"}}),
            json!({"aws:CurrentTime": "2023-12-31T23:59:59Z"}),
            true,
        ),
        (
            "date fraction",
            json!({"DateGreaterThan": {"aws:CurrentTime": "2024-06-01T12:00:00Z"}}),
            json!({"aws:CurrentTime": "2024-06-01T12:00:00.500Z"}),
            true,
        ),
        (
            "bool",
            json!({"Bool": {"aws:SecureTransport": "True"}}),
            json!({"aws:SecureTransport": "true"}),
            true,
        ),
        (
            "bool json",
            json!({"Bool": {"aws:SecureTransport": false}}),
            json!({"aws:SecureTransport": "FALSE"}),
            true,
        ),
        (
            "bool unreadable",
            json!({"Bool": {"aws:SecureTransport": "yes"}}),
            json!({"aws:SecureTransport": "yes"}),
            false,
        ),
        (
            "binary",
            json!({"BinaryEquals": {"aws:RequestTag/bin": "aGVsbG8="}}),
            json!({"aws:RequestTag/bin": "aGVsbG8="}),
            true,
        ),
        (
            "binary unreadable",
            json!({"BinaryEquals": {"aws:RequestTag/bin": "%%%"}}),
            json!({"aws:RequestTag/bin": "%%%"}),
            false,
        ),
        (
            "ip v4",
            json!({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
            json!({"aws:SourceIp": "203.0.113.7"}),
            true,
        ),
        (
            "ip bare",
            json!({"IpAddress": {"aws:SourceIp": "203.0.113.8"}}),
            json!({"aws:SourceIp": "203.0.113.7"}),
            false,
        ),
        (
            "ip v6",
            json!({"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}),
            json!({"aws:SourceIp": "2001:db8::1"}),
            true,
        ),
        (
            "ip family",
            json!({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
            json!({"aws:SourceIp": "2001:db8::1"}),
            true,
        ),
        (
            "ip unreadable context",
            json!({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
            json!({"aws:SourceIp": "nope"}),
            false,
        ),
        (
            "arn like",
            json!({"ArnLike": {"aws:SourceArn": "arn:aws:lambda:*:111122223333:function:*"}}),
            json!({"aws:SourceArn": "arn:aws:lambda:us-east-1:111122223333:function:f"}),
            true,
        ),
        (
            "arn segment",
            json!({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::photo*"}}),
            json!({"aws:SourceArn": "arn:aws:s3:::photos"}),
            true,
        ),
        (
            "arn equals honours wildcards",
            json!({"ArnEquals": {"aws:SourceArn": "arn:aws:s3:::*"}}),
            json!({"aws:SourceArn": "arn:aws:s3:::photos"}),
            true,
        ),
        (
            "arn not an arn",
            json!({"ArnNotEquals": {"aws:SourceArn": "arn:aws:s3:::x"}}),
            json!({"aws:SourceArn": "nope"}),
            false,
        ),
        (
            "derived principal arn",
            json!({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:user/${aws:username}"}}),
            json!({}),
            true,
        ),
        (
            "null true",
            json!({"Null": {"aws:SourceIp": "true"}}),
            json!({}),
            true,
        ),
        (
            "null false",
            json!({"Null": {"aws:SourceIp": "false"}}),
            json!({"aws:SourceIp": "1.2.3.4"}),
            true,
        ),
        (
            "null empty list",
            json!({"Null": {"aws:TagKeys": "true"}}),
            json!({"aws:TagKeys": []}),
            true,
        ),
        (
            "derived principal type",
            json!({"StringEquals": {"aws:PrincipalType": "User"}}),
            json!({}),
            true,
        ),
        (
            "context overrides derived",
            json!({"StringEquals": {"aws:username": "alice"}}),
            json!({"aws:username": "bob"}),
            false,
        ),
    ];
    // Regressions pinned by the differential test (/tmp/engine-mismatches/2.json and 3.json).
    cases.push((
        "unreadable base64 never matches",
        json!({"BinaryEquals": {"aws:RequestTag/bin": "%%%"}}),
        json!({"aws:RequestTag/bin": "%%%"}),
        false,
    ));
    cases.push((
        "empty list is multivalued for a plain negated operator",
        json!({"StringNotEquals": {"aws:PrincipalTag/team": "blue"}}),
        json!({"aws:PrincipalTag/team": []}),
        false,
    ));
    for (name, condition, context, expected) in cases {
        check_condition(name, condition, context, expected);
    }
}
