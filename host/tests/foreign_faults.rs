//! Bad plugins in other languages, and components of another world: each is named with what to
//! do in `check`, the status and the log, while the daemon serves the others. Fixtures
//! `tests/foreign/py-faults` (`/raise`) and `ts-faults` (`/throw`, `/hang`); the other world is
//! a WASI command (a Rust `main` built for wasm32-wasip2 with rustc alone).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::languages::foreign;
use crate::common::{install, logs, overrides, TestDaemon};

/// Generous: a 15-20 MB Python or JS component compiles for tens of seconds on a debug host.
const WAIT: Duration = Duration::from_secs(300);

/// The status entry of plugin `name`, once `done` holds for it.
async fn plugin_status(d: &TestDaemon, name: &str, done: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let (_, status) = d.get("/admin/status").await;
        let plugin = status["plugins"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["name"] == name).cloned())
            .unwrap_or_default();
        if done(&plugin) {
            return plugin;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn log_text() -> String {
    String::from_utf8_lossy(&logs().wasmbot.lock().unwrap()).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raising_throwing_and_hanging_plugins_are_named_and_the_others_serve() {
    logs();
    let (py, ts) = tokio::task::spawn_blocking(|| (foreign("py-faults"), foreign("ts-faults")))
        .await
        .unwrap();
    let short = overrides("ts-faults", |c| c.timeout_ms = Some(3000));
    let d = TestDaemon::start_with(&["echo"], vec![short]).await;
    install(&py, &d.plugins_dir.join("py_faults.wasm"));
    install(&ts, &d.plugins_dir.join("ts_faults.wasm"));
    d.wait_for_plugin("py-faults", None, WAIT).await;
    d.wait_for_plugin("ts-faults", None, WAIT).await;

    d.say("py", "alice", "/raise").await;
    d.say("js", "alice", "/throw").await;
    let py_status = plugin_status(&d, "py-faults", |p| p["last_error"].is_string()).await;
    let error = py_status["last_error"].as_str().unwrap_or_default();
    assert!(
        error.contains("boom from python") && error.contains("fix the plugin"),
        "{py_status}"
    );
    let js_status = plugin_status(&d, "ts-faults", |p| p["last_error"].is_string()).await;
    let error = js_status["last_error"].as_str().unwrap_or_default();
    assert!(error.contains("boom from js"), "{js_status}");

    // componentize-js ends its event loop when a handler's promise can never settle: the call
    // traps in `proc_exit`, which the status and the log explain.
    d.say("js", "alice", "/hang").await;
    let hung = plugin_status(&d, "ts-faults", |p| {
        p["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("proc_exit"))
    })
    .await;
    assert!(
        hung["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("never settles"),
        "{hung}"
    );

    // Everyone still answers: the echo plugin, and both faulty ones on their next event.
    d.say("e", "bob", "/echo still here").await;
    d.say("py2", "bob", "/ok").await;
    d.say("js2", "bob", "/ok").await;
    for (chat, text) in [("e", "still here"), ("py2", "ok"), ("js2", "ok")] {
        d.wait_for(chat, WAIT, |a| a.iter().any(|x| x["text"] == text))
            .await;
    }
    let log = log_text();
    for (plugin, says) in [
        ("py-faults", "boom from python"),
        ("ts-faults", "boom from js"),
        ("ts-faults", "never settles"),
    ] {
        // One record may span lines (a traceback or a wasm backtrace in its `error`).
        let named = log
            .match_indices(&format!("plugin={plugin}"))
            .any(|(at, _)| {
                let record: String = log[at..].chars().take(4000).collect();
                record.contains(says) && record.contains("hint=")
            });
        assert!(
            named,
            "no log record names {plugin} with {says:?} and a hint"
        );
    }
}

/// A WASI command component (`fn main`), built with rustc alone: a component of another world.
fn other_world_component(dir: &Path) -> PathBuf {
    let source = dir.join("main.rs");
    std::fs::write(&source, "fn main() { println!(\"not a plugin\"); }\n").unwrap();
    let out = dir.join("command.wasm");
    let status = Command::new("rustc")
        .args(["--target", "wasm32-wasip2", "-O", "-o"])
        .arg(&out)
        .arg(&source)
        .status()
        .expect("rustc runs");
    assert!(
        status.success(),
        "rustc --target wasm32-wasip2 failed (rustup target add wasm32-wasip2)"
    );
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_of_another_world_is_named_in_check_status_and_the_log() {
    logs();
    let scratch = tempfile::tempdir().unwrap();
    let command = other_world_component(scratch.path());
    const SAYS: &str = "is not a wasmbot plugin of a world this daemon serves";

    // `check`: the file, why, and what to do; non-zero.
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    install(&command, &plugins.join("command.wasm"));
    let config = dir.path().join("wasmbot.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\nstore = \"memory\"\ndata_dir = {:?}\nplugins_dir = {:?}\n",
            dir.path().join("data").display().to_string(),
            plugins.display().to_string()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_wasmbot"))
        .args(["check", "--config"])
        .arg(&config)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("command.wasm")
            && stderr.contains(SAYS)
            && stderr.contains("wasmbot build"),
        "{stderr}"
    );

    // A running daemon: the status and the log name it; echo serves.
    let d = TestDaemon::start(&["echo"]).await;
    install(&command, &d.plugins_dir.join("command.wasm"));
    let start = Instant::now();
    let failed = loop {
        let (_, status) = d.get("/admin/status").await;
        let failed = status["failed_plugins"].to_string();
        if failed.contains("command.wasm") {
            break failed;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        failed.contains(SAYS) && failed.contains("wasmbot build"),
        "{failed}"
    );
    assert!(
        log_text()
            .lines()
            .any(|l| l.contains("command.wasm") && l.contains(SAYS)),
        "the log names the file and why"
    );
    d.say("c", "alice", "/echo fine").await;
    d.wait_for("c", Duration::from_secs(30), |a| {
        a.iter().any(|x| x["text"] == "fine")
    })
    .await;
}
