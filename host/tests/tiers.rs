//! Tiered compiling: a plugin whose optimised code is not cached starts on baseline code
//! (Winch) and is swapped to optimised code (Cranelift) once that is built, losing and
//! repeating nothing; the baseline tier keeps every limit the optimised one has.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{overrides, plugin, sim_message, TestDaemon};
use wasmbot::adapter::Adapters;
use wasmbot::config::Config;
use wasmbot::model::*;
use wasmbot::plugin::Loader;
use wasmbot::runtime::{CallError, CallScope, Engine, HostServices, Tier};
use wasmbot::store::MemoryStore;

#[test]
fn optimised_code_once_cached_is_what_a_plugin_starts_on() {
    let cache = tempfile::tempdir().unwrap();
    let engine = Engine::new(Some(cache.path().to_owned())).unwrap();
    let bytes = std::fs::read(plugin("echo")).unwrap();
    let (_, tier) = engine.prepare_quickly(&bytes).unwrap();
    assert_eq!(tier, Tier::Baseline, "nothing is cached yet");
    engine.prepare(&bytes).unwrap();
    let (_, tier) = engine.prepare_quickly(&bytes).unwrap();
    assert_eq!(tier, Tier::Optimized);
    // A restart (a new engine on the same cache) starts optimised too.
    let restarted = Engine::new(Some(cache.path().to_owned())).unwrap();
    assert_eq!(
        restarted.prepare_quickly(&bytes).unwrap().1,
        Tier::Optimized
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baseline_code_is_held_to_the_deadline_the_memory_cap_and_the_stack() {
    let mut config = Config::default();
    config.plugins.push(overrides("trapper", |c| {
        c.timeout_ms = Some(300);
        c.memory_mib = Some(16);
    }));
    let store = Arc::new(MemoryStore::default());
    let loader = Loader {
        engine: Engine::new(None).unwrap(),
        services: HostServices::new(store, Arc::new(Adapters::default())),
        config: Arc::new(config),
    };
    let (version, mut instances) = loader
        .load(&plugin("trapper"), Some(1), Tier::Baseline)
        .await
        .unwrap();
    assert_eq!(version.tier, Tier::Baseline);
    let mut instance = instances.remove(0);
    for (fault, expected) in [("loop", "timeout"), ("oom", "trap"), ("recurse", "trap")] {
        let started = Instant::now();
        let result = instance
            .handle(
                1,
                said(fault),
                None,
                None,
                Standing::UNKNOWN,
                CallScope::default(),
            )
            .await;
        let kind = match result {
            Err(CallError::Timeout(_)) => "timeout",
            Err(CallError::Trap(_)) => "trap",
            Err(CallError::Plugin(e)) => panic!("{fault}: the plugin reported {e}"),
            Ok(_) => panic!("{fault}: the call succeeded"),
        };
        assert_eq!(kind, expected, "{fault}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{fault} took {:?}",
            started.elapsed()
        );
        instance = version.instantiate(loader.services.clone()).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_swap_to_optimised_code_loses_and_repeats_no_event() {
    // Its own, empty compile cache (in the data dir), not the tests' shared one.
    let d = TestDaemon::start_config(&["recorder"], |c| c.runtime.compile_cache = None).await;
    let tier = || d.daemon.router.status()[0].tier;
    assert_eq!(
        tier(),
        Tier::Baseline,
        "a fresh data dir has nothing cached"
    );
    let started = Instant::now();
    let mut sent = 0;
    // Talk through the swap, and a little after it.
    let mut after = 0;
    while after < 20 {
        d.say("t", "ann", &format!("m{sent}")).await;
        sent += 1;
        if tier() == Tier::Optimized {
            after += 1;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "never optimised"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let expected: Vec<String> = (0..sent).map(|n| format!("v1:m{n}")).collect();
    let actions = d
        .wait_for("t", Duration::from_secs(20), |a| a.len() >= sent)
        .await;
    let texts: Vec<String> = actions
        .iter()
        .filter_map(|a| a["text"].as_str().map(str::to_string))
        .collect();
    assert_eq!(texts, expected, "each event answered once, in order");
}

/// A message `text` in the sim's group chat `faults`.
fn said(text: &str) -> Envelope {
    Envelope {
        id: "sim:1".into(),
        event: Event::Message(sim_message("faults", "m1", text)),
    }
}
