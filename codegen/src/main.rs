//! `codegen [MODELS_DIR [OUT_DIR]] [--check]`: writes `crates/wire/src/generated/{access,iam,organizations,sts,unicode}.rs`
//! from the AWS models (default `data/aws-models/` in the workspace) and `data/iam-sts-actions.json`. With
//! `--check`, writes nothing and fails if the committed files differ (the CI diff check).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

fn main() -> Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let check = args.iter().any(|a| a == "--check");
    args.retain(|a| a != "--check");
    // The workspace root, wherever the binary is run from.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut positional = args.into_iter();
    let models = positional
        .next()
        .map_or_else(|| root.join("data/aws-models"), PathBuf::from);
    let out_dir = positional
        .next()
        .map_or_else(|| root.join("crates/wire/src/generated"), PathBuf::from);
    let actions = root.join("data").join(codegen::ACTIONS_FILE);
    let files = codegen::generate(&models, &actions, &root)?;
    let mut stale = Vec::new();
    for f in &files {
        let path = out_dir.join(&f.name);
        if check {
            let current = std::fs::read_to_string(&path).unwrap_or_default();
            if current != f.contents {
                stale.push(path.display().to_string());
            }
        } else {
            std::fs::write(&path, &f.contents)
                .with_context(|| format!("writing {}", path.display()))?;
            println!(
                "wrote {} ({} lines)",
                path.display(),
                f.contents.lines().count()
            );
        }
    }
    if !stale.is_empty() {
        bail!(
            "generated files are stale (run `cargo run -p codegen`): {}",
            stale.join(", ")
        );
    }
    Ok(())
}
