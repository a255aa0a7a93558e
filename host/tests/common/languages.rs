//! Python and JS/TS plugins for the tests: each example is built once per test run with the
//! real toolchains through `wasmbot build` (componentize-py; esbuild + componentize-js from
//! `guest-sdk/js/node_modules`), and a test fails with the install command when one is missing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use super::workspace;

/// The install steps `.ci/run` takes, for the failure messages.
pub const PYTHON_INSTALL: &str = "pip install componentize-py==0.25.1";
pub const JS_INSTALL: &str = "npm ci --prefix guest-sdk/js";

/// Builds one project at a time: two toolchains at once would only fight over the two cores.
static BUILDING: Mutex<()> = Mutex::new(());

/// Runs `wasmbot ARGS`; returns (success, stdout, stderr).
pub fn wasmbot(args: &[&str], cwd: &Path) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_wasmbot"))
        .args(args)
        .current_dir(cwd)
        .env("WASMBOT_JS_TOOLCHAIN", workspace().join("guest-sdk/js"))
        .env("RUST_LOG", "warn")
        // A Rust scaffold is a workspace of its own: a target folder kept across runs, so the
        // SDK's crates build once.
        .env(
            "CARGO_TARGET_DIR",
            super::target_dir().join("scaffold-rust"),
        )
        .output()
        .expect("cannot run the wasmbot binary");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `wasmbot build DIR`: the path its last line names, or a panic with its output.
pub fn build(dir: &Path) -> PathBuf {
    let _one = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    let start = Instant::now();
    let (ok, stdout, stderr) = wasmbot(&["build", &dir.to_string_lossy()], &workspace());
    assert!(
        ok,
        "wasmbot build {} failed:\n{stderr}\n{stdout}",
        dir.display()
    );
    let last = stdout.lines().last().unwrap_or_default();
    let wasm = PathBuf::from(last.trim());
    assert!(
        wasm.exists(),
        "the last line of `wasmbot build` is not a file: {stdout:?}"
    );
    eprintln!(
        "built {} in {:.1} s",
        wasm.display(),
        start.elapsed().as_secs_f64()
    );
    wasm
}

/// Panics naming the install command when `program` does not run.
pub fn require_tool(program: &Path, install: &str) {
    let runs = Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        runs,
        "{} is not installed: {install} (as .ci/run does)",
        program.display()
    );
}

/// `examples/python-echo`, built once.
pub fn python_echo() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        require_tool(Path::new("componentize-py"), PYTHON_INSTALL);
        build(&workspace().join("examples/python-echo"))
    })
}

/// `examples/python-notes` (kv and timers), built once.
pub fn python_notes() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        require_tool(Path::new("componentize-py"), PYTHON_INSTALL);
        build(&workspace().join("examples/python-notes"))
    })
}

/// `examples/ts-echo`, built once.
pub fn ts_echo() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        require_js();
        build(&workspace().join("examples/ts-echo"))
    })
}

/// `examples/ts-notes` (kv, a thrown input failure, a timer), built once.
pub fn ts_notes() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        require_js();
        build(&workspace().join("examples/ts-notes"))
    })
}

/// A test fixture under `tests/foreign/` (`py-fetch`, `ts-fetch`), built once per run.
pub fn foreign(name: &str) -> PathBuf {
    static BUILT: Mutex<Vec<(String, PathBuf)>> = Mutex::new(Vec::new());
    let known = BUILT
        .lock()
        .unwrap()
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, p)| p.clone());
    if let Some(path) = known {
        return path;
    }
    if name.starts_with("py-") {
        require_tool(Path::new("componentize-py"), PYTHON_INSTALL);
    } else {
        require_js();
    }
    let path = build(&workspace().join("host/tests/foreign").join(name));
    BUILT.lock().unwrap().push((name.to_string(), path.clone()));
    path
}

/// Panics naming `npm ci` when guest-sdk/js has no toolchain installed.
pub fn require_js() {
    let bin = workspace().join("guest-sdk/js/node_modules/.bin");
    require_tool(&bin.join("esbuild"), JS_INSTALL);
    assert!(
        bin.join("componentize-js").exists(),
        "componentize-js is not installed: {JS_INSTALL} (as .ci/run does)"
    );
}
