//! `wasmbot dev` on a copy of the workspace (issue 20): left alone it builds nothing, and an
//! editor's save of one plugin's source rebuilds and reloads that plugin exactly once, after
//! which the new code answers on the sim.
//!
//! The real binary runs in a temporary copy of the plugins, the SDK and the WIT; its cargo
//! builds share one target folder under the workspace's, so dependencies compile once.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::{self, workspace};

/// The start of the line `wasmbot dev` prints once the daemon serves.
const SERVING: &str = "wasmbot dev is serving on http://";
/// The start of the line it prints before each build.
const BUILDING: &str = "building plugins: ";
/// The plugins copied into the test workspace.
const PLUGINS: [&str; 2] = ["echo", "welcome"];
/// The first build compiles the SDK and its dependencies with LTO: be patient.
const FIRST_BUILD: Duration = Duration::from_secs(15 * 60);
/// A rebuild of one plugin (LTO again).
const REBUILD: Duration = Duration::from_secs(10 * 60);
/// How long `dev` is left alone to show that it builds nothing by itself.
const IDLE: Duration = Duration::from_secs(10);
/// How long after the rebuild a second, spurious build would show up.
const SETTLE: Duration = Duration::from_secs(5);

/// The target folder of the copy's plugin builds: kept between runs, out of the copy.
fn target_dir() -> PathBuf {
    common::target_dir().join("dev-watch-test")
}

/// Copies what the plugin builds need into `to`: the lock file, the WIT, the SDK, the example
/// config `dev` uses, two plugins, and a root manifest naming only those.
fn copy_workspace(to: &Path) {
    let from = workspace();
    std::fs::copy(from.join("Cargo.lock"), to.join("Cargo.lock")).unwrap();
    for dir in ["wit", "guest-sdk", "examples"] {
        copy_tree(&from.join(dir), &to.join(dir));
    }
    for plugin in PLUGINS {
        copy_tree(
            &from.join("plugins").join(plugin),
            &to.join("plugins").join(plugin),
        );
    }
    std::fs::write(to.join("Cargo.toml"), manifest(&from.join("Cargo.toml"))).unwrap();
}

/// The workspace's root manifest with the SDK and the plugins as its only members; its shared
/// package fields, dependencies, lints and profiles stay as they are.
fn manifest(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let mut manifest: toml::Table = toml::from_str(&text).unwrap();
    let workspace = manifest.get_mut("workspace").and_then(|w| w.as_table_mut());
    let workspace = workspace.expect("the root manifest has a [workspace]");
    let members = ["guest-sdk", "plugins/*"].map(toml::Value::from);
    workspace.insert("members".into(), toml::Value::Array(members.to_vec()));
    workspace.remove("default-members");
    toml::to_string(&manifest).unwrap()
}

/// Copies a folder recursively, leaving out build output (`target/`) and hidden entries.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "target" || name.to_string_lossy().starts_with('.') {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &to.join(&name));
        } else {
            std::fs::copy(entry.path(), to.join(&name)).unwrap();
        }
    }
}

/// Saves `text` to `path` as editors do: written in two parts to a temporary file beside it,
/// which is then renamed onto it.
fn save_as_editor(path: &Path, text: &str) {
    let name = path.file_name().unwrap().to_string_lossy();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    let mut file = std::fs::File::create(&tmp).unwrap();
    let (head, tail) = text.split_at(text.len() / 2);
    file.write_all(head.as_bytes()).unwrap();
    file.flush().unwrap();
    file.write_all(tail.as_bytes()).unwrap();
    file.sync_all().unwrap();
    drop(file);
    std::fs::rename(&tmp, path).unwrap();
}

/// Lines of a child's output, as they arrive.
type Lines = Arc<Mutex<Vec<String>>>;

/// Reads `from` line by line on a thread of its own into the returned buffer (colour codes
/// removed), echoing each line to the test's output.
fn collect(from: impl Read + Send + 'static, label: &'static str) -> Lines {
    let lines = Lines::default();
    let sink = Arc::clone(&lines);
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines() {
            let Ok(line) = line else { break };
            let line = strip_ansi(&line);
            eprintln!("[dev {label}] {line}");
            sink.lock().unwrap().push(line);
        }
    });
    lines
}

/// `line` without ANSI escape sequences (`ESC [ … letter`).
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.by_ref().find(|c| c.is_ascii_alphabetic());
        } else {
            out.push(c);
        }
    }
    out
}

/// A running `wasmbot dev` with its output; killed, with any build it runs, when dropped.
struct Dev {
    child: Child,
    stdout: Lines,
    stderr: Lines,
}

impl Dev {
    /// Starts `wasmbot dev` in the workspace copy `dir` on a free loopback port.
    fn start(dir: &Path) -> Self {
        Self::start_with(dir, &[])
    }

    /// [`start`](Self::start) with more arguments (`--project DIR`).
    fn start_with(dir: &Path, extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wasmbot"))
            .current_dir(dir)
            .args(["dev", "--listen", "127.0.0.1:0", "--data"])
            .arg(dir.join("data"))
            .arg("--plugins")
            .arg(dir.join("plugins-bin"))
            .args(extra)
            .env("CARGO_TARGET_DIR", target_dir())
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0) // its own group, so the drop also ends the cargo it runs
            .spawn()
            .expect("wasmbot dev starts");
        let stdout = collect(child.stdout.take().unwrap(), "stdout");
        let stderr = collect(child.stderr.take().unwrap(), "stderr");
        Self {
            child,
            stdout,
            stderr,
        }
    }

    /// Waits for the serving line; returns the base URL it names.
    async fn serving(&mut self) -> String {
        let start = Instant::now();
        loop {
            let line = self.stdout().into_iter().find(|l| l.starts_with(SERVING));
            if let Some(line) = line {
                let addr = line[SERVING.len()..].split('/').next().unwrap();
                return format!("http://{addr}");
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "wasmbot dev exited ({status}) before serving:\n{}",
                    self.report()
                );
            }
            assert!(
                start.elapsed() < FIRST_BUILD,
                "wasmbot dev did not serve within {FIRST_BUILD:?}:\n{}",
                self.report()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn stdout(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }

    fn stderr(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    /// The build lines so far, e.g. `building plugins: echo`.
    fn builds(&self) -> Vec<String> {
        let builds = self
            .stdout()
            .into_iter()
            .filter(|l| l.starts_with(BUILDING));
        builds.collect()
    }

    /// The daemon's log lines so far for a plugin replacing a running one (the log goes to
    /// stdout; stderr is searched too in case it moves there).
    fn reloads(&self) -> Vec<String> {
        let lines = self.stdout().into_iter().chain(self.stderr());
        lines
            .filter(|l| l.contains("plugin loaded") && l.contains("replaced=true"))
            .collect()
    }

    /// The output so far, for failure messages.
    fn report(&self) -> String {
        format!(
            "--- stdout\n{}\n--- stderr (last 40 lines)\n{}",
            self.stdout().join("\n"),
            self.stderr()
                .iter()
                .rev()
                .take(40)
                .rev()
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        )
    }
}

impl Drop for Dev {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &group])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Says `text` in `chat` on the sim at `base` and waits for a reply `expected`.
async fn expect_reply(http: &reqwest::Client, base: &str, chat: &str, text: &str, expected: &str) {
    let body = json!({ "chat": chat, "user": "alice", "text": text });
    let response = http
        .post(format!("{base}/sim/messages"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 202);
    let start = Instant::now();
    loop {
        let url = format!("{base}/sim/actions?chat={chat}");
        let answer: Value = http.get(url).send().await.unwrap().json().await.unwrap();
        let actions = answer["actions"].as_array().cloned().unwrap_or_default();
        if actions.iter().any(|a| a["text"] == expected) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no reply {expected:?} to {text:?} in {chat}; actions: {actions:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_rebuilds_a_plugin_once_per_save_and_never_by_itself() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    copy_workspace(dir.path());
    let mut dev = Dev::start(dir.path());
    let base = dev.serving().await;
    let http = reqwest::Client::new();
    expect_reply(&http, &base, "before", "/echo hi", "hi").await;
    eprintln!("serving after {:?}", started.elapsed());

    // Left alone, it builds and reloads nothing.
    let (builds, reloads) = (dev.builds(), dev.reloads());
    assert_eq!(
        builds,
        ["building plugins: echo, welcome"],
        "{}",
        dev.report()
    );
    tokio::time::sleep(IDLE).await;
    assert_eq!(
        dev.builds(),
        builds,
        "no file changed, yet it built again:\n{}",
        dev.report()
    );
    assert_eq!(
        dev.reloads(),
        reloads,
        "no file changed, yet plugins reloaded"
    );

    // One save of echo's source: one build of echo, one reload, and the new reply.
    let source = dir.path().join("plugins/echo/src/lib.rs");
    let text = std::fs::read_to_string(&source).unwrap();
    let edited = text.replace(
        "command.reply(answer)?;",
        "command.reply(format!(\"edited: {answer}\"))?;",
    );
    assert_ne!(
        edited, text,
        "echo's source no longer has the line this test edits"
    );
    save_as_editor(&source, &edited);
    let saved = Instant::now();
    while dev.reloads().len() == reloads.len() {
        assert!(
            saved.elapsed() < REBUILD,
            "echo was not reloaded within {REBUILD:?}:\n{}",
            dev.report()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("rebuilt and reloaded {:?} after the save", saved.elapsed());
    expect_reply(&http, &base, "after", "/echo hi", "edited: hi").await;
    tokio::time::sleep(SETTLE).await;
    let new_builds = dev.builds()[builds.len()..].to_vec();
    assert_eq!(new_builds, ["building plugins: echo"], "{}", dev.report());
    let new_reloads = dev.reloads()[reloads.len()..].to_vec();
    assert_eq!(new_reloads.len(), 1, "{new_reloads:#?}");
    assert!(new_reloads[0].contains("plugin=echo"), "{new_reloads:#?}");
    eprintln!("dev_watch took {:?}", started.elapsed());
}

/// `wasmbot dev --project DIR` with a Python project beside a workspace without Rust plugins:
/// built at the start, and one save of its `app.py` rebuilds and reloads it, once.
#[tokio::test(flavor = "multi_thread")]
async fn dev_rebuilds_a_python_project_when_its_source_changes() {
    use crate::common::languages::{require_tool, PYTHON_INSTALL};
    require_tool(Path::new("componentize-py"), PYTHON_INSTALL);
    let dir = tempfile::tempdir().unwrap();
    let from = workspace();
    std::fs::copy(from.join("Cargo.lock"), dir.path().join("Cargo.lock")).unwrap();
    for sub in ["wit", "guest-sdk/python"] {
        copy_tree(&from.join(sub), &dir.path().join(sub));
    }
    std::fs::create_dir_all(dir.path().join("plugins")).unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        manifest(&from.join("Cargo.toml")),
    )
    .unwrap();
    let project = dir.path().join("hello-py");
    copy_tree(&from.join("examples/python-echo"), &project);
    let _ = std::fs::remove_dir_all(project.join("build"));

    let mut dev = Dev::start_with(dir.path(), &["--project", &project.to_string_lossy()]);
    let base = dev.serving().await;
    let http = reqwest::Client::new();
    expect_reply(&http, &base, "before", "/echo hi", "hi").await;
    let (builds, reloads) = (dev.builds(), dev.reloads());
    assert_eq!(
        builds,
        ["building plugins: python-echo"],
        "{}",
        dev.report()
    );

    let source = project.join("app.py");
    let text = std::fs::read_to_string(&source).unwrap();
    let edited = text.replace(
        "command.reply(command.args or",
        "command.reply(\"edited: \" + command.args if command.args else",
    );
    assert_ne!(
        edited, text,
        "python-echo no longer has the line this test edits"
    );
    save_as_editor(&source, &edited);
    let saved = Instant::now();
    while dev.reloads().len() == reloads.len() {
        assert!(
            saved.elapsed() < REBUILD,
            "python-echo was not reloaded within {REBUILD:?}:\n{}",
            dev.report()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("rebuilt and reloaded {:?} after the save", saved.elapsed());
    expect_reply(&http, &base, "after", "/echo hi", "edited: hi").await;
    tokio::time::sleep(SETTLE).await;
    let new_builds = dev.builds()[builds.len()..].to_vec();
    assert_eq!(
        new_builds,
        ["building plugins: python-echo"],
        "{}",
        dev.report()
    );
    let new_reloads = dev.reloads()[reloads.len()..].to_vec();
    assert_eq!(new_reloads.len(), 1, "{new_reloads:#?}");
    assert!(
        new_reloads[0].contains("plugin=python-echo"),
        "{new_reloads:#?}"
    );
}
