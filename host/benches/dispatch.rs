//! Per-event cost of a Rust echo plugin making one host call (`reply`), in-process, beside the
//! same logic as a native Rust function in the same run.
//!
//! `cargo bench -p wasmbot --bench dispatch`
//!
//! `wasm-plugin` is `echo` (a `wasmbot:bot@0.2.0` plugin: the lean envelope); `wasm-plugin-0.1`
//! is the same code built against 0.1.0 (fixture `echo01`, the frozen 0.1 SDK), so the two
//! worlds' costs are compared in one run.
//!
//! For instruction counts (repeatable on a noisy machine), `DISPATCH_ITERS=N` skips criterion
//! and handles the event N times with each plugin (then runs the native function N times); run
//! it under `valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*wasm_n*'` (or
//! `'*wasm01_n*'`, `'*native_n*'`) with two values of N and divide the difference.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_debug_implementations
)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::cell::RefCell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion};
use wasmbot::adapter::{sim::Sim, Adapter, Adapters};
use wasmbot::config::Config;
use wasmbot::journal::Ingress;
use wasmbot::model::Action;
use wasmbot::model::*;
use wasmbot::plugin::Loader;
use wasmbot::runtime::{CallScope, Engine, HostServices, PluginInstance, Tier};
use wasmbot::store::MessageKey;
use wasmbot::store::{Indexed, MemoryStore, Store};

fn envelope() -> Envelope {
    Envelope {
        id: "sim:1".into(),
        event: message_or_command(common::sim_message("g", "m1", "/echo hello")),
    }
}

/// The echo plugin's logic as a native function: the baseline.
fn native_echo(envelope: &Envelope, services: &HostServices) -> Option<Action> {
    let Event::Command(command) = &envelope.event else {
        return None;
    };
    if command.name != "echo" {
        return None;
    }
    let text = command.args.trim();
    let message = Outgoing {
        content: Content::Text(text.to_string()),
        keyboard: None,
        mentions: vec![],
    };
    Some(Action::Send {
        handle: services.mint_handle("echo"),
        chat: command.message.id.chat.clone(),
        message,
        reply_to: Some(command.message.id.id.clone()),
    })
}

/// Everything a measurement needs: the runtime, the host services, the event and the instance.
struct Fixture {
    rt: tokio::runtime::Runtime,
    services: HostServices,
    env: Envelope,
    instance: PluginInstance,
    /// The same plugin built against `wasmbot:bot@0.1.0`.
    instance01: PluginInstance,
    _data: tempfile::TempDir,
}

fn setup() -> Fixture {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store: Arc<dyn Store> = Arc::new(MemoryStore::default());
    let ingress = Ingress::new(store.clone()).unwrap();
    let data = tempfile::tempdir().unwrap();
    let sim: Arc<dyn Adapter> = Arc::new(Sim::new("sim", ingress, data.path()).unwrap());
    let services = HostServices::new(
        store.clone(),
        Arc::new(Adapters::new([("sim".to_string(), sim)].into())),
    );
    let env = envelope();
    if let Event::Command(c) = &env.event {
        store
            .index_message(
                MessageKey::of(&c.message.id.chat, "m1"),
                Indexed {
                    platform_id: Some("m1".into()),
                    owner: None,
                },
            )
            .unwrap();
    }
    let loader = Loader {
        engine: Engine::new(None).unwrap(),
        services: services.clone(),
        config: Arc::new(Config::default()),
    };
    let load = |name: &str| {
        let (_, mut instances) = rt
            .block_on(loader.load(&common::plugin(name), Some(1), Tier::Optimized))
            .unwrap();
        instances.remove(0)
    };
    let instance = load("echo");
    let instance01 = load("echo01");
    Fixture {
        rt,
        services,
        env,
        instance,
        instance01,
        _data: data,
    }
}

/// Handles the event `iters` times; returns the time taken.
async fn handle_n(instance: &mut PluginInstance, env: &Envelope, iters: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        let scope = CallScope {
            chat: env.event.chat().cloned(),
            ..CallScope::default()
        };
        // The call takes the envelope: each plugin's feeder owns its copy of the event (read
        // from the journal), so the copy here stands for that one, in both worlds.
        let scope = instance
            .handle(1, env.clone(), None, None, Standing::UNKNOWN, scope)
            .await
            .unwrap();
        assert_eq!(scope.actions.len(), 1);
    }
    start.elapsed()
}

fn bench(c: &mut Criterion) {
    let Fixture {
        rt,
        services,
        env,
        instance,
        instance01,
        _data,
    } = setup();
    // Moved out of the cell for each measurement, so no borrow is held across an await.
    let slot = RefCell::new(Some(instance));
    let slot01 = RefCell::new(Some(instance01));

    let mut group = c.benchmark_group("echo-event");
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("wasm-plugin", |b| {
        b.iter_custom(|iters| {
            let mut instance = slot.borrow_mut().take().unwrap();
            let elapsed = rt.block_on(handle_n(&mut instance, &env, iters));
            *slot.borrow_mut() = Some(instance);
            elapsed
        })
    });
    group.bench_function("wasm-plugin-0.1", |b| {
        b.iter_custom(|iters| {
            let mut instance = slot01.borrow_mut().take().unwrap();
            let elapsed = rt.block_on(handle_n(&mut instance, &env, iters));
            *slot01.borrow_mut() = Some(instance);
            elapsed
        })
    });
    group.bench_function("native-fn", |b| {
        b.iter(|| {
            let action = native_echo(std::hint::black_box(&env), &services);
            assert!(action.is_some());
            action
        })
    });
    // A plain-Rust model converted at the runtime boundary would copy each event at least once
    // per plugin call: the floor of that alternative's extra cost (see `model`'s doc).
    group.bench_function("envelope-copy", |b| {
        b.iter(|| std::hint::black_box(&env).clone())
    });
    group.finish();
}

/// `handle_n` on the runtime, as a symbol callgrind can toggle on.
#[inline(never)]
fn wasm_n(
    rt: &tokio::runtime::Runtime,
    instance: &mut PluginInstance,
    env: &Envelope,
    iters: u64,
) -> Duration {
    rt.block_on(handle_n(instance, env, iters))
}

/// [`wasm_n`] for the 0.1 build, under its own symbol.
#[inline(never)]
fn wasm01_n(
    rt: &tokio::runtime::Runtime,
    instance: &mut PluginInstance,
    env: &Envelope,
    iters: u64,
) -> Duration {
    rt.block_on(handle_n(instance, env, iters))
}

/// Runs the native function `iters` times; returns the time taken.
#[inline(never)]
fn native_n(env: &Envelope, services: &HostServices, iters: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        let action = native_echo(std::hint::black_box(env), services);
        assert!(action.is_some());
    }
    start.elapsed()
}

/// `DISPATCH_ITERS=N`: a fixed number of events, without criterion, for instruction counts.
fn fixed(iters: u64) {
    let mut f = setup();
    let wasm = wasm_n(&f.rt, &mut f.instance, &f.env, iters);
    let wasm01 = wasm01_n(&f.rt, &mut f.instance01, &f.env, iters);
    let native = native_n(&f.env, &f.services, iters);
    println!("{iters} events: wasm (0.2) {wasm:?}, wasm (0.1) {wasm01:?}, native {native:?}");
}

criterion_group!(benches, bench);

fn main() {
    match std::env::var("DISPATCH_ITERS") {
        Ok(n) => fixed(n.parse().unwrap()),
        Err(_) => {
            benches();
            Criterion::default().configure_from_args().final_summary();
        }
    }
}
