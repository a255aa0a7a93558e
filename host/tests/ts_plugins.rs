//! TypeScript plugins (guest-sdk/js on esbuild + componentize-js): `examples/ts-echo`, built once per
//! run by `wasmbot build`, loaded by the real daemon from its plugins folder and answering on
//! the sim; its scenario passes under `wasmbot test`, and a wrong expectation fails with a diff.
//! `examples/ts-notes` (kv, a thrown input failure, a timer) passes its scenario.

use std::time::Duration;

use crate::common::languages::{ts_echo, ts_notes, wasmbot};
use crate::common::{install, workspace, TestDaemon};

/// Generous: a 15-20 MB Python or JS component compiles for tens of seconds on a debug host,
/// longer while every other test runs beside it.
const WAIT: Duration = Duration::from_secs(300);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ts_echo_answers_on_the_sim() {
    let wasm = ts_echo();
    let d = TestDaemon::start(&[]).await;
    install(wasm, &d.plugins_dir.join("ts_echo.wasm"));
    d.wait_for_plugin("ts-echo", Some("0.1.0"), WAIT).await;
    d.say("ts", "alice", "/echo hello from typescript").await;
    d.say("ts", "bob", "no command here").await;
    d.say("ts", "bob", "/echo").await;
    d.wait_for("ts", WAIT, |a| a.len() >= 2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        d.texts("ts", "reply").await,
        ["hello from typescript", "Usage: /echo TEXT"],
        "the TypeScript plugin answered both commands, in order, and not the plain message"
    );
    let (_, status) = d.get("/admin/status").await;
    let plugin = status["plugins"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == "ts-echo").cloned())
        .unwrap_or_default();
    assert_eq!(plugin["world"], "wasmbot:bot@0.2.0", "{status}");
    assert_eq!(plugin["failures"], 0, "{status}");
}

#[test]
fn ts_echo_passes_its_scenario_and_a_wrong_one_fails() {
    let wasm = ts_echo().to_string_lossy().into_owned();
    let scenario = workspace().join("examples/ts-echo/tests/echo.toml");
    let (ok, stdout, stderr) = wasmbot(&["test", &wasm, &scenario.to_string_lossy()], &workspace());
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains("all 3 steps passed"), "{stdout}");

    let dir = tempfile::tempdir().unwrap();
    let wrong = dir.path().join("wrong.toml");
    std::fs::write(
        &wrong,
        "[[step]]\nsay = '/echo hi'\nexpect.replies = ['bye']\n",
    )
    .unwrap();
    let (ok, stdout, _) = wasmbot(&["test", &wasm, &wrong.to_string_lossy()], &workspace());
    assert!(!ok, "a failing scenario exits non-zero: {stdout}");
    assert!(stdout.contains("FAIL  step 1"), "{stdout}");
    assert!(
        stdout.contains("- \"bye\"") && stdout.contains("+ \"hi\""),
        "a readable diff: {stdout}"
    );
}

#[test]
fn ts_notes_keeps_kv_and_fires_its_timer() {
    let wasm = ts_notes().to_string_lossy().into_owned();
    let scenario = workspace().join("examples/ts-notes/tests/notes.toml");
    let (ok, stdout, stderr) = wasmbot(&["test", &wasm, &scenario.to_string_lossy()], &workspace());
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains("all 6 steps passed"), "{stdout}");
}
