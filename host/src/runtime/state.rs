//! What a plugin's store carries: the sandbox's WASI context, its limits, and the effects the
//! current call has buffered.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::action::Action;
use crate::adapter::Adapters;
use crate::config::{Grants, PluginLimits};
use crate::event::{ChatRef, Error};
use crate::store::Store;

/// At most this many actions per handled event; more answer `rate-limited`.
pub const MAX_ACTIONS_PER_EVENT: usize = 100;

/// What host functions reach outside the plugin: shared by all instances.
#[derive(Clone)]
pub struct HostServices {
    pub store: Arc<dyn Store>,
    pub adapters: Adapters,
    handles: Arc<HandleMint>,
    pub(super) rates: Arc<super::rate::RateLimits>,
}

impl std::fmt::Debug for HostServices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostServices").finish_non_exhaustive()
    }
}

impl HostServices {
    pub fn new(store: Arc<dyn Store>, adapters: Adapters) -> Self {
        Self {
            store,
            adapters,
            handles: Arc::new(HandleMint::new()),
            rates: Arc::default(),
        }
    }

    /// A new host handle for a message `plugin` sends, unique across restarts.
    pub fn mint_handle(&self, plugin: &str) -> String {
        self.handles.next(plugin)
    }
}

/// Whether `id` is a handle of a message `plugin` sent.
pub fn is_own_handle(plugin: &str, id: &str) -> bool {
    id.strip_prefix("wb.")
        .and_then(|rest| rest.strip_prefix(plugin))
        .is_some_and(|rest| rest.starts_with('.'))
}

/// Handles are `wb.<plugin>.<boot time>.<n>`: unique within a run and across restarts, and
/// they say which plugin sent the message (plugin names have no dots).
#[derive(Debug)]
struct HandleMint {
    boot: u128,
    next: AtomicU64,
}

impl HandleMint {
    fn new() -> Self {
        let boot = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros())
            .unwrap_or_default();
        Self {
            boot,
            next: AtomicU64::new(0),
        }
    }

    fn next(&self, plugin: &str) -> String {
        format!(
            "wb.{plugin}.{:x}.{}",
            self.boot,
            self.next.fetch_add(1, Ordering::Relaxed)
        )
    }
}

/// The effects of one `handle` call, applied only if it returns successfully.
#[derive(Debug, Default)]
pub struct CallScope {
    /// The chat of the event being handled.
    pub chat: Option<ChatRef>,
    /// The callback id of the event being handled, if it is a click.
    pub callback_id: Option<String>,
    pub actions: Vec<Action>,
    /// Buffered kv writes; reads see them first.
    pub kv: BTreeMap<String, Option<Vec<u8>>>,
    /// The plugin's stored kv bytes, read once per call when a write needs the quota.
    pub kv_stored: Option<u64>,
}

impl CallScope {
    /// Index keys of the messages this call sent.
    pub fn sent_handles(&self) -> Vec<crate::store::MessageKey> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::Send { handle, chat, .. } => Some(super::host::message_key(chat, handle)),
                _ => None,
            })
            .collect()
    }

    /// Whether this call sent the message `id` to `chat`.
    pub fn sent(&self, chat: &ChatRef, id: &str) -> bool {
        self.actions
            .iter()
            .any(|a| matches!(a, Action::Send { handle, chat: c, .. } if handle == id && c == chat))
    }

    pub fn push(&mut self, action: Action) -> Result<(), Error> {
        if self.actions.len() >= MAX_ACTIONS_PER_EVENT {
            return Err(Error::RateLimited(1000));
        }
        self.actions.push(action);
        Ok(())
    }
}

/// The data of one plugin instance's store.
pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(super) limits: StoreLimits,
    pub(super) plugin: Arc<str>,
    pub(super) services: HostServices,
    pub(super) grants: Arc<Grants>,
    pub(super) scope: CallScope,
    /// The plugin's per-call time limit, also applied to each live query it makes.
    pub(super) call_timeout: std::time::Duration,
}

impl HostState {
    /// A sandbox with no filesystem, no network and no environment; clocks and randomness only.
    pub fn new(
        plugin: Arc<str>,
        services: HostServices,
        grants: Arc<Grants>,
        limits: PluginLimits,
    ) -> Self {
        let mut wasi = wasmtime_wasi::WasiCtxBuilder::new();
        wasi.allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        let wasi = wasi.build();
        let call_timeout = limits.timeout;
        let limits = StoreLimitsBuilder::new()
            .memory_size(limits.memory_bytes)
            .instances(16)
            .tables(64)
            .memories(16)
            .trap_on_grow_failure(true)
            .build();
        Self {
            wasi,
            table: ResourceTable::new(),
            limits,
            plugin,
            services,
            grants,
            scope: CallScope::default(),
            call_timeout,
        }
    }
}

impl std::fmt::Debug for HostState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostState")
            .field("plugin", &self.plugin)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
