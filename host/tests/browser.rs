//! The sim's web page in a real browser: Debian's Chromium, headless, driven by
//! `host/tests/browser/sim.mjs` (Node + playwright-core) against a daemon running the bundled
//! `echo` and `role-menu` plugins.
//!
//! Needs `node`, `npm` (only when `host/tests/browser/node_modules` is missing) and Chromium at
//! `/usr/bin/chromium` (or `$CHROMIUM`). A missing piece fails the test with its name: CI
//! installs them in `.ci/run`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::{overrides, TestDaemon};

/// The script's own watchdog is 90 s; this only catches a wedged `node`.
pub(crate) const SCRIPT_TIMEOUT: Duration = Duration::from_secs(150);

pub(crate) fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("browser")
}

pub(crate) fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/usr/bin/chromium".into())
}

/// Runs `program --version`; panics naming the missing tool and how to get it.
pub(crate) fn require(program: &str, what: &str) {
    let found = std::process::Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "the browser test needs {what}, but `{program} --version` did not run: {}",
        install_hint()
    );
}

fn install_hint() -> &'static str {
    "install Node.js (node and npm) and Chromium \
     (`DEBIAN_FRONTEND=noninteractive apt-get install -y chromium`), \
     then run `npm ci --prefix host/tests/browser`; .ci/run does the last two"
}

/// Installs playwright-core from the lock file when `node_modules` is missing.
pub(crate) fn ensure_node_modules() {
    let dir = browser_dir();
    if dir
        .join("node_modules")
        .join("playwright-core")
        .join("package.json")
        .is_file()
    {
        return;
    }
    require(
        "npm",
        "npm (to install playwright-core into host/tests/browser/node_modules)",
    );
    let status = std::process::Command::new("npm")
        .current_dir(&dir)
        .args(["ci", "--no-audit", "--no-fund"])
        .status()
        .expect("cannot run npm");
    assert!(
        status.success(),
        "`npm ci` in {} failed ({status})",
        dir.display()
    );
}

pub(crate) fn screenshot_path(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .unwrap()
                .join("target")
        });
    let dir = target.join("browser-test");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sim_page_works_in_a_real_browser() {
    // Fail loudly, before building anything, when a piece of the browser stack is missing.
    require("node", "Node.js (`node`)");
    let chromium = chromium();
    assert!(
        chromium.is_file(),
        "the browser test needs Chromium at {} (set $CHROMIUM to use another): {}",
        chromium.display(),
        install_hint()
    );
    ensure_node_modules();

    let d = TestDaemon::start_with(
        &["echo", "role-menu"],
        vec![overrides("role-menu", |c| {
            c.grants.operations = vec!["add-role".into(), "remove-role".into()]
        })],
    )
    .await;
    d.wait_for_plugin("echo", None, Duration::from_secs(10))
        .await;
    d.wait_for_plugin("role-menu", None, Duration::from_secs(10))
        .await;

    let shot = screenshot_path("sim.png");
    let _ = std::fs::remove_file(&shot);
    let started = Instant::now();
    // Async, so the daemon on this runtime keeps serving while the browser talks to it.
    let run = tokio::process::Command::new("node")
        .arg(browser_dir().join("sim.mjs"))
        .arg(&d.base)
        .arg(&shot)
        .env("CHROMIUM", &chromium)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(SCRIPT_TIMEOUT, run)
        .await
        .unwrap_or_else(|_| panic!("node sim.mjs did not finish within {SCRIPT_TIMEOUT:?}"))
        .expect("cannot run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        output.status.success(),
        "the browser test failed ({}) after {:?}; screenshot at {}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status,
        started.elapsed(),
        shot.display()
    );
    let png =
        std::fs::read(&shot).unwrap_or_else(|e| panic!("no screenshot at {}: {e}", shot.display()));
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a PNG",
        shot.display()
    );
    println!(
        "browser test passed in {:?}; screenshot at {}",
        started.elapsed(),
        shot.display()
    );
}
