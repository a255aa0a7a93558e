//! Biliao (币聊, api.bi.ink): webhook in, REST `/bot/*` with `Authorization: Bearer` out. See
//! `shared/platforms/biliao.md` (everything comes from seed 000).
//!
//! Config: `token`, optional `secret` (the webhook then lives only at `/hooks/{bot}/{secret}`;
//! Biliao signs nothing), `base_url`, and `options`: `timeout_ms`, `media_limit_bytes`,
//! `webhook_body_limit`, `auto_answer_ms` (answer an unanswered click after this long, default
//! 25000, 0 = never), `reply_as_quote` (use `quote_message_id` instead of `reply_to_id`),
//! `commands` (opt-in: `[{command, description}]` set as the command menu at start).

mod callbacks;
mod client;
mod inbound;
mod outbound;
mod own;
mod wire;

use std::sync::Arc;

use async_trait::async_trait;

use crate::adapter::webhook::options::Options;
use crate::adapter::webhook::{routes, HookError, Parsed, WebhookPlatform, WebhookSettings};
use crate::adapter::{Adapter, AdapterError, Receipt, StartContext, StartError, Started};
use crate::config::BotConfig;
use crate::model::Action;
use crate::model::{Event, Operation};
use callbacks::AutoAnswer;
use client::BiliaoClient;
use wire::BotCommand;

pub const PLATFORM: &str = "biliao";
pub const DEFAULT_BASE_URL: &str = "https://api.bi.ink";

const OPTIONS: &[&str] = &[
    "timeout_ms",
    "media_limit_bytes",
    "webhook_body_limit",
    "auto_answer_ms",
    "reply_as_quote",
    "commands",
];

/// What Biliao can do: no reactions, pins, roles, kicks or member look-ups (the seed says there
/// is no member list, on purpose).
pub const CAPABILITIES: &[Operation] = &[
    Operation::Send,
    Operation::Reply,
    Operation::Edit,
    Operation::Delete,
    Operation::AnswerCallback,
    Operation::Mute,
    Operation::Unmute,
];

/// One Biliao bot's outbound side.
#[derive(Debug, Clone)]
pub struct Biliao {
    client: BiliaoClient,
    auto_answer: Arc<AutoAnswer>,
    quote_replies: bool,
    commands: Vec<(String, String)>,
}

impl Biliao {
    /// Builds the adapter; `stop` ends its callback timers.
    pub fn from_config(
        bot: &BotConfig,
        stop: tokio_util::sync::CancellationToken,
    ) -> Result<Self, StartError> {
        let options = Options::new(bot);
        options.only(OPTIONS)?;
        let config_error = |reason: String| StartError::Config {
            bot: bot.name.clone(),
            reason,
        };
        let base_url = bot
            .base_url
            .clone()
            .unwrap_or_else(|| DEFAULT_BASE_URL.into());
        let media_limit = usize::try_from(options.u64("media_limit_bytes", 20 * 1024 * 1024)?)
            .unwrap_or(usize::MAX);
        let token = options.required("token", bot.token.as_ref())?;
        let client = BiliaoClient::new(
            &base_url,
            token,
            options.millis("timeout_ms", 15_000)?,
            media_limit,
        )
        .map_err(config_error)?;
        let auto_answer = Arc::new(AutoAnswer::new(
            options.millis("auto_answer_ms", 25_000)?,
            client.clone(),
            stop,
        ));
        let commands: Vec<BotCommand> = match options.value("commands") {
            None => Vec::new(),
            Some(v) => v
                .clone()
                .try_into()
                .map_err(|e| config_error(format!("options.commands: {e}")))?,
        };
        let commands = commands
            .into_iter()
            .map(|c| (c.command, c.description))
            .collect();
        Ok(Self {
            client,
            auto_answer,
            quote_replies: options.bool("reply_as_quote", false)?,
            commands,
        })
    }
}

/// Starts a Biliao bot: its adapter, its webhook route and (if configured) its command menu.
pub fn start(bot: &BotConfig, ctx: &StartContext) -> Result<Started, StartError> {
    let biliao = Biliao::from_config(bot, ctx.stop.clone())?;
    if ctx.inbound && !biliao.commands.is_empty() {
        let (menu, name) = (biliao.clone(), bot.name.clone());
        tokio::spawn(async move {
            if let Err(e) = menu.set_commands(&menu.commands).await {
                tracing::warn!(bot = %name, error = %e, "cannot set the command menu");
            }
        });
    }
    let settings = WebhookSettings::from_config(bot, bot.secret.clone())?;
    let hook = Arc::new(Hook {
        bot: bot.name.clone(),
        auto_answer: biliao.auto_answer.clone(),
    });
    Ok(Started {
        adapter: Arc::new(biliao),
        routes: Some(routes(settings, hook, ctx.ingress.clone())),
        fanbook: None,
    })
}

struct Hook {
    bot: String,
    auto_answer: Arc<AutoAnswer>,
}

impl WebhookPlatform for Hook {
    fn platform(&self) -> &'static str {
        PLATFORM
    }

    fn parse(&self, body: &str) -> Result<Parsed, HookError> {
        inbound::parse(&self.bot, body)
    }

    fn accepted(&self, event: &Event) {
        if let Event::Callback(callback) = event {
            self.auto_answer.schedule(&callback.id);
        }
    }
}

/// Parses a Biliao webhook body's text as the daemon does, for tests and tools.
pub fn parse_webhook_text(bot: &str, body: &str) -> Result<Parsed, HookError> {
    inbound::parse(bot, body)
}

/// Parses an already parsed Biliao webhook body. A `Value` has turned numbers beyond 64 bits and
/// those with a fraction or an exponent into `f64`s, so their ids are not the sent text: the
/// daemon parses the text ([`parse_webhook_text`]).
pub fn parse_webhook(bot: &str, body: serde_json::Value) -> Result<Parsed, HookError> {
    inbound::parse(bot, &body.to_string())
}

#[async_trait]
impl Adapter for Biliao {
    fn platform(&self) -> &str {
        PLATFORM
    }

    async fn register_commands(&self, commands: &[(String, String)]) -> Result<(), AdapterError> {
        self.set_commands(commands).await
    }

    fn capabilities(&self) -> &[Operation] {
        CAPABILITIES
    }

    fn own_operations(&self) -> &'static [crate::adapter::OpSpec] {
        own::OPERATIONS
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
        let done = |r: Result<(), AdapterError>| r.map(|()| Receipt::default());
        match action {
            Action::Send {
                chat,
                message,
                reply_to,
                ..
            } => self.send(chat, message, reply_to.as_deref()).await,
            Action::Edit { target, message } => done(self.edit(target, message).await),
            Action::Delete { target } => done(self.delete(target).await),
            Action::AnswerCallback {
                callback_id,
                answer,
                ..
            } => done(self.answer(callback_id, answer).await),
            Action::Mute {
                chat,
                user_id,
                seconds,
            } => done(self.mute(chat, user_id, Some(*seconds)).await),
            Action::Unmute { chat, user_id } => done(self.mute(chat, user_id, None).await),
            Action::React { .. }
            | Action::Pin { .. }
            | Action::Unpin { .. }
            | Action::AddRole { .. }
            | Action::RemoveRole { .. }
            | Action::Kick { .. } => Err(AdapterError::unsupported(
                PLATFORM,
                action.operation().name(),
            )),
        }
    }
}
