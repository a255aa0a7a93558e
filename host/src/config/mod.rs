//! The operator's configuration: one TOML file, `${ENV_VAR}` allowed in values, unknown keys
//! rejected by name.

mod admin;
mod cluster;
mod env;
mod grants;
mod http;
pub mod listen;
mod outbox;
mod problem;
mod rate;
mod schedules;
mod secret;
mod standing;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

pub use admin::AdminConfig;
pub use cluster::{ClusterConfig, Mode, MAX_PARTITIONS};
pub use grants::{parse_operation, Grants, ALL_OPERATIONS, DEFAULT_OPERATIONS};
pub use http::{
    best_match, normalize_host, HostMatch, HostPattern, HttpLimits, HttpLimitsConfig, DEFAULT_PORTS,
};
pub use outbox::OutboxConfig;
pub use problem::{line_col, Problem, Seg};
pub use rate::{Rate, RateSetting};
pub use schedules::{ScheduleConfig, DEFAULT_PENDING_TIMERS};
pub use secret::{Redactor, Secret};
pub use standing::{refusal_text, AudienceSetting, DEFAULT_REFUSAL_REPLY};

/// Where the daemon listens when nothing else is said: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8700";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Every problem found, each with its line and column.
    #[error("{}", render_problems(path, problems))]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
}

/// `FILE:LINE:COL: problem`, one per line after a count when there are several.
fn render_problems(path: &Path, problems: &[Problem]) -> String {
    let lines: Vec<String> = problems.iter().map(|p| located(path, p)).collect();
    match lines.as_slice() {
        [one] => format!("config file {one}"),
        _ => format!(
            "config file {} has {} problems:\n  {}",
            path.display(),
            lines.len(),
            lines.join("\n  ")
        ),
    }
}

/// One problem as `FILE:LINE:COL: problem` (or `FILE: problem` without a position).
pub fn located(path: &Path, problem: &Problem) -> String {
    match problem.at {
        Some((line, column)) => format!("{}:{line}:{column}: {problem}", path.display()),
        None => format!("{}: {problem}", path.display()),
    }
}

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "default_listen", deserialize_with = "listen::deserialize")]
    pub listen: SocketAddr,
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    #[serde(default = "default_plugins_dir")]
    pub plugins_dir: PathBuf,
    /// Where the journal, outbox and kv live.
    #[serde(default)]
    pub store: StoreKind,
    /// `embedded` (one process, the default) or `cluster` (a node sharing the work through
    /// NATS JetStream, as `[cluster]` says).
    #[serde(default)]
    pub mode: Mode,
    #[serde(default)]
    pub cluster: Option<ClusterConfig>,
    #[serde(default)]
    pub bots: Vec<BotConfig>,
    #[serde(default)]
    pub plugins: Vec<PluginConfig>,
    #[serde(default)]
    pub runtime: RuntimeConfig,
    #[serde(default)]
    pub retention: RetentionConfig,
    #[serde(default)]
    pub outbox: OutboxConfig,
    /// The admin API, the console and `/metrics`: token and allowed host names.
    #[serde(default)]
    pub admin: AdminConfig,
}

/// The kind of store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// Durable: an LSM tree (fjall) in the folder `wasmbot.fjall` of the data dir. A data dir
    /// of the redb store moves into it on start.
    #[default]
    Fjall,
    /// Durable: one redb file, `wasmbot.redb`, in the data dir.
    Redb,
    /// Lost on exit: for tests and throwaway runs.
    Memory,
}

/// One platform connection.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotConfig {
    pub name: String,
    pub platform: String,
    #[serde(default)]
    pub token: Option<Secret>,
    #[serde(default)]
    pub secret: Option<Secret>,
    #[serde(default)]
    pub base_url: Option<String>,
    /// Platform-specific settings, read by that platform's adapter.
    #[serde(default)]
    pub options: toml::Table,
    /// At start-up, set the bot's command menu to the union of the plugins' commands (where
    /// the platform lets a bot do that).
    #[serde(default)]
    pub register_commands: bool,
    /// Outbound requests of this bot, all plugins together (`"20/min"`, `"10/s"`, `"off"`);
    /// without it, the platform's documented limit if it has one.
    #[serde(default)]
    pub rate_limit: Option<RateSetting>,
    /// The user ids (as the platform gives them) of the people who run this bot: they may use
    /// every command, whatever its audience.
    #[serde(default)]
    pub admins: Vec<String>,
}

/// The operator's overrides for one plugin, matched by the name its `describe` returns.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginConfig {
    pub name: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Only events of these platforms (empty: the plugin's own choice).
    #[serde(default)]
    pub platforms: Vec<String>,
    /// Only these chat ids (empty: all).
    #[serde(default)]
    pub allow_chats: Vec<String>,
    #[serde(default)]
    pub deny_chats: Vec<String>,
    /// Per-call wall-time limit in milliseconds.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// Memory cap in MiB.
    #[serde(default)]
    pub memory_mib: Option<u64>,
    /// Instances per plugin; a chat always maps to the same one. Default 1, or
    /// [`HTTP_LANES`] for a plugin granted HTTP.
    #[serde(default)]
    pub instances: Option<usize>,
    /// What the plugin may do beyond the defaults.
    #[serde(default)]
    pub grants: Grants,
    /// Outbound HTTP limits of this plugin, over `[runtime.http]`.
    #[serde(default)]
    pub http: HttpLimitsConfig,
    /// Passed to the plugin's `init` as a JSON object.
    #[serde(default)]
    pub config: toml::Table,
    /// More string keys for the same object, whose values never show: not in a log line, in
    /// `check`, `status` or the admin API, nor in what the plugin itself logs or fails with
    /// (they are replaced by `***` there). Use `${ENV}` to keep them out of the file.
    #[serde(default)]
    pub secrets: std::collections::BTreeMap<String, Secret>,
    /// Timers the plugin may have pending at once (default 10,000); more answer `quota`.
    #[serde(default)]
    pub max_pending_timers: Option<u64>,
    /// Overrides of the plugin's schedules by name, and schedules added (see `ScheduleConfig`).
    #[serde(default)]
    pub schedules: Vec<ScheduleConfig>,
    /// Who may use each command, by command name (without the slash), over what the plugin
    /// declares: `anyone`, `members`, `admins`, `owners` or `bot-admins`.
    #[serde(default)]
    pub audience: std::collections::BTreeMap<String, AudienceSetting>,
}

/// Defaults for every plugin.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeConfig {
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    #[serde(default = "default_memory_mib")]
    pub memory_mib: u64,
    #[serde(default = "default_lane_capacity")]
    pub lane_capacity: usize,
    /// How many accepted events may wait unfinished before ingress answers "busy".
    #[serde(default = "default_journal_capacity")]
    pub journal_capacity: usize,
    /// How many events a plugin may fall behind the plugin furthest ahead before its oldest
    /// ones are skipped for it (shed, with a warning and a count in the status), so that one
    /// slow plugin cannot fill the journal and stop every other. A plugin alone, or all of them
    /// equally behind, is never shed: the ingress answers "busy" instead. `0`: never shed.
    /// Default: half of `journal_capacity`.
    #[serde(default)]
    pub max_lag: Option<usize>,
    #[serde(default = "default_reload_debounce_ms")]
    pub reload_debounce_ms: u64,
    /// Consecutive failures (traps, timeouts) before a plugin is quarantined.
    #[serde(default = "default_quarantine_after")]
    pub quarantine_after: u32,
    /// Where plugins' optimised code is cached (default: `cache` in the data dir). Daemons
    /// may share one: entries are named by content and engine, and written whole.
    #[serde(default)]
    pub compile_cache: Option<PathBuf>,
    /// Every plugin's outbound HTTP limits (timeout, body cap, in flight, per minute).
    #[serde(default)]
    pub http: HttpLimitsConfig,
    /// The reply to a command its sender may not use: `{command}` is its name, `{who}` who
    /// may use it. Empty: refused commands get no reply (the audit line is still written).
    #[serde(default = "standing::default_refusal_reply")]
    pub refusal_reply: String,
    /// The scenario harness's HTTP stub server: every plugin request goes there instead
    /// (`wasmbot test`). Not a config file setting.
    #[serde(skip)]
    pub http_stub: Option<std::net::SocketAddr>,
}

impl RuntimeConfig {
    /// The folder of the compile cache, for a daemon whose data dir is `data_dir`.
    pub fn compile_cache_in(&self, data_dir: &std::path::Path) -> PathBuf {
        self.compile_cache
            .clone()
            .unwrap_or_else(|| data_dir.join("cache"))
    }
}

/// How much the store keeps beyond what is still needed; the file stays bounded by these.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Platform event ids remembered, so a platform's redelivery is dropped.
    pub dedupe_keys: usize,
    /// Messages whose platform id and sender are remembered (edit/delete after a restart).
    pub messages: usize,
    /// Dead letters kept; beyond this the oldest is dropped with a warning.
    pub dead_letters: usize,
    /// Rewrite the store file at start-up to give back the space freed since.
    pub compact_on_start: bool,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        let bounds = crate::store::Bounds::default();
        Self {
            dedupe_keys: bounds.dedupe_keys,
            messages: bounds.messages,
            dead_letters: bounds.dead_letters,
            compact_on_start: true,
        }
    }
}

impl RuntimeConfig {
    /// `max_lag`, or half the journal: lagging plugins together still leave the other half to
    /// the rest.
    pub fn max_lag(&self) -> usize {
        self.max_lag.unwrap_or(self.journal_capacity / 2)
    }
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            timeout_ms: default_timeout_ms(),
            memory_mib: default_memory_mib(),
            lane_capacity: default_lane_capacity(),
            journal_capacity: default_journal_capacity(),
            max_lag: None,
            reload_debounce_ms: default_reload_debounce_ms(),
            quarantine_after: default_quarantine_after(),
            compile_cache: None,
            http: HttpLimitsConfig::default(),
            refusal_reply: standing::default_refusal_reply(),
            http_stub: None,
        }
    }
}

impl Default for Config {
    /// No file at all: the `sim` platform, the bundled plugins, loopback.
    fn default() -> Self {
        Self {
            listen: default_listen(),
            data_dir: default_data_dir(),
            plugins_dir: default_plugins_dir(),
            store: StoreKind::default(),
            mode: Mode::default(),
            cluster: None,
            bots: vec![BotConfig::sim()],
            plugins: Vec::new(),
            runtime: RuntimeConfig::default(),
            retention: RetentionConfig::default(),
            outbox: OutboxConfig::default(),
            admin: AdminConfig::default(),
        }
    }
}

impl BotConfig {
    /// The built-in web chat.
    pub fn sim() -> Self {
        Self {
            name: "sim".into(),
            platform: "sim".into(),
            token: None,
            secret: None,
            base_url: None,
            options: toml::Table::new(),
            register_commands: false,
            rate_limit: None,
            admins: Vec::new(),
        }
    }
}

impl Config {
    /// Reads and validates a config file, expanding `${VAR}` from the environment.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses config text; `path` only names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        Self::parse_all(text).map_err(|problems| ConfigError::Invalid {
            path: path.to_owned(),
            problems,
        })
    }

    /// Parses config text, or says every problem found, each with its line and column: every
    /// syntax error; else the first structural one (an unknown key, a wrong type: serde stops
    /// there); else every problem [`problems`](Self::problems) finds.
    pub fn parse_all(text: &str) -> Result<Self, Vec<Problem>> {
        let config = Self::parse_structure(text)?;
        let problems: Vec<Problem> = config
            .problems()
            .into_iter()
            .map(|p| p.locate(text))
            .collect();
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(problems)
        }
    }

    /// Parses config text and expands `${VAR}`, without the checks of
    /// [`problems`](Self::problems): for `check`, which runs those with the rest of `run`'s.
    pub fn parse_structure(text: &str) -> Result<Self, Vec<Problem>> {
        let (_, syntax) = toml::de::DeTable::parse_recoverable(text);
        if !syntax.is_empty() {
            return Err(syntax.iter().map(|e| de_problem(text, e)).collect());
        }
        let mut value: toml::Value =
            toml::from_str(text).map_err(|e| vec![de_problem(text, &e)])?;
        env::expand(&mut value, &|name| std::env::var(name).ok())
            .map_err(|m| vec![Problem::plain(m, None)])?;
        let mut config: Config = value
            .try_into()
            .map_err(|e: toml::de::Error| vec![structural(text, &e)])?;
        if config.bots.is_empty() {
            config.bots.push(BotConfig::sim());
        }
        Ok(config)
    }

    /// Cross-field checks that serde cannot express, each at the key it is about.
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut names = std::collections::BTreeSet::new();
        for (i, bot) in self.bots.iter().enumerate() {
            let at = |keys: &[&str], message: String| {
                Problem::in_element("bots", i, &bot.name, keys, message)
            };
            if !names.insert(bot.name.as_str()) {
                problems.push(at(
                    &["name"],
                    format!("the name `{}` is used twice", bot.name),
                ));
            }
            if bot.name.is_empty()
                || !bot
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                problems.push(at(&["name"], "must be letters, digits, `-` or `_`".into()));
            }
        }
        let mut plugin_names = std::collections::BTreeSet::new();
        for (i, plugin) in self.plugins.iter().enumerate() {
            problems.extend(plugin_problems(plugin, &mut plugin_names).into_iter().map(
                |(keys, message)| Problem::in_element("plugins", i, &plugin.name, &keys, message),
            ));
        }
        let text_problems = HttpLimits::problems(&self.runtime.http, "runtime.http")
            .into_iter()
            .chain(self.admin.problems())
            .chain(self.cluster_problems())
            .chain(self.runtime_problems());
        problems.extend(text_problems.map(|m| Problem::plain(m, None)));
        problems
    }

    /// `mode = "cluster"` needs `[cluster]`, and `[cluster]` needs that mode.
    fn cluster_problems(&self) -> Vec<String> {
        match (&self.mode, &self.cluster) {
            (Mode::Cluster, Some(cluster)) => cluster.problems(),
            (Mode::Cluster, None) => {
                vec![
                    "mode = \"cluster\" needs a [cluster] table (nats_url, node, partitions)"
                        .into(),
                ]
            }
            (Mode::Embedded, Some(_)) => {
                vec!["cluster: a [cluster] table is read only with mode = \"cluster\"".into()]
            }
            (Mode::Embedded, None) => Vec::new(),
        }
    }

    /// `[runtime]` and `[retention]` values that cannot work together.
    fn runtime_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.runtime.timeout_ms == 0 {
            problems.push("runtime.timeout_ms: must be more than 0".into());
        }
        let runtime = &self.runtime;
        let max_lag = runtime.max_lag();
        if max_lag > 0 && max_lag + runtime.lane_capacity >= runtime.journal_capacity {
            problems.push(format!(
                "runtime.max_lag: {max_lag} plus a lane ({}) must be less than journal_capacity ({}), \
                 or a plugin falling behind fills the journal before it is shed (0: never shed)",
                runtime.lane_capacity, runtime.journal_capacity
            ));
        }
        for (key, value) in [
            ("dedupe_keys", self.retention.dedupe_keys),
            ("messages", self.retention.messages),
        ] {
            if value == 0 {
                problems.push(format!("retention.{key}: must be at least 1"));
            }
        }
        problems
    }

    /// The operator's settings for a plugin, if any.
    pub fn plugin(&self, name: &str) -> Option<&PluginConfig> {
        self.plugins.iter().find(|p| p.name == name)
    }

    /// The effective limits of one plugin.
    pub fn limits_for(&self, name: &str) -> PluginLimits {
        let overrides = self.plugin(name);
        let granted_http = overrides.is_some_and(|p| !p.grants.http.is_empty());
        PluginLimits {
            timeout: Duration::from_millis(
                overrides
                    .and_then(|p| p.timeout_ms)
                    .unwrap_or(self.runtime.timeout_ms),
            ),
            memory_bytes: overrides
                .and_then(|p| p.memory_mib)
                .unwrap_or(self.runtime.memory_mib) as usize
                * 1024
                * 1024,
            instances: overrides
                .and_then(|p| p.instances)
                .unwrap_or(if granted_http { HTTP_LANES } else { 1 })
                .max(1),
            http: HttpLimits::resolve(&self.runtime.http, overrides.map(|p| &p.http)),
            pending_timers: overrides
                .and_then(|p| p.max_pending_timers)
                .unwrap_or(DEFAULT_PENDING_TIMERS),
        }
    }

    /// The operator's grants for a plugin (the defaults when it has none).
    pub fn grants_for(&self, name: &str) -> Grants {
        self.plugin(name)
            .map(|p| p.grants.clone())
            .unwrap_or_default()
    }

    /// The JSON object handed to a plugin's `init`: its config and its secrets. A secret
    /// itself, since it holds them.
    pub fn init_json(&self, name: &str) -> Secret {
        let mut table = self
            .plugin(name)
            .map(|p| p.config.clone())
            .unwrap_or_default();
        for (key, value) in self.plugin(name).into_iter().flat_map(|p| &p.secrets) {
            table.insert(key.clone(), toml::Value::String(value.expose().to_string()));
        }
        Secret::new(serde_json::to_string(&table).unwrap_or_else(|_| "{}".into()))
    }

    /// What to scrub from the text a plugin writes: its secret values.
    pub fn redactor_for(&self, name: &str) -> Redactor {
        Redactor::new(
            self.plugin(name)
                .into_iter()
                .flat_map(|p| p.secrets.values().cloned()),
        )
    }
}

/// What is wrong with one `[[plugins]]` entry: the key path under it and the message.
fn plugin_problems<'a>(
    plugin: &'a PluginConfig,
    seen: &mut std::collections::BTreeSet<&'a str>,
) -> Vec<(Vec<&'static str>, String)> {
    let mut problems = Vec::new();
    if !seen.insert(plugin.name.as_str()) {
        problems.push((vec!["name"], "configured twice".to_string()));
    }
    if plugin.instances == Some(0) {
        problems.push((vec!["instances"], "must be at least 1".to_string()));
    }
    let prefix = format!("plugins.{}.", plugin.name);
    for message in schedules::problems(plugin) {
        let message = message
            .strip_prefix(&prefix)
            .unwrap_or(&message)
            .to_string();
        problems.push((vec![], message));
    }
    for unknown in plugin.grants.unknown_operations() {
        let message = format!(
            "unknown operation `{unknown}` (known: {})",
            ALL_OPERATIONS
                .iter()
                .map(|o| o.name())
                .collect::<Vec<_>>()
                .join(", ")
        );
        problems.push((vec!["grants", "operations"], message));
    }
    for key in plugin.secrets.keys() {
        if plugin.config.contains_key(key) {
            let message = format!("`{key}` is also in `config`; give it once");
            problems.push((vec!["secrets"], message));
        }
    }
    for (pattern, why) in plugin.grants.bad_http_patterns() {
        problems.push((vec!["grants", "http"], format!("`{pattern}`: {why}")));
    }
    for message in HttpLimits::problems(&plugin.http, "http") {
        problems.push((vec![], message));
    }
    problems
}

/// A `toml` error as a problem at its position, naming the key of that line when it has one
/// (a value's error points at the value).
fn de_problem(text: &str, e: &toml::de::Error) -> Problem {
    let Some(span) = e.span() else {
        return Problem::plain(e.message().trim().to_string(), None);
    };
    let (line, column) = problem::line_col(text, span.start);
    let key = text
        .lines()
        .nth(line - 1)
        .and_then(|l| l.split_once('='))
        .map(|(key, _)| key.trim())
        .filter(|key| !key.is_empty() && !key.starts_with('['));
    let message = e.message().trim();
    let message = match key {
        Some(key) if !message.contains(key) => format!("`{key}`: {message}"),
        _ => message.to_string(),
    };
    Problem::plain(message, Some((line, column)))
}

/// A structural error of the expanded config, which has no position: the same error read
/// from the file's own text (before `${VAR}` expansion) has one, if that text fails too.
fn structural(text: &str, e: &toml::de::Error) -> Problem {
    match toml::from_str::<Config>(text) {
        Err(raw) if raw.span().is_some() && raw.message() == e.message() => de_problem(text, &raw),
        _ => Problem::plain(e.message().trim().to_string(), None),
    }
}

/// Lanes (instances) of a plugin granted HTTP, unless `instances` says otherwise: a request
/// holds its lane while it waits, so one lane serves a 200 ms API at 5 events a second for all
/// chats together; four serve about three times that (BENCHMARKS.md, "A plugin waiting on a
/// slow API") and stay within the default `max_in_flight` (8).
pub const HTTP_LANES: usize = 4;

/// Resource limits applied to each instance of a plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PluginLimits {
    pub timeout: Duration,
    pub memory_bytes: usize,
    pub instances: usize,
    /// Outbound HTTP.
    pub http: HttpLimits,
    /// Timers one plugin may have pending at once.
    pub pending_timers: u64,
}

fn yes() -> bool {
    true
}
fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8700))
}
fn default_data_dir() -> PathBuf {
    PathBuf::from("data")
}
fn default_plugins_dir() -> PathBuf {
    PathBuf::from("plugins-bin")
}
fn default_timeout_ms() -> u64 {
    1000
}
fn default_memory_mib() -> u64 {
    64
}
fn default_lane_capacity() -> usize {
    256
}
fn default_journal_capacity() -> usize {
    10_000
}
fn default_reload_debounce_ms() -> u64 {
    50
}
fn default_quarantine_after() -> u32 {
    5
}

#[cfg(test)]
mod tests;
