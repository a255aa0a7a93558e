//! `wasmbot new NAME --lang L`, then `wasmbot build`, then `wasmbot test` of the scenario the
//! scaffold ships: every language's new project builds and passes its own test out of the box,
//! and answers `/NAME TEXT` with a reply containing TEXT.

use std::path::Path;

use crate::common::languages::{build, require_js, require_tool, wasmbot, PYTHON_INSTALL};
use crate::common::workspace;

/// Makes `name` in `lang` under `dir`, builds it, runs its scenario; returns the test's output.
fn new_build_test(dir: &Path, name: &str, lang: &str) -> String {
    let project = dir.join(name);
    let (ok, stdout, stderr) = wasmbot(
        &[
            "new",
            name,
            "--lang",
            lang,
            "--dir",
            &project.to_string_lossy(),
        ],
        &workspace(),
    );
    assert!(ok, "wasmbot new failed: {stdout}{stderr}");
    let wasm = build(&project);
    let scenario = project.join("tests").join(format!("{name}.toml"));
    let (ok, stdout, stderr) = wasmbot(
        &["test", &wasm.to_string_lossy(), &scenario.to_string_lossy()],
        &workspace(),
    );
    assert!(
        ok,
        "the {lang} scaffold's own test failed:\n{stdout}\n{stderr}"
    );
    stdout
}

#[test]
fn a_new_python_plugin_builds_and_passes_its_test() {
    require_tool(Path::new("componentize-py"), PYTHON_INSTALL);
    let dir = tempfile::tempdir().unwrap();
    let out = new_build_test(dir.path(), "hello", "python");
    assert!(out.contains("all 2 steps passed"), "{out}");
}

#[test]
fn a_new_typescript_plugin_builds_and_passes_its_test() {
    require_js();
    let dir = tempfile::tempdir().unwrap();
    let out = new_build_test(dir.path(), "greet-ts", "ts");
    assert!(out.contains("all 2 steps passed"), "{out}");
}

#[test]
fn a_new_javascript_plugin_builds_and_passes_its_test() {
    require_js();
    let dir = tempfile::tempdir().unwrap();
    let out = new_build_test(dir.path(), "greet_js", "js");
    assert!(out.contains("all 2 steps passed"), "{out}");
}

#[test]
fn a_new_rust_plugin_builds_and_passes_its_test() {
    let dir = tempfile::tempdir().unwrap();
    let out = new_build_test(dir.path(), "hirust", "rust");
    assert!(out.contains("all 2 steps passed"), "{out}");
}

#[test]
fn new_refuses_a_bad_name_and_build_names_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, stderr) = wasmbot(&["new", "Bad Name", "--lang", "python"], dir.path());
    assert!(
        !ok && stderr.contains("cannot be a plugin's name"),
        "{stderr}"
    );
    let (ok, _, stderr) = wasmbot(&["new", "x", "--lang", "cobol"], dir.path());
    assert!(!ok && stderr.contains("unknown language"), "{stderr}");
    let (ok, _, stderr) = wasmbot(&["build", &dir.path().to_string_lossy()], dir.path());
    assert!(
        !ok && stderr.contains("is not a plugin project"),
        "{stderr}"
    );
}
