//! A data dir of the redb store (the default before fjall) moves into fjall when a daemon of
//! this version starts on it: a pending reminder set before the move is still listed and still
//! fires after it, and the redb file is kept beside as `wasmbot.redb.migrated`.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use wasmbot::config::{Config, StoreKind};

use crate::common::{self, install, plugin, TestDaemon};

const WAIT: Duration = Duration::from_secs(20);

fn texts(actions: &[Value]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| a["text"].as_str().map(str::to_string))
        .collect()
}

fn config(dir: &Path, store: StoreKind) -> Config {
    Config {
        store,
        ..common::config_in(dir)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redb_data_dir_moves_into_fjall_with_its_pending_timers() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    install(&plugin("remind"), &plugins.join("remind.wasm"));

    let first = dir.path().to_path_buf();
    common::run_to_exit(move || async move {
        let daemon = wasmbot::daemon::Daemon::start(config(&first, StoreKind::Redb)).await;
        let d = TestDaemon::attach(daemon.unwrap(), first.join("plugins"));
        d.wait_for_plugin("remind", None, WAIT).await;
        d.say("m", "alice", "/remind 4s after the move").await;
        d.wait_for("m", WAIT, |a| {
            texts(a).iter().any(|t| t.starts_with("OK, in 4s"))
        })
        .await;
        // The commit of the reminder is durable with the reply; the run ends as at a kill.
    });
    let data = dir.path().join("data");
    assert!(data.join("wasmbot.redb").exists());

    let daemon = common::start_again(|| config(dir.path(), StoreKind::Fjall)).await;
    let d = TestDaemon::attach(daemon, plugins);
    assert!(data.join("wasmbot.fjall").is_dir());
    assert!(!data.join("wasmbot.redb").exists());
    assert!(data.join("wasmbot.redb.migrated").exists());
    d.wait_for_plugin("remind", None, WAIT).await;
    d.say("m", "alice", "/reminders").await;
    let actions = d
        .wait_for("m", WAIT, |a| texts(a).iter().any(|t| t.contains("1.")))
        .await;
    let listed = texts(&actions)
        .into_iter()
        .find(|t| t.contains("1."))
        .unwrap();
    assert!(listed.contains("after the move"), "{listed}");
    let actions = d
        .wait_for("m", WAIT, |a| {
            texts(a).iter().any(|t| t == "⏰ after the move")
        })
        .await;
    let fired = texts(&actions)
        .iter()
        .filter(|t| *t == "⏰ after the move")
        .count();
    assert_eq!(fired, 1);
}
