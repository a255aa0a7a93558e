//! Per-event cost of a Rust echo plugin making one host call (`reply`), in-process, beside the
//! same logic as a native Rust function in the same run.
//!
//! `cargo bench -p wasmbot --bench dispatch`
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

use criterion::{criterion_group, criterion_main, Criterion};
use wasmbot::action::Action;
use wasmbot::adapter::{sim::Sim, Adapter, Adapters};
use wasmbot::config::Config;
use wasmbot::event::*;
use wasmbot::ingress::Ingress;
use wasmbot::plugin::Loader;
use wasmbot::runtime::{message_key, CallScope, Engine, HostServices};
use wasmbot::store::{Indexed, MemoryStore, Store};

fn envelope() -> Envelope {
    let chat = ChatRef {
        platform: "sim".into(),
        bot: "sim".into(),
        kind: ChatKind::Group,
        id: "g".into(),
        guild: None,
    };
    let message = Message {
        id: MessageRef {
            chat,
            id: "m1".into(),
        },
        sender: UserRef {
            id: "alice".into(),
            name: None,
            is_bot: false,
        },
        content: Content::Text("/echo hello".into()),
        mentions: vec![],
        reply_to: None,
        sent_at: 0,
    };
    Envelope {
        id: "sim:1".into(),
        event: message_or_command(message),
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

fn bench(c: &mut Criterion) {
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
        Adapters::new([("sim".to_string(), sim)].into()),
    );
    let env = envelope();
    if let Event::Command(c) = &env.event {
        store
            .index_message(
                message_key(&c.message.id.chat, "m1"),
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
    let (_, mut instances) = rt
        .block_on(loader.load(&common::plugin("echo"), Some(1)))
        .unwrap();
    // Moved out of the cell for each measurement, so no borrow is held across an await.
    let slot = RefCell::new(Some(instances.remove(0)));

    let mut group = c.benchmark_group("echo-event");
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("wasm-plugin", |b| {
        b.iter_custom(|iters| {
            let mut instance = slot.borrow_mut().take().unwrap();
            let elapsed = rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    let scope = CallScope {
                        chat: env.event.chat().cloned(),
                        ..CallScope::default()
                    };
                    let scope = instance.handle(&env, scope).await.unwrap();
                    assert_eq!(scope.actions.len(), 1);
                }
                start.elapsed()
            });
            *slot.borrow_mut() = Some(instance);
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
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
