//! What a restart keeps.
//!
//! - A clean stop (SIGTERM, Ctrl-C, `Daemon::shutdown`) repeats nothing: the requests under way
//!   finish and their outcomes are written before the daemon exits, and what had not started is
//!   delivered after the next start. The Biliao simulator records every request and answers
//!   each send slowly, so a stop always finds one under way, and a repeat would show.
//! - A plugin whose file is broken at start keeps its place in the journal: once fixed, it gets
//!   the events it missed, and not the ones it had handled before the restart.

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use wasmbot::config::Config;
use wasmbot::daemon::Daemon;

use crate::biliao_sim;
use crate::common::{self, install, plugin, TestDaemon};
use crate::webhook_sim::faults::{Fault, Plan};
use crate::webhook_sim::Sim;

const SEND: &str = "/bot/sendmessage";
const SENDS: usize = 12;
const WAIT: Duration = Duration::from_secs(20);

fn biliao_config(sim: &Sim, dir: &Path) -> Config {
    let bot = biliao_sim::bot(sim, &[("auto_answer_ms", toml::Value::Integer(0))]);
    Config {
        bots: vec![bot],
        ..common::config_in(dir)
    }
}

/// A Biliao group message webhook asking the `flood` plugin for `SENDS` sends.
fn flood_webhook() -> Value {
    let path = format!(
        "{}/tests/golden/biliao/event_group_message.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut body: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    body["message_id"] = json!("clean_stop_1");
    body["content"] = json!(format!("flood {SENDS}"));
    body
}

fn sent_texts(sim: &Sim) -> Vec<String> {
    sim.to(SEND)
        .iter()
        .filter_map(|r| r.json()["content"].as_str().map(str::to_string))
        .collect()
}

/// Starts a daemon, asks for the sends, and stops it cleanly once three went out.
async fn run_until_stopped(sim: &Sim, dir: &Path) {
    let daemon = Daemon::start(biliao_config(sim, dir)).await.unwrap();
    let hook = format!("http://{}/hooks/bl", daemon.addr);
    let posted = reqwest::Client::new()
        .post(&hook)
        .json(&flood_webhook())
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);
    sim.wait_for(WAIT, |r| r.iter().filter(|r| r.path == SEND).count() >= 3)
        .await;
    daemon.shutdown();
    daemon.wait().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_stop_delivers_nothing_twice() {
    let sim = biliao_sim::start().await;
    sim.faults().inject(Plan {
        path: SEND.into(),
        shares: vec![(Fault::Slow, 1.0)],
        retry_after: Duration::from_secs(1),
        throttled: None,
        stall: Duration::from_secs(1),
        slow: Duration::from_millis(150),
        max_run: 0,
        seed: 1,
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("plugins")).unwrap();
    install(&plugin("flood"), &dir.path().join("plugins/flood.wasm"));

    let (first_sim, first_dir) = (sim.clone(), dir.path().to_owned());
    common::run_to_exit(move || async move { run_until_stopped(&first_sim, &first_dir).await });
    let before_restart = sent_texts(&sim);

    let _daemon = common::start_again(|| biliao_config(&sim, dir.path())).await;
    sim.wait_for(WAIT, |r| {
        r.iter().filter(|r| r.path == SEND).count() >= SENDS
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let expected: Vec<String> = (0..SENDS).map(|i| format!("f{i}")).collect();
    assert_eq!(
        sent_texts(&sim),
        expected,
        "each send once, in order ({} went out before the stop)",
        before_restart.len()
    );
    assert!(before_restart.len() < SENDS, "the stop came mid-way");
}

/// Run 1 answers "one" with both plugins and ends; run 2 starts with `tally.wasm` broken, gets "two" and
/// "three", and then the fixed file. `tally` must answer those two, in order, and not "one"
/// again: without the kept place it would begin at the newest event and miss both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_broken_at_start_gets_what_it_missed_once_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    install(&plugin("recorder"), &plugins.join("recorder.wasm"));
    install(&plugin("tally"), &plugins.join("tally.wasm"));

    let (first_dir, first_plugins) = (dir.path().to_owned(), plugins.clone());
    common::run_to_exit(move || async move {
        let daemon = Daemon::start(common::config_in(&first_dir)).await.unwrap();
        let d = TestDaemon::attach(daemon, first_plugins);
        d.say("c", "alice", "one").await;
        d.wait_for("c", WAIT, |a| a.len() == 2).await;
        // The places are saved a few times a second; then the run ends as at a kill.
        tokio::time::sleep(Duration::from_millis(500)).await;
    });

    let tally = std::fs::read(plugin("tally")).unwrap();
    std::fs::write(plugins.join("tally.wasm"), &tally[..tally.len() / 2]).unwrap();
    let daemon = common::start_again(|| common::config_in(dir.path())).await;
    let d = TestDaemon::attach(daemon, plugins.clone());
    d.say("c", "alice", "two").await;
    d.say("c", "alice", "three").await;
    d.wait_for("c", WAIT, |a| a.len() == 4).await;
    let (_, status) = d.get("/admin/status").await;
    let waiting = &status["waiting_plugins"];
    assert_eq!(waiting[0]["name"], "tally", "{status}");
    assert!(waiting[0]["behind"].as_u64() >= Some(2), "{status}");
    install(&plugin("tally"), &plugins.join("tally.wasm"));

    let actions = d.wait_for("c", WAIT, |a| a.len() >= 6).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let tallies: Vec<String> = d
        .texts("c", "send")
        .await
        .into_iter()
        .filter(|t| t.starts_with('#'))
        .collect();
    assert_eq!(tallies, ["#1 one", "#2 two", "#3 three"], "{actions:?}");
}
