//! Platform adapters. Each turns its platform's payloads into `Inbound` events (ingress) and
//! carries out `Action`s on its platform (outbound). Platform types never leave their module.

pub mod biliao;
pub mod fanbook;
pub mod minapp;
pub mod own_args;
pub mod redact;
pub mod retry_after;
pub mod sim;
pub mod webhook;
pub mod yunhu;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;

use crate::config::Rate;
use crate::model::{Action, ChatRef, Error, Member, Operation, Role};
pub use crate::model::{AdapterError, FanbookExtras, OpSpec};

/// The result of carrying out an action.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Receipt {
    /// The platform's id of a message that was sent.
    pub message_id: Option<String>,
}

/// The outbound side of a platform connection.
#[async_trait]
pub trait Adapter: Send + Sync + 'static {
    /// The platform's name, as in `chat-ref.platform`.
    fn platform(&self) -> &str;
    /// The operations this platform supports.
    fn capabilities(&self) -> &[Operation];
    /// Carries out an action whose message refs already hold the platform's ids.
    async fn deliver(&self, action: &Action) -> Result<Receipt, AdapterError>;
    /// A member of the chat, asked live (default: unsupported).
    async fn get_member(&self, _chat: &ChatRef, _user_id: &str) -> Result<Member, AdapterError> {
        Err(AdapterError::unsupported(
            self.platform(),
            Operation::GetMember.name(),
        ))
    }
    /// The roles of the chat's guild or group, asked live (default: unsupported).
    async fn list_roles(&self, _chat: &ChatRef) -> Result<Vec<Role>, AdapterError> {
        Err(AdapterError::unsupported(
            self.platform(),
            Operation::ListRoles.name(),
        ))
    }

    /// Sets the bot's command menu to `commands` (name, description), where the platform lets
    /// the bot do that itself.
    async fn register_commands(&self, _commands: &[(String, String)]) -> Result<(), AdapterError> {
        Err(AdapterError::unsupported(
            self.platform(),
            "register-commands",
        ))
    }
    /// The platform's own operations, beyond the core WIT ones: what `call_own` takes (default:
    /// none). Reached by plugins through `wasmbot:bot/platform` and by `wasmbot call`.
    fn own_operations(&self) -> &'static [OpSpec] {
        &[]
    }
    /// Carries out one of `own_operations` at once with its JSON arguments; returns the
    /// platform's answer as JSON. An unknown name is `invalid`, listing the valid ones.
    async fn call_own(
        &self,
        operation: &str,
        _args: &serde_json::Value,
    ) -> Result<serde_json::Value, AdapterError> {
        OpSpec::find(
            self.own_operations(),
            self.platform(),
            "operation",
            operation,
        )
        .map(drop)?;
        Err(AdapterError::unsupported(self.platform(), "call-own"))
    }
    /// The platform's own message kinds a send takes as `content::other((kind, json))`, the
    /// JSON being the kind's fields (default: none).
    fn message_kinds(&self) -> &'static [OpSpec] {
        &[]
    }

    /// The platform's documented limit on outbound requests per bot, applied by the outbox
    /// across all plugins unless the operator sets `rate_limit`.
    fn default_rate(&self) -> Option<Rate> {
        None
    }

    /// How the outbox keeps a crash from doubling a send (default: one action per chat in
    /// doubt at most).
    fn in_doubt(&self) -> InDoubt {
        InDoubt::OnePerChat
    }

    /// For a send a crash left in doubt: the platform ids of the bot's own recent messages in
    /// its chat whose content is what `send` posts, oldest first (empty: none arrived).
    /// `None`: this platform, or this kind of message, cannot tell (default).
    async fn find_sent(&self, _send: &Action) -> Result<Option<Vec<String>>, AdapterError> {
        Ok(None)
    }
}

/// How the outbox treats an action whose request may or may not have reached the platform when
/// the daemon crashed (its outcome was not written yet). Unless the platform drops a repeat
/// itself, a chat's next action waits until the outcome of the one before is durable, so a crash
/// leaves at most one action per chat in doubt; that one is delivered again, unless…
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InDoubt {
    /// …the platform itself drops a repeated send (the sim, by handle): chats are not held up.
    Deduplicated,
    /// …[`Adapter::find_sent`] finds it among the chat's newest messages: it is recorded
    /// delivered instead.
    Reconciled,
    /// Nothing tells.
    OnePerChat,
}

/// Every configured bot's adapter, by bot name.
#[derive(Clone, Default)]
pub struct Adapters {
    by_bot: Arc<HashMap<String, Arc<dyn Adapter>>>,
    /// The Fanbook bots' own operations, by bot name.
    fanbook: Arc<HashMap<String, Arc<dyn FanbookExtras>>>,
}

impl std::fmt::Debug for Adapters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.by_bot.keys()).finish()
    }
}

impl Adapters {
    pub fn new(by_bot: HashMap<String, Arc<dyn Adapter>>) -> Self {
        Self {
            by_bot: Arc::new(by_bot),
            fanbook: Arc::default(),
        }
    }

    /// Every bot's adapter, and the Fanbook operations of those that have them.
    pub fn from_started(started: HashMap<String, Started>) -> Self {
        let fanbook = started
            .iter()
            .filter_map(|(bot, s)| Some((bot.clone(), s.fanbook.clone()?)))
            .collect();
        let by_bot = started
            .into_iter()
            .map(|(bot, s)| (bot, s.adapter))
            .collect();
        Self {
            by_bot: Arc::new(by_bot),
            fanbook: Arc::new(fanbook),
        }
    }

    /// The Fanbook operations of `bot`, if it is a Fanbook bot.
    pub fn fanbook_of(&self, bot: &str) -> Option<Arc<dyn FanbookExtras>> {
        self.fanbook.get(bot).cloned()
    }

    pub fn get(&self, bot: &str) -> Option<&Arc<dyn Adapter>> {
        self.by_bot.get(bot)
    }

    pub fn bots(&self) -> impl Iterator<Item = &str> {
        self.by_bot.keys().map(String::as_str)
    }

    /// The operations of the first bot on `platform`, or none if no bot uses it.
    pub fn capabilities_of(&self, platform: &str) -> Vec<Operation> {
        self.by_bot
            .values()
            .find(|a| a.platform() == platform)
            .map(|a| a.capabilities().to_vec())
            .unwrap_or_default()
    }

    /// The adapter for `chat`, checking that the chat's platform is the bot's.
    pub fn for_chat(&self, chat: &ChatRef) -> Result<&Arc<dyn Adapter>, Error> {
        let adapter = self
            .get(&chat.bot)
            .ok_or_else(|| Error::Invalid(format!("no bot named `{}` is configured", chat.bot)))?;
        if adapter.platform() != chat.platform {
            return Err(Error::Invalid(format!(
                "bot `{}` is on {}, not {}",
                chat.bot,
                adapter.platform(),
                chat.platform
            )));
        }
        Ok(adapter)
    }

    /// Checks that `chat`'s platform supports `operation`.
    pub fn check_supported(
        &self,
        chat: &ChatRef,
        operation: Operation,
    ) -> Result<&Arc<dyn Adapter>, Error> {
        let adapter = self.for_chat(chat)?;
        if !adapter.capabilities().contains(&operation) {
            return Err(Error::Unsupported(format!(
                "{} does not support {}",
                chat.platform,
                operation.name()
            )));
        }
        Ok(adapter)
    }
}

/// A started platform connection: its outbound side and the HTTP routes its ingress serves.
pub struct Started {
    pub adapter: Arc<dyn Adapter>,
    /// Routes to mount on the daemon's listener (the sim's page and API, webhook endpoints).
    pub routes: Option<axum::Router>,
    /// Fanbook's own operations (`wasmbot:bot/fanbook`): only a Fanbook bot has them, beside
    /// the core `Adapter` trait rather than in it.
    pub fanbook: Option<Arc<dyn FanbookExtras>>,
}

impl std::fmt::Debug for Started {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Started")
            .field("platform", &self.adapter.platform())
            .finish()
    }
}

/// What an adapter gets when it starts.
#[derive(Debug, Clone)]
pub struct StartContext {
    /// Where inbound events go.
    pub ingress: crate::journal::Ingress,
    /// Cancelled at shutdown: background tasks (pollers, sockets) end when it fires.
    pub stop: tokio_util::sync::CancellationToken,
    /// The daemon's data dir: where an adapter keeps what must survive a restart (the sim's world).
    pub data_dir: std::path::PathBuf,
    /// Whether to start the inbound side (pollers, sockets, start-up registrations); `false` for
    /// one-off tools such as `wasmbot call`, which must not take a running daemon's updates.
    pub inbound: bool,
    /// In cluster mode: who may run a connection that must have one owner per token (a
    /// Fanbook long poll or gateway). `None`: this process is the only one.
    pub singleton: Option<Arc<dyn Singleton>>,
}

/// Ownership of a bot's one-owner connection across a cluster.
#[async_trait::async_trait]
pub trait Singleton: Send + Sync + std::fmt::Debug {
    /// Waits until this node owns `bot`'s connection; the token is cancelled the moment it no
    /// longer does (before any other node can start). `None`: the daemon stops.
    async fn hold(&self, bot: &str) -> Option<tokio_util::sync::CancellationToken>;
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("bot `{bot}`: unknown platform `{platform}` (known: {known})")]
    UnknownPlatform {
        bot: String,
        platform: String,
        known: String,
    },
    #[error("bot `{bot}`: {reason}")]
    Config { bot: String, reason: String },
}

/// The platforms this build knows.
pub const PLATFORMS: &[&str] = &[
    sim::PLATFORM,
    yunhu::PLATFORM,
    biliao::PLATFORM,
    minapp::PLATFORM,
    fanbook::PLATFORM,
];

/// Starts the adapter of one configured bot.
pub fn start(bot: &crate::config::BotConfig, ctx: &StartContext) -> Result<Started, StartError> {
    match bot.platform.as_str() {
        sim::PLATFORM => {
            let sim =
                sim::Sim::new(&bot.name, ctx.ingress.clone(), &ctx.data_dir).map_err(|e| {
                    StartError::Config {
                        bot: bot.name.clone(),
                        reason: format!(
                            "cannot load the sim's world from {}: {e}",
                            ctx.data_dir.display()
                        ),
                    }
                })?;
            Ok(Started {
                routes: Some(sim::routes(sim.clone())),
                adapter: Arc::new(sim),
                fanbook: None,
            })
        }
        yunhu::PLATFORM => yunhu::start(bot, ctx),
        biliao::PLATFORM => biliao::start(bot, ctx),
        minapp::PLATFORM => minapp::start(bot, ctx),
        fanbook::PLATFORM => fanbook::start(bot, ctx),
        other => Err(StartError::UnknownPlatform {
            bot: bot.name.clone(),
            platform: other.to_string(),
            known: PLATFORMS.join(", "),
        }),
    }
}
