//! `wasmbot build [DIR]`: builds a plugin project of any language to a component and prints
//! the `.wasm` file's path as the last line of its output (the toolchain's own output goes to
//! stderr), so scripts can `cp "$(wasmbot build hello | tail -n1)" plugins/`.
//!
//! The language comes from `wasmbot.toml` (`lang = "python" | "js" | "ts"`), else from the
//! files present (`Cargo.toml`: Rust). Python and JS/TS builds use the WIT and the SDK that
//! this binary embeds ([`embedded`]), written under `DIR/build/`, so a project needs nothing
//! of the wasmbot repository and always targets the WIT the daemon serves.

mod embedded;
mod js;
mod project;
mod python;
mod rust;
mod tool;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub use project::{Lang, Project};
pub use python::COMPONENTIZE_PY;

/// Builds the project in `dir` and prints the component's path last.
pub fn run(dir: &Path) -> anyhow::Result<ExitCode> {
    let wasm = build(dir)?;
    println!("{}", wasm.display());
    Ok(ExitCode::SUCCESS)
}

/// Builds the project in `dir`; returns the built component's path.
pub fn build(dir: &Path) -> anyhow::Result<PathBuf> {
    let project = Project::detect(dir)?;
    eprintln!(
        "building {} ({}) in {}",
        project.name,
        project.lang.name(),
        project.dir.display()
    );
    match project.lang {
        Lang::Rust => rust::build(&project),
        Lang::Python => python::build(&project),
        Lang::Js | Lang::Ts => js::build(&project),
    }
}
