//! The integration-test harness: builds plugins from source for wasm32-wasip2, starts a daemon
//! on loopback with its own folders, and talks to it through the sim's HTTP API.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod cluster;
pub mod languages;
pub mod nats;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use wasmbot::config::{Config, PluginConfig};
use wasmbot::daemon::Daemon;

pub const TARGET: &str = "wasm32-wasip2";
/// The cargo profile plugins are built with (`[profile.plugin]`: release with LTO), as
/// `wasmbot dev` builds them (`cli::dev::PROFILE`).
pub const PROFILE: &str = "plugin";

/// Every plugin the tests use: the bundled ones and the fixtures.
const PACKAGES: &[&str] = &[
    "echo",
    "welcome",
    "role-menu",
    "antispam",
    "help",
    "remind",
    "digest",
    "recorder",
    "trapper",
    "flood",
    "kvtest",
    "tally",
    "fbextras",
    "platops",
    "driver",
    "bare",
    "legacy",
    "echo01",
    "signup",
    "fetcher",
    "weather",
];

/// The workspace root (the folder above `host/`).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The cargo target folder the tests build plugins into.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"))
}

fn cargo_build(args: &[&str], target_dir: &Path) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(workspace())
        .env("CARGO_TARGET_DIR", target_dir)
        .args(["build", "--profile", PROFILE, "--target", TARGET])
        .args(args)
        .status()
        .expect("cannot run cargo");
    assert!(
        status.success(),
        "building the test plugins failed: cargo {args:?}"
    );
}

/// Builds every test plugin once per test binary; returns the folder holding the `.wasm` files.
pub fn plugins() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let mut args = Vec::new();
        for p in PACKAGES {
            args.extend(["-p", p]);
        }
        cargo_build(&args, &target_dir());
        // The second build of `recorder` has its own target dir so the two never overwrite each other.
        let v2 = target_dir().join("fixture-v2");
        cargo_build(&["-p", "recorder", "--features", "v2"], &v2);
        let out = target_dir().join("test-plugins");
        std::fs::create_dir_all(&out).unwrap();
        for p in PACKAGES {
            let file = format!("{}.wasm", p.replace('-', "_"));
            std::fs::copy(
                target_dir().join(TARGET).join(PROFILE).join(&file),
                out.join(&file),
            )
            .unwrap();
        }
        std::fs::copy(
            v2.join(TARGET).join(PROFILE).join("recorder.wasm"),
            out.join("recorder-v2.wasm"),
        )
        .unwrap();
        out
    })
}

/// The path of a built test plugin by package name (`recorder-v2`: the second recorder build).
pub fn plugin(name: &str) -> PathBuf {
    let file = if name == "recorder-v2" {
        name.to_string()
    } else {
        name.replace('-', "_")
    };
    plugins().join(format!("{file}.wasm"))
}

/// The tests' config on `dir`: the sim bot on a free loopback port, `dir/data` and
/// `dir/plugins`, quick reloads, the tests' shared compile cache.
pub fn config_in(dir: &Path) -> Config {
    let mut config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.join("data"),
        plugins_dir: dir.join("plugins"),
        ..Config::default()
    };
    config.runtime.reload_debounce_ms = 20;
    // One compile cache for every test daemon: a plugin is compiled once per test run, not once
    // per test (and no test's timing shares the machine with another's background compile).
    config.runtime.compile_cache = Some(target_dir().join("test-compile-cache"));
    config
}

/// Runs `run` on a runtime of its own, then drops that runtime: every task that holds the
/// daemon's store ends, as at a process exit, so another daemon can open the same store.
pub fn run_to_exit<F>(run: impl FnOnce() -> F + Send + 'static)
where
    F: std::future::Future<Output = ()>,
{
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(run());
    })
    .join()
    .unwrap();
}

/// Starts a daemon on the store of one that just exited (see [`run_to_exit`]). The plugin
/// threads of the first end in the background, so the file may stay locked a moment longer.
pub async fn start_again(config: impl Fn() -> Config) -> Daemon {
    let start = Instant::now();
    loop {
        match Daemon::start(config()).await {
            Ok(daemon) => return daemon,
            Err(e) if start.elapsed() < Duration::from_secs(20) => {
                eprintln!("not yet: {e:#}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("cannot start again: {e:#}"),
        }
    }
}

/// A text message `id` from alice in the sim group chat `chat`, as an adapter would make it.
pub fn sim_message(chat: &str, id: &str, text: &str) -> wasmbot::model::Message {
    use wasmbot::model::*;
    let chat = ChatRef {
        platform: "sim".into(),
        bot: "sim".into(),
        kind: ChatKind::Group,
        id: chat.into(),
        guild: None,
    };
    Message {
        id: MessageRef {
            chat,
            id: id.into(),
        },
        sender: UserRef {
            id: "alice".into(),
            name: None,
            is_bot: false,
        },
        content: Content::Text(text.into()),
        mentions: vec![],
        reply_to: None,
        sent_at: 0,
    }
}

/// Starts the `wasmbot` binary on `config` (`wasmbot run --config`), its output into `log`.
pub fn spawn_daemon(config: &Path, log: &Path) -> std::process::Child {
    let log = std::fs::File::create(log).unwrap();
    Command::new(env!("CARGO_BIN_EXE_wasmbot"))
        .args(["run", "--config"])
        .arg(config)
        .env("RUST_LOG", "warn,wasmbot=info")
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap()
}

/// Copies a file into place atomically, as an operator's deploy script should.
pub fn install(from: &Path, to: &Path) {
    let tmp = to.with_extension("partial");
    std::fs::copy(from, &tmp).unwrap();
    std::fs::rename(&tmp, to).unwrap();
}

/// A daemon on an ephemeral loopback port with its own plugin and data folders.
pub struct TestDaemon {
    pub daemon: Daemon,
    pub base: String,
    pub plugins_dir: PathBuf,
    pub http: reqwest::Client,
    _dir: Option<tempfile::TempDir>,
}

impl TestDaemon {
    pub async fn start(plugins: &[&str]) -> Self {
        Self::start_with(plugins, Vec::new()).await
    }

    pub async fn start_with(plugins: &[&str], overrides: Vec<PluginConfig>) -> Self {
        Self::start_config(plugins, |config| config.plugins = overrides).await
    }

    /// Starts with the default (sim) config changed by `edit`: add bots, plugin overrides, …
    pub async fn start_config(plugins: &[&str], edit: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let plugins_dir = dir.path().join("plugins");
        std::fs::create_dir_all(&plugins_dir).unwrap();
        for p in plugins {
            install(
                &plugin(p),
                &plugins_dir.join(format!("{}.wasm", p.replace('-', "_"))),
            );
        }
        let mut config = config_in(dir.path());
        // The `driver` fixture exists to exercise every operation: grant it all of them.
        config.plugins.push(overrides("driver", |c| {
            c.grants.operations = vec!["all".into()]
        }));
        edit(&mut config);
        if config.plugins.iter().filter(|p| p.name == "driver").count() > 1 {
            config
                .plugins
                .retain(|p| p.name != "driver" || p.grants.operations != ["all"]);
        }
        let daemon = Daemon::start(config).await.expect("daemon starts");
        let mut test_daemon = Self::attach(daemon, plugins_dir);
        test_daemon._dir = Some(dir);
        test_daemon
    }

    /// Wraps a daemon started elsewhere (on folders the caller keeps), for the helpers below.
    pub fn attach(daemon: Daemon, plugins_dir: PathBuf) -> Self {
        Self {
            base: format!("http://{}", daemon.addr),
            daemon,
            plugins_dir,
            http: reqwest::Client::new(),
            _dir: None,
        }
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Posts a message as `user` in `chat`; asserts it was accepted; returns its message id.
    pub async fn say(&self, chat: &str, user: &str, text: &str) -> String {
        let (status, body) = self
            .post(
                "/sim/messages",
                json!({ "chat": chat, "user": user, "text": text }),
            )
            .await;
        assert_eq!(status, 202, "{body}");
        body["message_id"].as_str().unwrap().to_string()
    }

    pub async fn actions(&self, chat: &str) -> Vec<Value> {
        self.list(&format!("/sim/actions?chat={chat}"), "actions")
            .await
    }

    pub async fn timeline(&self, chat: &str) -> Vec<Value> {
        self.list(&format!("/sim/timeline?chat={chat}"), "messages")
            .await
    }

    /// The admin token the daemon made in its data dir.
    pub fn admin_token(&self) -> String {
        std::fs::read_to_string(self.daemon.data_dir.join("admin-token"))
            .unwrap()
            .trim()
            .to_string()
    }

    /// POSTs `{}` to an admin path with the token, as the CLI and console do.
    pub async fn admin_post(&self, path: &str) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(self.admin_token())
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// GETs `path`: the status and the JSON answer.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// GETs `path` and returns the array under `field` of its JSON answer.
    async fn list(&self, path: &str, field: &str) -> Vec<Value> {
        let (_, body) = self.get(path).await;
        body[field].as_array().cloned().unwrap_or_default()
    }

    /// The texts of the actions in `chat` whose op is `op`.
    pub async fn texts(&self, chat: &str, op: &str) -> Vec<String> {
        self.actions(chat)
            .await
            .into_iter()
            .filter(|a| a["op"] == op)
            .filter_map(|a| a["text"].as_str().map(str::to_string))
            .collect()
    }

    /// Polls `chat`'s actions until `done` holds, or panics after `timeout` with what it saw.
    pub async fn wait_for(
        &self,
        chat: &str,
        timeout: Duration,
        done: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let start = Instant::now();
        loop {
            let actions = self.actions(chat).await;
            if done(&actions) {
                return actions;
            }
            if start.elapsed() > timeout {
                panic!(
                    "timed out waiting in chat {chat}; actions so far: {}",
                    serde_json::to_string_pretty(&actions).unwrap()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until the named plugin is running at `version`.
    pub async fn wait_for_plugin(&self, name: &str, version: Option<&str>, timeout: Duration) {
        let start = Instant::now();
        loop {
            let found = self
                .daemon
                .router
                .status()
                .into_iter()
                .find(|p| p.name == name);
            let ok = match (found, version) {
                (Some(p), Some(v)) => p.version == v,
                (Some(_), None) => true,
                (None, _) => false,
            };
            if ok {
                return;
            }
            assert!(
                start.elapsed() < timeout,
                "plugin {name} {version:?} did not start; running: {:?}",
                self.daemon.router.status()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for TestDaemon {
    fn drop(&mut self) {
        self.daemon.shutdown();
    }
}

/// Operator overrides for one plugin, with defaults elsewhere.
pub fn overrides(name: &str, edit: impl FnOnce(&mut PluginConfig)) -> PluginConfig {
    let mut config = PluginConfig {
        name: name.into(),
        enabled: true,
        platforms: vec![],
        allow_chats: vec![],
        deny_chats: vec![],
        timeout_ms: None,
        memory_mib: None,
        instances: None,
        grants: Default::default(),
        http: Default::default(),
        config: Default::default(),
        secrets: Default::default(),
        max_pending_timers: None,
        schedules: Vec::new(),
        audience: Default::default(),
    };
    edit(&mut config);
    config
}

/// The log lines of this process, in the two captures the tests read (all the tests share one
/// process, and a process has one global subscriber).
#[derive(Debug)]
pub struct Logs {
    /// Lines of the `wasmbot` crate's events at debug and above (`fanbook_auth`).
    pub wasmbot: Arc<Mutex<Vec<u8>>>,
    /// Lines of every event at debug and above, of any crate (`webhook_ingress`).
    pub everything: Arc<Mutex<Vec<u8>>>,
}

/// The process's log captures; the first call installs the global subscriber (and the `log`
/// bridge) that writes them. Lines from the events of every test running meanwhile land in
/// them too: read them for text only a test of yours writes.
pub fn logs() -> &'static Logs {
    static LOGS: OnceLock<Logs> = OnceLock::new();
    LOGS.get_or_init(|| {
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        use tracing_subscriber::Layer;

        let logs = Logs {
            wasmbot: Default::default(),
            everything: Default::default(),
        };
        let into = |buffer: &Arc<Mutex<Vec<u8>>>| {
            let buffer = buffer.clone();
            move || Capture(buffer.clone())
        };
        tracing_subscriber::registry()
            .with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .with_writer(into(&logs.wasmbot))
                    .with_filter(tracing_subscriber::EnvFilter::new("wasmbot=debug")),
            )
            .with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .with_writer(into(&logs.everything))
                    .with_filter(tracing_subscriber::filter::LevelFilter::DEBUG),
            )
            .init();
        logs
    })
}

#[derive(Debug)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Serves `bot`'s webhook on loopback over a memory journal (no plugins: the ingress alone):
/// the webhook's URL, and the journal.
pub async fn serve_webhook(
    bot: wasmbot::config::BotConfig,
) -> (String, Arc<dyn wasmbot::store::Store>) {
    use wasmbot::store::{Bounds, MemoryStore, Store};
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new(Bounds::default()));
    let ctx = wasmbot::adapter::StartContext {
        ingress: wasmbot::journal::Ingress::new(store.clone()).unwrap(),
        stop: Default::default(),
        data_dir: Default::default(),
        inbound: true,
        singleton: None,
    };
    let app = wasmbot::adapter::start(&bot, &ctx).unwrap().routes.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!(
        "http://{}/hooks/{}",
        listener.local_addr().unwrap(),
        bot.name
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, store)
}

/// Everything in `store`'s journal, in order.
pub fn journaled(store: &Arc<dyn wasmbot::store::Store>) -> Vec<wasmbot::model::Inbound> {
    let read = store.read(0, 1000).unwrap();
    read.into_iter().map(|(_, inbound)| inbound).collect()
}
