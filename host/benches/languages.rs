//! Per-event cost of the echo plugin in Rust, Python and TypeScript, in one run: each handles
//! `/echo hello` (one host call, `reply`) on a long-lived instance, in-process, as
//! `benches/dispatch.rs` measures the Rust one. Also each component's first compile (Cranelift),
//! its load from the compile cache, and the memory one more instance takes (the process's
//! resident set before and after [`EXTRA`] instances that each handled an event, divided).
//!
//! `cargo bench -p wasmbot --bench languages` (needs componentize-py and `npm ci` in
//! guest-sdk/js, like the tests; `LANG_BENCH_EVENTS=N` events per plugin, default 5000).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_debug_implementations
)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmbot::adapter::{sim::Sim, Adapter, Adapters};
use wasmbot::config::Config;
use wasmbot::journal::Ingress;
use wasmbot::model::*;
use wasmbot::plugin::Loader;
use wasmbot::runtime::{CallScope, Engine, HostServices, PluginInstance, Tier};
use wasmbot::store::{Indexed, MemoryStore, MessageKey, Store};

fn envelope() -> Envelope {
    Envelope {
        id: "sim:1".into(),
        event: message_or_command(common::sim_message("g", "m1", "/echo hello")),
    }
}

/// Host services over a memory store and the sim, with the event's message indexed.
fn services(data: &Path, env: &Envelope) -> HostServices {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::default());
    let ingress = Ingress::new(store.clone()).unwrap();
    let sim: Arc<dyn Adapter> = Arc::new(Sim::new("sim", ingress, data).unwrap());
    if let Event::Command(c) = &env.event {
        let key = MessageKey::of(&c.message.id.chat, "m1");
        let indexed = Indexed {
            platform_id: Some("m1".into()),
            owner: None,
        };
        store.index_message(key, indexed).unwrap();
    }
    HostServices::new(
        store,
        Arc::new(Adapters::new([("sim".to_string(), sim)].into())),
    )
}

/// Instances made to measure the memory of one.
const EXTRA: usize = 8;

/// Loads `wasm` optimised with `cache`; returns the version, an instance and how long the load
/// took.
async fn load(
    loader: &Loader,
    wasm: &Path,
) -> (
    Arc<wasmbot::plugin::PluginVersion>,
    PluginInstance,
    Duration,
) {
    let start = Instant::now();
    let (version, mut instances) = loader.load(wasm, Some(1), Tier::Optimized).await.unwrap();
    (version, instances.remove(0), start.elapsed())
}

/// The process's resident set, in bytes (Linux: `/proc/self/statm`, in pages of 4 KiB).
fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// The resident memory one more instance of `version` takes once it has handled an event.
async fn memory_per_instance(
    version: &wasmbot::plugin::PluginVersion,
    services: &HostServices,
    env: &Envelope,
) -> f64 {
    let before = resident_bytes();
    let mut kept = Vec::new();
    for _ in 0..EXTRA {
        let mut instance = version.instantiate(services.clone()).await.unwrap();
        per_event(&mut instance, env, 1).await;
        kept.push(instance);
    }
    let after = resident_bytes();
    after.saturating_sub(before) as f64 / EXTRA as f64
}

/// Handles the event `n` times; the mean time per event.
async fn per_event(instance: &mut PluginInstance, env: &Envelope, n: u32) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        let scope = CallScope {
            chat: env.event.chat().cloned(),
            ..CallScope::default()
        };
        let scope = instance
            .handle(1, env.clone(), None, None, Standing::UNKNOWN, scope)
            .await
            .unwrap();
        assert_eq!(scope.actions.len(), 1);
    }
    start.elapsed() / n
}

/// The bundled `echo` alone, built as the test harness builds plugins (`--profile plugin`).
fn rust_echo() -> std::path::PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(cargo)
        .current_dir(common::workspace())
        .env("CARGO_TARGET_DIR", common::target_dir())
        .args([
            "build",
            "--profile",
            common::PROFILE,
            "--target",
            common::TARGET,
            "-p",
            "echo",
        ])
        .status()
        .unwrap();
    assert!(status.success(), "building echo failed");
    common::target_dir()
        .join(common::TARGET)
        .join(common::PROFILE)
        .join("echo.wasm")
}

fn main() {
    let n: u32 = std::env::var("LANG_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let plugins = [
        ("rust", rust_echo()),
        ("python", common::languages::python_echo().to_path_buf()),
        ("typescript", common::languages::ts_echo().to_path_buf()),
    ];
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let env = envelope();
    for (lang, wasm) in plugins {
        let cache = tempfile::tempdir().unwrap();
        let services = services(data.path(), &env);
        let loader = Loader {
            engine: Engine::new(Some(cache.path().to_path_buf())).unwrap(),
            services: services.clone(),
            config: Arc::new(Config::default()),
        };
        let (_, _, first) = rt.block_on(load(&loader, &wasm));
        let (version, mut instance, cached) = rt.block_on(load(&loader, &wasm));
        rt.block_on(per_event(&mut instance, &env, n / 10 + 1)); // warm up
        let mean = rt.block_on(per_event(&mut instance, &env, n));
        let memory = rt.block_on(memory_per_instance(&version, &services, &env)) / 1e6;
        let size = std::fs::metadata(&wasm).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
        println!(
            "{lang:<10} {:>8.2} µs/event   first compile {:>7.0} ms   load from cache {:>6.0} ms   component {size:.1} MB   {memory:.1} MB/instance",
            mean.as_secs_f64() * 1e6,
            first.as_secs_f64() * 1e3,
            cached.as_secs_f64() * 1e3,
        );
    }
}
