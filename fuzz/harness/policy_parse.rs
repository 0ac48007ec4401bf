//! What the `policy_parse` fuzz target does with one input: policy text parsed, validated,
//! compiled and evaluated for every policy kind, and the scenario reader. Shared by the target
//! and by `crates/policy/tests/fuzz_corpus.rs`, which replays the committed inputs.

use policy::{Context, ContextValue, Policies, Policy, PolicyKind, PolicySet, Principal, Request};

/// Runs one input; nothing may panic.
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = policy::evaluate_scenario(text);
    let alice = Principal::parse("arn:aws:iam::111122223333:user/alice").ok();
    let context = Context::from_pairs([
        (
            "aws:username".to_owned(),
            ContextValue::Single("alice".to_owned()),
        ),
        (
            "aws:SourceIp".to_owned(),
            ContextValue::Single("203.0.113.7".to_owned()),
        ),
        (
            "aws:TagKeys".to_owned(),
            ContextValue::Multi(vec!["a".to_owned(), "b".to_owned()]),
        ),
        (
            "aws:CurrentTime".to_owned(),
            ContextValue::Single("2026-11-23T00:00:00Z".to_owned()),
        ),
    ]);
    for kind in PolicyKind::ALL {
        let Ok(policy) = Policy::parse(text, kind) else {
            continue;
        };
        let set = PolicySet::new([("fuzz".to_owned(), &policy)]);
        if let Some(alice) = &alice {
            let request = Request {
                principal: alice,
                action: "s3:GetObject",
                resource: "arn:aws:s3:::bucket/alice/key",
                resource_account: None,
                context: &context,
            };
            let policies = match kind {
                PolicyKind::Resource | PolicyKind::Trust => Policies {
                    resource: Some(&set),
                    ..Policies::default()
                },
                _ => Policies {
                    identity: Some(&set),
                    ..Policies::default()
                },
            };
            let _ = policy::explain(&request, &policies);
        }
    }
}
