//! Plugin files shared through the cluster's object store, against a real `nats-server` and
//! daemons as real processes, each with its own plugins folder: a file dropped on one node
//! (or pushed with `wasmbot push`) is loaded on every node, a new version is hot-reloaded
//! there, a removed file is unloaded there, and nothing is sent back and forth.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{self, cluster::ClusterNode, nats::NatsServer};

const WAIT: Duration = Duration::from_secs(90);

/// One daemon of the cluster, with its own data and plugins folders.
struct Node {
    node: ClusterNode,
    plugins: PathBuf,
}

impl std::ops::Deref for Node {
    type Target = ClusterNode;
    fn deref(&self) -> &ClusterNode {
        &self.node
    }
}

impl std::ops::DerefMut for Node {
    fn deref_mut(&mut self) -> &mut ClusterNode {
        &mut self.node
    }
}

impl Node {
    fn new(dir: &Path, name: &str, nats: &str) -> Self {
        let plugins = dir.join(format!("plugins-{name}"));
        std::fs::create_dir_all(&plugins).unwrap();
        let node = ClusterNode::new(dir, name, nats, &plugins, 2, "");
        Self { node, plugins }
    }

    /// Waits until the node serves (its plugins loaded).
    async fn wait_serving(&self) {
        let started = Instant::now();
        while !self.log_text().contains("wasmbot is serving") {
            assert!(
                started.elapsed() < WAIT,
                "{} did not start:\n{}",
                self.name,
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The running plugins (name, version) its `GET /admin/status` shows.
    async fn plugins(&self) -> Vec<(String, String)> {
        let Ok(response) = reqwest::get(format!("{}/admin/status", self.base)).await else {
            return Vec::new();
        };
        let body: Value = response.json().await.unwrap_or(Value::Null);
        body["plugins"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|p| {
                let field = |f: &str| p[f].as_str().unwrap_or_default().to_string();
                (field("name"), field("version"))
            })
            .collect()
    }

    /// Waits until `name` runs at `version` (`None`: until it does not run).
    async fn wait_for_plugin(&self, name: &str, version: Option<&str>) {
        let started = Instant::now();
        loop {
            let running = self.plugins().await;
            let found = running.iter().find(|(n, _)| n == name).map(|(_, v)| v);
            if found.map(String::as_str) == version {
                return;
            }
            assert!(
                started.elapsed() < WAIT,
                "{}: {name} is not at {version:?}; running {running:?}; log:\n{}",
                self.name,
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn start_nodes(dir: &Path, nats: &str, names: &[&str]) -> Vec<Node> {
    let mut nodes: Vec<Node> = names.iter().map(|n| Node::new(dir, n, nats)).collect();
    for node in &mut nodes {
        node.start();
    }
    for node in &nodes {
        node.wait_serving().await;
    }
    nodes
}

/// `wasmbot push FILE --config CONFIG`.
fn push(file: &Path, config: Option<&Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wasmbot"));
    command.arg("push").arg(file).env_remove("WASMBOT_CONFIG");
    if let Some(config) = config {
        command.arg("--config").arg(config);
    }
    command.output().unwrap()
}

/// The names of the plugins `node` runs.
async fn names(node: &Node) -> Vec<String> {
    node.plugins().await.into_iter().map(|(n, _)| n).collect()
}

fn count(text: &str, line: &str) -> usize {
    text.matches(line).count()
}

/// A file copied into node A's folder runs on B; a second version copied over it is
/// hot-reloaded on B; removing it from A unloads it on B and removes B's file. B never sends
/// what it received back, and A never writes back what it sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_dropped_on_one_node_is_loaded_reloaded_and_removed_on_the_other() {
    let v1 = common::plugin("recorder");
    let v2 = common::plugin("recorder-v2");
    let dir = tempfile::tempdir().unwrap();
    let nats = NatsServer::start(&dir.path().join("nats"));
    let nodes = start_nodes(dir.path(), &nats.url(), &["a", "b"]).await;
    let (a, b) = (&nodes[0], &nodes[1]);

    common::install(&v1, &a.plugins.join("recorder.wasm"));
    b.wait_for_plugin("recorder", Some("1.0.0")).await;
    let on_b = b.plugins.join("recorder.wasm");
    assert_eq!(std::fs::read(&on_b).unwrap(), std::fs::read(&v1).unwrap());

    common::install(&v2, &a.plugins.join("recorder.wasm"));
    b.wait_for_plugin("recorder", Some("2.0.0")).await;
    assert_eq!(std::fs::read(&on_b).unwrap(), std::fs::read(&v2).unwrap());
    a.wait_for_plugin("recorder", Some("2.0.0")).await;

    std::fs::remove_file(a.plugins.join("recorder.wasm")).unwrap();
    b.wait_for_plugin("recorder", None).await;
    assert!(!on_b.exists(), "B's copy is removed");
    // A few more looks at both folders: nothing may come back or bounce.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        !a.plugins.join("recorder.wasm").exists(),
        "nothing came back"
    );
    assert!(b.plugins().await.iter().all(|(n, _)| n != "recorder"));

    let (a_log, b_log) = (a.log_text(), b.log_text());
    assert_eq!(
        count(&a_log, "plugin file sent to the cluster"),
        2,
        "{a_log}"
    );
    assert_eq!(
        count(&a_log, "plugin file received from the cluster"),
        0,
        "{a_log}"
    );
    assert_eq!(
        count(&a_log, "plugin file removed from the cluster"),
        1,
        "{a_log}"
    );
    assert_eq!(
        count(&b_log, "plugin file received from the cluster"),
        2,
        "{b_log}"
    );
    assert_eq!(
        count(&b_log, "plugin file sent to the cluster"),
        0,
        "{b_log}"
    );
    assert_eq!(
        count(&b_log, "plugin file removed from the cluster"),
        0,
        "{b_log}"
    );
    assert_eq!(
        count(&b_log, "plugin file removed, as in the cluster"),
        1,
        "{b_log}"
    );
}

/// A node that was down catches up at its next start: a file the cluster removed meanwhile is
/// removed there, and a file changed there meanwhile wins and reaches the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_was_down_catches_up_both_ways_at_join() {
    let dir = tempfile::tempdir().unwrap();
    let nats = NatsServer::start(&dir.path().join("nats"));
    let mut nodes = start_nodes(dir.path(), &nats.url(), &["a", "b"]).await;
    common::install(
        &common::plugin("recorder"),
        &nodes[0].plugins.join("recorder.wasm"),
    );
    common::install(
        &common::plugin("echo01"),
        &nodes[0].plugins.join("echo01.wasm"),
    );
    nodes[1].wait_for_plugin("recorder", Some("1.0.0")).await;
    let echo_on_b = nodes[1].plugins.join("echo01.wasm");
    let started = Instant::now();
    while names(&nodes[1]).await.len() < 2 {
        assert!(started.elapsed() < WAIT, "{}", nodes[1].log_text());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(echo_on_b.exists());

    nodes[1].kill();
    std::fs::remove_file(nodes[0].plugins.join("echo01.wasm")).unwrap();
    common::install(
        &common::plugin("recorder-v2"),
        &nodes[1].plugins.join("recorder.wasm"),
    );
    tokio::time::sleep(Duration::from_secs(2)).await; // a removes echo01 from the bucket
    nodes[1].start(); // a new log
    nodes[1].wait_serving().await;

    assert!(!echo_on_b.exists(), "removed in the cluster meanwhile");
    let running = nodes[1].plugins().await;
    assert_eq!(running, vec![("recorder".to_string(), "2.0.0".to_string())]);
    nodes[0].wait_for_plugin("recorder", Some("2.0.0")).await;
    let b_log = nodes[1].log_text();
    assert!(
        b_log.contains("plugin file changed here while away"),
        "{b_log}"
    );
}

/// `wasmbot push` reaches every running node, a 24 MB file too, and a node that joins later
/// has the file loaded by the time it serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pushed_file_reaches_every_node_and_a_node_joining_later() {
    let file = common::plugin("echo01");
    let dir = tempfile::tempdir().unwrap();
    let nats = NatsServer::start(&dir.path().join("nats"));
    let nodes = start_nodes(dir.path(), &nats.url(), &["a", "b"]).await;

    let pushed = push(&file, Some(&nodes[0].config));
    let stdout = String::from_utf8_lossy(&pushed.stdout);
    let stderr = String::from_utf8_lossy(&pushed.stderr);
    assert!(pushed.status.success(), "{stdout}{stderr}");
    let bytes = std::fs::metadata(&file).unwrap().len();
    assert!(
        stdout.starts_with(&format!("pushed echo01.wasm ({bytes} bytes, SHA-256="))
            && stdout.contains(&nats.url()),
        "{stdout}"
    );
    for node in &nodes {
        let started = Instant::now();
        while names(node).await.is_empty() {
            assert!(started.elapsed() < WAIT, "{}", node.log_text());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let file_there = node.plugins.join("echo01.wasm");
        assert_eq!(
            std::fs::read(file_there).unwrap(),
            std::fs::read(&file).unwrap()
        );
    }
    let echo = names(&nodes[0]).await;

    // A large file goes through in chunks and arrives whole (it is no plugin: it fails to
    // load, and is shared all the same).
    let big = dir.path().join("big.wasm");
    let mut bytes = b"\0asm\x01\0\0\0".to_vec();
    bytes.extend((0..24 * 1024 * 1024u32).map(|i| (i % 251) as u8));
    std::fs::write(&big, &bytes).unwrap();
    let pushed = push(&big, Some(&nodes[1].config));
    assert!(pushed.status.success(), "{pushed:?}");
    for node in &nodes {
        let there = node.plugins.join("big.wasm");
        let started = Instant::now();
        while std::fs::read(&there).ok().as_ref() != Some(&bytes) {
            assert!(started.elapsed() < WAIT, "{}", node.log_text());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    let mut late = Node::new(dir.path(), "c", &nats.url());
    late.start();
    late.wait_serving().await;
    assert_eq!(
        names(&late).await,
        echo,
        "loaded before serving:\n{}",
        late.log_text()
    );
    assert_eq!(
        count(&late.log_text(), "plugin file sent to the cluster"),
        0
    );
    assert_eq!(std::fs::read(late.plugins.join("big.wasm")).unwrap(), bytes);
}

/// A push of a missing file, of a file that is not Wasm, without a config, with a config that
/// is not a cluster's, or to a NATS server that is not there fails at once, naming what is
/// wrong, with a non-zero exit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_push_says_what_is_wrong_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let port = common::nats::free_port();
    let absent = format!("nats://127.0.0.1:{port}");
    let cluster = Node::new(dir.path(), "a", &absent);
    let single = dir.path().join("single.toml");
    std::fs::write(&single, "listen = \"127.0.0.1:0\"\n").unwrap();
    let not_wasm = dir.path().join("notes.wasm");
    std::fs::write(&not_wasm, "hello").unwrap();
    let missing = dir.path().join("missing.wasm");
    let echo = common::plugin("echo01");

    let cases: [(&Path, Option<&Path>, &[&str]); 5] = [
        (
            &missing,
            Some(&cluster.config),
            &["missing.wasm", "cannot read it"],
        ),
        (
            &not_wasm,
            Some(&cluster.config),
            &["notes.wasm", "not a WebAssembly file"],
        ),
        (&echo, None, &["echo01.wasm", "--config"]),
        (
            &echo,
            Some(&single),
            &["echo01.wasm", "single.toml", "mode = \"cluster\""],
        ),
        (&echo, Some(&cluster.config), &["echo01.wasm", &absent]),
    ];
    for (file, config, says) in cases {
        let started = Instant::now();
        let output = push(file, config);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{file:?} {config:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{file:?}: nothing was pushed");
        for said in says {
            assert!(
                stderr.contains(said),
                "{file:?} {config:?}: {said:?} in {stderr}"
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{file:?} {config:?} took {:?}",
            started.elapsed()
        );
    }
}
