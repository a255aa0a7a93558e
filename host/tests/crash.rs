//! Crash test: the real `wasmbot` binary under load, killed with SIGKILL and restarted again and
//! again. Every message the sim answered 202 must reach the `recorder` plugin and come back as
//! exactly one `v1:<text>` send in its chat; none may come back twice; the sim's world must be
//! the same after a restart.
//!
//! Short by default; longer with `WASMBOT_CRASH_KILLS`, `WASMBOT_CRASH_EVENTS` (accepted events
//! to reach) and `WASMBOT_CRASH_SEED`. The figures are printed; see them with `--nocapture`:
//!
//! ```sh
//! WASMBOT_CRASH_KILLS=50 WASMBOT_CRASH_EVENTS=20000 cargo test -p wasmbot --test crash -- --nocapture
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

/// Concurrent senders and the chats they spread over.
const SENDERS: usize = 8;
const CHATS: usize = 6;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The daemon as a child process, killed (SIGKILL) and reaped when dropped, so no daemon
/// outlives the test, whatever happens.
struct Process {
    child: Child,
}

impl Process {
    /// SIGKILL, then reap.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the daemon needs: a config on a fixed loopback port (kept across restarts), the
/// plugins folder with `recorder`, and the data dir.
struct Setup {
    dir: PathBuf,
    config: PathBuf,
    base: String,
    runs: AtomicU64,
}

impl Setup {
    fn new(dir: &Path) -> Self {
        let plugins = dir.join("plugins");
        std::fs::create_dir_all(&plugins).unwrap();
        common::install(&common::plugin("recorder"), &plugins.join("recorder.wasm"));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = dir.join("wasmbot.toml");
        let text = format!(
            "listen = \"127.0.0.1:{port}\"\ndata_dir = {data:?}\nplugins_dir = {plugins:?}\n\n\
             [[bots]]\nname = \"sim\"\nplatform = \"sim\"\n",
            data = dir.join("data").display().to_string(),
            plugins = plugins.display().to_string(),
        );
        std::fs::write(&config, text).unwrap();
        Self {
            dir: dir.to_path_buf(),
            config,
            base: format!("http://127.0.0.1:{port}"),
            runs: AtomicU64::new(0),
        }
    }

    /// Starts the daemon; its output goes to `daemon-<n>.log`.
    fn spawn(&self) -> Process {
        let run = self.runs.fetch_add(1, Ordering::SeqCst);
        let log = std::fs::File::create(self.dir.join(format!("daemon-{run}.log"))).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_wasmbot"))
            .args(["run", "--config"])
            .arg(&self.config)
            .env("RUST_LOG", "warn,wasmbot=info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        Process { child }
    }

    /// Waits until the daemon answers `/healthz` (it binds only once plugins are loaded).
    async fn wait_ready(&self, http: &reqwest::Client) {
        let start = Instant::now();
        loop {
            let ok = http
                .get(format!("{}/healthz", self.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ok {
                return;
            }
            if start.elapsed() > Duration::from_secs(60) {
                panic!(
                    "the daemon did not get ready in 60 s; its log:\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The end of the latest daemon log, for failure messages.
    fn log_tail(&self) -> String {
        let run = self.runs.load(Ordering::SeqCst).saturating_sub(1);
        let log =
            std::fs::read_to_string(self.dir.join(format!("daemon-{run}.log"))).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// How often a daemon log warned of a torn line in the sim's log.
    fn torn_lines(&self) -> usize {
        (0..self.runs.load(Ordering::SeqCst))
            .map(|run| {
                std::fs::read_to_string(self.dir.join(format!("daemon-{run}.log")))
                    .unwrap_or_default()
            })
            .map(|log| {
                log.matches("skipping an unreadable line of the sim's log")
                    .count()
            })
            .sum()
    }
}

/// What the load generator did.
#[derive(Default)]
struct Load {
    posted: AtomicU64,
    /// (chat, text) of every message answered 202.
    accepted: Mutex<Vec<(String, String)>>,
}

impl Load {
    fn accepted(&self) -> u64 {
        self.accepted.lock().unwrap().len() as u64
    }
}

/// One sender: posts unique messages until `target` are accepted. A failed post (refused
/// connection, cut connection, non-202) is not accepted; the next one is a new message.
async fn sender(id: usize, http: reqwest::Client, base: String, load: Arc<Load>, target: u64) {
    let mut n = 0u64;
    while load.accepted() < target {
        load.posted.fetch_add(1, Ordering::SeqCst);
        n += 1;
        let chat = format!("c{}", (id + n as usize) % CHATS);
        let text = format!("s{id}-{n}");
        let body = json!({ "chat": chat, "user": format!("u{id}"), "text": text });
        match http
            .post(format!("{base}/sim/messages"))
            .json(&body)
            .send()
            .await
        {
            Ok(response) if response.status().as_u16() == 202 => {
                load.accepted.lock().unwrap().push((chat, text))
            }
            Ok(_) | Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

async fn get(http: &reqwest::Client, url: String) -> Value {
    http.get(url).send().await.unwrap().json().await.unwrap()
}

/// Every action the sim recorded, and every chat's timeline.
async fn sim_state(http: &reqwest::Client, base: &str) -> (Vec<Value>, Vec<Value>) {
    let actions = get(http, format!("{base}/sim/actions")).await["actions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut timelines = Vec::new();
    for chat in 0..CHATS {
        timelines
            .push(get(http, format!("{base}/sim/timeline?chat=c{chat}")).await["messages"].clone());
    }
    (actions, timelines)
}

/// How many times each chat's recorder sends carry each text.
fn sends(actions: &[Value]) -> HashMap<(String, String), usize> {
    let mut counts = HashMap::new();
    for action in actions.iter().filter(|a| a["op"] == "send") {
        let (Some(chat), Some(text)) = (action["chat"].as_str(), action["text"].as_str()) else {
            continue;
        };
        *counts
            .entry((chat.to_string(), text.to_string()))
            .or_default() += 1;
    }
    counts
}

fn message_number(id: &str) -> u64 {
    id.trim_start_matches('m').parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_accepted_event_is_answered_exactly_once_across_kills() {
    let kills = setting("WASMBOT_CRASH_KILLS", 5);
    let events = setting("WASMBOT_CRASH_EVENTS", 300);
    let seed = setting("WASMBOT_CRASH_SEED", rand::random::<u32>().into());
    common::plugins();
    let dir = tempfile::tempdir().unwrap();
    let setup = Arc::new(Setup::new(dir.path()));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let started = Instant::now();

    let mut daemon = setup.spawn();
    setup.wait_ready(&http).await;
    let load = Arc::new(Load::default());
    let senders: Vec<_> = (0..SENDERS)
        .map(|id| {
            tokio::spawn(sender(
                id,
                http.clone(),
                setup.base.clone(),
                load.clone(),
                events,
            ))
        })
        .collect();

    // Kill i comes once about i/(kills+1) of the events are accepted, a random moment later;
    // some kills hit a daemon that is starting up or replaying instead.
    let mut rng = StdRng::seed_from_u64(seed);
    let mut modes: BTreeMap<&str, u64> = BTreeMap::new();
    for i in 1..=kills {
        let mode = match rng.random_range(0..8) {
            0 => "starting",
            1 | 2 => "replaying",
            _ => "under load",
        };
        match mode {
            "starting" => tokio::time::sleep(Duration::from_millis(rng.random_range(0..150))).await,
            "replaying" => {
                setup.wait_ready(&http).await;
                tokio::time::sleep(Duration::from_millis(rng.random_range(0..100))).await;
            }
            _ => {
                setup.wait_ready(&http).await;
                let threshold = events * i / (kills + 1);
                while load.accepted() < threshold {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                tokio::time::sleep(Duration::from_millis(rng.random_range(0..30))).await;
            }
        }
        *modes.entry(mode).or_default() += 1;
        daemon.kill();
        daemon = setup.spawn();
    }
    setup.wait_ready(&http).await;
    for s in senders {
        s.await.unwrap();
    }
    let accepted = load.accepted.lock().unwrap().clone();
    let load_elapsed = started.elapsed();

    // Settle: wait until every accepted message has its answer (or give up and report).
    let deadline = Instant::now() + Duration::from_secs(60) + Duration::from_millis(events * 5);
    let missing = loop {
        let (actions, _) = sim_state(&http, &setup.base).await;
        let seen = sends(&actions);
        let missing = accepted
            .iter()
            .filter(|(c, t)| !seen.contains_key(&(c.clone(), format!("v1:{t}"))))
            .count();
        if missing == 0 || Instant::now() > deadline {
            break missing;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let settle_elapsed = started.elapsed() - load_elapsed;

    // One more kill with nothing going on: the sim's world must come back as it was, and its
    // message ids must keep counting up.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (actions_before, timelines_before) = sim_state(&http, &setup.base).await;
    daemon.kill();
    let daemon = setup.spawn();
    setup.wait_ready(&http).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (actions, timelines) = sim_state(&http, &setup.base).await;
    let last_id = timelines_before
        .iter()
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(|m| m["id"].as_str().map(message_number))
        .max()
        .unwrap_or(0);
    let body = json!({ "chat": "c0", "user": "late", "text": "after the last restart" });
    let response = http
        .post(format!("{}/sim/messages", setup.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 202);
    let new_id: Value = response.json().await.unwrap();
    let new_id = message_number(new_id["message_id"].as_str().unwrap());
    let dead = get(&http, format!("{}/admin/status", setup.base)).await["dead_letters"]
        .as_u64()
        .unwrap_or(u64::MAX);
    drop(daemon);

    let seen = sends(&actions);
    let lost: Vec<_> = accepted
        .iter()
        .filter(|(c, t)| !seen.contains_key(&(c.clone(), format!("v1:{t}"))))
        .collect();
    let duplicated: usize = seen.values().map(|n| n - 1).sum();
    let answered_unaccepted = seen.len().saturating_sub(accepted.len());
    eprintln!(
        "crash test (seed {seed}): posted {} events, accepted {}, {kills} kills ({modes:?}), lost {}, duplicated {duplicated}, \
         answered although not acknowledged {answered_unaccepted}, dead letters {dead}, torn sim log lines skipped {}; \
         load {:.1} s, settle {:.1} s, total {:.1} s",
        load.posted.load(Ordering::SeqCst),
        accepted.len(),
        lost.len(),
        setup.torn_lines(),
        load_elapsed.as_secs_f64(),
        settle_elapsed.as_secs_f64(),
        started.elapsed().as_secs_f64(),
    );
    assert!(
        lost.len() <= missing,
        "answers present before the last restart were gone after it"
    );
    assert!(
        lost.is_empty(),
        "{} accepted events never reached the recorder, e.g. {:?}",
        lost.len(),
        &lost[..lost.len().min(10)]
    );
    assert_eq!(
        duplicated,
        0,
        "recorder sends applied twice: {:?}",
        seen.iter()
            .filter(|(_, n)| **n > 1)
            .take(10)
            .collect::<Vec<_>>()
    );
    assert_eq!(dead, 0, "actions ended in the dead letters");
    assert!(
        actions.starts_with(&actions_before),
        "the sim's actions changed across a restart"
    );
    assert_eq!(
        actions.len(),
        actions_before.len(),
        "actions were delivered after everything had settled"
    );
    assert_eq!(
        timelines, timelines_before,
        "the sim's timelines changed across a restart"
    );
    assert!(
        new_id > last_id,
        "message id m{new_id} after the restart is not above m{last_id}"
    );
}
