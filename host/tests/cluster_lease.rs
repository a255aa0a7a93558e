//! A Fanbook bot's long poll in cluster mode: one poller per token. The node polling loses its
//! way to NATS (a loopback proxy between it and the server is cut), so it cannot refresh the
//! bot's lease: it must stop polling before the other node, which still reaches NATS, takes the
//! lease and starts, and the bot keeps answering through the new owner.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

use crate::common::{self, cluster::ClusterNode, nats::NatsServer};
use crate::fanbook_sim::{payloads, FanbookSim};

const TOKEN: &str = "c1a55e7f00d4b0a7c0ffee0123456789";

/// A TCP proxy on loopback that can be cut: live connections dropped, new ones refused.
struct Proxy {
    port: u16,
    cut: Arc<AtomicBool>,
    live: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Proxy {
    async fn start(target: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let live: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let (flag, conns) = (cut.clone(), live.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if flag.load(Ordering::SeqCst) {
                    continue; // dropped: refused
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(("127.0.0.1", target)).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                conns.lock().unwrap().push(task.abort_handle());
            }
        });
        Self { port, cut, live }
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for conn in self.live.lock().unwrap().drain(..) {
            conn.abort();
        }
    }
}

/// Node `name` with a Fanbook bot polling `sim`, started.
fn start_node(
    dir: &std::path::Path,
    name: &str,
    nats: &str,
    plugins: &std::path::Path,
    sim: &str,
) -> ClusterNode {
    let bot = format!(
        "[[bots]]\nname = \"fb\"\nplatform = \"fanbook\"\ntoken = {TOKEN:?}\nbase_url = {sim:?}\n\
         [bots.options]\ninbound = \"poll\"\npoll_timeout_secs = 1\nbackoff_min_ms = 20\nbackoff_max_ms = 200\n"
    );
    let mut node = ClusterNode::new(dir, name, nats, plugins, 4, &bot);
    node.start();
    node
}

/// The time of the first log line containing `what` (the log's RFC 3339 stamp).
fn logged_at(log: &str, what: &str) -> Option<String> {
    log.lines()
        .find(|l| l.contains(what))
        .and_then(|l| l.split_whitespace().next())
        .map(str::to_string)
}

async fn wait_log(path: &std::path::Path, what: &str, within: Duration) -> String {
    let started = Instant::now();
    loop {
        let log = std::fs::read_to_string(path).unwrap_or_default();
        if log.contains(what) {
            return log;
        }
        assert!(
            started.elapsed() < within,
            "no `{what}` in {}:\n{log}",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_poller_that_loses_its_lease_stops_before_another_starts() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    common::install(&common::plugin("echo"), &plugins.join("echo.wasm"));
    let nats = NatsServer::start(&dir.path().join("nats"));
    let proxy = Proxy::start(nats.port).await;
    let sim = FanbookSim::start(TOKEN).await;
    let via_proxy = format!("nats://127.0.0.1:{}", proxy.port);
    let a = start_node(dir.path(), "a", &via_proxy, &plugins, &sim.base);
    let runs = "this node runs the bot's fanbook connection";
    wait_log(&a.log, runs, Duration::from_secs(60)).await;
    let b = start_node(dir.path(), "b", &nats.url(), &plugins, &sim.base);
    wait_log(&b.log, "wasmbot is serving", Duration::from_secs(60)).await;

    sim.push_update(payloads::channel_text(
        469_300_000_000_000_001,
        "/echo before",
    ));
    let started = Instant::now();
    while !sim.sent_texts().iter().any(|t| t == "before") {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no answer before the cut: {:?}",
            sim.sent_texts()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    proxy.cut();
    let log_b_text = wait_log(&b.log, runs, Duration::from_secs(15)).await;
    let log_a_text = wait_log(
        &a.log,
        "no longer runs the bot's fanbook connection",
        Duration::from_secs(5),
    )
    .await;
    let stopped = logged_at(&log_a_text, "no longer runs the bot's fanbook connection").unwrap();
    let started_b = logged_at(&log_b_text, runs).unwrap();
    assert!(
        stopped < started_b,
        "a stopped polling at {stopped}, b started at {started_b}: never two pollers"
    );
    assert!(
        log_a_text.contains("lease not refreshed in time"),
        "a gave the lease up because it could not refresh it:\n{log_a_text}"
    );

    sim.push_update(payloads::channel_text(
        469_300_000_000_000_002,
        "/echo after",
    ));
    let started = Instant::now();
    while !sim.sent_texts().iter().any(|t| t == "after") {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no answer after the cut: {:?}",
            sim.sent_texts()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop((a, b));
}
