//! The tidy test: what the layout and the style rules promise, checked over the whole tree
//! (every file opens with a `//!` line; no crate depends on what the layering forbids; no
//! error code or HTTP status is written outside the generated code and `wire`'s error module).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The workspace root (this crate lives in `crates/cli`).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Every file under `dir` ending in `extension`, build output and VCS metadata excluded.
fn files(dir: &Path, extension: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if path.is_dir() {
            if !matches!(
                name,
                "target" | ".git" | "node_modules" | "artifacts" | "corpus"
            ) {
                files(&path, extension, out);
            }
        } else if name.ends_with(extension) {
            out.push(path);
        }
    }
}

/// The parts of the tree that hold our Rust code.
const RUST_DIRS: &[&str] = &[
    "crates",
    "codegen",
    "tests/sdk",
    "fuzz",
    "bench",
    "examples",
];

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn every_rust_file_opens_with_a_doc_line() {
    let mut all = Vec::new();
    for dir in RUST_DIRS {
        files(&root().join(dir), ".rs", &mut all);
    }
    assert!(
        all.len() > 100,
        "the tree walk found only {} files",
        all.len()
    );
    let missing: Vec<String> = all
        .iter()
        .filter(|path| !read(path).starts_with("//!"))
        .map(|path| relative(path))
        .collect();
    assert!(
        missing.is_empty(),
        "these files do not start with a `//!` line saying what they are for:\n  {}",
        missing.join("\n  ")
    );
}

/// The dependencies a manifest declares, per section kind: (normal and build, dev).
fn dependencies(manifest: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut normal = BTreeSet::new();
    let mut dev = BTreeSet::new();
    // `None` outside dependency tables; `Some(true)` in a dev-dependencies table.
    let mut section: Option<bool> = None;
    for line in manifest.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            let header = header.trim_end_matches(']').trim_matches('[');
            // `[dependencies]`, `[target.'cfg(..)'.dev-dependencies]`, `[dependencies.foo]`.
            let (table, inline_name) = match header.rsplit_once("dependencies") {
                Some((before, after)) => (format!("{before}dependencies"), after),
                None => (String::new(), ""),
            };
            section = if table.ends_with("dev-dependencies") {
                Some(true)
            } else if table.ends_with("dependencies") {
                Some(false)
            } else {
                None
            };
            if let (Some(is_dev), Some(name)) = (section, inline_name.strip_prefix('.')) {
                let target = if is_dev { &mut dev } else { &mut normal };
                target.insert(name.trim_matches('"').to_owned());
                section = None;
            }
            continue;
        }
        if let (Some(is_dev), Some((name, _))) = (section, line.split_once('=')) {
            let target = if is_dev { &mut dev } else { &mut normal };
            target.insert(name.trim().trim_matches('"').to_owned());
        }
    }
    (normal, dev)
}

/// Our own crates, by package name.
const OURS: &[&str] = &[
    "policy",
    "sigv4",
    "wire",
    "store",
    "service",
    "server",
    "castellan",
    "codegen",
];

/// Which of our crates each manifest may depend on (normal and build dependencies).
const LAYERS: &[(&str, &[&str])] = &[
    ("crates/policy/Cargo.toml", &[]),
    ("crates/sigv4/Cargo.toml", &[]),
    ("crates/wire/Cargo.toml", &[]),
    ("crates/store/Cargo.toml", &["policy"]),
    (
        "crates/service/Cargo.toml",
        &["policy", "sigv4", "store", "wire"],
    ),
    ("crates/server/Cargo.toml", &["service", "sigv4", "wire"]),
    (
        "crates/cli/Cargo.toml",
        &["policy", "sigv4", "wire", "service", "server"],
    ),
    ("codegen/Cargo.toml", &[]),
    ("tests/sdk/Cargo.toml", &[]),
    ("fuzz/Cargo.toml", &["policy", "sigv4", "wire"]),
    ("bench/Cargo.toml", &["policy"]),
];

/// The HTTP stack is the server's: nothing else names it directly.
const HTTP_STACK: &[&str] = &[
    "axum",
    "hyper",
    "hyper-util",
    "tower",
    "tower-http",
    "tower-service",
    "http-body",
    "http-body-util",
];

/// Crates that take minutes to build: only the end-to-end SDK crate may use them.
fn is_heavy_sdk(name: &str) -> bool {
    name.starts_with("aws-sdk-") || name == "aws-config" || name.starts_with("aws-smithy-")
}

#[test]
fn crates_depend_only_on_what_the_layering_allows() {
    let mut manifests = Vec::new();
    files(&root(), "Cargo.toml", &mut manifests);
    let mut problems = Vec::new();
    for path in &manifests {
        let name = relative(path);
        if name == "Cargo.toml" {
            continue;
        }
        let Some((_, allowed)) = LAYERS.iter().find(|(m, _)| *m == name) else {
            problems.push(format!(
                "{name}: a manifest the tidy test does not know; add its layer to LAYERS"
            ));
            continue;
        };
        let (normal, dev) = dependencies(&read(path));
        for dep in &normal {
            if OURS.contains(&dep.as_str()) && !allowed.contains(&dep.as_str()) {
                problems.push(format!(
                    "{name}: depends on `{dep}`, which its layer forbids (allowed: {allowed:?})"
                ));
            }
        }
        for dep in normal.iter().chain(&dev) {
            if HTTP_STACK.contains(&dep.as_str()) && name != "crates/server/Cargo.toml" {
                problems.push(format!(
                    "{name}: depends on `{dep}`; only crates/server knows the HTTP stack"
                ));
            }
            if is_heavy_sdk(dep) && name != "tests/sdk/Cargo.toml" {
                problems.push(format!(
                    "{name}: depends on `{dep}`; the AWS SDK crates belong in tests/sdk only"
                ));
            }
        }
    }
    assert!(
        manifests.len() >= LAYERS.len(),
        "found only {} manifests",
        manifests.len()
    );
    assert!(
        problems.is_empty(),
        "forbidden dependencies:\n  {}",
        problems.join("\n  ")
    );
}

/// The `<Code>` texts of the models and of `wire`'s hand-written errors, read from their
/// `code()` functions.
fn error_codes() -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    for file in [
        "crates/wire/src/generated/iam.rs",
        "crates/wire/src/generated/sts.rs",
        "crates/wire/src/error.rs",
    ] {
        let text = read(&root().join(file));
        let Some(start) = text.find("fn code(self)") else {
            panic!("{file}: no `fn code(self)` to read error codes from");
        };
        let body = &text[start..];
        let end = body[1..].find("\n    pub ").map_or(body.len(), |n| n + 1);
        let mut rest = &body[..end];
        while let Some(open) = rest.find('"') {
            let after = &rest[open + 1..];
            let Some(close) = after.find('"') else { break };
            codes.insert(after[..close].to_owned());
            rest = &after[close + 1..];
        }
    }
    codes
}

/// The non-test source of a file: everything before its first `#[cfg(test)]`.
fn non_test(text: &str) -> &str {
    text.find("#[cfg(test)]").map_or(text, |n| &text[..n])
}

/// Modules declared test-only (`#[cfg(test)] mod name;`) in `text`.
fn test_modules(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    lines
        .windows(2)
        .filter(|pair| pair[0] == "#[cfg(test)]")
        .filter_map(|pair| {
            let declared = pair[1]
                .strip_prefix("mod ")
                .or_else(|| pair[1].strip_prefix("pub(crate) mod "))?;
            Some(declared.strip_suffix(';')?.to_owned())
        })
        .collect()
}

/// The code of a line without its comment and with string literals blanked out (for the
/// status check), and the string literals it holds (for the code check).
fn split_line(line: &str) -> (String, Vec<String>) {
    let mut code = String::new();
    let mut literals = Vec::new();
    let mut chars = line.chars().peekable();
    let mut literal: Option<String> = None;
    while let Some(c) = chars.next() {
        match &mut literal {
            Some(text) => match c {
                '\\' => {
                    chars.next();
                }
                '"' => {
                    literals.push(std::mem::take(text));
                    literal = None;
                    code.push('"');
                }
                _ => text.push(c),
            },
            None => match c {
                '/' if chars.peek() == Some(&'/') => break,
                '"' => {
                    literal = Some(String::new());
                    code.push('"');
                }
                '\'' => {
                    // A char literal such as '"' must not open a string.
                    code.push(c);
                    let mut look = chars.clone();
                    if let (Some(inner), Some('\'')) = (look.next(), look.next()) {
                        code.push(inner);
                        code.push('\'');
                        chars.next();
                        chars.next();
                    }
                }
                _ => code.push(c),
            },
        }
    }
    (code, literals)
}

/// Integer literals of the code that read as HTTP error statuses (400 to 599).
fn statuses(code: &str) -> Vec<u32> {
    let mut found = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !(bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_');
        if bytes[i].is_ascii_digit() && starts_word {
            let mut j = i;
            while j < bytes.len() && (bytes[j].is_alphanumeric() || bytes[j] == '_') {
                j += 1;
            }
            let token: String = bytes[i..j].iter().collect();
            if let Ok(n) = token.trim_end_matches("u16").parse::<u32>()
                && (400..600).contains(&n)
            {
                found.push(n);
            }
            i = j;
        } else {
            i += 1;
        }
    }
    found
}

/// Literals written before this test existed, in a file outside this change; each entry
/// names the file and the literal, so that no other one slips in beside it.
const KNOWN: &[(&str, &str)] = &[];

#[test]
fn no_error_code_or_status_is_written_outside_the_wire_crate() {
    let codes = error_codes();
    for expected in ["NoSuchEntity", "ExpiredTokenException", "NotImplemented"] {
        assert!(codes.contains(expected), "error codes read: {codes:?}");
    }
    let mut sources = Vec::new();
    for dir in ["crates/service/src", "crates/server/src", "crates/cli/src"] {
        files(&root().join(dir), ".rs", &mut sources);
    }
    let texts: Vec<(PathBuf, String)> = sources.iter().map(|p| (p.clone(), read(p))).collect();
    let test_only: BTreeSet<PathBuf> = texts
        .iter()
        .flat_map(|(path, text)| {
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            test_modules(text).into_iter().flat_map(move |name| {
                [
                    dir.join(format!("{name}.rs")),
                    dir.join(&name).join("mod.rs"),
                ]
            })
        })
        .collect();
    let mut problems = Vec::new();
    for (path, text) in &texts {
        if test_only.contains(path) {
            continue;
        }
        let name = relative(path);
        for (number, line) in non_test(text).lines().enumerate() {
            let (code, literals) = split_line(line);
            let mut found: Vec<String> = literals
                .iter()
                .filter(|l| codes.contains(*l))
                .map(|l| format!("\"{l}\""))
                .collect();
            found.extend(statuses(&code).iter().map(u32::to_string));
            found.extend(
                literals
                    .iter()
                    .flat_map(|l| statuses(l))
                    .filter(|_| line.contains("HTTP/1.1"))
                    .map(|n| n.to_string()),
            );
            for literal in found {
                if !KNOWN.contains(&(name.as_str(), literal.as_str())) {
                    problems.push(format!("{name}:{}: {literal}", number + 1));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "error codes and statuses come from `wire` (generated `iam::Error`/`sts::Error`, or \
         `CommonError`); these are written by hand:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn the_literal_scanner_sees_codes_statuses_and_skips_comments() {
    let (code, literals) =
        split_line(r#"fail("NoSuchEntity", 404, '"', "a \" b") // "AccessDenied" 403"#);
    assert_eq!(literals, ["NoSuchEntity", "a  b"]);
    assert_eq!(statuses(&code), [404]);
    assert_eq!(statuses("x4040 + 404u16 + 1_403 + 200"), [404]);
    assert_eq!(
        test_modules("#[cfg(test)]\nmod arn_walk;\nmod users;"),
        ["arn_walk"]
    );
    let (normal, dev) = dependencies(
        "[package]\nname = \"x\"\n[dependencies]\nwire = { path = \"../wire\" }\n\
         [dependencies.store]\npath = \"../store\"\n[dev-dependencies]\naxum = \"0.8\"\n\
         [[bench]]\nname = \"b\"\n",
    );
    assert_eq!(
        (
            normal.into_iter().collect::<Vec<_>>(),
            dev.into_iter().collect::<Vec<_>>()
        ),
        (
            vec!["store".to_owned(), "wire".to_owned()],
            vec!["axum".to_owned()]
        )
    );
}
