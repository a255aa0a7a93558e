//! The test harness for plugin authors, in every language: a plugin (`.wasm`) runs in the real
//! daemon (runtime, router, store and outbox, on the built-in `sim` platform, loopback only,
//! an in-memory store) against a scenario's scripted events, its HTTP answered by the
//! scenario's stubs, and each step's replies, sends, edits, reactions, kv values, pending
//! timers and HTTP calls are checked. `wasmbot test` prints the [`Report`]; Rust authors call
//! [`run_file_blocking`] from `cargo test`:
//!
//! ```no_run
//! let report = wasmbot::scenario::run_file_blocking(
//!     "target/wasm32-wasip2/release/hello.wasm".as_ref(),
//!     "tests/hello.toml".as_ref(),
//! )
//! .expect("the scenario ran");
//! assert!(report.passed(), "{}", report.render());
//! ```

mod compare;
mod format;
mod runner;
mod stubs;

use std::path::Path;

pub use format::{Expect, Scenario, ScenarioError, Step, Stub};
pub use stubs::HttpCall;

/// The outcome of a whole scenario.
#[derive(Debug, Clone)]
pub struct Report {
    pub name: String,
    pub steps: Vec<StepReport>,
}

/// The outcome of one step: an empty `diff` when it passed.
#[derive(Debug, Clone)]
pub struct StepReport {
    /// 1-based, as the report prints it.
    pub index: usize,
    pub title: String,
    /// `-` expected, `+` what the plugin did; one line per difference.
    pub diff: Vec<String>,
}

impl StepReport {
    pub fn passed(&self) -> bool {
        self.diff.is_empty()
    }
}

impl Report {
    /// Whether every step passed.
    pub fn passed(&self) -> bool {
        self.steps.iter().all(StepReport::passed)
    }

    /// The steps that failed.
    pub fn failures(&self) -> impl Iterator<Item = &StepReport> {
        self.steps.iter().filter(|s| !s.passed())
    }

    /// The report as `wasmbot test` prints it: a line per step, the diff under each failed
    /// one, and a summary.
    pub fn render(&self) -> String {
        let mut out = format!("scenario: {} ({} steps)\n", self.name, self.steps.len());
        for step in &self.steps {
            let mark = if step.passed() { "ok  " } else { "FAIL" };
            out.push_str(&format!("{mark}  step {}: {}\n", step.index, step.title));
            for line in &step.diff {
                out.push_str(&format!("      {line}\n"));
            }
        }
        let failed = self.failures().count();
        if failed == 0 {
            out.push_str(&format!("all {} steps passed\n", self.steps.len()));
        } else {
            out.push_str(&format!("{failed} of {} steps failed\n", self.steps.len()));
        }
        out
    }
}

/// Runs `scenario` against the plugin at `wasm`. An `Err` means the run could not happen (the
/// plugin does not load, the sim refused an event); a failed expectation is in the report.
pub async fn run(wasm: &Path, scenario: &Scenario) -> anyhow::Result<Report> {
    runner::run_scenario(wasm, scenario).await
}

/// Loads the scenario file (TOML, or YAML by its extension) and runs it.
pub async fn run_file(wasm: &Path, scenario: &Path) -> anyhow::Result<Report> {
    let parsed = Scenario::load(scenario)?;
    run(wasm, &parsed).await
}

/// [`run_file`] on a runtime of its own, for a plain `#[test]`.
pub fn run_file_blocking(wasm: &Path, scenario: &Path) -> anyhow::Result<Report> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run_file(wasm, scenario))
}
