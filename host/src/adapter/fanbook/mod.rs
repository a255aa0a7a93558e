//! Fanbook (`/api/bot/<token>/<method>`): inbound by `getUpdates` long poll or the WebSocket
//! gateway, outbound by the Bot API, bot management by the console's GraphQL API.
//!
//! The facts this follows are in `shared/platforms/fanbook.md`; where it and the seed disagree
//! (host `a1.fanbook.mobi`, `unpinChatMessage`), the fact sheet wins.
//!
//! The token is a URL path segment: it never appears in a log line, an error or `Debug`
//! output (see `client`).

mod chats;
mod client;
mod compose;
pub mod console;
mod doubt;
mod extras;
mod gateway;
mod ids;
mod inbound;
mod intake;
mod kinds;
mod markup;
mod options;
mod outbound;
mod own;
mod poll;
mod standing;
mod wire;

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::OnceCell;

use crate::adapter::{StartContext, StartError, Started};
use crate::config::BotConfig;
use crate::model::Inbound;
pub use options::{InboundMode, Options, DEFAULT_GATEWAY_URL};

/// The platform name, as in `chat-ref.platform`.
pub const PLATFORM: &str = "fanbook";
/// The Bot API host every SDK uses (the seed's `a1.fanbook.cn` is outdated).
pub const DEFAULT_BASE_URL: &str = "https://a1.fanbook.mobi";

/// One Fanbook bot's outbound side. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Fanbook {
    shared: Arc<Shared>,
}

/// What the outbound side and the inbound task share.
#[derive(Debug)]
struct Shared {
    bot: String,
    client: client::Client,
    /// The bot's own user id, from `getMe`.
    me: OnceCell<u64>,
    chats: chats::DmChats,
    /// The developer console, when the operator gave a user token: it sets the command list.
    console: Option<console::Console>,
    /// Senders' ranks, looked up live.
    ranks: standing::Ranks,
}

impl Shared {
    /// The bot's user id, asking `getMe` once.
    async fn me(&self) -> Result<u64, client::ApiError> {
        self.me
            .get_or_try_init(|| async {
                self.client.get::<wire::Me>("getMe").await.map(|m| m.id.0)
            })
            .await
            .copied()
    }
}

/// Starts a Fanbook bot: checks its config, spawns its inbound task (which ends with
/// `ctx.stop`), and returns its outbound side. Runtime failures (a refused token, an
/// unreachable host) never fail the start: they are logged and retried or stop this bot only.
pub fn start(bot: &BotConfig, ctx: &StartContext) -> Result<Started, StartError> {
    let config_error = |reason: String| StartError::Config {
        bot: bot.name.clone(),
        reason,
    };
    let options = Options::parse(&bot.options).map_err(config_error)?;
    let token = bot.token.clone().filter(|t| !t.expose().trim().is_empty());
    let token =
        token.ok_or_else(|| config_error("fanbook needs a `token` (the bot token)".into()))?;
    let base = bot
        .base_url
        .clone()
        .unwrap_or_else(|| DEFAULT_BASE_URL.into());
    match reqwest::Url::parse(&base) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => {}
        _ => {
            return Err(config_error(format!(
                "base_url: `{base}` is not an http(s) URL"
            )))
        }
    }
    let http = reqwest::Client::builder()
        .connect_timeout(options.request_timeout())
        .build()
        .map_err(|e| config_error(format!("cannot build an HTTP client: {}", e.without_url())))?;
    let client = client::Client::new(http, &base, token.clone(), options.request_timeout());
    let shared = Arc::new(Shared {
        bot: bot.name.clone(),
        client,
        me: OnceCell::new(),
        chats: chats::DmChats::default(),
        ranks: standing::Ranks::default(),
        console: match &options.console_user_token {
            Some(user_token) => Some(
                console::Console::new(&base, user_token.clone(), options.request_timeout())
                    .map_err(|e| config_error(format!("options.console_user_token: {e}")))?,
            ),
            None => None,
        },
    });
    let task = Task {
        shared: shared.clone(),
        ingress: ctx.ingress.clone(),
        options: options.clone(),
        stop: ctx.stop.clone(),
    };
    match options.inbound {
        _ if !ctx.inbound => {}
        InboundMode::Poll => {
            let claim = poll::Claim::take(&base, token.expose()).ok_or_else(|| {
                config_error("another fanbook bot already long-polls with this token; Fanbook allows one poller per token".into())
            })?;
            let claim = Arc::new(claim);
            match ctx.singleton.clone() {
                None => drop(tokio::spawn(poll::run(task, claim))),
                Some(owner) => drop(tokio::spawn(while_owner(owner, task, move |t| {
                    poll::run(t, claim.clone())
                }))),
            }
        }
        InboundMode::Gateway => match ctx.singleton.clone() {
            None => drop(tokio::spawn(gateway::run(task))),
            Some(owner) => drop(tokio::spawn(while_owner(owner, task, gateway::run))),
        },
    }
    let fanbook = Arc::new(Fanbook { shared });
    Ok(Started {
        adapter: fanbook.clone(),
        routes: None,
        fanbook: Some(fanbook),
    })
}

/// Runs an inbound task (poll or gateway) only while this node owns the bot's connection in
/// the cluster: it stops the moment the ownership is lost, before another node may start.
async fn while_owner<F, Fut>(owner: Arc<dyn crate::adapter::Singleton>, task: Task, run: F)
where
    F: Fn(Task) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    while let Some(owned) = owner.hold(&task.shared.bot).await {
        tracing::info!(bot = %task.shared.bot, "this node runs the bot's fanbook connection");
        let mut owned_task = task.clone();
        owned_task.stop = owned.clone();
        run(owned_task).await;
        if task.stop.is_cancelled() {
            return;
        }
        owned.cancelled().await;
        tracing::info!(bot = %task.shared.bot, "this node no longer runs the bot's fanbook connection");
    }
}

/// Everything an inbound task needs.
#[derive(Debug, Clone)]
struct Task {
    shared: Arc<Shared>,
    ingress: crate::journal::Ingress,
    options: Options,
    stop: tokio_util::sync::CancellationToken,
}

/// Decodes a `getUpdates` reply body (`{ok, result: [Update]}`) into the events of bot `bot`:
/// what the long poller does, without the network. Updates that do not parse are reported
/// in the error list and skipped, as the poller skips them.
pub fn decode_updates(bot: &str, body: &str) -> Result<(Vec<Inbound>, Vec<String>), String> {
    let envelope: wire::Envelope = serde_json::from_str(body).map_err(|e| e.to_string())?;
    let Some(Value::Array(updates)) = envelope.result else {
        return Err("the reply has no list of updates".into());
    };
    let decoder = inbound::Decoder {
        bot: bot.to_string(),
        self_id: None,
    };
    let mut events = Vec::new();
    let mut errors = Vec::new();
    for update in &updates {
        match decoder.update(update) {
            Ok(mut more) => events.append(&mut more),
            Err(e) => errors.push(e),
        }
    }
    Ok((events, errors))
}

/// Decodes one gateway text frame into an event of bot `bot`; `Ok(None)` for frames without
/// one (pongs). What the gateway task does, without the network.
pub fn decode_frame(bot: &str, frame: &str) -> Result<Option<Inbound>, String> {
    inbound::Decoder {
        bot: bot.to_string(),
        self_id: None,
    }
    .frame(frame)
}
