//! The daemon under test as a separate process: a temp folder with its config, plugins and data,
//! and a guard that kills the process and removes the folder when dropped (also on a panic).

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// The Yunhu bot's name, webhook secret and API token (made up: everything stays on loopback).
pub const BOT: &str = "yh";
pub const HOOK_SECRET: &str = "e2e-hook-secret";
pub const TOKEN: &str = "e2e-token";

/// Requests per second per API path the Yunhu adapter allows itself (`rate_limit_per_second`,
/// default 10): far above what the daemon reaches here, so it never paces the bench. The limiter
/// remembers up to this many send times (16 bytes each), so it is not set higher than needed.
const API_RATE_PER_SECOND: u32 = 50_000;

/// The store the daemon is configured with (`store = "…"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    Fjall,
    Redb,
    Memory,
}

impl Store {
    pub fn name(self) -> &'static str {
        match self {
            Store::Fjall => "fjall",
            Store::Redb => "redb",
            Store::Memory => "memory",
        }
    }
}

/// What to start: the binary, the plugin files to put in its folder, the store, and the API
/// root of the Yunhu stand-in.
#[derive(Debug)]
pub struct Setup<'a> {
    pub binary: &'a Path,
    pub plugins: &'a [PathBuf],
    pub store: Store,
    pub api_base: &'a str,
}

/// A running `wasmbot run` process on a fresh temp folder; killed, and the folder removed, when
/// dropped.
#[derive(Debug)]
pub struct DaemonProcess {
    child: Child,
    pub addr: SocketAddr,
    /// Just before the process was spawned.
    pub spawned_at: Instant,
    log: PathBuf,
    /// Dropped after `Drop::drop` has killed the process.
    _dir: tempfile::TempDir,
}

impl DaemonProcess {
    /// Writes the folder and config, and spawns the daemon; its stdout and stderr go to
    /// `daemon.log` in the folder.
    pub fn spawn(setup: &Setup) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("wasmbot-e2e-")
            .tempdir()
            .context("cannot create the daemon's temp folder")?;
        let plugins_dir = dir.path().join("plugins");
        std::fs::create_dir(&plugins_dir)?;
        for plugin in setup.plugins {
            let name = plugin
                .file_name()
                .context("a plugin path has no file name")?;
            std::fs::copy(plugin, plugins_dir.join(name))
                .with_context(|| format!("cannot copy plugin {}", plugin.display()))?;
        }
        let addr = free_loopback_port()?;
        let config = dir.path().join("wasmbot.toml");
        std::fs::write(&config, config_toml(setup, addr, dir.path()))?;
        let log = dir.path().join("daemon.log");
        let output = std::fs::File::create(&log)?;
        let mut command = Command::new(setup.binary);
        command
            .arg("run")
            .arg("--config")
            .arg(&config)
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(output.try_clone()?)
            .stderr(output);
        let spawned_at = Instant::now();
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {}", setup.binary.display()))?;
        Ok(Self {
            child,
            addr,
            spawned_at,
            log,
            _dir: dir,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Fails, with the end of its log, if the process has exited.
    pub fn check_alive(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!(
                "the daemon exited ({status}); the end of its log:\n{}",
                self.log_tail(20)
            );
        }
        Ok(())
    }

    /// Waits until `GET /healthz` answers (the listener is up; plugins may still be loading).
    pub async fn wait_listening(&mut self, timeout: Duration) -> Result<()> {
        let http = reqwest::Client::builder().no_proxy().build()?;
        let url = format!("http://{}/healthz", self.addr);
        let start = Instant::now();
        loop {
            self.check_alive()?;
            if let Ok(answer) = http.get(&url).send().await {
                if answer.status().is_success() {
                    return Ok(());
                }
            }
            if start.elapsed() > timeout {
                bail!(
                    "the daemon did not listen on {} within {timeout:?}; its log:\n{}",
                    self.addr,
                    self.log_tail(20)
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The whole log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn log_tail(&self, lines: usize) -> String {
        let log = self.log();
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl Drop for DaemonProcess {
    fn drop(&mut self) {
        // SIGKILL: nothing of the daemon's is needed after a measurement.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port that was free a moment ago (bound, read, released).
fn free_loopback_port() -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot bind a loopback port")?;
    Ok(listener.local_addr()?)
}

/// The daemon's config: one Yunhu bot on the stand-in, no outbound rate limit. TOML literal
/// strings ('…') need no escaping for the temp paths.
fn config_toml(setup: &Setup, addr: SocketAddr, dir: &Path) -> String {
    let mut toml = format!(
        "listen = '{addr}'\n\
         data_dir = '{data}'\n\
         plugins_dir = '{plugins}'\n\
         store = '{store}'\n\
         \n\
         [[bots]]\n\
         name = '{BOT}'\n\
         platform = 'yunhu'\n\
         token = '{TOKEN}'\n\
         secret = '{HOOK_SECRET}'\n\
         base_url = '{api}'\n\
         rate_limit = 'off'\n\
         [bots.options]\n\
         rate_limit_per_second = {API_RATE_PER_SECOND}\n",
        data = dir.join("data").display(),
        plugins = dir.join("plugins").display(),
        store = setup.store.name(),
        api = setup.api_base,
    );
    if setup.plugins.len() > 1 {
        toml.push_str(MODERATION_GRANTS);
    }
    toml
}

/// The bundled plugins' grants, as in `examples/sim.toml`.
const MODERATION_GRANTS: &str = "
[[plugins]]
name = 'role-menu'
[plugins.grants]
operations = ['add-role', 'remove-role']

[[plugins]]
name = 'antispam'
[plugins.grants]
operations = ['mute', 'delete']
";
