//! End to end through the real daemon: the `wasmbot` binary as a separate process with one Yunhu
//! bot, whose API is a loopback stand-in run here, and the `echo` plugin. Yunhu webhooks
//! `/echo <n>` go in; the replies are counted at the stand-in. Each load runs against a fresh
//! daemon, once with each durable store (fjall, the default, and redb) and once with
//! `store = "memory"`: first from one
//! sender (next event once the previous POST was answered), then from 100 senders at once, each
//! in a group chat of its own. A separate run times spawn → first reply with the bundled
//! plugins on a fresh data dir (and Wasm cache). The daemon's costs are read from `/proc`.
//!
//! `cargo bench -p wasmbot --bench e2e` prints Markdown tables for BENCHMARKS.md.
//! `WASMBOT_E2E_BIN=/path/to/wasmbot` runs the same bench against another build (before/after).
//! Sizes: `WASMBOT_E2E_EVENTS_ONE` (one sender; default 5 000), `WASMBOT_E2E_EVENTS_MANY`
//! (default 50 000), `WASMBOT_E2E_SENDERS` (100), `WASMBOT_E2E_WARMUP` (500 events before each
//! measured load), `WASMBOT_E2E_TIMEOUT_S` (60: how long replies may trail the last POST);
//! `WASMBOT_E2E_STARTUP=off` skips the start-up run. Linux only; loopback only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/mod.rs"]
mod common;

#[path = "e2e/check.rs"]
mod check;
#[path = "e2e/daemon.rs"]
mod daemon;
#[path = "e2e/load.rs"]
mod load;
#[path = "e2e/measure.rs"]
mod measure;
#[path = "e2e/procfs.rs"]
mod procfs;
#[path = "e2e/report.rs"]
mod report;
#[path = "e2e/standin.rs"]
mod standin;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use daemon::Store;
use load::Load;
use measure::{measure_load, measure_startup};
use report::{Column, Startup};
use standin::StandIn;

/// The bundled plugins (`plugins/`), for the start-up run.
const BUNDLED: &[&str] = &["echo", "welcome", "role-menu", "antispam", "help"];

/// After the last reply: a moment for late duplicates to show up before the check.
const GRACE: Duration = Duration::from_millis(300);

/// The bench's knobs, from the environment.
#[derive(Debug)]
struct Settings {
    binary: PathBuf,
    events_one: usize,
    events_many: usize,
    senders: usize,
    warmup: usize,
    timeout: Duration,
    startup: bool,
}

impl Settings {
    fn from_env() -> Result<Self> {
        let binary = std::env::var_os("WASMBOT_E2E_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_wasmbot")));
        if !binary.is_file() {
            bail!("the daemon binary {} does not exist", binary.display());
        }
        Ok(Self {
            binary,
            events_one: env_number("WASMBOT_E2E_EVENTS_ONE", 5_000)?,
            events_many: env_number("WASMBOT_E2E_EVENTS_MANY", 50_000)?,
            senders: env_number("WASMBOT_E2E_SENDERS", 100)?,
            warmup: env_number("WASMBOT_E2E_WARMUP", 500)?,
            timeout: Duration::from_secs(env_number("WASMBOT_E2E_TIMEOUT_S", 60)? as u64),
            startup: std::env::var("WASMBOT_E2E_STARTUP").as_deref() != Ok("off"),
        })
    }
}

/// A positive number from the environment variable `name`, or `default` if it is unset.
fn env_number(name: &str, default: usize) -> Result<usize> {
    let Ok(text) = std::env::var(name) else {
        return Ok(default);
    };
    let number: usize = text
        .replace('_', "")
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .with_context(|| format!("{name} must be a positive whole number, not `{text}`"))?;
    Ok(number)
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\ne2e: FAILED: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<()> {
    let settings = Settings::from_env()?;
    let load_average = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    eprintln!("e2e: building the plugins if needed (cargo, plugin profile)");
    let bundled: Vec<PathBuf> = BUNDLED.iter().map(|p| common::plugin(p)).collect();
    let standin = StandIn::start().await?;
    let mut logs = Vec::new();
    let mut startup = None;
    if settings.startup {
        eprintln!("e2e: start-up with {} plugins", bundled.len());
        let (figures, log) = measure_startup(&settings, &standin, &bundled)
            .await
            .context("start-up")?;
        logs.push(("start-up".to_string(), log));
        startup = Some(figures);
    }
    let columns = measure_loads(&settings, &standin, &bundled[0], &mut logs).await?;
    println!("{}", header(&settings.binary, &load_average));
    print_report(&settings, startup.as_ref(), &columns, &logs);
    Ok(())
}

/// The stores each load runs on: the durable ones, then memory (the baseline, last).
const STORES: [Store; 3] = [Store::Fjall, Store::Redb, Store::Memory];

/// The six loads: one sender, then many; each with fjall, redb, then memory. Each daemon's log is
/// added to `logs`.
async fn measure_loads(
    settings: &Settings,
    standin: &StandIn,
    echo: &Path,
    logs: &mut Vec<(String, String)>,
) -> Result<Vec<Column>> {
    let mut columns = Vec::new();
    let sizes = [
        (1, settings.events_one),
        (settings.senders, settings.events_many),
    ];
    for (senders, events) in sizes {
        for store in STORES {
            let title = match senders {
                1 => format!("1 sender, {}", store.name()),
                n => format!("{n} senders, {}", store.name()),
            };
            let warmup = settings.warmup;
            eprintln!("e2e: {title}: {warmup} warm-up + {events} events");
            let label = 'm';
            let load = Load {
                events,
                senders,
                label,
            };
            let (measured, log) = measure_load(settings, standin, echo, store, load)
                .await
                .with_context(|| title.clone())?;
            logs.push((title.clone(), log));
            columns.push(Column { title, measured });
        }
    }
    Ok(columns)
}

/// Everything on stdout: the header, the tables, and what the daemons logged as problems.
fn print_report(
    settings: &Settings,
    startup: Option<&Startup>,
    columns: &[Column],
    logs: &[(String, String)],
) {
    println!("{}", report::table(columns));
    // Each load's columns are STORES in order; the last is memory.
    let loads: Vec<_> = columns.chunks(STORES.len()).collect();
    let senders = |load: &[Column]| load[0].title.split(',').next().unwrap_or("").to_string();
    for (i, store) in STORES[..STORES.len() - 1].iter().enumerate() {
        let pairs: Vec<_> = loads
            .iter()
            .map(|load| {
                (
                    senders(load),
                    &load[i].measured,
                    &load[STORES.len() - 1].measured,
                )
            })
            .collect();
        println!(
            "{}",
            report::ratios(&format!("{} ÷ memory", store.name()), &pairs)
        );
    }
    if let Some(startup) = startup {
        println!("{}", report::startup(startup));
    }
    println!(
        "fjall is the durable default store. Each load ran on a fresh daemon after {} warm-up \
         events: one sender {} events, {} senders {} events.\n",
        settings.warmup, settings.events_one, settings.senders, settings.events_many
    );
    for (run, log) in logs {
        let problems = report::log_problems(log);
        if !problems.is_empty() {
            println!("Daemon log, {run}: WARN/ERROR lines");
            for (what, count) in problems.iter().take(8) {
                println!("- {count} × {what}");
            }
            println!();
        }
    }
}

/// The first line: which binary, and how busy the machine was (`/proc/loadavg` at the start).
fn header(binary: &Path, load_average: &str) -> String {
    let meta = std::fs::metadata(binary).ok();
    let size = meta.as_ref().map_or(0, |m| m.len()) as f64 / 1e6;
    let modified = meta
        .and_then(|m| m.modified().ok())
        .map_or_else(|| "?".into(), httpdate::fmt_http_date);
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load: Vec<&str> = load_average.split_whitespace().take(3).collect();
    format!(
        "## e2e: `{}` ({size:.1} MB, modified {modified})\n\n\
         {cores} cores, load average at the start: {}\n",
        binary.display(),
        load.join(" ")
    )
}
