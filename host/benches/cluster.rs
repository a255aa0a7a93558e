//! Cluster mode: throughput with 1, 2 and 3 nodes on a plugin bound by I/O, and the latency
//! cost of cluster mode against the embedded default at the same load.
//!
//! Real parts on loopback: a `nats-server` with JetStream (`.ci/nats-server.txt`), the daemons
//! as processes of the release binary, a Yunhu simulator and an API stand-in in this process.
//! The plugin is the `fetcher` fixture: each event is `fetch http://127.0.0.1:PORT/slow?ms=50`,
//! a reply once the stand-in answers after 50 ms, so a node's throughput is bounded by its lanes
//! (4 instances, 8 requests in flight), not by the two cores: the figure measures coordination.
//!
//! - Throughput: `EVENTS` events over 64 chats posted at once (round robin over the nodes);
//!   the clock stops when the platform has every reply.
//! - Latency: 20 events/s for 10 s, post → the platform's send, on the embedded daemon and on a
//!   cluster of 1 and 3 nodes.
//!
//! `cargo bench -p wasmbot --bench cluster` prints Markdown tables for BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/mod.rs"]
mod common;

#[allow(dead_code)]
#[path = "../tests/api_sim.rs"]
mod api_sim;

#[path = "../tests/webhook_sim/mod.rs"]
mod webhook_sim;

#[path = "../tests/yunhu_sim/mod.rs"]
mod yunhu_sim;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use serde_json::{json, Value};

use api_sim::Api;
use common::nats::{free_port, NatsServer};

const CHATS: usize = 64;
const API_MS: u64 = 50;

/// One daemon process.
struct Daemon {
    base: String,
    log: PathBuf,
    child: Child,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where one run's daemons live and what they talk to.
struct Setup<'a> {
    dir: &'a Path,
    plugins: PathBuf,
    yunhu: &'a str,
    api: &'a Api,
}

impl Setup<'_> {
    /// Starts a daemon: embedded when `nats` is `None`, else a cluster node.
    fn daemon(&self, name: &str, nats: Option<&str>) -> Daemon {
        let port = free_port();
        let mode = match nats {
            Some(url) => format!(
                "mode = \"cluster\"\n[cluster]\nnats_url = {url:?}\nnode = {name:?}\npartitions = 64\n"
            ),
            None => String::new(),
        };
        let api = self.api.base.trim_start_matches("http://");
        let text = format!(
            "listen = \"127.0.0.1:{port}\"\ndata_dir = {data:?}\nplugins_dir = {plugins:?}\n{mode}\n\
             [[bots]]\nname = \"yh\"\nplatform = \"yunhu\"\ntoken = {token:?}\nbase_url = {yunhu:?}\n\
             [bots.options]\nrate_limit_per_second = 100000\n\n\
             [[plugins]]\nname = \"fetcher\"\ninstances = 4\n[plugins.grants]\nhttp = [{api:?}]\n\
             [plugins.http]\nmax_in_flight = 8\nrequests_per_minute = 1000000\n",
            data = self.dir.join(format!("data-{name}")).display().to_string(),
            plugins = self.plugins.display().to_string(),
            token = yunhu_sim::TOKEN,
            yunhu = self.yunhu,
        );
        let config = self.dir.join(format!("{name}.toml"));
        std::fs::write(&config, text).unwrap();
        let log = self.dir.join(format!("{name}.log"));
        let child = common::spawn_daemon(&config, &log);
        Daemon {
            base: format!("http://127.0.0.1:{port}"),
            log,
            child,
        }
    }
}

async fn wait_serving(daemons: &[Daemon]) {
    let started = Instant::now();
    for d in daemons {
        while !std::fs::read_to_string(&d.log)
            .unwrap_or_default()
            .contains("wasmbot is serving")
        {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "a daemon did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Message `serial` in chat `chat`, as Yunhu posts it.
fn webhook(chat: usize, serial: u64, api: &str) -> Value {
    let path = format!(
        "{}/tests/golden/yunhu/event_message_receive_normal.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut body: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let chat = format!("benchchat{chat}");
    body["header"]["eventId"] = json!(format!("bench-{serial:012}"));
    body["event"]["message"]["msgId"] = json!(format!("bm{serial}"));
    body["event"]["message"]["content"] =
        json!({ "text": format!("fetch {api}/slow?ms={API_MS}") });
    body["event"]["message"]["chatId"] = json!(chat);
    body["event"]["chat"]["chatId"] = json!(chat);
    body
}

/// When each reply reached the platform, by the message it answers (`parentId`).
fn replies(sim: &webhook_sim::Sim) -> HashMap<String, Instant> {
    sim.to("/bot/send")
        .into_iter()
        .filter_map(|r| Some((r.json()["parentId"].as_str()?.to_string(), r.at)))
        .collect()
}

async fn post(http: &reqwest::Client, base: &str, body: &Value) {
    loop {
        let sent = http
            .post(format!("{base}/hooks/yh"))
            .json(body)
            .send()
            .await;
        if sent.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Posts `events` at once over the chats and the daemons; seconds until every reply is in.
async fn throughput(
    daemons: &[Daemon],
    sim: &webhook_sim::Sim,
    api: &str,
    first: u64,
    events: u64,
) -> f64 {
    let http = reqwest::Client::new();
    let start = Instant::now();
    let mut posts = Vec::new();
    for i in 0..events {
        let (http, base) = (
            http.clone(),
            daemons[i as usize % daemons.len()].base.clone(),
        );
        let body = webhook(i as usize % CHATS, first + i, api);
        posts.push(tokio::spawn(async move { post(&http, &base, &body).await }));
    }
    for p in posts {
        p.await.unwrap();
    }
    let want: Vec<String> = (first..first + events).map(|s| format!("bm{s}")).collect();
    loop {
        let got = replies(sim);
        if want.iter().all(|id| got.contains_key(id)) {
            return start.elapsed().as_secs_f64();
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "replies missing after 300 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// 20 events/s for 10 s: p50 and p99 from post to the platform's send, in ms.
async fn latency(daemons: &[Daemon], sim: &webhook_sim::Sim, api: &str, first: u64) -> (f64, f64) {
    let http = reqwest::Client::new();
    let posted: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let mut posts = Vec::new();
    for i in 0..200u64 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let (http, base) = (
            http.clone(),
            daemons[i as usize % daemons.len()].base.clone(),
        );
        let body = webhook(i as usize % CHATS, first + i, api);
        let posted = posted.clone();
        posts.push(tokio::spawn(async move {
            let at = Instant::now();
            post(&http, &base, &body).await;
            posted
                .lock()
                .unwrap()
                .push((format!("bm{}", first + i), at));
        }));
    }
    for p in posts {
        p.await.unwrap();
    }
    let posted = posted.lock().unwrap().clone();
    let start = Instant::now();
    let mut got = replies(sim);
    while !posted.iter().all(|(id, _)| got.contains_key(id)) {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "replies missing"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
        got = replies(sim);
    }
    let mut ms: Vec<f64> = posted
        .iter()
        .map(|(id, at)| got[id].duration_since(*at).as_secs_f64() * 1000.0)
        .collect();
    ms.sort_by(f64::total_cmp);
    (ms[ms.len() / 2], ms[ms.len() * 99 / 100])
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let events: u64 = std::env::var("WASMBOT_CLUSTER_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1200);
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    common::install(&common::plugin("fetcher"), &plugins.join("fetcher.wasm"));
    let api = Api::start().await;
    let sim = yunhu_sim::start().await;
    let setup = Setup {
        dir: dir.path(),
        plugins,
        yunhu: &sim.base,
        api: &api,
    };
    let mut serial = 0u64;
    let mut rows = Vec::new();
    for nodes in 1..=3 {
        let nats = NatsServer::start(&dir.path().join(format!("nats-t{nodes}")));
        let daemons: Vec<Daemon> = (0..nodes)
            .map(|n| setup.daemon(&format!("t{nodes}n{n}"), Some(&nats.url())))
            .collect();
        wait_serving(&daemons).await;
        let seconds = throughput(&daemons, &sim, &api.base, serial, events).await;
        serial += events;
        eprintln!("{nodes} node(s): {:.1} events/s", events as f64 / seconds);
        rows.push((nodes, seconds));
    }
    let mut lat = Vec::new();
    {
        let embedded = [setup.daemon("embedded", None)];
        wait_serving(&embedded).await;
        lat.push((
            "embedded (one process)",
            latency(&embedded, &sim, &api.base, serial).await,
        ));
        serial += 1000;
    }
    for nodes in [1, 3] {
        let nats = NatsServer::start(&dir.path().join(format!("nats-l{nodes}")));
        let daemons: Vec<Daemon> = (0..nodes)
            .map(|n| setup.daemon(&format!("l{nodes}n{n}"), Some(&nats.url())))
            .collect();
        wait_serving(&daemons).await;
        let name = if nodes == 1 {
            "cluster, 1 node"
        } else {
            "cluster, 3 nodes"
        };
        lat.push((name, latency(&daemons, &sim, &api.base, serial).await));
        serial += 1000;
    }
    let base = events as f64 / rows[0].1;
    println!("| nodes | events | seconds | events/s | ÷ 1 node |");
    println!("|---:|---:|---:|---:|---:|");
    for (nodes, seconds) in &rows {
        let rate = events as f64 / seconds;
        println!(
            "| {nodes} | {events} | {seconds:.2} | {rate:.1} | {:.2}× |",
            rate / base
        );
    }
    println!();
    let (embedded_p50, embedded_p99) = lat[0].1;
    println!(
        "| 20 events/s, {API_MS} ms API | p50 ms | p99 ms | p50 ÷ embedded | p99 ÷ embedded |"
    );
    println!("|---|---:|---:|---:|---:|");
    for (name, (p50, p99)) in &lat {
        println!(
            "| {name} | {p50:.1} | {p99:.1} | {:.2}× | {:.2}× |",
            p50 / embedded_p50,
            p99 / embedded_p99
        );
    }
}
