//! The command line tells the truth: `check` refuses what `run` refuses (the configs of issue
//! 17), every problem at once with its line, column and bot; warnings for what plugins ask and
//! are not granted; a name declared by two files; plugins that fail to load; flags in any
//! position; names listed when one is unknown; `localhost`; no colour when redirected; each
//! cause said once.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::{self, TestDaemon};

fn wasmbot(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wasmbot"))
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("WASMBOT_CONFIG")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// A config file in `dir` with an empty plugins folder, `body` after the folder settings.
fn config_file(dir: &Path, body: &str) -> String {
    let plugins = dir.join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    let text = format!(
        "listen = \"127.0.0.1:0\"\nstore = \"memory\"\ndata_dir = {:?}\nplugins_dir = {:?}\n{body}",
        dir.join("data").display().to_string(),
        plugins.display().to_string()
    );
    let path = dir.join("wasmbot.toml");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

const MINAPP_WITHOUT_SECRET: &str =
    "[[bots]]\nname = \"s\"\nplatform = \"sim\"\n\n[[bots]]\nname = \"mini\"\nplatform = \"minapp\"\n";
const UNKNOWN_OPTION: &str = "[[bots]]\nname = \"s\"\nplatform = \"sim\"\n\n[[bots]]\nname = \"yh\"\nplatform = \"yunhu\"\ntoken = \"t\"\n[bots.options]\ntimeout_ms = 100\nfrobnicate = 1\n";

#[test]
fn check_refuses_what_run_refuses() {
    for (body, bot, says, line) in [
        (
            MINAPP_WITHOUT_SECRET,
            "bots[2] (name = \"mini\")",
            "secret",
            [9, 10],
        ),
        (
            UNKNOWN_OPTION,
            "bots[2] (name = \"yh\").options.frobnicate",
            "frobnicate",
            [15, 15],
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let config = config_file(dir.path(), body);
        let (ok, _, checked) = wasmbot(&["check", "--config", &config]);
        assert!(!ok, "check must refuse it: {checked}");
        assert!(checked.contains(bot) && checked.contains(says), "{checked}");
        let at = |n: usize| checked.contains(&format!("wasmbot.toml:{n}:"));
        assert!(line.iter().any(|n| at(*n)), "line {line:?}: {checked}");
        let (ok, _, ran) = wasmbot(&["run", "--config", &config]);
        assert!(!ok, "run must refuse it too: {ran}");
        assert!(ran.contains(bot) && ran.contains(says), "{ran}");
    }
}

#[test]
fn check_reports_every_problem_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let both = format!("{UNKNOWN_OPTION}\n[[bots]]\nname = \"mini\"\nplatform = \"minapp\"\n[runtime]\ntimeout_ms = 0\n");
    let config = config_file(dir.path(), &both);
    let (ok, _, stderr) = wasmbot(&["check", "--config", &config]);
    assert!(!ok);
    assert!(stderr.contains("bots[2] (name = \"yh\")"), "{stderr}");
    assert!(stderr.contains("bots[3] (name = \"mini\")"), "{stderr}");
    assert!(stderr.contains("runtime.timeout_ms"), "{stderr}");
    assert!(stderr.contains("3 problem(s)"), "{stderr}");
    // One bot with two problems: both.
    let two = "[[bots]]\nname = \"mini\"\nplatform = \"minapp\"\n[bots.options]\nfrobnicate = 1\n";
    let config = config_file(dir.path(), two);
    let (ok, _, stderr) = wasmbot(&["check", "--config", &config]);
    assert!(!ok);
    assert!(
        stderr.contains("bots[1] (name = \"mini\").options.frobnicate")
            && stderr.contains("bots[1] (name = \"mini\").secret"),
        "{stderr}"
    );
    assert!(stderr.contains("2 problem(s)"), "{stderr}");
    // A syntax error has its line and column.
    std::fs::write(&config, "listen = \"127.0.0.1:1\"\n[runtime\n").unwrap();
    let (ok, _, stderr) = wasmbot(&["check", "--config", &config]);
    assert!(!ok && stderr.contains("wasmbot.toml:2:"), "{stderr}");
}

#[test]
fn check_warns_about_what_plugins_are_not_granted() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), "");
    let plugins = dir.path().join("plugins");
    common::install(
        &common::plugin("role-menu"),
        &plugins.join("role_menu.wasm"),
    );
    common::install(&common::plugin("echo"), &plugins.join("echo.wasm"));
    let (ok, stdout, stderr) = wasmbot(&["check", "--config", &config]);
    assert!(ok, "warnings do not fail the check: {stderr}");
    assert!(stdout.contains("no problems found"), "{stdout}");
    let warning = stderr
        .lines()
        .find(|l| l.contains("role-menu"))
        .unwrap_or_default();
    assert!(
        warning.starts_with("warning:")
            && warning.contains("add-role")
            && warning.contains("not granted"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("plugin `echo`"),
        "echo asks only for defaults: {stderr}"
    );
}

#[test]
fn two_files_with_one_name_are_a_conflict_in_check() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), "");
    let plugins = dir.path().join("plugins");
    common::install(&common::plugin("echo"), &plugins.join("echo.wasm"));
    common::install(&common::plugin("echo"), &plugins.join("echo_copy.wasm"));
    let (ok, _, stderr) = wasmbot(&["check", "--config", &config]);
    assert!(!ok);
    assert!(
        stderr.contains("echo_copy.wasm: plugin `echo` is also declared by")
            && stderr.contains("echo.wasm;"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_conflicts_and_failed_loads_and_never_a_deleted_file() {
    let d = TestDaemon::start(&["echo"]).await;
    let copy = d.plugins_dir.join("echo_copy.wasm");
    common::install(&common::plugin("echo"), &copy);
    std::fs::write(
        d.plugins_dir.join("notes.wasm"),
        "these are notes, not a plugin",
    )
    .unwrap();
    std::fs::write(d.plugins_dir.join("empty.wasm"), b"").unwrap();
    // A core module: the header of version 1, no component layer.
    std::fs::write(d.plugins_dir.join("core.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let failed = wait_status(&d, |s| {
        s["failed_plugins"].as_array().map_or(0, Vec::len) == 4
    })
    .await;
    let reasons = failed["failed_plugins"].to_string();
    assert!(
        reasons.contains("also declared by") && reasons.contains("echo.wasm"),
        "{reasons}"
    );
    assert!(reasons.contains("not a WebAssembly file"), "{reasons}");
    assert!(reasons.contains("the file is empty"), "{reasons}");
    assert!(
        reasons.contains("a core Wasm module, not a component"),
        "{reasons}"
    );
    assert!(!reasons.contains("[0, 97"), "no byte arrays: {reasons}");
    // The serving file goes: the other loads, and status names it alone.
    std::fs::remove_file(d.plugins_dir.join("echo.wasm")).unwrap();
    let after = wait_status(&d, |s| {
        s["plugins"][0]["source"]
            .as_str()
            .is_some_and(|f| f.ends_with("echo_copy.wasm"))
    })
    .await;
    // The reload history keeps past loads (the deleted file's among them); the rest of the
    // status names only what serves now.
    let mut now = after.clone();
    if let Some(plugins) = now["plugins"].as_array_mut() {
        for plugin in plugins.iter_mut().filter_map(|p| p.as_object_mut()) {
            plugin.remove("reloads");
        }
    }
    let text = now.to_string();
    assert!(
        !text.contains("plugins/echo.wasm"),
        "a deleted file is named: {text}"
    );
    let newest = &after["plugins"][0]["reloads"][0]["file"];
    assert!(
        newest
            .as_str()
            .is_some_and(|f| f.ends_with("echo_copy.wasm")),
        "{after}"
    );
    assert_eq!(
        after["failed_plugins"].as_array().map_or(0, Vec::len),
        3,
        "{text}"
    );
    d.say("c", "alice", "/echo still here").await;
    d.wait_for("c", Duration::from_secs(20), |a| {
        a.iter().any(|x| x["text"] == "still here")
    })
    .await;
}

async fn wait_status(
    d: &TestDaemon,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let start = Instant::now();
    loop {
        let (_, status) = d.get("/admin/status").await;
        if done(&status) {
            return status;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[test]
fn flags_work_after_the_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), "");
    let (ok, _, stderr) = wasmbot(&["minapp", "conversations", "--config", &config]);
    assert!(!ok);
    assert!(!stderr.contains("unexpected argument"), "{stderr}");
    assert!(stderr.contains("no minapp bot in the config"), "{stderr}");
}

#[test]
fn unknown_operations_and_bots_list_the_valid_ones() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), "[[bots]]\nname = \"s\"\nplatform = \"sim\"\n");
    let (ok, _, stderr) = wasmbot(&["call", "s", "fly", "{}", "--config", &config]);
    assert!(!ok);
    assert!(
        stderr.contains("no operation named fly; operations: send, reply"),
        "{stderr}"
    );
    let (ok, _, stderr) = wasmbot(&["call", "nosuch", "send", "{}", "--config", &config]);
    assert!(
        !ok && stderr.contains("no bot named nosuch; bots: s"),
        "{stderr}"
    );
}

#[test]
fn localhost_is_a_listen_address() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    let plugins = plugins.to_str().unwrap();
    let (ok, stdout, stderr) =
        wasmbot(&["check", "--listen", "localhost:8700", "--plugins", plugins]);
    assert!(
        ok && stdout.contains("no problems found"),
        "{stdout}{stderr}"
    );
    let (ok, _, stderr) = wasmbot(&["check", "--listen", "localhost", "--plugins", plugins]);
    assert!(!ok && stderr.contains("no port"), "{stderr}");
    let config = config_file(dir.path(), "");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("127.0.0.1:0", "localhost:0");
    std::fs::write(&config, text).unwrap();
    let (ok, _, stderr) = wasmbot(&["check", "--config", &config]);
    assert!(ok, "{stderr}");
}

#[test]
fn a_cause_is_said_once() {
    let (ok, _, stderr) = wasmbot(&["run", "--config", "/nonexistent/wasmbot.toml"]);
    assert!(!ok);
    assert_eq!(stderr.matches("os error 2").count(), 1, "{stderr}");
    assert!(stderr.contains("/nonexistent/wasmbot.toml"), "{stderr}");
}

#[test]
fn logs_have_no_colour_when_redirected() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), "");
    let log = dir.path().join("log");
    let mut child = common::spawn_daemon(Path::new(&config), &log);
    let start = Instant::now();
    let text = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("wasmbot is serving") || start.elapsed() > Duration::from_secs(30) {
            break text;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(text.contains("wasmbot is serving"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "colour codes in a redirected log: {text:?}"
    );
}
