//! One live instance of a plugin, with its limits. A trap or a missed deadline poisons the
//! instance: the caller drops it and makes a fresh one for the next event.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::Store;

use super::deadline::{self, arm};
use super::exports::{Guest, Plugin, PluginPre};
use super::lean;
use super::state::{CallScope, HostServices, HostState};
use crate::config::{Grants, PluginLimits};
use crate::model::wit::exports::wasmbot::bot0_2_0::guest as guest02;
use crate::model::wit::wasmbot::bot0_2_0::types::Failure;
use crate::model::{CommandAudience, CommandHelp, Envelope, Manifest, Standing, TimerFired};
use crate::store::Seq;

pub use guest02::Schedule;

/// What a plugin says of itself: its manifest, and what only a 0.2 plugin can declare.
#[derive(Debug, Clone)]
pub struct Described {
    pub manifest: Manifest,
    /// The hosts it means to reach over HTTP (the operator grants them).
    pub http_hosts: Vec<String>,
    pub schedules: Vec<Schedule>,
    /// Who may use which of its commands (others: anyone).
    pub audiences: Vec<CommandAudience>,
}

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

    pub async fn describe(&mut self) -> Result<Described, CallError> {
        let backstop = arm(&mut self.store);
        match &self.plugin.guest {
            Guest::V01(guest) => {
                let call = guest.call_describe(&mut self.store);
                let manifest = finish(self.timeout, tokio::time::timeout(backstop, call).await)?;
                Ok(Described {
                    manifest,
                    http_hosts: Vec::new(),
                    audiences: Vec::new(),
                    schedules: Vec::new(),
                })
            }
            Guest::V02(guest) => {
                let call = guest.call_describe(&mut self.store);
                let manifest = finish(self.timeout, tokio::time::timeout(backstop, call).await)?;
                Ok(lean::described(manifest))
            }
        }
    }

    /// The plugin's own description of its commands; empty for a plugin without a
    /// `command-guide` export.
    pub async fn command_guide(&mut self) -> Result<Vec<CommandHelp>, CallError> {
        let Some(guide) = &self.plugin.guide else {
            return Ok(Vec::new());
        };
        let backstop = arm(&mut self.store);
        let call = guide.call_commands(&mut self.store);
        finish(self.timeout, tokio::time::timeout(backstop, call).await)
    }

    /// Scrubs these secret values from what the plugin logs or fails with from now on.
    pub fn redact(&mut self, redactor: Arc<crate::config::Redactor>) {
        self.store.data_mut().redactor = redactor;
    }

    /// `error` with the plugin's secrets scrubbed from the text the plugin wrote.
    fn scrubbed(&self, error: CallError) -> CallError {
        match error {
            CallError::Plugin(text) => {
                CallError::Plugin(self.store.data().redactor.scrub(&text).into_owned())
            }
            other => other,
        }
    }

    pub async fn init(&mut self, config: &str) -> Result<(), CallError> {
        let backstop = arm(&mut self.store);
        let result = match &self.plugin.guest {
            Guest::V01(guest) => {
                let call = guest.call_init(&mut self.store, config);
                finish(self.timeout, tokio::time::timeout(backstop, call).await)?
                    .map_err(CallError::Plugin)
            }
            Guest::V02(guest) => {
                let call = guest.call_init(&mut self.store, config);
                finish(self.timeout, tokio::time::timeout(backstop, call).await)?.map_err(failed)
            }
        };
        result.map_err(|e| self.scrubbed(e))
    }

    /// Handles event `seq`; returns the effects it buffered. On error none of them apply.
    /// `bot`: the receiving bot as `(platform, name)`, for a 0.2 plugin's envelope. `timer`:
    /// the event is this plugin's fired timer (a 0.1 plugin, which has no timers, skips it).
    /// The envelope is taken by value: a 0.2 plugin's lean one is made of its parts, not copied.
    pub async fn handle(
        &mut self,
        seq: Seq,
        envelope: Envelope,
        bot: Option<(&str, &str)>,
        timer: Option<&TimerFired>,
        standing: Standing,
        scope: CallScope,
    ) -> Result<CallScope, CallError> {
        if timer.is_some() && matches!(self.plugin.guest, Guest::V01(_)) {
            tracing::warn!(plugin = %self.store.data().plugin, event = seq, "a timer fired for a plugin now built for wasmbot:bot@0.1.0, which has no timers; skipped");
            return Ok(scope);
        }
        let state = self.store.data_mut();
        state.scope = scope;
        state.event_refs.set(&envelope.event);
        state.http.begin_call(Some(seq));
        arm(&mut self.store);
        // No tokio timer on the hot path: the epoch deadline stops guest code, and the async
        // host calls (live queries) carry their own timeout.
        let result = match &self.plugin.guest {
            Guest::V01(guest) => {
                let call = guest.call_handle(&mut self.store, &envelope);
                finish(self.timeout, Ok(call.await)).map(|r| r.map_err(CallError::Plugin))
            }
            Guest::V02(guest) => {
                let lean = lean::envelope(seq, envelope.event, bot, timer, standing);
                let call = guest.call_handle(&mut self.store, &lean);
                finish(self.timeout, Ok(call.await)).map(|r| r.map_err(failed))
            }
        };
        let state = self.store.data_mut();
        state.event_refs.clear();
        state.http.begin_call(None);
        let scope = std::mem::take(&mut state.scope);
        result?.map_err(|e| self.scrubbed(e))?;
        Ok(scope)
    }

    pub async fn save_state(&mut self) -> Result<Option<Vec<u8>>, CallError> {
        let backstop = arm(&mut self.store);
        let outcome = match &self.plugin.guest {
            Guest::V01(guest) => {
                let call = guest.call_save_state(&mut self.store);
                tokio::time::timeout(backstop, call).await
            }
            Guest::V02(guest) => {
                let call = guest.call_save_state(&mut self.store);
                tokio::time::timeout(backstop, call).await
            }
        };
        finish(self.timeout, outcome)
    }

    pub async fn restore_state(&mut self, state: &[u8]) -> Result<(), CallError> {
        let backstop = arm(&mut self.store);
        let outcome = match &self.plugin.guest {
            Guest::V01(guest) => {
                let call = guest.call_restore_state(&mut self.store, state);
                tokio::time::timeout(backstop, call).await
            }
            Guest::V02(guest) => {
                let call = guest.call_restore_state(&mut self.store, state);
                tokio::time::timeout(backstop, call).await
            }
        };
        finish(self.timeout, outcome)
    }
}

/// A 0.2 plugin's typed failure, as the text the host logs (its kind first).
fn failed(failure: Failure) -> CallError {
    CallError::Plugin(match failure {
        Failure::Config(text) => format!("bad config: {text}"),
        Failure::Input(text) => format!("bad input: {text}"),
        Failure::Upstream(text) => format!("upstream failed: {text}"),
        Failure::Internal(text) => text,
    })
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
