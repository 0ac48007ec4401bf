//! Fuzz target: policy parsing, validation, compilation and evaluation, and the scenario
//! reader, on arbitrary bytes. Nothing may panic, and nothing may take long.

#![no_main]

use libfuzzer_sys::fuzz_target;
use policy::{Context, ContextValue, Policies, Policy, PolicyKind, PolicySet, Principal, Request};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = policy::evaluate_scenario(text);
    let alice = Principal::parse("arn:aws:iam::111122223333:user/alice").ok();
    let context = Context::from_pairs([
        ("aws:username".to_owned(), ContextValue::Single("alice".to_owned())),
        ("aws:SourceIp".to_owned(), ContextValue::Single("203.0.113.7".to_owned())),
        ("aws:TagKeys".to_owned(), ContextValue::Multi(vec!["a".to_owned(), "b".to_owned()])),
        ("aws:CurrentTime".to_owned(), ContextValue::Single("2026-11-23T00:00:00Z".to_owned())),
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
});
