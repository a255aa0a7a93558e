//! minapp bot-admin (bot-admin.minapp.xin): webhook in (the secret echoed in every body),
//! WeCom-robot compatible `/api/send?secret=&conversation_id=` out. See
//! `shared/platforms/minapp.md`. A send-and-receive transport: no edits, deletes, reactions,
//! moderation or callbacks, and no message ids (a reply is posted to the conversation).
//!
//! Config: `secret` (required: the API secret, also what callbacks echo), `base_url`, and
//! `options`: `timeout_ms`, `webhook_body_limit`, `card_format` (`link`, the default, or `news`).

mod client;
mod inbound;
mod outbound;
mod own;
mod wire;

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;

use crate::adapter::webhook::options::Options;
use crate::adapter::webhook::{routes, HookError, Parsed, WebhookPlatform, WebhookSettings};
use crate::adapter::{Adapter, AdapterError, Receipt, StartContext, StartError, Started};
use crate::config::{BotConfig, Rate, Secret};
use crate::model::Action;
use crate::model::Operation;
use client::MinappClient;

pub const PLATFORM: &str = "minapp";
pub const DEFAULT_BASE_URL: &str = "https://bot-admin.minapp.xin";

const OPTIONS: &[&str] = &["timeout_ms", "webhook_body_limit", "card_format"];

/// Sending is all minapp does; `reply` posts to the same conversation without quoting.
pub const CAPABILITIES: &[Operation] = &[Operation::Send, Operation::Reply];

/// How a card with a link goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardFormat {
    /// minapp's own `link` card (documented by the seed).
    Link,
    /// A WeCom `news` article (compatibility unverified).
    News,
}

/// A conversation the bot can send to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Conversation {
    pub name: String,
    pub conversation_id: String,
}

/// One minapp bot's outbound side.
#[derive(Debug, Clone)]
pub struct Minapp {
    client: MinappClient,
    card_format: CardFormat,
}

impl Minapp {
    pub fn from_config(bot: &BotConfig) -> Result<Self, StartError> {
        let options = Options::new(bot);
        options.only(OPTIONS)?;
        let secret = options.required("secret", bot.secret.as_ref())?;
        let card_format = match options.string("card_format")?.as_deref() {
            None | Some("link") => CardFormat::Link,
            Some("news") => CardFormat::News,
            Some(other) => {
                return Err(StartError::Config {
                    bot: bot.name.clone(),
                    reason: format!("options.card_format `{other}` is not link or news"),
                })
            }
        };
        let base_url = bot
            .base_url
            .clone()
            .unwrap_or_else(|| DEFAULT_BASE_URL.into());
        let client = MinappClient::new(&base_url, secret, options.millis("timeout_ms", 15_000)?)
            .map_err(|reason| StartError::Config {
                bot: bot.name.clone(),
                reason,
            })?;
        Ok(Self {
            client,
            card_format,
        })
    }

    /// Every user and group conversation (`/api/users`, `/api/groups`), users first.
    pub async fn conversations(
        &self,
    ) -> Result<(Vec<Conversation>, Vec<Conversation>), AdapterError> {
        let users = conversations_of(&self.client.list("/api/users").await?);
        let groups = conversations_of(&self.client.list("/api/groups").await?);
        Ok((users, groups))
    }
}

/// Reads a list whose shape the seed does not give: an array at the top, or under `data`,
/// `data.list`, `list`, `users` or `groups`; names under `name`, `nickname` or `title`.
fn conversations_of(value: &Value) -> Vec<Conversation> {
    let items = ["", "/data", "/data/list", "/list", "/users", "/groups"]
        .iter()
        .find_map(|p| value.pointer(p).and_then(Value::as_array))
        .cloned()
        .unwrap_or_default();
    let text = |item: &Value, keys: &[&str]| {
        keys.iter()
            .filter_map(|k| item.get(*k))
            .map(crate::adapter::webhook::lenient::text_of)
            .find(|s| !s.is_empty())
    };
    items
        .iter()
        .filter_map(|item| {
            let conversation_id = text(item, &["conversation_id", "conversationId", "id"])?;
            let name = text(item, &["name", "nickname", "title", "remark"]).unwrap_or_default();
            Some(Conversation {
                name,
                conversation_id,
            })
        })
        .collect()
}

/// Starts a minapp bot: its adapter and its webhook route.
pub fn start(bot: &BotConfig, ctx: &StartContext) -> Result<Started, StartError> {
    let minapp = Minapp::from_config(bot)?;
    let secret = Options::new(bot).required("secret", bot.secret.as_ref())?;
    // The secret travels in the body, so the path carries none.
    let settings = WebhookSettings::from_config(bot, None)?;
    let hook = Arc::new(Hook {
        bot: bot.name.clone(),
        secret,
    });
    Ok(Started {
        adapter: Arc::new(minapp),
        routes: Some(routes(settings, hook, ctx.ingress.clone())),
        fanbook: None,
    })
}

struct Hook {
    bot: String,
    secret: Secret,
}

impl WebhookPlatform for Hook {
    fn platform(&self) -> &'static str {
        PLATFORM
    }

    fn parse(&self, body: &str) -> Result<Parsed, HookError> {
        inbound::parse(&self.bot, &self.secret, body)
    }

    fn secret(&self) -> Option<&Secret> {
        Some(&self.secret)
    }
}

/// Parses a minapp webhook body's text as the daemon does, for tests and tools.
pub fn parse_webhook_text(bot: &str, secret: &Secret, body: &str) -> Result<Parsed, HookError> {
    inbound::parse(bot, secret, body)
}

/// Parses an already parsed minapp webhook body. A `Value` has turned numbers beyond 64 bits and
/// those with a fraction or an exponent into `f64`s, so their ids are not the sent text: the
/// daemon parses the text ([`parse_webhook_text`]).
pub fn parse_webhook(bot: &str, secret: &Secret, body: Value) -> Result<Parsed, HookError> {
    inbound::parse(bot, secret, &body.to_string())
}

#[async_trait]
impl Adapter for Minapp {
    fn platform(&self) -> &str {
        PLATFORM
    }

    fn capabilities(&self) -> &[Operation] {
        CAPABILITIES
    }

    fn own_operations(&self) -> &'static [crate::adapter::OpSpec] {
        own::OPERATIONS
    }

    async fn call_own(&self, operation: &str, args: &Value) -> Result<Value, AdapterError> {
        self.call_named(operation, args).await
    }

    fn message_kinds(&self) -> &'static [crate::adapter::OpSpec] {
        own::KINDS
    }

    /// WeCom's group robots take 20 messages a minute (error 45009 beyond); minapp documents
    /// none, so the stricter one applies.
    fn default_rate(&self) -> Option<Rate> {
        Some(Rate::per_minute(20))
    }

    async fn deliver(&self, action: &Action) -> Result<Receipt, AdapterError> {
        match action {
            Action::Send { chat, message, .. } => self
                .send(&chat.id, message)
                .await
                .map(|()| Receipt::default()),
            other => Err(AdapterError::unsupported(
                PLATFORM,
                other.operation().name(),
            )),
        }
    }
}
