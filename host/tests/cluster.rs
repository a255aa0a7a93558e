//! Cluster mode against a real `nats-server` (JetStream, loopback) and three daemons as real
//! processes sharing one Yunhu bot, its simulator in the test process. The `tally` plugin
//! numbers each chat's messages from kv (`#N text`), so a kv write applied twice, an effect
//! lost or doubled, or a chat's order broken shows in the sends the platform received.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::{self, cluster::ClusterNode, nats::NatsServer};
use crate::yunhu_sim;

const CHATS: usize = 6;

type Node = ClusterNode;

/// A node of the tests' cluster: 8 partitions, the Yunhu bot `yh` on the simulator at `yunhu`.
fn yunhu_node(dir: &Path, name: &str, nats: &str, plugins: &Path, yunhu: &str) -> Node {
    let bot = format!(
        "[[bots]]\nname = \"yh\"\nplatform = \"yunhu\"\ntoken = {token:?}\nbase_url = {yunhu:?}\n\
         [bots.options]\nrate_limit_per_second = 10000\n",
        token = yunhu_sim::TOKEN,
    );
    ClusterNode::new(dir, name, nats, plugins, 8, &bot)
}

/// A chat's message `n` as Yunhu posts it.
fn webhook(chat: &str, n: usize) -> Value {
    let path = format!(
        "{}/tests/golden/yunhu/event_message_receive_normal.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut body: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    body["header"]["eventId"] = json!(format!("cl-{chat}-{n:06}"));
    let message = &mut body["event"]["message"];
    message["msgId"] = json!(format!("clmsg-{chat}-{n:06}"));
    message["content"] = json!({ "text": format!("m{n}") });
    message["chatId"] = json!(chat);
    body["event"]["chat"]["chatId"] = json!(chat);
    body
}

/// Posts to the nodes in turn until one answers 200, as a platform behind a load balancer
/// retries; returns once accepted.
async fn post(http: &reqwest::Client, bases: &[String], body: &Value, first: usize) {
    let started = Instant::now();
    for attempt in 0.. {
        let base = &bases[(first + attempt) % bases.len()];
        if let Ok(response) = http
            .post(format!("{base}/hooks/yh"))
            .json(body)
            .send()
            .await
        {
            let status = response.status().as_u16();
            assert!(
                status == 200 || status >= 500,
                "a valid event was refused: {status}"
            );
            if status == 200 {
                return;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no node accepted an event"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Each chat's `tally` texts, in the order the platform received them.
fn sends_by_chat(sim: &crate::webhook_sim::Sim) -> BTreeMap<String, Vec<String>> {
    let mut by_chat: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for request in sim.to("/bot/send") {
        let body = request.json();
        let chat = body["recvId"].as_str().unwrap_or_default().to_string();
        let text = body["content"]["text"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        by_chat.entry(chat).or_default().push(text);
    }
    by_chat
}

/// Starts a node of each name and waits until they all serve.
async fn start_nodes(
    http: &reqwest::Client,
    dir: &Path,
    names: &[&str],
    nats: &str,
    plugins: &Path,
    yunhu: &str,
) -> Vec<Node> {
    let mut nodes: Vec<Node> = names
        .iter()
        .map(|name| yunhu_node(dir, name, nats, plugins, yunhu))
        .collect();
    for node in &mut nodes {
        node.start();
    }
    wait_serving(http, &nodes).await;
    nodes
}

/// Waits until every node serves (its plugins loaded and its partitions pulled).
async fn wait_serving(http: &reqwest::Client, nodes: &[Node]) {
    let started = Instant::now();
    for node in nodes {
        loop {
            let up = http.get(format!("{}/healthz", node.base)).send().await;
            if up.is_ok() && node.log_text().contains("wasmbot is serving") {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "{} did not start:\n{}",
                node.name,
                node.log_text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn cluster_dir(name: &str) -> (tempfile::TempDir, PathBuf) {
    cluster_dir_with(name, "tally")
}

/// A test folder with a plugins folder holding `plugin`, and a folder `name` in it.
fn cluster_dir_with(name: &str, plugin: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    common::install(
        &common::plugin(plugin),
        &plugins.join(format!("{plugin}.wasm")),
    );
    std::fs::create_dir_all(dir.path().join(name)).unwrap();
    (dir, plugins)
}

/// Two nodes share a bot's events, a third joins under load (and takes its share), and the
/// bot's holder is SIGKILLed. Every accepted event is answered exactly once, each chat's
/// answers are numbered 1, 2, 3, … in the order the chat posted them (kv shared and applied
/// once, order kept), and the dead node's partitions and the bot's lease move to the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_share_a_bot_and_lose_nothing_when_one_is_killed() {
    let (dir, plugins) = cluster_dir("nats");
    let nats = NatsServer::start(&dir.path().join("nats"));
    let sim = yunhu_sim::start().await;
    let http = reqwest::Client::new();
    let mut nodes = start_nodes(
        &http,
        dir.path(),
        &["n1", "n2"],
        &nats.url(),
        &plugins,
        &sim.base,
    )
    .await;
    let bases: Arc<Vec<String>> = Arc::new(nodes.iter().map(|n| n.base.clone()).collect());

    let per_chat = 40;
    let senders = send_load(&http, &bases, per_chat);
    // A third node joins under load: it pulls every partition like the others.
    wait_for_sends(&sim, CHATS * per_chat / 6, &nodes).await;
    let mut joining = yunhu_node(dir.path(), "n3", &nats.url(), &plugins, &sim.base);
    joining.start();
    wait_serving(&http, std::slice::from_ref(&joining)).await;
    nodes.push(joining);
    // Kill the lease holder of the bot (the one delivering) once a third is answered.
    wait_for_sends(&sim, CHATS * per_chat / 3, &nodes).await;
    let holder = nodes
        .iter()
        .position(|n| n.log_text().contains("lease taken lease=bot.yh"))
        .expect("a node holds the bot's lease");
    let at_kill = sim.to("/bot/send").len();
    let killed_at = Instant::now();
    nodes[holder].kill();
    wait_for_sends(&sim, at_kill + 1, &nodes).await;
    let resumed = killed_at.elapsed();
    for sender in senders {
        sender.await.unwrap();
    }
    let doubled = check_answers(&sim, per_chat, &nodes).await;
    assert!(
        resumed < Duration::from_secs(8),
        "answers resumed {resumed:?} after the kill (lease 3 s, ack wait 3 s)"
    );
    let takeover = nodes
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != holder)
        .any(|(_, n)| n.log_text().contains("lease taken lease=bot.yh"));
    assert!(takeover, "another node took the bot's lease");
    let handled_by_joiner: Value = http
        .get(format!("{}/admin/status", nodes[2].base))
        .send()
        .await
        .map(|r| r.json())
        .unwrap()
        .await
        .unwrap_or_default();
    if holder != 2 {
        let handled = handled_by_joiner["plugins"][0]["handled"]
            .as_u64()
            .unwrap_or(0);
        assert!(
            handled > 0,
            "the node that joined handled events too: {handled_by_joiner}"
        );
    }
    // `wasmbot status` on a survivor: this node, the two nodes present, the lease holders.
    let survivor = nodes.iter().find(|n| n.child.is_some()).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wasmbot"))
        .args(["status", "--config"])
        .arg(&survivor.config)
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "status failed: {status}");
    assert!(
        status.contains(&format!(
            "cluster: node {}, 8 partitions, 0 events waiting",
            survivor.name
        )),
        "{status}"
    );
    assert!(
        status.contains("partitions with events waiting\n  (none)"),
        "{status}"
    );
    let alive: Vec<&str> = nodes
        .iter()
        .filter(|n| n.child.is_some())
        .map(|n| n.name.as_str())
        .collect();
    let holder_line = status
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("bot.yh"))
        .unwrap_or_default();
    assert!(
        alive.iter().any(|n| holder_line.ends_with(n)),
        "a live node holds bot.yh: {status}"
    );
    assert!(
        !status.lines().any(|l| l.trim() == nodes[holder].name),
        "the killed node left the node list: {status}"
    );
    assert!(
        alive.iter().all(|n| status.lines().any(|l| l.trim() == *n)),
        "the live nodes are listed: {status}"
    );
    eprintln!(
        "cluster: {} answers, holder {} killed, answers resumed after {:.2} s, {doubled} sends in doubt resent",
        CHATS * per_chat,
        nodes[holder].name,
        resumed.as_secs_f64()
    );
    drop(nats);
}

/// Each chat posts `per_chat` messages in order, to the nodes in turn.
fn send_load(
    http: &reqwest::Client,
    bases: &Arc<Vec<String>>,
    per_chat: usize,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..CHATS)
        .map(|c| {
            let (http, bases) = (http.clone(), bases.clone());
            tokio::spawn(async move {
                let chat = format!("clchat{c}");
                for n in 1..=per_chat {
                    post(&http, &bases, &webhook(&chat, n), c + n).await;
                    tokio::time::sleep(Duration::from_millis(15)).await;
                }
            })
        })
        .collect()
}

/// Waits until the platform got `count` sends.
async fn wait_for_sends(sim: &crate::webhook_sim::Sim, count: usize, nodes: &[Node]) {
    let started = Instant::now();
    while sim.to("/bot/send").len() < count {
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "{} of {count} sends after 90 s; logs:\n{}",
            sim.to("/bot/send").len(),
            nodes
                .iter()
                .map(Node::log_text)
                .collect::<Vec<_>>()
                .join("\n----\n")
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Asserts that every chat got `#1 m1` … `#N mN` in order, each once but for sends in doubt
/// resent right after themselves (at most one per chat); returns how many were resent.
async fn check_answers(sim: &crate::webhook_sim::Sim, per_chat: usize, nodes: &[Node]) -> usize {
    let want = CHATS * per_chat;
    let started = Instant::now();
    loop {
        let by_chat = sends_by_chat(sim);
        let distinct: usize = by_chat
            .values()
            .map(|texts| {
                let mut texts = texts.clone();
                texts.dedup();
                texts.len()
            })
            .sum();
        if distinct >= want {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "{distinct} of {want} answers after 90 s; logs:\n{}",
            nodes
                .iter()
                .map(Node::log_text)
                .collect::<Vec<_>>()
                .join("\n----\n")
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let by_chat = sends_by_chat(sim);
    let mut doubled = 0;
    for c in 0..CHATS {
        let chat = format!("clchat{c}");
        let expected: Vec<String> = (1..=per_chat).map(|n| format!("#{n} m{n}")).collect();
        let got = by_chat.get(&chat).cloned().unwrap_or_default();
        let mut distinct = got.clone();
        distinct.dedup();
        assert_eq!(
            distinct, expected,
            "chat {chat}: every message answered once, numbered in order"
        );
        assert!(
            got.len() - distinct.len() <= 1,
            "chat {chat}: at most one send in doubt resent"
        );
        doubled += got.len() - distinct.len();
    }
    doubled
}

/// The NATS server is killed and restarted under load: the nodes reconnect, and every event
/// that was accepted is answered once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_nats_restart_under_load_loses_nothing_accepted() {
    let (dir, plugins) = cluster_dir("nats");
    let mut nats = NatsServer::start(&dir.path().join("nats"));
    let sim = yunhu_sim::start().await;
    let http = reqwest::Client::new();
    let nodes = start_nodes(
        &http,
        dir.path(),
        &["r1", "r2"],
        &nats.url(),
        &plugins,
        &sim.base,
    )
    .await;
    let bases: Arc<Vec<String>> = Arc::new(nodes.iter().map(|n| n.base.clone()).collect());
    let per_chat = 30;
    let senders = send_load(&http, &bases, per_chat);
    wait_for_sends(&sim, CHATS * per_chat / 3, &nodes).await;
    nats.restart();
    for sender in senders {
        sender.await.unwrap();
    }
    let doubled = check_answers(&sim, per_chat, &nodes).await;
    eprintln!("cluster: NATS restarted under load, {doubled} sends in doubt resent");
}

/// A node whose NATS server is not there says so with the URL, keeps trying, and joins once
/// the server is up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_waits_for_nats_naming_the_url() {
    let (dir, plugins) = cluster_dir("nats");
    let port = common::nats::free_port();
    let url = format!("nats://127.0.0.1:{port}");
    let sim = yunhu_sim::start().await;
    let mut node = yunhu_node(dir.path(), "n1", &url, &plugins, &sim.base);
    node.start();
    let started = Instant::now();
    while !node.log_text().contains("cannot reach the NATS server") {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no error line:\n{}",
            node.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(node.log_text().contains(&url), "the error names the URL");
    let _nats = NatsServer::start_on(&dir.path().join("nats"), port);
    let http = reqwest::Client::new();
    wait_serving(&http, std::slice::from_ref(&node)).await;
}

/// Every node must agree on the partition count: a node that says otherwise is refused with
/// both numbers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_different_partition_count_is_refused_with_both_numbers() {
    let (dir, plugins) = cluster_dir("nats");
    let nats = NatsServer::start(&dir.path().join("nats"));
    let sim = yunhu_sim::start().await;
    let mut first = yunhu_node(dir.path(), "n1", &nats.url(), &plugins, &sim.base);
    first.start();
    let http = reqwest::Client::new();
    wait_serving(&http, std::slice::from_ref(&first)).await;
    let mut other = yunhu_node(dir.path(), "n2", &nats.url(), &plugins, &sim.base);
    let text = std::fs::read_to_string(&other.config).unwrap();
    std::fs::write(
        &other.config,
        text.replace("partitions = 8", "partitions = 16"),
    )
    .unwrap();
    other.start();
    let status = other.child.as_mut().unwrap().wait().unwrap();
    assert!(!status.success(), "the node must not start");
    let log = other.log_text();
    assert!(
        log.contains("cluster.partitions is 16") && log.contains("has 8 partitions"),
        "both numbers are named:\n{log}"
    );
}

/// Reminders set through two nodes fire once each in the cluster, even when the node firing
/// the cluster's timers is SIGKILLed before they are due: another takes the `timers` lease.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn timers_fire_once_when_the_firing_node_is_killed() {
    let (dir, plugins) = cluster_dir_with("nats", "remind");
    let nats = NatsServer::start(&dir.path().join("nats"));
    let sim = yunhu_sim::start().await;
    let http = reqwest::Client::new();
    let mut nodes = start_nodes(
        &http,
        dir.path(),
        &["t1", "t2", "t3"],
        &nats.url(),
        &plugins,
        &sim.base,
    )
    .await;
    let bases: Vec<String> = nodes.iter().map(|n| n.base.clone()).collect();
    for c in 0..CHATS {
        let mut body = webhook(&format!("tmchat{c}"), 1);
        body["event"]["message"]["content"] = json!({ "text": format!("/remind 4s ping-{c}") });
        post(&http, &bases, &body, c).await;
    }
    let set = |texts: &BTreeMap<String, Vec<String>>, prefix: &str| {
        texts
            .values()
            .flatten()
            .filter(|t| t.starts_with(prefix))
            .count()
    };
    let started = Instant::now();
    while set(&sends_by_chat(&sim), "OK, in") < CHATS {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "reminders not confirmed: {:?}",
            sends_by_chat(&sim)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let firer = nodes
        .iter()
        .position(|n| n.log_text().contains("lease taken lease=timers"))
        .expect("a node fires the timers");
    nodes[firer].kill();
    let started = Instant::now();
    while set(&sends_by_chat(&sim), "⏰") < CHATS {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "reminders fired: {:?}; logs:\n{}",
            sends_by_chat(&sim),
            nodes
                .iter()
                .map(Node::log_text)
                .collect::<Vec<_>>()
                .join("\n----\n")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let by_chat = sends_by_chat(&sim);
    for c in 0..CHATS {
        let fired: Vec<&String> = by_chat[&format!("tmchat{c}")]
            .iter()
            .filter(|t| t.starts_with('⏰'))
            .collect();
        assert_eq!(
            fired,
            vec![&format!("⏰ ping-{c}")],
            "chat {c}: the reminder fired once"
        );
    }
}

/// An action the platform refuses becomes a dead letter that every node lists; retried from a
/// node that does not hold the bot, it is delivered once the platform takes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dead_letters_are_shared_and_retried_from_any_node() {
    let (dir, plugins) = cluster_dir("nats");
    let nats = NatsServer::start(&dir.path().join("nats"));
    let sim = yunhu_sim::start().await;
    let http = reqwest::Client::new();
    let nodes = start_nodes(
        &http,
        dir.path(),
        &["d1", "d2"],
        &nats.url(),
        &plugins,
        &sim.base,
    )
    .await;
    sim.script([crate::webhook_sim::Answer::json(
        json!({ "code": 1002, "msg": "contentType取值错误，请翻看文档" }),
    )]);
    let bases: Vec<String> = nodes.iter().map(|n| n.base.clone()).collect();
    post(&http, &bases, &webhook("deadchat", 1), 0).await;

    let holder = nodes
        .iter()
        .position(|n| n.log_text().contains("lease taken lease=bot.yh"))
        .expect("a node holds the bot");
    let other = &nodes[1 - holder];
    let token =
        std::fs::read_to_string(dir.path().join(format!("data-{}/admin-token", other.name)))
            .unwrap();
    let started = Instant::now();
    let letters = loop {
        let body: Value = http
            .get(format!("{}/admin/deadletters", other.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let letters = body["dead_letters"].as_array().cloned().unwrap_or_default();
        if !letters.is_empty() {
            break letters;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no dead letter on {}",
            other.name
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(letters[0]["plugin"], "tally");
    assert!(
        letters[0]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("1002"),
        "{letters:?}"
    );

    let id = letters[0]["id"].to_string();
    let retried = http
        .post(format!("{}/admin/deadletters/{id}/retry", other.base))
        .bearer_auth(token.trim())
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(retried.status().as_u16(), 200);
    let started = Instant::now();
    let delivered_twice = |by_chat: BTreeMap<String, Vec<String>>| {
        by_chat
            .get("deadchat")
            .is_some_and(|texts| texts.iter().filter(|t| *t == "#1 m1").count() == 2)
    };
    while !delivered_twice(sends_by_chat(&sim)) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the retried action was not delivered: {:?}",
            sends_by_chat(&sim)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let body: Value = http
        .get(format!("{}/admin/deadletters", nodes[holder].base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["dead_letters"],
        json!([]),
        "the letter is gone on every node"
    );
}

/// The console of a cluster node shows the cluster in a real browser (Debian's Chromium):
/// both nodes, this one marked, the bot's lease under its holder.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_console_shows_the_nodes_and_their_leases() {
    use crate::browser::{browser_dir, chromium, ensure_node_modules, require, screenshot_path};
    require("node", "the console's browser test");
    ensure_node_modules();
    let (dir, plugins) = cluster_dir("nats");
    let nats = NatsServer::start(&dir.path().join("nats"));
    let sim = yunhu_sim::start().await;
    let http = reqwest::Client::new();
    let nodes = start_nodes(
        &http,
        dir.path(),
        &["c1", "c2"],
        &nats.url(),
        &plugins,
        &sim.base,
    )
    .await;
    let started = Instant::now();
    while !nodes
        .iter()
        .any(|n| n.log_text().contains("lease taken lease=bot.yh"))
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "nobody holds the bot"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let shot = screenshot_path("cluster-console.png");
    let output = tokio::process::Command::new("node")
        .arg(browser_dir().join("cluster.mjs"))
        .args([&nodes[1].base, "c2", "c1", "yh"])
        .arg(&shot)
        .env("CHROMIUM", chromium())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), output)
        .await
        .expect("node cluster.mjs did not finish")
        .expect("cannot run node");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
