//! `cargo test` runs the plugin in wasmbot's real runtime against `tests/{{name}}.toml`, with
//! the harness `wasmbot test` uses (`wasmbot::scenario`). Build the plugin first:
//! `wasmbot build . && cargo test`.

use std::path::{Path, PathBuf};

#[test]
fn passes_its_scenario() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let wasm = target.join("wasm32-wasip2/release/{{crate}}.wasm");
    assert!(
        wasm.exists(),
        "{} is not built: run `wasmbot build {}` first",
        wasm.display(),
        root.display()
    );
    let scenario = root.join("tests/{{name}}.toml");
    let report = wasmbot::scenario::run_file_blocking(&wasm, &scenario)
        .unwrap_or_else(|e| panic!("the scenario could not run: {e:#}"));
    assert!(report.passed(), "{}", report.render());
}
