//! What the `help` interface asks of the running plugins, behind a trait the runtime owns so it
//! never reaches into the registry that implements it.

use std::sync::{Arc, OnceLock};

use crate::model::ChatRef;
use crate::model::PluginHelp;

/// The loaded plugins and their commands.
pub trait PluginDirectory: Send + Sync {
    /// The plugins that would receive a command in `chat` (every plugin for `None`), by name.
    fn plugins_for(&self, chat: Option<&ChatRef>) -> Vec<PluginHelp>;
}

/// The directory host functions see: set once, after the registry exists (it is built from the
/// same host services, so it cannot be passed in when they are made).
#[derive(Clone, Default)]
pub(super) struct DirectorySlot(Arc<OnceLock<Arc<dyn PluginDirectory>>>);

impl DirectorySlot {
    pub(super) fn set(&self, directory: Arc<dyn PluginDirectory>) {
        if self.0.set(directory).is_err() {
            tracing::warn!("the plugin directory was set twice; keeping the first");
        }
    }

    /// The plugins for `chat`; none before the directory is set.
    pub(super) fn plugins_for(&self, chat: Option<&ChatRef>) -> Vec<PluginHelp> {
        self.0
            .get()
            .map(|d| d.plugins_for(chat))
            .unwrap_or_default()
    }
}
