//! Replays a fuzz target's committed inputs in `cargo test`: its corpus (`fuzz/seeds/<target>/`)
//! and the inputs of crashes once found (`fuzz/regressions/<target>/`), so that every crash
//! found stays a regression test of the crate it hit.

use std::path::Path;

/// Runs every committed input of `target` through `run`; returns how many ran.
pub fn replay(target: &str, run: fn(&[u8])) -> usize {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut count = 0;
    for folder in ["seeds", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(folder).join(target)) else {
            continue;
        };
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            if let Ok(data) = std::fs::read(&path) {
                run(&data);
                count += 1;
            }
        }
    }
    count
}
