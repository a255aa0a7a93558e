//! A clean stop (SIGTERM, Ctrl-C, `Daemon::shutdown`) repeats nothing: the requests under way
//! finish and their outcomes are written before the daemon exits, and what had not started is
//! delivered after the next start. The Biliao simulator records every request and answers each
//! send slowly, so a stop always finds one under way, and a repeat would show.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod biliao_sim;
mod common;
mod webhook_sim;

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use wasmbot::config::{BotConfig, Config, Secret};
use wasmbot::daemon::Daemon;

use common::{install, plugin};
use webhook_sim::faults::{Fault, Plan};
use webhook_sim::Sim;

const SEND: &str = "/bot/sendmessage";
const SENDS: usize = 12;
const WAIT: Duration = Duration::from_secs(20);

fn config(sim: &Sim, dir: &Path) -> Config {
    let mut options = toml::Table::new();
    options.insert("auto_answer_ms".into(), toml::Value::Integer(0));
    let bot = BotConfig {
        name: "bl".into(),
        platform: "biliao".into(),
        token: Some(Secret::new(biliao_sim::TOKEN)),
        secret: None,
        base_url: Some(sim.base.clone()),
        options,
        register_commands: false,
        rate_limit: None,
    };
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.join("data"),
        plugins_dir: dir.join("plugins"),
        bots: vec![bot],
        ..Config::default()
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
    let daemon = Daemon::start(config(sim, dir)).await.unwrap();
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

/// Starts again on the same data dir. The plugin threads of the first run end in the
/// background, so the store may stay locked a moment longer.
async fn restart(sim: &Sim, dir: &Path) -> Daemon {
    let start = std::time::Instant::now();
    loop {
        match Daemon::start(config(sim, dir)).await {
            Ok(daemon) => return daemon,
            Err(e) if start.elapsed() < WAIT => {
                eprintln!("not yet: {e:#}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("cannot start again: {e:#}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_stop_delivers_nothing_twice() {
    let sim = biliao_sim::start().await;
    sim.inject(Plan {
        path: SEND.into(),
        shares: vec![(Fault::Slow, 1.0)],
        retry_after: Duration::from_secs(1),
        stall: Duration::from_secs(1),
        slow: Duration::from_millis(150),
        max_run: 0,
        seed: 1,
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("plugins")).unwrap();
    install(&plugin("flood"), &dir.path().join("plugins/flood.wasm"));

    // The first run gets a runtime of its own: dropping it ends every task that holds the
    // store, as the process's exit would, so the second run can open the file.
    let (first_sim, first_dir) = (sim.clone(), dir.path().to_owned());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(run_until_stopped(&first_sim, &first_dir));
    })
    .join()
    .unwrap();
    let before_restart = sent_texts(&sim);

    let _daemon = restart(&sim, dir.path()).await;
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
