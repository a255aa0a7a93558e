//! Both WIT worlds side by side: a plugin built against `wasmbot:bot@0.1.0` with the frozen 0.1
//! SDK (`tests/sdk-0.1`, fixture `legacy`) runs unchanged next to 0.2 plugins, one built with
//! guest-sdk (`echo`) and one straight from the WIT (`bare`).

use std::time::Duration;

use crate::common::TestDaemon;

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_0_1_plugin_runs_beside_0_2_plugins() {
    let d = TestDaemon::start(&["legacy", "echo", "bare"]).await;
    d.say("mixed", "alice", "/legacy one").await;
    d.say("mixed", "alice", "/echo two").await;
    d.say("mixed", "alice", "/ping").await;
    d.say("mixed", "alice", "/legacy three").await;
    d.wait_for("mixed", WAIT, |a| a.len() >= 4).await;
    let mut replies = d.texts("mixed", "reply").await;
    replies.sort();
    assert_eq!(
        replies,
        ["0.1: one (call 1)", "0.1: three (call 2)", "pong", "two"],
        "each world's plugin answered, the 0.1 one with its kv count"
    );

    let (_, status) = d.get("/admin/status").await;
    let plugins = status["plugins"].as_array().cloned().unwrap_or_default();
    let world = |name: &str| {
        plugins
            .iter()
            .find(|p| p["name"] == name)
            .map(|p| p["world"].clone())
    };
    assert_eq!(
        world("legacy"),
        Some("wasmbot:bot@0.1.0".into()),
        "{status}"
    );
    assert_eq!(world("echo"), Some("wasmbot:bot@0.2.0".into()), "{status}");
    assert_eq!(world("bare"), Some("wasmbot:bot@0.2.0".into()), "{status}");
}
