//! The running plugins as the `help` interface sees them: each one's commands, narrowed by its
//! filter to the chat that asks.

use std::collections::HashMap;
use std::sync::{Arc, RwLock, Weak};

use super::Running;
use crate::model::ChatRef;
use crate::model::PluginHelp;
use crate::runtime::PluginDirectory;

/// A weak view of the router's plugins: the host services that hold it must not keep the
/// router alive.
pub(super) struct Directory(pub(super) Weak<RwLock<HashMap<Arc<str>, Running>>>);

impl PluginDirectory for Directory {
    fn plugins_for(&self, chat: Option<&ChatRef>) -> Vec<PluginHelp> {
        let Some(plugins) = self.0.upgrade() else {
            return Vec::new();
        };
        let Ok(plugins) = plugins.read() else {
            return Vec::new();
        };
        let mut found: Vec<PluginHelp> = plugins
            .values()
            .filter_map(|running| {
                let filter = running.filter.read().ok()?;
                if chat.is_some_and(|chat| !filter.reaches(chat)) {
                    return None;
                }
                let mut help = running.version.help();
                help.commands.retain(|c| filter.takes_command(&c.name));
                Some(help)
            })
            .collect();
        found.sort_by(|a, b| a.name.cmp(&b.name));
        found
    }
}
