//! Python plugins: componentize-py (pinned) against the embedded WIT's `described-plugin`
//! world, with the embedded `wasmbot` package on the Python path.

use std::process::Command;

use super::embedded::{materialize_sdk, materialize_wit, Sdk};
use super::project::Project;
use super::tool;

/// The componentize-py version the SDK is written and tested against.
pub const COMPONENTIZE_PY: &str = "0.25.1";

/// How to install it.
pub fn install_hint() -> String {
    format!("install it with `pip install componentize-py=={COMPONENTIZE_PY}`")
}

/// Builds `build/NAME.wasm` from the project's entry module.
pub fn build(project: &Project) -> anyhow::Result<std::path::PathBuf> {
    let build = project.build_dir();
    let wit = build.join("wit");
    let sdk = build.join("python");
    materialize_wit(&wit)?;
    materialize_sdk(Sdk::Python, &sdk)?;
    let entry = project.entry.clone().unwrap_or_else(|| "app.py".into());
    let module = entry
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "app".into());
    let module_dir = project
        .dir
        .join(entry.parent().unwrap_or(std::path::Path::new("")));
    let output = project.output();
    let mut command = Command::new("componentize-py");
    command
        .current_dir(&project.dir)
        .arg("-d")
        .arg(&wit)
        .args(["-w", "described-plugin", "componentize"])
        .arg("-p")
        .arg(&module_dir)
        .arg("-p")
        .arg(&sdk)
        .arg(&module)
        .arg("-o")
        .arg(&output);
    tool::run(command, &install_hint())?;
    tool::require(
        &output,
        "componentize-py reported success but wrote no component",
    )?;
    Ok(output)
}
