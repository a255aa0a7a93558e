//! JavaScript and TypeScript plugins: esbuild bundles the entry with the embedded SDK (imported
//! as `wasmbot`) into one ES module, componentize-js makes it a component against the embedded
//! WIT's `described-plugin` world.
//!
//! The tools come from a `node_modules` folder: `$WASMBOT_JS_TOOLCHAIN/node_modules` when set
//! (the repository's tests point it at `guest-sdk/js`, installed by `npm ci`), else the
//! project's own, installed with `npm install` from its pinned `package.json` when missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::bail;

use super::embedded::{materialize_sdk, materialize_wit, Sdk};
use super::project::Project;
use super::tool;

/// The versions the SDK is written and tested against (as in `guest-sdk/js/package.json`).
pub const COMPONENTIZE_JS: &str = "0.23.0";
pub const ESBUILD: &str = "0.28.2";

/// How to get the tools.
pub fn install_hint() -> String {
    format!(
        "run `npm install --save-dev --save-exact @bytecodealliance/componentize-js@{COMPONENTIZE_JS} \
         @bytecodealliance/preview2-shim@0.25.0 esbuild@{ESBUILD}` in the project \
         (Node.js 20 or later: https://nodejs.org)"
    )
}

/// Builds `build/NAME.wasm` from the project's entry file.
pub fn build(project: &Project) -> anyhow::Result<PathBuf> {
    let bin = toolchain(project)?;
    let build = project.build_dir();
    let wit = build.join("wit");
    let sdk = build.join("sdk");
    materialize_wit(&wit)?;
    materialize_sdk(Sdk::Js, &sdk)?;
    let bundle = build.join("bundle.js");
    let entry = project
        .entry
        .clone()
        .unwrap_or_else(|| "src/plugin.js".into());
    let mut esbuild = Command::new(bin.join("esbuild"));
    esbuild
        .current_dir(&project.dir)
        .arg(&entry)
        .args([
            "--bundle",
            "--format=esm",
            "--platform=neutral",
            "--log-level=warning",
        ])
        .arg(format!(
            "--alias:wasmbot={}",
            sdk.join("index.ts").display()
        ))
        .args(["--external:wasmbot:*", "--external:wasi:*"])
        .arg(format!("--outfile={}", bundle.display()));
    tool::run(esbuild, &install_hint())?;
    let output = project.output();
    let mut componentize = Command::new(bin.join("componentize-js"));
    componentize
        .current_dir(&project.dir)
        .arg(&bundle)
        .arg("--wit")
        .arg(&wit)
        .args(["--world-name", "described-plugin", "--out"])
        .arg(&output);
    tool::run(componentize, &install_hint())?;
    tool::require(
        &output,
        "componentize-js reported success but wrote no component",
    )?;
    Ok(output)
}

/// The `node_modules/.bin` folder holding esbuild and componentize-js.
fn toolchain(project: &Project) -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("WASMBOT_JS_TOOLCHAIN") {
        // Absolute: the tools run in the project's folder.
        let dir = std::path::absolute(&dir)?;
        let bin = dir.join("node_modules").join(".bin");
        return check(&bin, "WASMBOT_JS_TOOLCHAIN");
    }
    let bin = project.dir.join("node_modules").join(".bin");
    if !bin.join("componentize-js").exists() && project.dir.join("package.json").exists() {
        eprintln!("installing the project's JS toolchain (npm install)");
        let mut npm = Command::new("npm");
        npm.current_dir(&project.dir)
            .args(["install", "--no-audit", "--no-fund"]);
        tool::run(
            npm,
            "install Node.js 20 or later (with npm): https://nodejs.org",
        )?;
    }
    check(&bin, "the project")
}

fn check(bin: &Path, whose: &str) -> anyhow::Result<PathBuf> {
    for tool in ["esbuild", "componentize-js"] {
        if !bin.join(tool).exists() {
            bail!(
                "{tool} is not installed in {} ({whose}): {}",
                bin.display(),
                install_hint()
            );
        }
    }
    Ok(bin.to_path_buf())
}
