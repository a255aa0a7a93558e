//! `wasmbot:bot/log`: plugin logs go to the daemon's log with the plugin's name.

use crate::model::wit::wasmbot::bot0_1_0::log::{Host, Level};
use crate::runtime::state::HostState;

/// Longer messages are cut, so a plugin cannot flood the log with one call.
const MAX_LOG_BYTES: usize = 4096;

impl Host for HostState {
    fn log(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        let message = self.redactor.scrub(truncate(&message, MAX_LOG_BYTES));
        let plugin = &*self.plugin;
        match level {
            Level::Trace => tracing::trace!(plugin, "{message}"),
            Level::Debug => tracing::debug!(plugin, "{message}"),
            Level::Info => tracing::info!(plugin, "{message}"),
            Level::Warn => tracing::warn!(plugin, "{message}"),
            Level::Error => tracing::error!(plugin, "{message}"),
        }
        Ok(())
    }
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
