//! Outbound HTTP from Python (`wasmbot.http`) and TypeScript (`fetch`) plugins, fixtures
//! `tests/foreign/py-fetch` and `ts-fetch`: a granted loopback host answers, one not granted
//! is refused by the host before anything is sent (each language sees its own error).

use std::time::Duration;

use crate::api_sim::Api;
use crate::common::languages::foreign;
use crate::common::{install, overrides, TestDaemon};

/// Generous: a 15-20 MB Python or JS component compiles for tens of seconds on a debug host,
/// longer while every other test runs beside it.
const WAIT: Duration = Duration::from_secs(300);

/// Starts a daemon with `name`'s fixture granted `api`; returns it once the plugin runs.
async fn daemon(name: &str, file: &str, api: &Api) -> TestDaemon {
    let wasm = tokio::task::spawn_blocking({
        let file = file.to_string();
        move || foreign(&file)
    })
    .await
    .unwrap();
    let grant = overrides(name, |c| c.grants.http = vec![api.grant()]);
    let d = TestDaemon::start_with(&[], vec![grant]).await;
    install(&wasm, &d.plugins_dir.join(format!("{file}.wasm")));
    d.wait_for_plugin(name, None, WAIT).await;
    d
}

/// Asks for a granted URL and one not granted; returns the two replies.
async fn two_fetches(d: &TestDaemon, api: &Api) -> Vec<String> {
    let refused = format!("http://127.0.0.1:{}/ok", api.port.wrapping_add(1).max(1));
    d.say("h", "alice", &format!("/get {}/ok", api.base)).await;
    d.say("h", "alice", &format!("/get {refused}")).await;
    d.wait_for("h", WAIT, |a| a.len() >= 2).await;
    d.texts("h", "reply").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_plugin_reaches_granted_hosts_only() {
    let api = Api::start().await;
    let d = daemon("py-fetch", "py-fetch", &api).await;
    let replies = two_fetches(&d, &api).await;
    assert_eq!(replies, ["200 hello", "error HTTP-request-denied"]);
    assert_eq!(
        api.seen().len(),
        1,
        "the refused request never left the daemon"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typescript_plugin_fetches_granted_hosts_only() {
    let api = Api::start().await;
    let d = daemon("ts-fetch", "ts-fetch", &api).await;
    let replies = two_fetches(&d, &api).await;
    assert_eq!(replies[0], "200 hello", "{replies:?}");
    assert!(replies[1].starts_with("error "), "{replies:?}");
    assert_eq!(
        api.seen().len(),
        1,
        "the refused request never left the daemon"
    );
}
