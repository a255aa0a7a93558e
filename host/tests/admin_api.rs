//! The operator's admin API and CLI: dead letters (list, retry, drop) and quarantine.

use std::time::Duration;

use crate::common::{overrides, TestDaemon};
use crate::fanbook_sim::{payloads, FanbookSim, Fault};
use serde_json::Value;
use wasmbot::config::{BotConfig, Secret};

const TOKEN: &str = "admintoken-0b5e9a";
const WAIT: Duration = Duration::from_secs(20);

fn wasmbot(daemon: &TestDaemon, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wasmbot"))
        .args(args)
        .args(["--daemon", &daemon.base])
        .arg("--data")
        .arg(&daemon.daemon.data_dir)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

async fn dead_letters(d: &TestDaemon) -> Vec<Value> {
    let body: Value = d
        .http
        .get(format!("{}/admin/deadletters", d.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["dead_letters"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_action_becomes_a_dead_letter_that_can_be_retried() {
    let sim = FanbookSim::start(TOKEN).await;
    let options = "poll_timeout_secs = 1\nrequest_timeout_ms = 1500\nbackoff_min_ms = 20\nbackoff_max_ms = 200";
    let bot = BotConfig {
        name: "fb".into(),
        platform: "fanbook".into(),
        token: Some(Secret::new(TOKEN)),
        secret: None,
        base_url: Some(sim.base.clone()),
        options: toml::from_str(options).unwrap(),
        register_commands: false,
        rate_limit: None,
        admins: Vec::new(),
    };
    let d = TestDaemon::start_config(&["driver"], move |c| c.bots.push(bot)).await;
    sim.fault(
        "sendMessage",
        Fault::Refuse(1003, "chat is archived".into()),
    );
    sim.push_update(payloads::channel_text(469270000000000001, "/send parcel"));
    let start = std::time::Instant::now();
    let letters = loop {
        let letters = dead_letters(&d).await;
        if !letters.is_empty() || start.elapsed() > WAIT {
            break letters;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert!(
        letters[0]["reason"]
            .as_str()
            .unwrap()
            .contains("chat is archived"),
        "{letters:?}"
    );
    assert!(
        !letters[0].to_string().contains(TOKEN),
        "no secret in a dead letter"
    );
    let id = letters[0]["id"].as_u64().unwrap().to_string();

    let (ok, listed) = wasmbot(&d, &["deadletters", "list"]);
    assert!(ok && listed.contains("chat is archived"), "{listed}");
    let (ok, retried) = wasmbot(&d, &["deadletters", "retry", &id]);
    assert!(ok, "{retried}");
    sim.wait_for_text("parcel", WAIT).await;
    assert!(dead_letters(&d).await.is_empty());
    let (ok, missing) = wasmbot(&d, &["deadletters", "drop", &id]);
    assert!(!ok && missing.contains("no dead letter"), "{missing}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_plugin_is_quarantined_until_released() {
    let trapper = overrides("trapper", |c| c.timeout_ms = Some(300));
    let d = TestDaemon::start_config(&["trapper", "echo"], move |c| {
        c.runtime.quarantine_after = 3;
        c.plugins = vec![trapper];
    })
    .await;
    for _ in 0..3 {
        d.say("q", "alice", "trap").await;
    }
    let start = std::time::Instant::now();
    while !d
        .daemon
        .router
        .status()
        .iter()
        .any(|p| p.name == "trapper" && p.quarantined)
    {
        assert!(
            start.elapsed() < WAIT,
            "trapper was not quarantined: {:?}",
            d.daemon.router.status()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (ok, status) = wasmbot(&d, &["status", "--json"]);
    assert!(ok && status.contains("\"quarantined\": true"), "{status}");
    let (ok, table) = wasmbot(&d, &["status"]);
    let row = table
        .lines()
        .find(|l| l.contains("trapper"))
        .unwrap_or_default();
    assert!(ok && row.contains("quarantined"), "{table}");
    assert!(!table.contains('"'), "a table, not JSON: {table}");
    d.say("q", "alice", "while quarantined").await;
    d.say("q", "alice", "/echo others still serve").await;
    d.wait_for("q", WAIT, |a| {
        a.iter().any(|x| x["text"] == "others still serve")
    })
    .await;
    let (ok, released) = wasmbot(&d, &["release", "trapper"]);
    assert!(ok, "{released}");
    d.say("q", "alice", "back").await;
    let actions = d
        .wait_for("q", WAIT, |a| a.iter().any(|x| x["text"] == "ok:back"))
        .await;
    assert!(
        actions.iter().all(|x| x["text"] != "ok:while quarantined"),
        "skipped while quarantined"
    );
}
