//! `wasmbot test PLUGIN.wasm SCENARIO`: runs a plugin against a scenario (TOML or YAML) with
//! [`crate::scenario`] and prints its report: a line per step, a readable diff under each
//! failed one. Exits non-zero when any step fails.

use std::path::Path;
use std::process::ExitCode;

use crate::scenario::{run, Scenario};

/// Runs `scenario` against `plugin`; prints the report.
pub async fn run_file(plugin: &Path, scenario: &Path) -> anyhow::Result<ExitCode> {
    let parsed = Scenario::load(scenario)?;
    let report = run(plugin, &parsed).await?;
    print!("{}", report.render());
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
