//! Yunhu (云湖): webhook in, REST `…/open-apis/v1/…?token=` out. See `shared/platforms/yunhu.md`.
//!
//! Config: `token` (the bot token), optional `secret` (the webhook then lives only at
//! `/hooks/{bot}/{secret}`, since Yunhu signs nothing), `base_url`, and `options`:
//! `timeout_ms`, `rate_limit_per_second` (default 10, Yunhu's documented limit per API),
//! `media_limit_bytes`, `webhook_body_limit`.

pub mod client;
mod doubt;
mod extras;
mod inbound;
mod outbound;
mod own;
mod wire;

use std::sync::Arc;

use async_trait::async_trait;

pub use extras::{BoardFormat, HistoryMessage, HistoryQuery};

use crate::adapter::webhook::options::Options;
use crate::adapter::webhook::{routes, HookError, Parsed, WebhookPlatform, WebhookSettings};
use crate::adapter::{Adapter, AdapterError, InDoubt, Receipt, StartContext, StartError, Started};
use crate::config::BotConfig;
use crate::model::Action;
use crate::model::Role;
use crate::model::{ChatRef, Operation};
use client::{ClientSettings, YunhuClient};

pub const PLATFORM: &str = "yunhu";
pub const DEFAULT_BASE_URL: &str = "https://chat-go.jwzhd.com/open-apis/v1";

const OPTIONS: &[&str] = &[
    "timeout_ms",
    "rate_limit_per_second",
    "media_limit_bytes",
    "webhook_body_limit",
];

/// What Yunhu can do. No reactions, pins (boards are not pins; see `extras`), callback answers
/// (a click has nothing to answer) or member look-ups; group tags stand in for roles.
pub const CAPABILITIES: &[Operation] = &[
    Operation::Send,
    Operation::Reply,
    Operation::Edit,
    Operation::Delete,
    Operation::AddRole,
    Operation::RemoveRole,
    Operation::Mute,
    Operation::Unmute,
    Operation::Kick,
    Operation::ListRoles,
];

/// One Yunhu bot's outbound side.
#[derive(Debug, Clone)]
pub struct Yunhu {
    client: YunhuClient,
}

impl Yunhu {
    /// Builds the adapter from a bot's config (the daemon, the CLI and tests use this).
    pub fn from_config(bot: &BotConfig) -> Result<Self, StartError> {
        let options = Options::new(bot);
        options.only(OPTIONS)?;
        let settings = ClientSettings {
            base_url: bot
                .base_url
                .clone()
                .unwrap_or_else(|| DEFAULT_BASE_URL.into()),
            token: options.required("token", bot.token.as_ref())?,
            timeout: options.millis("timeout_ms", 15_000)?,
            per_second: usize::try_from(options.u64("rate_limit_per_second", 10)?)
                .unwrap_or(usize::MAX),
            media_limit: usize::try_from(options.u64("media_limit_bytes", 20 * 1024 * 1024)?)
                .unwrap_or(usize::MAX),
        };
        let client = YunhuClient::new(settings).map_err(|reason| StartError::Config {
            bot: bot.name.clone(),
            reason,
        })?;
        Ok(Self { client })
    }
}

/// Starts a Yunhu bot: its adapter and its webhook route.
pub fn start(bot: &BotConfig, ctx: &StartContext) -> Result<Started, StartError> {
    let yunhu = Yunhu::from_config(bot)?;
    let settings = WebhookSettings::from_config(bot, bot.secret.clone())?;
    let hook = Arc::new(Hook {
        bot: bot.name.clone(),
    });
    Ok(Started {
        adapter: Arc::new(yunhu),
        routes: Some(routes(settings, hook, ctx.ingress.clone())),
        fanbook: None,
    })
}

struct Hook {
    bot: String,
}

impl WebhookPlatform for Hook {
    fn platform(&self) -> &'static str {
        PLATFORM
    }

    fn parse(&self, body: &str) -> Result<Parsed, HookError> {
        inbound::parse(&self.bot, body)
    }
}

/// Parses a Yunhu webhook body's text as the daemon does, for tests and tools.
pub fn parse_webhook_text(bot: &str, body: &str) -> Result<Parsed, HookError> {
    inbound::parse(bot, body)
}

/// Parses an already parsed Yunhu webhook body. A `Value` has turned numbers beyond 64 bits and
/// those with a fraction or an exponent into `f64`s, so their ids are not the sent text: the
/// daemon parses the text ([`parse_webhook_text`]).
pub fn parse_webhook(bot: &str, body: serde_json::Value) -> Result<Parsed, HookError> {
    inbound::parse(bot, &body.to_string())
}

#[async_trait]
impl Adapter for Yunhu {
    fn platform(&self) -> &str {
        PLATFORM
    }

    fn capabilities(&self) -> &[Operation] {
        CAPABILITIES
    }

    fn own_operations(&self) -> &'static [crate::adapter::OpSpec] {
        own::OPERATIONS.as_slice()
    }

    async fn call_own(
        &self,
        operation: &str,
        args: &serde_json::Value,
    ) -> Result<serde_json::Value, AdapterError> {
        self.call_named(operation, args).await
    }

    fn message_kinds(&self) -> &'static [crate::adapter::OpSpec] {
        own::KINDS
    }

    async fn deliver(&self, action: &Action) -> Result<Receipt, AdapterError> {
        match action {
            Action::Send {
                chat,
                message,
                reply_to,
                ..
            } => self.send(chat, message, reply_to.as_deref()).await,
            Action::Edit { target, message } => self
                .edit(target, message)
                .await
                .map(|()| Receipt::default()),
            Action::Delete { target } => self.recall(target).await.map(|()| Receipt::default()),
            Action::Mute {
                chat,
                user_id,
                seconds,
            } => self.gag(chat, user_id, i64::from(*seconds)).await,
            Action::Unmute { chat, user_id } => self.gag(chat, user_id, 0).await,
            Action::Kick { chat, user_id } => self.kick(chat, user_id).await,
            Action::AddRole {
                chat,
                user_id,
                role_id,
            } => self.tag(chat, user_id, role_id, true).await,
            Action::RemoveRole {
                chat,
                user_id,
                role_id,
            } => self.tag(chat, user_id, role_id, false).await,
            Action::React { .. }
            | Action::Pin { .. }
            | Action::Unpin { .. }
            | Action::AnswerCallback { .. } => Err(AdapterError::unsupported(
                PLATFORM,
                action.operation().name(),
            )),
        }
    }

    async fn list_roles(&self, chat: &ChatRef) -> Result<Vec<Role>, AdapterError> {
        self.tags(chat).await
    }

    /// The chat's history tells (`/bot/messages`).
    fn in_doubt(&self) -> InDoubt {
        InDoubt::Reconciled
    }

    async fn find_sent(&self, send: &Action) -> Result<Option<Vec<String>>, AdapterError> {
        self.find_sent_message(send).await
    }
}
