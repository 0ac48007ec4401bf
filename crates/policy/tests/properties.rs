//! Metamorphic properties of policy evaluation on random scenarios: explicit deny wins,
//! adding an Allow never removes access, adding a Deny never adds access, and the order of
//! statements and policies never matters. Each property is checked on the engine and, as a
//! cross-check of the test itself, on the reference evaluator.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code: clippy.toml allows these in #[test] functions, and the helpers and \
              the reference evaluator of this test crate are test code too"
)]

#[allow(
    dead_code,
    reason = "the differential test uses parts of the module this file does not"
)]
mod reference;

use reference::generate::{Generator, Kind, has_variable, policies_mut, statements_mut};
use serde_json::{Value, json};

const CASES: u64 = 5_000;

/// Both evaluators' decisions; an engine error or a reference error fails the test.
fn decisions(scenario: &Value) -> [&'static str; 2] {
    let engine = policy::evaluate_scenario(&scenario.to_string())
        .map(|o| o.decision.as_str())
        .unwrap_or_else(|e| panic!("engine rejected the scenario: {e}\n{scenario:#}"));
    let reference = reference::decide(scenario)
        .unwrap_or_else(|e| panic!("reference rejected the scenario: {e}\n{scenario:#}"));
    [engine, reference]
}

/// Allow > ImplicitDeny > ExplicitDeny: adding an Allow may only move up, a Deny only down.
fn rank(decision: &str) -> u8 {
    match decision {
        "Allow" => 2,
        "ImplicitDeny" => 1,
        _ => 0,
    }
}

fn is_identity_side(scenario: &Value) -> bool {
    let p = scenario["principal"].as_str().unwrap_or_default();
    p.starts_with("arn:") && !p.ends_with(":root")
}

/// Adds `statement` (made for the policy's kind by `make`) to one random policy of the
/// scenario; an identity-side principal may instead get a new identity policy. Only existing
/// policies are extended: creating a boundary, session policy or guardrail level would
/// restrict access rather than add a statement.
fn add_statement(g: &mut Generator, scenario: &mut Value, effect: &str) -> bool {
    let identity_side = is_identity_side(scenario);
    let count = policies_mut(scenario).len();
    let Some(choices) = Some(count + usize::from(identity_side)).filter(|n| *n > 0) else {
        return false;
    };
    let choice = g.rng.below(choices);
    if choice == count {
        let policy = json!({"Version": "2012-10-17", "Statement": [g.statement_with(Kind::Identity, effect)]});
        match scenario
            .get_mut("identity_policies")
            .and_then(Value::as_array_mut)
        {
            Some(list) => list.push(policy),
            None => scenario["identity_policies"] = json!([policy]),
        }
        return true;
    }
    let mut policies = policies_mut(scenario);
    let Some((kind, policy)) = policies.get_mut(choice) else {
        return false;
    };
    // Variables are rejected under the 2008 version; draw until the statement has none.
    let old_version = policy["Version"] != "2012-10-17";
    let statement = loop {
        let statement = g.statement_with(*kind, effect);
        if !old_version || !has_variable(&statement) {
            break statement;
        }
    };
    statements_mut(policy).push(statement);
    true
}

fn for_cases(seed: u64, mut body: impl FnMut(&mut Generator, Value)) {
    for case in 0..CASES {
        let mut g = Generator::new(seed.wrapping_mul(7_919).wrapping_add(case));
        let scenario = g.scenario();
        body(&mut g, scenario);
    }
}

#[test]
fn explicit_deny_always_wins() {
    let mut checked = 0;
    for_cases(1, |g, mut scenario| {
        if !is_identity_side(&scenario) || scenario["action"] == "sts:GetCallerIdentity" {
            return;
        }
        let deny = json!({"Effect": "Deny", "Action": "*", "Resource": "*"});
        let policies = scenario
            .get_mut("identity_policies")
            .and_then(Value::as_array_mut);
        match policies {
            Some(list) if !list.is_empty() => {
                let i = g.rng.below(list.len());
                statements_mut(&mut list[i]).push(deny);
            }
            _ => {
                scenario["identity_policies"] =
                    json!([{"Version": "2012-10-17", "Statement": [deny]}])
            }
        }
        for d in decisions(&scenario) {
            assert_eq!(d, "ExplicitDeny", "deny-all did not win\n{scenario:#}");
        }
        checked += 1;
    });
    assert!(
        checked > CASES / 3,
        "only {checked} cases had an identity-side principal"
    );
}

#[test]
fn adding_an_allow_never_removes_access() {
    let mut allowed = 0;
    for_cases(2, |g, scenario| {
        let before = decisions(&scenario);
        let mut after_scenario = scenario.clone();
        if !add_statement(g, &mut after_scenario, "Allow") {
            return;
        }
        let after = decisions(&after_scenario);
        for (b, a) in before.iter().zip(after) {
            assert!(
                rank(a) >= rank(b),
                "adding an Allow moved {b} to {a}\nbefore:\n{scenario:#}\nafter:\n{after_scenario:#}"
            );
        }
        allowed += usize::from(before[0] == "Allow");
    });
    assert!(allowed > 250, "only {allowed} Allow cases were tested");
}

#[test]
fn adding_a_deny_never_adds_access() {
    let mut denied = 0;
    for_cases(3, |g, scenario| {
        let before = decisions(&scenario);
        let mut after_scenario = scenario.clone();
        if !add_statement(g, &mut after_scenario, "Deny") {
            return;
        }
        let after = decisions(&after_scenario);
        for (b, a) in before.iter().zip(after) {
            assert!(
                rank(a) <= rank(b),
                "adding a Deny moved {b} to {a}\nbefore:\n{scenario:#}\nafter:\n{after_scenario:#}"
            );
        }
        denied += usize::from(before[0] != "Allow");
    });
    assert!(denied > 250, "only {denied} non-Allow cases were tested");
}

#[test]
fn order_of_statements_and_policies_never_matters() {
    for_cases(4, |g, scenario| {
        let before = decisions(&scenario);
        let mut shuffled = scenario.clone();
        for (_, policy) in policies_mut(&mut shuffled) {
            g.rng.shuffle(statements_mut(policy));
        }
        if let Some(list) = shuffled
            .get_mut("identity_policies")
            .and_then(Value::as_array_mut)
        {
            g.rng.shuffle(list);
        }
        for chain in ["service_control_policies", "resource_control_policies"] {
            if let Some(levels) = shuffled.get_mut(chain).and_then(Value::as_array_mut) {
                g.rng.shuffle(levels);
                for level in levels.iter_mut().filter_map(Value::as_array_mut) {
                    g.rng.shuffle(level);
                }
            }
        }
        let after = decisions(&shuffled);
        assert_eq!(
            before, after,
            "reordering changed the decision\nbefore:\n{scenario:#}\nafter:\n{shuffled:#}"
        );
    });
}
