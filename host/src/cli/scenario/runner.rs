//! Runs a scenario: a daemon on loopback (sim bot, in-memory store, a compile cache shared by
//! runs), the plugin in its folder, then each step's message through the sim's HTTP API and a
//! comparison of what followed with the step's expectations.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde::Deserialize as _;
use serde_json::{json, Value};

use super::format::{Expect, Scenario, Step};
use crate::config::{Config, PluginConfig, StoreKind};
use crate::daemon::Daemon;

/// How long a step may take to produce what it expects.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);
/// How long nothing more must happen before a step's actions are taken as complete.
const SETTLE: Duration = Duration::from_millis(150);

/// The outcome of one step: an empty `diff` when it passed.
#[derive(Debug)]
pub struct StepReport {
    pub index: usize,
    pub title: String,
    pub diff: Vec<String>,
}

/// Runs every step of `scenario` against the plugin at `wasm`.
pub async fn run_scenario(wasm: &Path, scenario: &Scenario) -> anyhow::Result<Vec<StepReport>> {
    let dir = scratch_dir()?;
    let result = run_in(&dir, wasm, scenario).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn run_in(dir: &Path, wasm: &Path, scenario: &Scenario) -> anyhow::Result<Vec<StepReport>> {
    let plugins = dir.join("plugins");
    std::fs::create_dir_all(&plugins)
        .with_context(|| format!("cannot create {}", plugins.display()))?;
    std::fs::copy(wasm, plugins.join("plugin.wasm"))
        .with_context(|| format!("cannot read the plugin {}", wasm.display()))?;
    let daemon = Daemon::start(config(dir, scenario)?).await?;
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
    };
    let mut reports = Vec::new();
    for (i, step) in scenario.steps.iter().enumerate() {
        let diff = session.step(step).await?;
        reports.push(StepReport {
            index: i + 1,
            title: step.title(),
            diff,
        });
    }
    session.daemon.shutdown();
    Ok(reports)
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

fn config(dir: &Path, scenario: &Scenario) -> anyhow::Result<Config> {
    let mut config = Config {
        listen: "127.0.0.1:0".parse()?,
        data_dir: dir.join("data"),
        plugins_dir: dir.join("plugins"),
        store: StoreKind::Memory,
        ..Config::default()
    };
    config.runtime.compile_cache = Some(std::env::temp_dir().join("wasmbot-test-cache"));
    if let Some(name) = &scenario.plugin {
        let mut grants = toml::Table::new();
        let operations = scenario
            .grants
            .iter()
            .map(|g| toml::Value::String(g.clone()));
        grants.insert(
            "operations".into(),
            toml::Value::Array(operations.collect()),
        );
        let mut table = toml::Table::new();
        table.insert("name".into(), toml::Value::String(name.clone()));
        table.insert("config".into(), toml::Value::Table(scenario.config.clone()));
        table.insert("grants".into(), toml::Value::Table(grants));
        let plugin = PluginConfig::deserialize(toml::Value::Table(table))
            .context("the scenario's grants or config")?;
        config.plugins.push(plugin);
    }
    Ok(config)
}

struct Session {
    daemon: Daemon,
    name: String,
    http: reqwest::Client,
}

impl Session {
    /// Runs one step and compares; returns the diff lines (none: passed).
    async fn step(&self, step: &Step) -> anyhow::Result<Vec<String>> {
        let since = self.next_seq(&step.chat).await?;
        if let Some(text) = &step.say {
            self.say(step, text).await?;
        }
        tokio::time::sleep(Duration::from_millis(step.wait_ms)).await;
        let start = Instant::now();
        loop {
            self.quiet().await;
            let diff = self.compare(&step.chat, since, &step.expect).await?;
            if diff.is_empty() || start.elapsed() > STEP_TIMEOUT {
                return Ok(diff);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn say(&self, step: &Step, text: &str) -> anyhow::Result<()> {
        let url = format!("http://{}/sim/messages", self.daemon.addr);
        let body = json!({ "chat": step.chat, "user": step.user, "text": text });
        let response = self.http.post(url).json(&body).send().await?;
        if response.status().as_u16() != 202 {
            bail!(
                "the sim refused the message: {}",
                response.text().await.unwrap_or_default()
            );
        }
        Ok(())
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

    async fn compare(
        &self,
        chat: &str,
        since: u64,
        expect: &Expect,
    ) -> anyhow::Result<Vec<String>> {
        let (actions, _) = self.actions(chat, since).await?;
        let of = |op: &str, field: &str| -> Vec<String> {
            actions
                .iter()
                .filter(|a| a["op"] == op)
                .map(|a| a[field].as_str().unwrap_or_default().to_string())
                .collect()
        };
        let mut diff = Vec::new();
        diff_list(
            "replies",
            expect.replies.as_deref(),
            &of("reply", "text"),
            &mut diff,
        );
        diff_list(
            "sends",
            expect.sends.as_deref(),
            &of("send", "text"),
            &mut diff,
        );
        diff_list(
            "reactions",
            expect.reactions.as_deref(),
            &of("react", "emoji"),
            &mut diff,
        );
        if let Some(keys) = &expect.timers {
            let store = self.daemon.store();
            let mut pending: Vec<String> = store
                .timers_of(&self.name, 1000)?
                .into_iter()
                .map(|t| t.key)
                .collect();
            pending.sort();
            let mut wanted = keys.clone();
            wanted.sort();
            diff_list("pending timers", Some(&wanted), &pending, &mut diff);
        }
        for (key, wanted) in expect.kv.iter().flatten() {
            self.diff_kv(key, wanted, &mut diff)?;
        }
        Ok(diff)
    }

    fn diff_kv(
        &self,
        key: &str,
        wanted: &toml::Value,
        diff: &mut Vec<String>,
    ) -> anyhow::Result<()> {
        let wanted = serde_json::to_value(wanted)?;
        let stored = self.daemon.store().kv_get(&self.name, key)?;
        let actual = stored.as_deref().map(|b| {
            serde_json::from_slice::<Value>(b)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(b).into()))
        });
        if actual.as_ref() != Some(&wanted) {
            diff.push(format!("kv {key:?}:"));
            diff.push(format!("  - {wanted}"));
            diff.push(format!(
                "  + {}",
                actual
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "(none)".into())
            ));
        }
        Ok(())
    }
}

/// Adds a `-`/`+` listing of `what` to `diff` when `actual` differs from `expected`.
fn diff_list(what: &str, expected: Option<&[String]>, actual: &[String], diff: &mut Vec<String>) {
    let Some(expected) = expected else { return };
    if expected == actual {
        return;
    }
    diff.push(format!(
        "{what}: expected {}, got {}",
        expected.len(),
        actual.len()
    ));
    for line in expected {
        diff.push(format!("  - {line:?}"));
    }
    for line in actual {
        diff.push(format!("  + {line:?}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diff_lists_both_sides() {
        let mut diff = Vec::new();
        diff_list("replies", Some(&["hi".into()]), &["ho".into()], &mut diff);
        assert_eq!(
            diff,
            ["replies: expected 1, got 1", "  - \"hi\"", "  + \"ho\""]
        );
        let mut none = Vec::new();
        diff_list("replies", Some(&["hi".into()]), &["hi".into()], &mut none);
        diff_list("sends", None, &["x".into()], &mut none);
        assert!(none.is_empty());
    }
}
