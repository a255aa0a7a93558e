//! The authors' test harness (`wasmbot::scenario`, `wasmbot test`): HTTP answered by the
//! scenario's stubs (an unmatched request fails its step, naming it), clicks and joins, YAML
//! scenarios beside TOML, the Rust API `cargo test` uses, and dialogues in the Python and
//! TypeScript SDKs (fixtures `tests/foreign/py-dialogue`, `ts-dialogue`).

use crate::common::languages::{foreign, wasmbot};
use crate::common::workspace;

fn fixture(name: &str, file: &str) -> String {
    workspace()
        .join("host/tests/foreign")
        .join(name)
        .join("tests")
        .join(file)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn stubs_answer_a_plugins_http_and_an_unmatched_request_fails_its_step() {
    let wasm = foreign("py-fetch").to_string_lossy().into_owned();
    let (ok, stdout, stderr) = wasmbot(
        &["test", &wasm, &fixture("py-fetch", "stubs.toml")],
        &workspace(),
    );
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains("all 2 steps passed"), "{stdout}");

    let dir = tempfile::tempdir().unwrap();
    let wrong = dir.path().join("unmatched.toml");
    std::fs::write(
        &wrong,
        "[[http]]\nurl = 'https://api.example.com/a'\nbody = 'a'\n\
         [[step]]\nsay = '/get https://api.example.com/b'\nexpect.http = ['GET https://api.example.com/a']\n",
    )
    .unwrap();
    let (ok, stdout, _) = wasmbot(&["test", &wasm, &wrong.to_string_lossy()], &workspace());
    assert!(!ok, "an unmatched request fails the run: {stdout}");
    assert!(
        stdout.contains("HTTP GET https://api.example.com/b: no stub matches it"),
        "{stdout}"
    );
    assert!(
        stdout.contains("- \"GET https://api.example.com/a\"")
            && stdout.contains("+ \"GET https://api.example.com/b\""),
        "the expected and the made requests, side by side: {stdout}"
    );
}

#[test]
fn a_python_dialogue_passes_its_yaml_scenario_through_the_rust_api() {
    let wasm = foreign("py-dialogue");
    let scenario = fixture("py-dialogue", "dialogue.yaml");
    let report = wasmbot::scenario::run_file_blocking(&wasm, scenario.as_ref()).unwrap();
    assert!(report.passed(), "{}", report.render());
    assert_eq!(report.steps.len(), 9, "{}", report.render());

    // The same plugin against a wrong expectation: a typed report naming the mismatch.
    let wrong = wasmbot::scenario::Scenario::from_yaml(
        "step:\n  - say: /signup\n    expect:\n      replies: [\"Your age?\"]\n",
    )
    .unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let report = runtime
        .block_on(wasmbot::scenario::run(&wasm, &wrong))
        .unwrap();
    assert!(!report.passed());
    let failed: Vec<_> = report.failures().collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(
        failed[0].diff,
        [
            "replies: expected 1, got 1",
            "  - \"Your age?\"",
            "  + \"Your name?\""
        ]
    );
}

#[test]
fn a_typescript_dialogue_passes_its_toml_scenario() {
    let wasm = foreign("ts-dialogue").to_string_lossy().into_owned();
    let scenario = fixture("ts-dialogue", "dialogue.toml");
    let (ok, stdout, stderr) = wasmbot(&["test", &wasm, &scenario], &workspace());
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains("all 9 steps passed"), "{stdout}");
}

#[test]
fn a_bad_scenario_names_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "step:\n  - say: hi\n    expect:\n      replys: [hi]\n",
    )
    .unwrap();
    let (ok, _, stderr) = wasmbot(
        &["test", "nothing.wasm", &bad.to_string_lossy()],
        dir.path(),
    );
    assert!(!ok);
    assert!(
        stderr.contains("bad.yaml") && stderr.contains("replys") && stderr.contains("line 4"),
        "{stderr}"
    );
}
