//! The operator's schedules for a plugin: `[[plugins.schedules]]` entries override the
//! plugin's own schedule of the same name field by field, turn it off, or add one.
//!
//! ```toml
//! [[plugins]]
//! name = "digest"
//! schedules = [
//!   { name = "daily", cron = "0 0 18 * * Mon-Fri", timezone = "Asia/Shanghai" },
//!   { name = "weekly", enabled = false },
//! ]
//! ```
//!
//! The cron expression and time zone are checked when the plugin loads (`plugin::loader`),
//! with the plugin's own.

use serde::Deserialize;

use super::PluginConfig;

/// Timers a plugin may have pending at once unless its config says otherwise.
pub const DEFAULT_PENDING_TIMERS: u64 = 10_000;

/// One `[[plugins.schedules]]` entry. Fields left out keep the plugin's values; a schedule the
/// plugin does not declare needs `cron`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleConfig {
    /// The schedule's name (the `timer` event's key).
    pub name: String,
    /// Six fields, seconds first: `0 0 9 * * Mon-Fri`.
    #[serde(default)]
    pub cron: Option<String>,
    /// An IANA time zone, e.g. `Europe/Berlin`; empty: UTC.
    #[serde(default)]
    pub timezone: Option<String>,
    /// The `timer` event's payload.
    #[serde(default)]
    pub payload: Option<String>,
    /// `false` turns the plugin's schedule of this name off.
    #[serde(default = "super::yes")]
    pub enabled: bool,
}

/// What is wrong with a plugin's schedule entries, each naming the plugin and the entry.
pub(super) fn problems(plugin: &PluginConfig) -> Vec<String> {
    let mut problems = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for schedule in &plugin.schedules {
        let name = &schedule.name;
        if name.is_empty() || name.len() > 256 || name.chars().any(char::is_control) {
            problems.push(format!(
                "plugins.{}.schedules: name `{name}` must be 1 to 256 bytes without control characters",
                plugin.name
            ));
        }
        if !names.insert(name.as_str()) {
            problems.push(format!(
                "plugins.{}.schedules: `{name}` is configured twice",
                plugin.name
            ));
        }
    }
    problems
}
