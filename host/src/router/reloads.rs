//! Each plugin's recent loads and reloads: when, from which file and version, how long it
//! took, and whether it went in or why not. Bounded: the last [`KEPT`] per plugin.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Attempts kept per plugin.
pub const KEPT: usize = 20;

/// One load or reload attempt.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReloadRecord {
    /// When it finished, in milliseconds since the Unix epoch.
    pub at_ms: u64,
    pub file: String,
    /// The version that went in; `None` when the file did not load.
    pub version: Option<String>,
    pub took_ms: u64,
    pub ok: bool,
    /// Why it did not load.
    pub error: Option<String>,
}

impl ReloadRecord {
    pub fn now(file: String, took: Duration, outcome: Result<String, String>) -> Self {
        let at_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let took_ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX);
        let ok = outcome.is_ok();
        let (version, error) = match outcome {
            Ok(version) => (Some(version), None),
            Err(error) => (None, Some(error)),
        };
        Self {
            at_ms,
            file,
            version,
            took_ms,
            ok,
            error,
        }
    }
}

/// The history of every plugin, by name (a file that never loaded goes by its file stem).
#[derive(Debug, Default)]
pub struct Reloads(Mutex<HashMap<String, VecDeque<ReloadRecord>>>);

impl Reloads {
    pub fn record(&self, plugin: &str, record: ReloadRecord) {
        if let Ok(mut map) = self.0.lock() {
            let list = map.entry(plugin.to_string()).or_default();
            if list.len() == KEPT {
                list.pop_front();
            }
            list.push_back(record);
        }
    }

    /// The plugin's attempts, newest first.
    pub fn of(&self, plugin: &str) -> Vec<ReloadRecord> {
        self.0
            .lock()
            .ok()
            .and_then(|map| map.get(plugin).map(|l| l.iter().rev().cloned().collect()))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_is_bounded_and_newest_first() {
        let reloads = Reloads::default();
        for i in 0..(KEPT + 5) {
            let outcome = if i % 2 == 0 {
                Ok(format!("1.{i}"))
            } else {
                Err("bad".into())
            };
            let record = ReloadRecord::now("p.wasm".into(), Duration::from_millis(3), outcome);
            reloads.record("p", record);
        }
        let list = reloads.of("p");
        assert_eq!(list.len(), KEPT);
        assert_eq!(list[0].version.as_deref(), Some("1.24"));
        assert!(reloads.of("q").is_empty());
    }
}
