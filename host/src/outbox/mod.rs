//! Delivers committed actions to the platforms: one worker per bot. Each plugin's actions go
//! in commit order (so in order per chat); between plugins the worker takes turns, one action
//! of each plugin with something pending per round, so a plugin that queued a thousand sends
//! delays another plugin's reply by one send, not a thousand. A bot's rate limit (its
//! `rate_limit`, or the platform's documented one) covers every request of every plugin.
//! Handles are resolved to platform message ids, and what may succeed later is retried; what
//! cannot be delivered goes to the dead letters with its reason.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::action::Action;
use crate::adapter::{AdapterError, Adapters};
use crate::config::{BotConfig, Rate, RateSetting};
use crate::ratelimit::RateLimiter;
use crate::runtime::message_key;
use crate::store::{Delivered, Indexed, Pending, Store};

/// Tries per action before it is given up (with a log line naming plugin, op and reason).
const MAX_TRIES: u32 = 6;

/// Wakes the worker of a bot when there is something new to deliver.
#[derive(Clone, Default, Debug)]
pub struct OutboxWaker {
    by_bot: Arc<HashMap<String, Arc<Notify>>>,
}

impl OutboxWaker {
    pub fn wake(&self, bot: &str) {
        if let Some(notify) = self.by_bot.get(bot) {
            notify.notify_one();
        }
    }
}

/// Starts one delivery worker per configured bot.
pub fn spawn(store: Arc<dyn Store>, adapters: Adapters, bots: &[BotConfig]) -> OutboxWaker {
    let mut by_bot = HashMap::new();
    for bot in bots {
        let notify = Arc::new(Notify::new());
        by_bot.insert(bot.name.clone(), notify.clone());
        let rate = outbound_rate(bot, &adapters);
        if let Some(rate) = rate {
            tracing::info!(bot = %bot.name, %rate, "outbound requests limited");
        }
        let worker = Worker {
            bot: bot.name.clone(),
            store: store.clone(),
            adapters: adapters.clone(),
            notify,
            limiter: rate.map(|r| RateLimiter::new(r.requests as usize, r.window)),
        };
        tokio::spawn(worker.run());
    }
    OutboxWaker {
        by_bot: Arc::new(by_bot),
    }
}

/// The operator's `rate_limit` if set, else the platform's own.
fn outbound_rate(bot: &BotConfig, adapters: &Adapters) -> Option<Rate> {
    match bot.rate_limit {
        Some(RateSetting::Off) => None,
        Some(RateSetting::Limit(rate)) => Some(rate),
        None => adapters.get(&bot.name).and_then(|a| a.default_rate()),
    }
}

struct Worker {
    bot: String,
    store: Arc<dyn Store>,
    adapters: Adapters,
    notify: Arc<Notify>,
    limiter: Option<RateLimiter>,
}

impl Worker {
    async fn run(self) {
        loop {
            // One round: the oldest pending action of each plugin.
            let round = match self.store.outbox_pending(&self.bot, 1) {
                Ok(round) => round,
                Err(e) => {
                    tracing::error!(bot = %self.bot, error = %e, "cannot read the outbox");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if round.is_empty() {
                // The timeout is a safety net: a wake-up is normally sent with every commit.
                let _ = tokio::time::timeout(Duration::from_secs(1), self.notify.notified()).await;
                continue;
            }
            for entry in round {
                let stored = match self.deliver(&entry).await {
                    Ok(sent) => self.store.outbox_done(entry.id, sent),
                    Err(reason) => self.store.outbox_dead(entry.id, &reason),
                };
                if let Err(e) = stored {
                    tracing::error!(bot = %self.bot, error = %e, "cannot record an action's outcome");
                }
            }
        }
    }

    /// Delivers one action: for a sent message, where it went (handle key, platform id); on
    /// failure, the reason.
    async fn deliver(&self, entry: &Pending) -> Result<Option<Delivered>, String> {
        let op = entry.action.operation().name();
        let result = match self.resolve(entry.action.clone()) {
            Ok(action) => self.try_deliver(&action).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(delivered) => Ok({
                audit(&entry.plugin, &entry.action);
                match (&entry.action, delivered.message_id) {
                    (Action::Send { handle, chat, .. }, Some(platform_id)) => Some(Delivered {
                        handle: message_key(chat, handle),
                        platform_id,
                        plugin: entry.plugin.clone(),
                    }),
                    _ => None,
                }
            }),
            Err(e) => {
                tracing::warn!(bot = %self.bot, plugin = %entry.plugin, op, action = entry.id, error = %e, "action not delivered; moved to the dead letters");
                Err(e.to_string())
            }
        }
    }

    async fn try_deliver(
        &self,
        action: &Action,
    ) -> Result<crate::adapter::Delivered, AdapterError> {
        let adapter = self
            .adapters
            .get(&self.bot)
            .ok_or_else(|| AdapterError::Invalid(format!("no bot named `{}`", self.bot)))?;
        let mut tries = 0;
        loop {
            tries += 1;
            if let Some(limiter) = &self.limiter {
                limiter.acquire(&self.bot).await;
            }
            match adapter.deliver(action).await {
                Err(e) if e.is_retryable() && tries < MAX_TRIES => {
                    let wait = match &e {
                        AdapterError::RateLimited(after) => *after,
                        _ => backoff(tries),
                    };
                    tracing::debug!(bot = %self.bot, tries, error = %e, ?wait, "retrying an action");
                    tokio::time::sleep(wait).await;
                }
                other => return other,
            }
        }
    }

    /// Replaces host handles in message refs with the platform's ids.
    fn resolve(&self, mut action: Action) -> Result<Action, AdapterError> {
        if let Some(target) = action.target_mut() {
            target.id = self.platform_id(&target.chat, &target.id)?;
        }
        if let Action::Send {
            chat,
            reply_to: Some(reply_to),
            ..
        } = &mut action
        {
            *reply_to = self.platform_id(chat, reply_to)?;
        }
        Ok(action)
    }

    fn platform_id(&self, chat: &crate::event::ChatRef, id: &str) -> Result<String, AdapterError> {
        match self.store.lookup_message(&message_key(chat, id)) {
            Ok(Some(Indexed {
                platform_id: Some(platform_id),
                ..
            })) => Ok(platform_id),
            Ok(Some(Indexed {
                platform_id: None, ..
            })) => Err(AdapterError::NotFound(format!(
                "message `{id}` was never delivered"
            ))),
            Ok(None) => Ok(id.to_string()),
            Err(e) => Err(AdapterError::Transient(e.to_string())),
        }
    }
}

/// One audit line for every moderation action carried out: who did what to whom, where.
fn audit(plugin: &str, action: &Action) {
    let target = match action {
        Action::AddRole { user_id, .. }
        | Action::RemoveRole { user_id, .. }
        | Action::Mute { user_id, .. }
        | Action::Unmute { user_id, .. }
        | Action::Kick { user_id, .. } => user_id,
        _ => return,
    };
    let chat = action.chat();
    tracing::info!(
        target: "wasmbot::audit",
        plugin,
        bot = %chat.bot,
        chat = %chat.id,
        target = %target,
        operation = action.operation().name(),
        "moderation"
    );
}

/// Exponential backoff with jitter: 100 ms, 200 ms, 400 ms, … capped at 5 s, each ±25 %.
fn backoff(tries: u32) -> Duration {
    let base = 100u64.saturating_mul(1 << tries.min(6)).min(5_000);
    let jitter = rand::random_range(0.75..1.25);
    Duration::from_millis((base as f64 * jitter) as u64)
}
