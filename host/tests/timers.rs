//! Timers and schedules end to end, on the sim platform with the real daemon: `remind` sets
//! timers from commands and posts when they fire (across hot reload, removal, a quota, and a
//! SIGKILL of the daemon process); `digest` posts on a schedule read through a clock the test
//! moves; a bad cron expression fails the load naming the plugin and the expression.

use std::path::Path;
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use wasmbot::config::ScheduleConfig;
use wasmbot::daemon::Daemon;
use wasmbot::timer::ManualClock;

use crate::common::{self, overrides, TestDaemon};

/// The texts the bot sent or replied in `chat`.
async fn said(d: &TestDaemon, chat: &str) -> Vec<String> {
    let actions = d.actions(chat).await;
    texts(&actions)
}

fn texts(actions: &[Value]) -> Vec<String> {
    actions
        .iter()
        .filter(|a| a["op"] == "send" || a["op"] == "reply")
        .filter_map(|a| a["text"].as_str().map(str::to_string))
        .collect()
}

/// How many of `chat`'s texts contain `part`.
fn count(actions: &[Value], part: &str) -> usize {
    texts(actions).iter().filter(|t| t.contains(part)).count()
}

/// Says `text` in `chat` and waits for the bot's answer containing `expect`; returns it.
async fn ask(d: &TestDaemon, chat: &str, text: &str, expect: &str) -> String {
    let before = count(&d.actions(chat).await, expect);
    d.say(chat, "alice", text).await;
    let actions = d
        .wait_for(chat, Duration::from_secs(10), |a| count(a, expect) > before)
        .await;
    let answers: Vec<String> = texts(&actions)
        .into_iter()
        .filter(|t| t.contains(expect))
        .collect();
    answers.last().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remind_posts_when_due_and_lists_and_forgets() {
    let d = TestDaemon::start(&["remind"]).await;
    ask(&d, "t1", "/remind 1s stretch", "OK, in 1s: stretch").await;
    let actions = d
        .wait_for("t1", Duration::from_secs(10), |a| {
            count(a, "⏰ stretch") == 1
        })
        .await;
    assert_eq!(count(&actions, "⏰ stretch"), 1);

    ask(&d, "t1", "/remind 1h nap", "OK, in 1h: nap").await;
    ask(&d, "t1", "/remind 10m tea", "OK, in 10m: tea").await;
    let list = ask(&d, "t1", "/reminders", "Reminders in this chat").await;
    let (tea, nap) = (
        list.find("1. in 9m").unwrap(),
        list.find("2. in 59m").unwrap(),
    );
    assert!(
        tea < nap && list.contains("tea") && list.contains("nap"),
        "{list}"
    );
    ask(&d, "t2", "/reminders", "No reminders in this chat").await;

    ask(&d, "t1", "/forget 1", "Forgot reminder 1: tea").await;
    let list = ask(&d, "t1", "/reminders", "Reminders in this chat").await;
    assert!(
        list.contains("1. in 59m") && !list.contains("tea"),
        "{list}"
    );

    ask(
        &d,
        "t1",
        "/remind soon stretch",
        "Usage: /remind DURATION TEXT",
    )
    .await;
    ask(&d, "t1", "/remind 5m", "Usage: /remind DURATION TEXT").await;
    ask(&d, "t1", "/forget 7", "Usage: /forget N").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quota_refuses_timers_beyond_it_until_one_is_cancelled() {
    let quota = overrides("remind", |c| c.max_pending_timers = Some(2));
    let d = TestDaemon::start_with(&["remind"], vec![quota]).await;
    ask(&d, "q", "/remind 1h a", "OK, in 1h: a").await;
    ask(&d, "q", "/remind 1h b", "OK, in 1h: b").await;
    let refused = ask(&d, "q", "/remind 1h c", "Too many reminders pending").await;
    assert!(refused.contains("2 timers pending"), "{refused}");
    ask(&d, "q", "/forget 1", "Forgot reminder 1").await;
    ask(&d, "q", "/remind 1h d", "OK, in 1h: d").await;
}

/// Timers belong to the plugin's name: a hot reload keeps them, and so does removing the plugin
/// (its timer fires into the journal while it is away and reaches it when it is back).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timers_outlive_a_hot_reload_and_the_plugin_being_away() {
    let d = TestDaemon::start(&["remind"]).await;
    let file = d.plugins_dir.join("remind.wasm");
    ask(&d, "r", "/remind 2s reloaded", "OK, in 2s: reloaded").await;
    common::install(&common::plugin("remind"), &file);
    tokio::time::sleep(Duration::from_millis(300)).await;
    d.wait_for_plugin("remind", None, Duration::from_secs(10))
        .await;
    let actions = d
        .wait_for("r", Duration::from_secs(10), |a| {
            count(a, "⏰ reloaded") == 1
        })
        .await;
    assert_eq!(count(&actions, "⏰ reloaded"), 1);

    ask(&d, "r", "/remind 1s away", "OK, in 1s: away").await;
    std::fs::remove_file(&file).unwrap();
    let start = Instant::now();
    while d.daemon.router.status().iter().any(|p| p.name == "remind") {
        assert!(start.elapsed() < Duration::from_secs(10), "not unloaded");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        count(&d.actions("r").await, "⏰ away"),
        0,
        "nobody to post it"
    );
    common::install(&common::plugin("remind"), &file);
    let actions = d
        .wait_for("r", Duration::from_secs(10), |a| count(a, "⏰ away") == 1)
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(count(&d.actions("r").await, "⏰ away"), 1, "{actions:?}");
}

/// The daemon as a child process (killed and reaped when dropped).
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_daemon(config: &Path, log: &Path) -> Process {
    Process(common::spawn_daemon(config, log))
}

/// A config for a daemon process in `dir` with `remind` alone, on a free loopback port; its
/// file and its address.
fn remind_daemon(dir: &Path) -> (std::path::PathBuf, String) {
    let plugins = dir.join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    common::install(&common::plugin("remind"), &plugins.join("remind.wasm"));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.join("wasmbot.toml");
    let text = format!(
        "listen = \"127.0.0.1:{port}\"\ndata_dir = {:?}\nplugins_dir = {:?}\n[runtime]\ncompile_cache = {:?}\n",
        dir.join("data").display().to_string(),
        plugins.display().to_string(),
        common::target_dir().join("test-compile-cache").display().to_string(),
    );
    std::fs::write(&config, text).unwrap();
    (config, format!("http://127.0.0.1:{port}"))
}

/// A timer set, the daemon SIGKILLed before it is due and started again after: the timer fires
/// once, late, and one due after the restart fires once on time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timer_fires_exactly_once_across_a_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let (config, base) = remind_daemon(dir.path());
    let http = reqwest::Client::new();

    let first = spawn_daemon(&config, &dir.path().join("daemon-0.log"));
    wait_ready(&http, &base).await;
    post(&http, &base, "/remind 2s stretch").await;
    post(&http, &base, "/remind 8s later").await;
    wait_until(&http, &base, |a| count(a, "OK, in") == 2).await;
    drop(first); // SIGKILL, reaped
    tokio::time::sleep(Duration::from_secs(3)).await; // `stretch` comes due while it is down

    let _second = spawn_daemon(&config, &dir.path().join("daemon-1.log"));
    wait_ready(&http, &base).await;
    wait_until(&http, &base, |a| {
        count(a, "⏰ stretch") >= 1 && count(a, "⏰ later") >= 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let actions = actions(&http, &base).await;
    assert_eq!(count(&actions, "⏰ stretch"), 1, "{actions:?}");
    assert_eq!(count(&actions, "⏰ later"), 1, "{actions:?}");
}

/// Thirty reminders coming due over three seconds while the daemon is SIGKILLed and started
/// again four times while they come due: each reminder is posted once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timers_firing_through_repeated_sigkills_each_post_once() {
    let dir = tempfile::tempdir().unwrap();
    let (config, base) = remind_daemon(dir.path());
    let http = reqwest::Client::new();
    let mut daemon = spawn_daemon(&config, &dir.path().join("daemon-0.log"));
    wait_ready(&http, &base).await;
    for k in 0..30 {
        post(&http, &base, &format!("/remind {}s r{k}", 1 + k % 3)).await;
    }
    wait_until(&http, &base, |a| count(a, "OK, in") == 30).await;
    for run in 1..=4 {
        tokio::time::sleep(Duration::from_millis(150 + 120 * run)).await;
        drop(daemon);
        daemon = spawn_daemon(&config, &dir.path().join(format!("daemon-{run}.log")));
        wait_ready(&http, &base).await;
    }
    let posted = |a: &[Value], k: usize| {
        let text = format!("⏰ r{k}");
        texts(a).iter().filter(|t| **t == text).count()
    };
    wait_until(&http, &base, |a| (0..30).all(|k| posted(a, k) >= 1)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let actions = actions(&http, &base).await;
    for k in 0..30 {
        assert_eq!(posted(&actions, k), 1, "reminder r{k}: {actions:?}");
    }
    drop(daemon);
}

async fn wait_ready(http: &reqwest::Client, base: &str) {
    let start = Instant::now();
    while !http
        .get(format!("{base}/healthz"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(start.elapsed() < Duration::from_secs(60), "not ready");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // `/healthz` answers before the plugins are loaded; the status lists them once they are.
    loop {
        let status: Value = match http.get(format!("{base}/admin/status")).send().await {
            Ok(r) => r.json().await.unwrap_or(Value::Null),
            Err(_) => Value::Null,
        };
        if status.to_string().contains("\"remind\"") {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "remind not loaded"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn post(http: &reqwest::Client, base: &str, text: &str) {
    let body = json!({ "chat": "k", "user": "alice", "text": text });
    let response = http
        .post(format!("{base}/sim/messages"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 202);
}

async fn actions(http: &reqwest::Client, base: &str) -> Vec<Value> {
    let body: Value = http
        .get(format!("{base}/sim/actions?chat=k"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["actions"].as_array().cloned().unwrap_or_default()
}

async fn wait_until(http: &reqwest::Client, base: &str, done: impl Fn(&[Value]) -> bool) {
    let start = Instant::now();
    loop {
        let actions = actions(http, base).await;
        if done(&actions) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out; actions: {actions:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// 2026-01-05 10:50:00 UTC.
const T0: u64 = 1_767_571_200_000 + 10 * 3_600_000 + 50 * 60_000;
const MINUTE: u64 = 60_000;

/// `digest`, its schedule overridden to every hour, on a clock the test moves: it posts at
/// 11:00 with the messages counted since, and once (not three times) when the clock jumps past
/// three more instants.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_fires_on_the_clock_and_missed_instants_once() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    common::install(&common::plugin("digest"), &plugins.join("digest.wasm"));
    let mut config = common::config_in(dir.path());
    config.plugins.push(overrides("digest", |c| {
        c.grants.chats = vec!["lobby".into()];
        for (key, value) in [("platform", "sim"), ("bot", "sim"), ("chat", "lobby")] {
            c.config.insert(key.into(), value.into());
        }
        c.schedules = vec![ScheduleConfig {
            name: "daily".into(),
            cron: Some("0 0 * * * *".into()),
            timezone: None,
            payload: Some("See you next hour".into()),
            enabled: true,
        }];
    }));
    let clock = Arc::new(ManualClock::new(T0));
    let daemon = Daemon::start_with_clock(config, clock.clone())
        .await
        .unwrap();
    let d = TestDaemon::attach(daemon, plugins);
    d.say("lobby", "alice", "hello").await;
    d.say("lobby", "bob", "hi").await;
    d.say("elsewhere", "bob", "not counted").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(said(&d, "lobby").await.is_empty(), "nothing before 11:00");

    clock.set(T0 + 10 * MINUTE);
    let actions = d
        .wait_for("lobby", Duration::from_secs(10), |a| {
            count(a, "Digest:") == 1
        })
        .await;
    let first = texts(&actions).remove(0);
    assert_eq!(
        first,
        "Digest: 2 messages since the last digest.\nSee you next hour"
    );

    clock.set(T0 + 3 * 60 * MINUTE + 15 * MINUTE); // 13:05: 12:00 and 13:00 missed
    d.wait_for("lobby", Duration::from_secs(10), |a| {
        count(a, "Digest:") == 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let digests = said(&d, "lobby").await;
    assert_eq!(digests.len(), 2, "{digests:?}");
    assert!(digests[1].starts_with("Digest: 0 messages"), "{digests:?}");
}

#[test]
fn a_bad_cron_expression_fails_the_load_naming_plugin_and_expression() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    common::install(&common::plugin("digest"), &plugins.join("digest.wasm"));
    let config = dir.path().join("wasmbot.toml");
    let text = format!(
        "plugins_dir = {:?}\n[[plugins]]\nname = \"digest\"\nschedules = [{{ name = \"daily\", cron = \"0 9 * * *\" }}]\n",
        plugins.display().to_string()
    );
    std::fs::write(&config, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_wasmbot"))
        .args(["check", "--config"])
        .arg(&config)
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "check must fail: {stderr}");
    assert!(stderr.contains("plugin `digest`"), "{stderr}");
    assert!(stderr.contains("`0 9 * * *`"), "{stderr}");
    assert!(stderr.contains("schedule `daily`"), "{stderr}");
}
