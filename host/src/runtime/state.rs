//! What a plugin's store carries: the sandbox's WASI context, its limits, and the effects the
//! current call has buffered.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use super::deadline::CallClock;
use super::directory::{DirectorySlot, PluginDirectory};
use super::http::{HttpGates, HttpHooks};
use super::pending::PendingWrites;
use super::platforms::Platforms;
use crate::config::{Grants, PluginLimits};
use crate::model::Action;
use crate::model::{ChatRef, Error, Event, MessageRef};
use crate::store::{MessageKey, Store, Timer, TimerChange};

/// At most this many actions per handled event; more answer `rate-limited`.
pub const MAX_ACTIONS_PER_EVENT: usize = 100;

/// What host functions reach outside the plugin: shared by all instances.
#[derive(Clone)]
pub struct HostServices {
    pub store: Arc<dyn Store>,
    /// The configured bots: capabilities, live queries, platform-specific calls.
    pub platforms: Arc<dyn Platforms>,
    handles: Arc<HandleMint>,
    pub(super) rates: Arc<crate::pace::RateLimits>,
    pub(super) directory: DirectorySlot,
    /// Every plugin's HTTP in-flight count and request rate.
    pub(super) http: Arc<HttpGates>,
}

impl std::fmt::Debug for HostServices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostServices").finish_non_exhaustive()
    }
}

impl HostServices {
    /// Plugins' outbound HTTP requests by how they ended.
    pub fn http_metrics(&self) -> Arc<crate::metrics::HttpMetrics> {
        self.http.metrics.clone()
    }

    pub fn new(store: Arc<dyn Store>, platforms: Arc<dyn Platforms>) -> Self {
        Self {
            store,
            platforms,
            handles: Arc::new(HandleMint::new()),
            rates: Arc::default(),
            directory: DirectorySlot::default(),
            http: Arc::default(),
        }
    }

    /// These services with every plugin's HTTP answered by the stub server at `addr` (the
    /// scenario harness's), whatever the host and without grants.
    pub fn with_http_stub(mut self, addr: std::net::SocketAddr) -> Self {
        let mut gates = HttpGates::default();
        gates.stub = Some(addr);
        self.http = Arc::new(gates);
        self
    }

    /// Where the `help` interface finds the loaded plugins; set once, after the registry is
    /// built from these services.
    pub fn set_directory(&self, directory: Arc<dyn PluginDirectory>) {
        self.directory.set(directory);
    }

    /// A new host handle for a message `plugin` sends, unique across restarts.
    pub fn mint_handle(&self, plugin: &str) -> String {
        let n = self.handles.next.fetch_add(1, Ordering::Relaxed);
        format!("wb.{plugin}.{:x}.{n}", self.handles.boot)
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

    /// `wb.<plugin>.<boot time>.`: what every handle of `plugin` starts with in this run.
    fn prefix(&self, plugin: &str) -> String {
        format!("wb.{plugin}.{:x}.", self.boot)
    }

    /// The next handle, after a prefix from [`HandleMint::prefix`]. The number is written by
    /// hand: `format!` was a tenth of the host's own work per sent message.
    fn next(&self, prefix: &str) -> String {
        let mut n = self.next.fetch_add(1, Ordering::Relaxed);
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        let mut handle = String::with_capacity(prefix.len() + digits.len() - start);
        handle.push_str(prefix);
        handle.extend(digits[start..].iter().map(|&d| char::from(d)));
        handle
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
    /// Writes of the lane's earlier events that are not committed yet: reads see them.
    pub pending: Option<Arc<PendingWrites>>,
    /// Timers set (`Some`) or cancelled (`None`) by this call, by key.
    pub timers: BTreeMap<String, Option<Timer>>,
    /// How many timers this call adds to the plugin's pending count, net.
    pub timers_added: i64,
    /// The plugin's stored timer count, read once per call when a set needs the quota.
    pub timers_stored: Option<u64>,
}

impl CallScope {
    /// Index keys of the messages this call sent.
    pub fn sent_handles(&self) -> Vec<crate::store::MessageKey> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::Send { handle, chat, .. } => Some(MessageKey::of(chat, handle)),
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

    /// The timer changes to commit with the event.
    pub fn timer_changes(&mut self) -> Vec<TimerChange> {
        std::mem::take(&mut self.timers)
            .into_iter()
            .map(|(key, timer)| match timer {
                Some(timer) => TimerChange::Set(timer),
                None => TimerChange::Cancel(key),
            })
            .collect()
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
    http_ctx: WasiHttpCtx,
    /// Grants, limits and the `Idempotency-Key` of outbound HTTP (see `runtime::http`).
    pub(super) http: HttpHooks,
    pub(super) limits: StoreLimits,
    pub(super) plugin: Arc<str>,
    pub(super) services: HostServices,
    pub(super) grants: Arc<Grants>,
    pub(super) scope: CallScope,
    /// The plugin's per-call time limit, also applied to each live query it makes.
    pub(super) call_timeout: std::time::Duration,
    /// Timers the plugin may have pending at once.
    pub(super) timer_quota: u64,
    /// How long the current call has computed (see `deadline`).
    pub(super) clock: CallClock,
    /// The message refs the current event carries; see [`EventRefs`].
    pub(super) event_refs: EventRefs,
    /// What this plugin's handles start with (minted once, not per message).
    handle_prefix: String,
    /// The plugin's secret config values, scrubbed from what it logs or fails with.
    pub(super) redactor: Arc<crate::config::Redactor>,
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
        let http = HttpHooks::new(
            plugin.clone(),
            grants.http_patterns(),
            limits.http,
            services.http.clone(),
        );
        let clock = CallClock::new(http.activity());
        let timer_quota = limits.pending_timers;
        let limits = StoreLimitsBuilder::new()
            .memory_size(limits.memory_bytes)
            .instances(16)
            .tables(64)
            .memories(16)
            .trap_on_grow_failure(true)
            .build();
        let handle_prefix = services.handles.prefix(&plugin);
        Self {
            wasi,
            table: ResourceTable::new(),
            http_ctx: WasiHttpCtx::new(),
            http,
            limits,
            plugin,
            services,
            grants,
            scope: CallScope::default(),
            call_timeout,
            clock,
            timer_quota,
            event_refs: EventRefs::default(),
            handle_prefix,
            redactor: Arc::default(),
        }
    }

    /// A new handle for a message this plugin sends.
    pub(super) fn mint_handle(&self) -> String {
        self.services.handles.next(&self.handle_prefix)
    }
}

/// The message ref an event carries: its message, or the message clicked or reacted to. The
/// ingress indexed it when it accepted the event, so a host call naming it needs no index
/// lookup. Kept between calls so the strings' buffers are reused.
#[derive(Debug, Default)]
pub(super) struct EventRefs {
    /// Bot, chat id and message id, as in the message index's key.
    key: (String, String, String),
    set: bool,
}

impl EventRefs {
    /// Records the ref of `event`, replacing the previous event's.
    pub(super) fn set(&mut self, event: &Event) {
        let message = match event {
            Event::Message(m) | Event::MessageEdited(m) => Some(&m.id),
            Event::Command(c) => Some(&c.message.id),
            Event::Callback(c) => c.message.as_ref(),
            Event::Reaction(r) => Some(&r.message),
            _ => None,
        };
        self.set = message.is_some();
        if let Some(r) = message {
            let (bot, chat, id) = &mut self.key;
            for (to, from) in [(bot, &r.chat.bot), (chat, &r.chat.id), (id, &r.id)] {
                to.clear();
                to.push_str(from);
            }
        }
    }

    /// Forgets the ref once the event is handled.
    pub(super) fn clear(&mut self) {
        self.set = false;
    }

    /// Whether `target` is the current event's ref (same bot, chat and id, as in the index).
    pub(super) fn contains(&self, target: &MessageRef) -> bool {
        let (bot, chat, id) = &self.key;
        self.set && *id == target.id && *chat == target.chat.id && *bot == target.chat.bot
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

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http_ctx,
            table: &mut self.table,
            hooks: &mut self.http,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ChatKind, Command, Content, Message, UserRef};

    #[test]
    fn handles_carry_the_plugin_and_count_up() {
        let mint = HandleMint::new();
        mint.next.store(99, Ordering::Relaxed);
        let prefix = mint.prefix("echo");
        assert_eq!(mint.next(&prefix), format!("wb.echo.{:x}.99", mint.boot));
        assert_eq!(mint.next(&prefix), format!("wb.echo.{:x}.100", mint.boot));
        mint.next.store(u64::MAX, Ordering::Relaxed);
        assert_eq!(
            mint.next(&prefix),
            format!("wb.echo.{:x}.{}", mint.boot, u64::MAX)
        );
        mint.next.store(0, Ordering::Relaxed);
        let handle = mint.next(&prefix);
        assert!(handle.ends_with(".0"), "{handle}");
        assert!(is_own_handle("echo", &handle));
        assert!(!is_own_handle("ech", &handle));
    }

    fn chat(bot: &str, id: &str) -> ChatRef {
        ChatRef {
            platform: "sim".into(),
            bot: bot.into(),
            kind: ChatKind::Group,
            id: id.into(),
            guild: None,
        }
    }

    fn command(chat: ChatRef, id: &str) -> Event {
        Event::Command(Command {
            name: "echo".into(),
            args: "hi".into(),
            message: Message {
                id: MessageRef {
                    chat,
                    id: id.into(),
                },
                sender: UserRef {
                    id: "alice".into(),
                    name: None,
                    is_bot: false,
                },
                content: Content::Text("/echo hi".into()),
                mentions: vec![],
                reply_to: None,
                sent_at: 0,
            },
        })
    }

    #[test]
    fn event_refs_match_bot_chat_and_id() {
        let mut refs = EventRefs::default();
        let target = |bot: &str, chat_id: &str, id: &str| MessageRef {
            chat: chat(bot, chat_id),
            id: id.into(),
        };
        assert!(!refs.contains(&target("b", "c", "m1")));
        refs.set(&command(chat("b", "c"), "m1"));
        assert!(refs.contains(&target("b", "c", "m1")));
        assert!(!refs.contains(&target("b", "c", "m2")));
        assert!(!refs.contains(&target("b", "other", "m1")));
        assert!(!refs.contains(&target("other", "c", "m1")));
        // The next event replaces the ref; an event without one leaves none.
        refs.set(&command(chat("b", "c2"), "m9"));
        assert!(!refs.contains(&target("b", "c", "m1")));
        assert!(refs.contains(&target("b", "c2", "m9")));
        refs.set(&Event::MemberJoined(crate::model::MemberChange {
            chat: chat("b", "c2"),
            user: UserRef {
                id: "bob".into(),
                name: None,
                is_bot: false,
            },
        }));
        assert!(!refs.contains(&target("b", "c2", "m9")));
        refs.set(&command(chat("b", "c"), "m1"));
        refs.clear();
        assert!(!refs.contains(&target("b", "c", "m1")));
    }
}
