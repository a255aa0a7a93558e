//! Rust plugins: `cargo build --release --target wasm32-wasip2` in the project's folder; the
//! component is the `.wasm` artifact cargo reports (in the workspace's target folder when the
//! project is a workspace member).

use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{bail, Context};

use super::project::Project;
use super::tool;

const TARGET: &str = "wasm32-wasip2";

/// Builds the crate in `project.dir`; returns the `.wasm` cargo wrote.
pub fn build(project: &Project) -> anyhow::Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(&cargo);
    command
        .current_dir(&project.dir)
        .args(["build", "--release", "--target", TARGET])
        .args(["--message-format", "json-render-diagnostics"])
        .stdout(Stdio::piped());
    eprintln!("$ {}", tool::describe(&command));
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "cargo is not installed: install Rust with rustup (https://rustup.rs), then \
             `rustup target add {TARGET}`"
        ),
        Err(e) => return Err(e).context("cannot run cargo"),
    };
    let mut wasm = None;
    if let Some(stdout) = child.stdout.take() {
        for line in std::io::BufReader::new(stdout).lines() {
            wasm = artifact(&line.context("reading cargo's output")?).or(wasm);
        }
    }
    let status = child.wait().context("waiting for cargo")?;
    if !status.success() {
        bail!(
            "cargo build failed ({status}); its errors are above (a missing target: \
             `rustup target add {TARGET}`)"
        );
    }
    wasm.ok_or_else(|| anyhow::anyhow!("cargo built no .wasm: is the crate type `cdylib`?"))
}

/// The `.wasm` file named by one line of cargo's JSON messages, if it names one.
fn artifact(line: &str) -> Option<PathBuf> {
    let message: serde_json::Value = serde_json::from_str(line).ok()?;
    if message["reason"] != "compiler-artifact" {
        return None;
    }
    message["filenames"]
        .as_array()?
        .iter()
        .filter_map(|f| f.as_str())
        .find(|f| f.ends_with(".wasm"))
        .map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_wasm_artifact() {
        let line = r#"{"reason":"compiler-artifact","filenames":["/t/a.d","/t/hello.wasm"]}"#;
        assert_eq!(artifact(line), Some(PathBuf::from("/t/hello.wasm")));
        assert_eq!(artifact(r#"{"reason":"build-finished"}"#), None);
        assert_eq!(artifact("not json"), None);
    }
}
