//! Random form parameters, built from the models' own member names so that they reach deep
//! into every operation's decoder, never make decoding panic or take long.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use wire::{QueryParams, iam, sts};

#[expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test helper: an unreadable model fails the test"
)]
fn vocabulary() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/aws-models");
    let mut words = BTreeSet::new();
    for file in ["iam-2010-05-08.service.json", "sts-2011-06-15.service.json"] {
        let text = std::fs::read_to_string(format!("{dir}/{file}")).unwrap();
        let model: serde_json::Value = serde_json::from_str(&text).unwrap();
        for shape in model["shapes"].as_object().unwrap().values() {
            if let Some(members) = shape.get("members").and_then(|m| m.as_object()) {
                words.extend(members.keys().cloned());
            }
        }
    }
    for w in [
        "member",
        "entry",
        "key",
        "value",
        "0",
        "1",
        "2",
        "3",
        "01",
        "-1",
        "99999999999",
        "",
    ] {
        words.insert(w.to_owned());
    }
    words.into_iter().collect()
}

fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    let words = vocabulary();
    let segment = prop_oneof![
        4 => proptest::sample::select(words),
        1 => "[a-zA-Z0-9.]{0,6}",
    ];
    let key = proptest::collection::vec(segment, 1..6).prop_map(|s| s.join("."));
    let value = prop_oneof![
        "[ -~]{0,20}",
        "\\PC{0,10}",
        Just("true".to_owned()),
        Just("2026-11-22T10:00:00Z".to_owned()),
        "-?[0-9]{1,12}",
        Just(String::new()),
    ];
    proptest::collection::vec((key, value), 0..40)
}

/// The fuzzing target is 100 ms per input in an optimised build; unoptimised test builds run
/// the same code several times slower.
const PER_OP_BUDGET: Duration =
    Duration::from_millis(if cfg!(debug_assertions) { 1000 } else { 100 });

fn decode_all(params: &QueryParams) {
    for op in iam::Operation::ALL {
        let start = Instant::now();
        let _ = op.decode(params);
        let took = start.elapsed();
        assert!(took < PER_OP_BUDGET, "{op:?} took {took:?}");
    }
    for op in sts::Operation::ALL {
        let _ = op.decode(params);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn decoding_never_panics(pairs in pairs()) {
        let params = QueryParams::from_pairs(pairs);
        decode_all(&params);
    }
}

#[test]
fn hostile_shapes() {
    // Very deep keys, huge indexes, long values against every pattern, and many list items.
    let deep = vec!["Tags"; 100_000].join(".");
    let long = "a/".repeat(100_000);
    let mut pairs = vec![
        (deep, "x".to_owned()),
        ("Tags.member.4294967296.Key".to_owned(), "k".to_owned()),
        (
            "Tags.member.18446744073709551616.Key".to_owned(),
            "k".to_owned(),
        ),
    ];
    for word in vocabulary() {
        pairs.push((word, long.clone()));
    }
    for i in 1..=5000 {
        pairs.push((format!("Tags.member.{i}.Key"), "k".to_owned()));
    }
    let params = QueryParams::from_pairs(pairs);
    let start = Instant::now();
    decode_all(&params);
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}
