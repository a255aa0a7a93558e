//! Start-up: the listener accepts events before the plugins have loaded, and those events are
//! handled once the plugins are ready.

use std::time::Duration;

use serde_json::json;

use crate::common::{config_in, install, plugin, TestDaemon};
use wasmbot::daemon::Daemon;

/// Plugins compiled cold (a fresh data dir has no compile cache) take long enough to load
/// that a message posted right after the listener opens is accepted while they still load.
const PLUGINS: &[&str] = &[
    "echo",
    "welcome",
    "role-menu",
    "antispam",
    "help",
    "recorder",
];

#[tokio::test]
async fn events_accepted_while_plugins_load_are_handled_once_they_are_ready() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config_in(dir.path());
    config.listen = free_loopback_port();
    config.runtime.compile_cache = None; // its own, empty: the plugins compile cold
    std::fs::create_dir_all(&config.plugins_dir).unwrap();
    for p in PLUGINS {
        let file = format!("{}.wasm", p.replace('-', "_"));
        install(&plugin(p), &config.plugins_dir.join(file));
    }
    let (base, plugins_dir) = (
        format!("http://{}", config.listen),
        config.plugins_dir.clone(),
    );
    let starting = tokio::spawn(Daemon::start(config));

    let http = reqwest::Client::new();
    let message = json!({ "chat": "g1", "user": "ann", "text": "/echo early bird" });
    let accepted_while_loading = loop {
        let posted = http
            .post(format!("{base}/sim/messages"))
            .json(&message)
            .send()
            .await;
        if let Ok(response) = posted {
            assert_eq!(response.status().as_u16(), 202);
            break !starting.is_finished();
        }
        assert!(
            !starting.is_finished(),
            "the daemon finished starting, yet its listener refused: {posted:?}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    assert!(
        accepted_while_loading,
        "the listener opened only after the plugins had loaded"
    );

    let daemon = starting.await.unwrap().expect("daemon starts");
    let d = TestDaemon::attach(daemon, plugins_dir);
    let answered = |text: &str, actions: &[serde_json::Value]| {
        actions.iter().filter(|a| a["text"] == text).count()
    };
    let actions = d
        .wait_for("g1", Duration::from_secs(20), |actions| {
            answered("early bird", actions) > 0 && answered("v1:/echo early bird", actions) > 0
        })
        .await;
    // Both plugins saw the event, each exactly once.
    assert_eq!(answered("early bird", &actions), 1);
    assert_eq!(answered("v1:/echo early bird", &actions), 1);
}

/// A loopback address with a port free a moment ago: the test must know the address before
/// `Daemon::start` returns it.
fn free_loopback_port() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}
