//! `wasmbot:bot/help`: the loaded plugins' commands, as the current event's chat sees them.

use crate::model::wit::wasmbot::bot0_1_0::help::{Host, PluginHelp};
use crate::runtime::state::HostState;

impl Host for HostState {
    fn plugins(&mut self) -> wasmtime::Result<Vec<PluginHelp>> {
        Ok(self
            .services
            .directory
            .plugins_for(self.scope.chat.as_ref()))
    }
}
