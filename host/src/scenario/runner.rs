//! Runs a scenario: a daemon on loopback (sim bot, in-memory store, a compile cache shared by
//! runs, its plugins' HTTP sent to the scenario's stub server), the plugin in its folder, then
//! each step's event through the sim's HTTP API and a comparison of what followed with the
//! step's expectations.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde::Deserialize as _;
use serde_json::{json, Value};

use super::compare::{diff, Observed};
use super::format::{Scenario, Step};
use super::stubs::StubServer;
use super::{Report, StepReport};
use crate::config::{Config, PluginConfig, StoreKind};
use crate::daemon::Daemon;

/// How long a step may take to produce what it expects.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);
/// How long nothing more must happen before a step's actions are taken as complete.
const SETTLE: Duration = Duration::from_millis(150);

/// Runs every step of `scenario` against the plugin at `wasm`.
pub async fn run_scenario(wasm: &Path, scenario: &Scenario) -> anyhow::Result<Report> {
    let dir = scratch_dir()?;
    let result = run_in(&dir, wasm, scenario).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn run_in(dir: &Path, wasm: &Path, scenario: &Scenario) -> anyhow::Result<Report> {
    let plugins = dir.join("plugins");
    std::fs::create_dir_all(&plugins)
        .with_context(|| format!("cannot create {}", plugins.display()))?;
    std::fs::copy(wasm, plugins.join("plugin.wasm"))
        .with_context(|| format!("cannot read the plugin {}", wasm.display()))?;
    let stubs = StubServer::start(&scenario.stubs)
        .await
        .context("cannot start the HTTP stub server on loopback")?;
    let daemon = Daemon::start(config(dir, scenario, &stubs)?).await?;
    let status = daemon.router.status();
    let Some(name) = status.first().map(|p| p.name.clone()) else {
        daemon.shutdown();
        bail!(
            "{} did not load: the log above says why (`wasmbot check` too)",
            wasm.display()
        );
    };
    let session = Session {
        daemon,
        name,
        http: reqwest::Client::new(),
        stubs,
    };
    let mut steps = Vec::new();
    for (i, step) in scenario.steps.iter().enumerate() {
        let diff = match session.step(step).await {
            Ok(diff) => diff,
            Err(e) => {
                session.daemon.shutdown();
                return Err(e.context(format!("step {}: {}", i + 1, step.title())));
            }
        };
        steps.push(StepReport {
            index: i + 1,
            title: step.title(),
            diff,
        });
    }
    session.daemon.shutdown();
    Ok(Report {
        name: scenario.name.clone(),
        steps,
    })
}

/// A fresh folder under the system's temp folder.
fn scratch_dir() -> anyhow::Result<PathBuf> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let dir = std::env::temp_dir().join(format!("wasmbot-test-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

fn config(dir: &Path, scenario: &Scenario, stubs: &StubServer) -> anyhow::Result<Config> {
    let mut config = Config {
        listen: "127.0.0.1:0".parse()?,
        data_dir: dir.join("data"),
        plugins_dir: dir.join("plugins"),
        store: StoreKind::Memory,
        ..Config::default()
    };
    config.runtime.compile_cache = Some(std::env::temp_dir().join("wasmbot-test-cache"));
    config.runtime.http_stub = Some(stubs.addr);
    if let Some(name) = &scenario.plugin {
        config.plugins.push(plugin_settings(name, scenario)?);
    }
    Ok(config)
}

/// The operator's settings for the plugin: its grants and config, as a config file has them.
fn plugin_settings(name: &str, scenario: &Scenario) -> anyhow::Result<PluginConfig> {
    let settings = json!({
        "name": name,
        "config": scenario.config,
        "grants": { "operations": scenario.grants },
    });
    let table = toml::Value::try_from(settings)
        .context("the scenario's config cannot be a plugin's config (a null value?)")?;
    PluginConfig::deserialize(table).context("the scenario's grants or config")
}

struct Session {
    daemon: Daemon,
    name: String,
    http: reqwest::Client,
    stubs: StubServer,
}

impl Session {
    /// Runs one step and compares; returns the diff lines (none: passed).
    async fn step(&self, step: &Step) -> anyhow::Result<Vec<String>> {
        let since = self.next_seq(&step.chat).await?;
        let calls_before = self.stubs.count();
        if let Some(problem) = self.send_event(step).await? {
            return Ok(vec![problem]);
        }
        tokio::time::sleep(Duration::from_millis(step.wait_ms)).await;
        let start = Instant::now();
        loop {
            self.quiet().await;
            let observed = self.observe(step, since, calls_before).await?;
            let lines = diff(&step.expect, &observed);
            if lines.is_empty() || start.elapsed() > STEP_TIMEOUT {
                return Ok(lines);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Sends the step's event; `Some(why)` when the scenario asks for one that cannot be
    /// made (a button that is not there), which fails the step.
    async fn send_event(&self, step: &Step) -> anyhow::Result<Option<String>> {
        let (chat, user) = (step.chat.as_str(), step.user.as_str());
        if let Some(text) = &step.say {
            let body = json!({ "chat": chat, "user": user, "text": text });
            self.post("/sim/messages", body).await?;
        } else if let Some(data) = &step.click {
            let Some(message) = self.newest_bot_message(chat, Some(data)).await? else {
                return Ok(Some(format!(
                    "click {data:?}: no message of the bot in {chat} has a button with that data"
                )));
            };
            let body = json!({ "chat": chat, "user": user, "message_id": message, "data": data });
            self.post("/sim/clicks", body).await?;
        } else if let Some(who) = &step.join {
            self.post("/sim/joins", json!({ "chat": chat, "user": who }))
                .await?;
        } else if let Some(who) = &step.leave {
            self.post("/sim/leaves", json!({ "chat": chat, "user": who }))
                .await?;
        } else if let Some(emoji) = &step.react {
            let Some(message) = self.newest_bot_message(chat, None).await? else {
                return Ok(Some(format!(
                    "react {emoji}: the bot has no message in {chat}"
                )));
            };
            let body = json!({ "chat": chat, "user": user, "message_id": message, "emoji": emoji });
            self.post("/sim/reactions", body).await?;
        }
        Ok(None)
    }

    async fn post(&self, path: &str, body: Value) -> anyhow::Result<()> {
        let url = format!("http://{}{path}", self.daemon.addr);
        let response = self.http.post(url).json(&body).send().await?;
        if !response.status().is_success() {
            bail!(
                "the sim refused {path}: {}",
                response.text().await.unwrap_or_default()
            );
        }
        Ok(())
    }

    /// The id of the bot's newest live message in `chat` (with a button carrying `data`).
    async fn newest_bot_message(
        &self,
        chat: &str,
        data: Option<&str>,
    ) -> anyhow::Result<Option<String>> {
        let url = format!("http://{}/sim/timeline", self.daemon.addr);
        let body: Value = self
            .http
            .get(url)
            .query(&[("chat", chat)])
            .send()
            .await?
            .json()
            .await?;
        let messages = body["messages"].as_array().cloned().unwrap_or_default();
        let has_button = |m: &Value| {
            data.is_none_or(|data| {
                m["keyboard"].as_array().into_iter().flatten().any(|row| {
                    row.as_array()
                        .into_iter()
                        .flatten()
                        .any(|b| b["callback"] == data)
                })
            })
        };
        Ok(messages
            .iter()
            .rev()
            .filter(|m| m["from_bot"] == true && m["deleted"] != true)
            .find(|m| has_button(m))
            .and_then(|m| m["id"].as_str().map(String::from)))
    }

    /// Waits until the plugin has no backlog and no action has appeared for a moment.
    async fn quiet(&self) {
        let start = Instant::now();
        while start.elapsed() < STEP_TIMEOUT {
            let busy = self
                .daemon
                .router
                .status()
                .iter()
                .any(|p| p.backlog > 0 || p.in_flight > 0);
            if !busy {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(SETTLE).await;
    }

    /// The sequence number after the last action in `chat`.
    async fn next_seq(&self, chat: &str) -> anyhow::Result<u64> {
        let (_, next) = self.actions(chat, 0).await?;
        Ok(next)
    }

    async fn actions(&self, chat: &str, since: u64) -> anyhow::Result<(Vec<Value>, u64)> {
        let url = format!("http://{}/sim/actions", self.daemon.addr);
        let body: Value = self
            .http
            .get(url)
            .query(&[("chat", chat.to_string()), ("since", since.to_string())])
            .send()
            .await?
            .json()
            .await?;
        let actions = body["actions"].as_array().cloned().unwrap_or_default();
        Ok((actions, body["next"].as_u64().unwrap_or(since)))
    }

    /// Everything the step's expectations may look at.
    async fn observe(&self, step: &Step, since: u64, calls: usize) -> anyhow::Result<Observed> {
        let (actions, _) = self.actions(&step.chat, since).await?;
        let store = self.daemon.store();
        let mut timers: Vec<String> = store
            .timers_of(&self.name, 1000)?
            .into_iter()
            .map(|t| t.key)
            .collect();
        timers.sort();
        let mut kv = Vec::new();
        for key in step.expect.kv.iter().flat_map(|kv| kv.keys()) {
            let stored = store.kv_get(&self.name, key)?;
            let value = stored.as_deref().map(|b| {
                serde_json::from_slice::<Value>(b)
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(b).into()))
            });
            kv.push((key.clone(), value));
        }
        Ok(Observed {
            actions,
            timers,
            kv,
            http: self.stubs.calls_since(calls),
        })
    }
}
