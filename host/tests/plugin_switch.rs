//! Disabling a plugin from the admin API (and the CLI): its events wait, as for a plugin that
//! is away, and once it is enabled each is handled exactly once; the state shows in status and
//! survives a restart; reloads show in the plugin's history.

use std::time::Duration;

use serde_json::Value;

use crate::common::TestDaemon;

const WAIT: Duration = Duration::from_secs(20);

fn wasmbot(d: &TestDaemon, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wasmbot"))
        .args(args)
        .args(["--daemon", &d.base])
        .arg("--data")
        .arg(&d.daemon.data_dir)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

async fn echo_status(d: &TestDaemon) -> Value {
    let (status, body) = d.get("/admin/status").await;
    assert_eq!(status, 200, "{body}");
    body["plugins"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == "echo").cloned())
        .unwrap_or_else(|| panic!("no echo in {body}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_plugins_events_wait_and_are_handled_once_after_enabling() {
    let d = TestDaemon::start(&["echo"]).await;
    d.wait_for_plugin("echo", None, WAIT).await;

    d.say("sw", "alice", "/echo before").await;
    d.wait_for("sw", WAIT, |a| a.iter().any(|x| x["text"] == "before"))
        .await;

    // Changes need the token and a JSON body, like every admin change.
    let refused = d
        .http
        .post(format!("{}/admin/plugins/echo/disable", d.base))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let (status, body) = d.admin_post("/admin/plugins/nosuch/disable").await;
    assert_eq!(status, 404, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("plugins: echo"),
        "{body}"
    );

    let (status, body) = d.admin_post("/admin/plugins/echo/disable").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["enabled"], false);
    let echo = echo_status(&d).await;
    assert_eq!(echo["state"], "disabled", "{echo}");
    assert_eq!(echo["enabled"], false);

    for text in ["/echo w1", "/echo w2", "/echo w3"] {
        d.say("sw", "alice", text).await;
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    let texts = d.texts("sw", "reply").await;
    let replies: Vec<&String> = texts.iter().filter(|t| t.starts_with('w')).collect();
    assert!(replies.is_empty(), "a disabled plugin answered: {texts:?}");
    let echo = echo_status(&d).await;
    assert_eq!(echo["backlog"], 3, "its events wait: {echo}");
    let metrics = d.http.get(format!("{}/metrics", d.base)).send().await;
    let metrics = metrics.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("wasmbot_plugin_enabled{plugin=\"echo\"} 0"),
        "{metrics}"
    );

    // The CLI enables it (and says so); the waiting events are handled, once each.
    let (ok, out) = wasmbot(&d, &["enable", "echo"]);
    assert!(ok, "{out}");
    assert!(out.contains("enabled true"), "{out}");
    d.wait_for("sw", WAIT, |a| {
        a.iter().filter(|x| x["text"] == "w3").count() == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut texts = d.texts("sw", "reply").await;
    texts.retain(|t| t.starts_with('w'));
    texts.sort();
    assert_eq!(texts, ["w1", "w2", "w3"], "each waiting event handled once");
    let echo = echo_status(&d).await;
    assert_eq!(echo["state"], "serving", "{echo}");
    assert_eq!(echo["backlog"], 0, "{echo}");

    // Disabled again by the CLI: the file keeps it for the next start.
    let (ok, out) = wasmbot(&d, &["disable", "echo"]);
    assert!(ok, "{out}");
    let saved = std::fs::read_to_string(d.daemon.data_dir.join("disabled-plugins")).unwrap();
    assert_eq!(saved.trim(), "echo");
    let (ok, out) = wasmbot(&d, &["status"]);
    assert!(ok && out.contains("disabled"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reloads_show_in_the_history_with_file_version_and_outcome() {
    let d = TestDaemon::start(&["echo"]).await;
    d.wait_for_plugin("echo", None, WAIT).await;
    let history = |p: &Value| p["reloads"].as_array().cloned().unwrap_or_default();
    let first = history(&echo_status(&d).await);
    assert!(!first.is_empty(), "the first load is recorded");
    assert_eq!(first[0]["ok"], true);
    assert!(first[0]["file"].as_str().unwrap().ends_with("echo.wasm"));
    assert!(first[0]["version"].is_string());

    // A broken file in its place: the reload fails, the old version keeps serving, and the
    // history says why.
    let file = d.plugins_dir.join("echo.wasm");
    let good = std::fs::read(&file).unwrap();
    std::fs::write(&file, b"not wasm").unwrap();
    let start = std::time::Instant::now();
    let failed = loop {
        let list = history(&echo_status(&d).await);
        if let Some(f) = list.iter().find(|r| r["ok"] == false) {
            break f.clone();
        }
        assert!(
            start.elapsed() < WAIT,
            "no failed reload recorded: {list:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(failed["error"].as_str().is_some_and(|e| !e.is_empty()));
    assert!(failed["version"].is_null());
    let metrics = d.http.get(format!("{}/metrics", d.base)).send().await;
    let metrics = metrics.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("wasmbot_plugin_reload_failed_total{plugin=\"echo\"} 1"),
        "{metrics}"
    );
    std::fs::write(&file, good).unwrap();
    d.say("h", "alice", "/echo still").await;
    d.wait_for("h", WAIT, |a| a.iter().any(|x| x["text"] == "still"))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_disabled_before_a_restart_starts_disabled_and_a_reload_keeps_it_so() {
    // What the last run left in the data dir.
    let d = TestDaemon::start_config(&["echo"], |c| {
        std::fs::create_dir_all(&c.data_dir).unwrap();
        std::fs::write(c.data_dir.join("disabled-plugins"), "echo\n").unwrap();
    })
    .await;
    d.wait_for_plugin("echo", None, WAIT).await;
    assert_eq!(echo_status(&d).await["state"], "disabled");
    d.say("rs", "alice", "/echo kept").await;

    // A reload swaps the version in; the switch belongs to the name and stays off.
    let loads = echo_status(&d).await["reloads"]
        .as_array()
        .map_or(0, Vec::len);
    let (status, body) = d.admin_post("/admin/plugins/echo/reload").await;
    assert_eq!(status, 200, "{body}");
    let start = std::time::Instant::now();
    while echo_status(&d).await["reloads"]
        .as_array()
        .map_or(0, Vec::len)
        == loads
    {
        assert!(start.elapsed() < WAIT, "the reload did not happen");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(echo_status(&d).await["state"], "disabled");
    assert!(d.texts("rs", "reply").await.is_empty());

    let (status, body) = d.admin_post("/admin/plugins/echo/enable").await;
    assert_eq!(status, 200, "{body}");
    d.wait_for("rs", WAIT, |a| a.iter().any(|x| x["text"] == "kept"))
        .await;
    let saved = std::fs::read_to_string(d.daemon.data_dir.join("disabled-plugins")).unwrap();
    assert_eq!(saved.trim(), "", "enabled: no longer kept as disabled");
}
