//! Data-driven scenario corpus: every `tests/scenarios/**/*.json` file states one AWS IAM rule
//! as a request plus the decision AWS reaches, and the engine must reach the same decision.
#![allow(clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The corpus must hold at least this many files.
const MIN_FILES: usize = 150;
/// Each of the three decisions must be expected at least this many times.
const MIN_PER_DECISION: usize = 20;
/// The decisions a corpus file may expect, as `Decision::as_str` spells them.
const DECISIONS: [&str; 3] = ["Allow", "ExplicitDeny", "ImplicitDeny"];
/// The keys every corpus file has, and no others.
const REQUIRED_KEYS: [&str; 4] = ["description", "source", "expect", "scenario"];

/// The directory holding the corpus.
fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("scenarios")
}

/// Every `.json` file under `dir`, recursively, in sorted order.
fn collect_json(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_json(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "json") {
            out.push(path);
        }
    }
}

/// One corpus file: its path relative to the corpus root and its parsed content.
struct CorpusFile {
    name: String,
    doc: serde_json::Value,
}

/// Reads and parses every corpus file; a file that is not JSON is a test failure.
fn load_corpus() -> Vec<CorpusFile> {
    let root = corpus_root();
    let mut paths = Vec::new();
    collect_json(&root, &mut paths);
    paths
        .into_iter()
        .map(|path| {
            let name = path
                .strip_prefix(&root)
                .unwrap_or(&path)
                .display()
                .to_string();
            let text =
                fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {name}: {e}"));
            let doc = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{name} is not valid JSON: {e}"));
            CorpusFile { name, doc }
        })
        .collect()
}

/// Asserts the corpus is large and balanced enough that passing it means something.
fn assert_corpus_size(files: &[CorpusFile]) {
    assert!(
        files.len() >= MIN_FILES,
        "the corpus holds {} files, expected at least {MIN_FILES}",
        files.len()
    );
    let mut counts: BTreeMap<&str, usize> = DECISIONS.iter().map(|d| (*d, 0)).collect();
    for file in files {
        if let Some(count) = file
            .doc
            .get("expect")
            .and_then(serde_json::Value::as_str)
            .and_then(|e| counts.get_mut(e))
        {
            *count += 1;
        }
    }
    for (decision, count) in &counts {
        assert!(
            *count >= MIN_PER_DECISION,
            "only {count} corpus files expect {decision}, expected at least {MIN_PER_DECISION}"
        );
    }
}

#[test]
fn corpus_files_are_well_formed() {
    let files = load_corpus();
    let mut problems = Vec::new();
    for file in &files {
        let Some(obj) = file.doc.as_object() else {
            problems.push(format!("{}: top level is not an object", file.name));
            continue;
        };
        for key in REQUIRED_KEYS {
            if !obj.contains_key(key) {
                problems.push(format!("{}: missing key {key:?}", file.name));
            }
        }
        for key in obj.keys() {
            if !REQUIRED_KEYS.contains(&key.as_str()) {
                problems.push(format!("{}: unexpected key {key:?}", file.name));
            }
        }
        for key in ["description", "source"] {
            let ok = obj
                .get(key)
                .and_then(serde_json::Value::as_str)
                .is_some_and(|s| !s.trim().is_empty());
            if !ok {
                problems.push(format!("{}: {key:?} must be a non-empty string", file.name));
            }
        }
        let expect = obj.get("expect").and_then(serde_json::Value::as_str);
        if !expect.is_some_and(|e| DECISIONS.contains(&e)) {
            problems.push(format!(
                "{}: \"expect\" must be one of {DECISIONS:?}, found {:?}",
                file.name,
                obj.get("expect")
            ));
        }
        match obj.get("scenario").and_then(serde_json::Value::as_object) {
            None => problems.push(format!("{}: \"scenario\" must be an object", file.name)),
            Some(scenario) => {
                for key in ["principal", "action"] {
                    if scenario
                        .get(key)
                        .and_then(serde_json::Value::as_str)
                        .is_none()
                    {
                        problems.push(format!("{}: scenario.{key} must be a string", file.name));
                    }
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} malformed corpus file(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert_corpus_size(&files);
}

#[test]
fn corpus_decisions_match_aws() {
    let files = load_corpus();
    assert_corpus_size(&files);
    let mut failures = Vec::new();
    for file in &files {
        let expected = file
            .doc
            .get("expect")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("<missing>");
        let Some(scenario) = file.doc.get("scenario") else {
            failures.push(format!("{}: no scenario", file.name));
            continue;
        };
        let scenario_text = scenario.to_string();
        match policy::evaluate_scenario(&scenario_text) {
            Ok(outcome) => {
                let got = outcome.decision.as_str();
                if got != expected {
                    failures.push(format!(
                        "{}: expected {expected}, got {got}\n    message: {}",
                        file.name, outcome.message
                    ));
                }
            }
            Err(err) => failures.push(format!(
                "{}: expected {expected}, got an error\n    message: {err}",
                file.name
            )),
        }
    }
    for failure in &failures {
        eprintln!("{failure}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus scenarios disagree with the expected decision:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
