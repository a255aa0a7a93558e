//! One live instance of a plugin, with its limits. A trap or a missed deadline poisons the
//! instance: the caller drops it and makes a fresh one for the next event.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::Store;

use super::deadline::{self, arm};
use super::exports::{Plugin, PluginPre};
use super::state::{CallScope, HostServices, HostState};
use crate::config::{Grants, PluginLimits};
use crate::model::{CommandHelp, Envelope, Manifest};

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The plugin ran to the end and reported an error itself; the instance is still good.
    #[error("the plugin returned an error: {0}")]
    Plugin(String),
    #[error("the plugin trapped: {0:#}")]
    Trap(wasmtime::Error),
    #[error("the call ran past its {0:?} deadline")]
    Timeout(Duration),
}

impl CallError {
    /// Whether the instance must be thrown away.
    pub fn poisons(&self) -> bool {
        !matches!(self, CallError::Plugin(_))
    }
}

pub struct PluginInstance {
    store: Store<HostState>,
    plugin: Plugin,
    timeout: Duration,
}

impl std::fmt::Debug for PluginInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginInstance")
            .field("plugin", &self.store.data().plugin)
            .finish()
    }
}

impl PluginInstance {
    pub async fn instantiate(
        pre: &PluginPre<HostState>,
        name: Arc<str>,
        services: HostServices,
        grants: Arc<Grants>,
        limits: PluginLimits,
    ) -> Result<Self, CallError> {
        let state = HostState::new(name, services, grants, limits);
        let mut store = Store::new(pre.engine(), state);
        store.limiter(|s| &mut s.limits);
        deadline::install(&mut store);
        let timeout = limits.timeout;
        let backstop = arm(&mut store);
        let plugin = finish(
            timeout,
            tokio::time::timeout(backstop, pre.instantiate_async(&mut store)).await,
        )?;
        Ok(Self {
            store,
            plugin,
            timeout,
        })
    }

    pub async fn describe(&mut self) -> Result<Manifest, CallError> {
        let backstop = arm(&mut self.store);
        let call = self
            .plugin
            .wasmbot_bot_guest()
            .call_describe(&mut self.store);
        finish(self.timeout, tokio::time::timeout(backstop, call).await)
    }

    /// The plugin's own description of its commands; empty for a plugin without a
    /// `command-guide` export.
    pub async fn command_guide(&mut self) -> Result<Vec<CommandHelp>, CallError> {
        let Some(guide) = self.plugin.wasmbot_bot_command_guide() else {
            return Ok(Vec::new());
        };
        let backstop = arm(&mut self.store);
        let call = guide.call_commands(&mut self.store);
        finish(self.timeout, tokio::time::timeout(backstop, call).await)
    }

    pub async fn init(&mut self, config: &str) -> Result<(), CallError> {
        let backstop = arm(&mut self.store);
        let call = self
            .plugin
            .wasmbot_bot_guest()
            .call_init(&mut self.store, config);
        finish(self.timeout, tokio::time::timeout(backstop, call).await)?.map_err(CallError::Plugin)
    }

    /// Handles one event; returns the effects it buffered. On error none of them apply.
    pub async fn handle(
        &mut self,
        envelope: &Envelope,
        scope: CallScope,
    ) -> Result<CallScope, CallError> {
        let state = self.store.data_mut();
        state.scope = scope;
        state.event_refs.set(&envelope.event);
        arm(&mut self.store);
        let call = self
            .plugin
            .wasmbot_bot_guest()
            .call_handle(&mut self.store, envelope);
        // No tokio timer on the hot path: the epoch deadline stops guest code, and the async
        // host calls (live queries) carry their own timeout.
        let result = finish(self.timeout, Ok(call.await));
        let state = self.store.data_mut();
        state.event_refs.clear();
        let scope = std::mem::take(&mut state.scope);
        result?.map_err(CallError::Plugin)?;
        Ok(scope)
    }

    pub async fn save_state(&mut self) -> Result<Option<Vec<u8>>, CallError> {
        let backstop = arm(&mut self.store);
        let call = self
            .plugin
            .wasmbot_bot_guest()
            .call_save_state(&mut self.store);
        finish(self.timeout, tokio::time::timeout(backstop, call).await)
    }

    pub async fn restore_state(&mut self, state: &[u8]) -> Result<(), CallError> {
        let backstop = arm(&mut self.store);
        let call = self
            .plugin
            .wasmbot_bot_guest()
            .call_restore_state(&mut self.store, state);
        finish(self.timeout, tokio::time::timeout(backstop, call).await)
    }
}

fn finish<T>(
    timeout: Duration,
    outcome: Result<wasmtime::Result<T>, tokio::time::error::Elapsed>,
) -> Result<T, CallError> {
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(trap)) => match trap.downcast_ref::<wasmtime::Trap>() {
            Some(wasmtime::Trap::Interrupt) => Err(CallError::Timeout(timeout)),
            _ => Err(CallError::Trap(trap)),
        },
        Err(_) => Err(CallError::Timeout(timeout)),
    }
}
