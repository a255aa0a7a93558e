//! `wasmbot test PLUGIN.wasm SCENARIO.toml`: runs one plugin in the real daemon (the runtime,
//! router, store and outbox, on the built-in `sim` platform, loopback only, an in-memory store)
//! against a scenario's scripted events, and checks the replies, sends, reactions, kv values
//! and pending timers after each step. Prints a readable diff per failed step; exits non-zero
//! when any step fails. The format is the same for plugins of every language.

mod format;
mod runner;

use std::path::Path;
use std::process::ExitCode;

use format::Scenario;
use runner::run_scenario;

/// Runs `scenario` against `plugin`; prints each step's result.
pub async fn run(plugin: &Path, scenario: &Path) -> anyhow::Result<ExitCode> {
    let parsed = Scenario::load(scenario)?;
    println!("scenario: {} ({} steps)", parsed.name, parsed.steps.len());
    let reports = run_scenario(plugin, &parsed).await?;
    let failed = reports.iter().filter(|r| !r.diff.is_empty()).count();
    for report in &reports {
        if report.diff.is_empty() {
            println!("ok    step {}: {}", report.index, report.title);
        } else {
            println!("FAIL  step {}: {}", report.index, report.title);
            for line in &report.diff {
                println!("      {line}");
            }
        }
    }
    if failed > 0 {
        println!("{failed} of {} steps failed", reports.len());
        return Ok(ExitCode::FAILURE);
    }
    println!("all {} steps passed", reports.len());
    Ok(ExitCode::SUCCESS)
}
