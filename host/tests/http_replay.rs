//! An HTTP request made while handling an event that is replayed after a crash (SIGKILL of the
//! real binary) is made again, with the same `Idempotency-Key`, and the event is answered once.

use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::api_sim::{Api, Seen};
use crate::common;

/// The daemon as a child process; SIGKILLed and reaped when dropped.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(config: &Path, log: &Path) -> Daemon {
    Daemon(common::spawn_daemon(config, log))
}

/// Polls `check` every 20 ms until it gives a value, or panics naming `what` after 60 s.
async fn until<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "gave up waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn seen_at_least(api: &Api, n: usize) -> Option<Vec<Seen>> {
    let seen = api.seen();
    (seen.len() >= n).then_some(seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_request_carries_the_same_idempotency_key() {
    let api = Api::start().await;
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    common::install(&common::plugin("fetcher"), &plugins.join("fetcher.wasm"));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.path().join("wasmbot.toml");
    let text = format!(
        "listen = \"127.0.0.1:{port}\"\ndata_dir = {data:?}\nplugins_dir = {plugins:?}\n\
         [[plugins]]\nname = \"fetcher\"\n[plugins.grants]\nhttp = [\"{grant}\"]\n",
        data = dir.path().join("data").display().to_string(),
        plugins = plugins.display().to_string(),
        grant = api.grant(),
    );
    std::fs::write(&config, text).unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let ready = async |http: &reqwest::Client| {
        let answer = http.get(format!("{base}/healthz")).send().await;
        answer.is_ok_and(|r| r.status().is_success()).then_some(())
    };

    let first = spawn(&config, &dir.path().join("daemon-0.log"));
    until("the daemon", async || ready(&http).await).await;
    let posted = http
        .post(format!("{base}/sim/messages"))
        .json(
            &json!({"chat": "k", "user": "alice", "text": format!("fetch {}/hang-once", api.base)}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 202);
    // The request is in flight (the API holds it): kill the daemon mid-event.
    until("the first request", async || seen_at_least(&api, 1)).await;
    drop(first);

    let _second = spawn(&config, &dir.path().join("daemon-1.log"));
    let seen = until("the replayed request", async || seen_at_least(&api, 2)).await;
    let keys: Vec<String> = seen
        .iter()
        .filter_map(|s| s.idempotency_key.clone())
        .collect();
    assert_eq!(keys.len(), 2, "{seen:?}");
    assert_eq!(keys[0], keys[1], "a replay must send the same key");
    assert!(
        keys[0].starts_with("wb-fetcher-") && keys[0].ends_with("-0"),
        "{keys:?}"
    );

    let replies = until("the reply", async || {
        let answer = http
            .get(format!("{base}/sim/actions?chat=k"))
            .send()
            .await
            .ok()?;
        let body: Value = answer.json().await.ok()?;
        let replies: Vec<Value> = body["actions"]
            .as_array()?
            .iter()
            .filter(|a| a["op"] == "reply")
            .cloned()
            .collect();
        (!replies.is_empty()).then_some(replies)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0]["text"], "200 done");
    assert_eq!(api.seen().len(), 2, "the request is made once per handling");
}
