//! Carrying out one action: resolving host handles to platform ids, retrying what may succeed
//! later (within the bot's rate limit, for as long as `[outbox] retry_for_s`, through the bot's
//! circuit breaker while its platform is down), looking a send in doubt up first (see `doubt`),
//! and the audit line.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::doubt::Doubts;
use super::record::SentIndex;
use crate::adapter::{Adapter, AdapterError, Adapters, Receipt};
use crate::metrics::BotMetrics;
use crate::model::Action;
use crate::pace::{backoff, Breaker, SharedLimit};
use crate::store::{ActionId, Delivered, DeliveryOutcome, Indexed, MessageKey, Pending, Store};

/// What every delivery of one bot shares; cheap to clone into a delivery task.
#[derive(Clone)]
pub(super) struct Delivery {
    pub bot: Arc<str>,
    /// The bot's delivery counters.
    pub metrics: Arc<BotMetrics>,
    /// Whether the bot's platform is taken to be down; deliveries wait on it.
    pub breaker: Arc<Breaker>,
    /// How long an action is retried before it is given up.
    pub retry_for: Duration,
    /// The longest wait between two tries.
    pub max_backoff: Duration,
    pub store: Arc<dyn Store>,
    pub adapters: Adapters,
    pub limiter: Option<Arc<SharedLimit>>,
    /// Sent messages whose outcome is not recorded yet.
    pub sent: SentIndex,
    /// Sends a crash may have left half done.
    pub doubts: Arc<Doubts>,
    /// Cancelled when the daemon stops: a delivery waiting (for a rate slot, or between tries)
    /// gives up, and its action stays pending for the next start.
    pub stop: CancellationToken,
}

/// A rate-limit slot that took this long or more counts as a wait.
const RATE_WAIT: Duration = Duration::from_millis(1);

/// A delivery stopped by shutdown before it was carried out; its action stays pending.
#[derive(Debug)]
pub(super) struct Stopped;

/// What a look-up of a send in doubt found.
enum Lookup {
    /// Its message, by platform id.
    Found(String),
    /// Not on the platform.
    Absent,
    /// The platform cannot tell for this message.
    Unknown,
}

/// How one delivery task ended, for its action.
pub(super) type Ended = (ActionId, Result<DeliveryOutcome, Stopped>);

impl Delivery {
    /// Delivers `entry`: done (with where a sent message went) or, after its tries, given up
    /// with the reason; or stopped by shutdown. The scheduler has the outcome recorded (see
    /// `record`).
    pub async fn run(self, entry: Pending) -> Ended {
        let outcome = self.deliver(&entry).await;
        (entry.id, outcome)
    }

    /// Delivers one action: for a sent message, where it went (handle key, platform id); on
    /// failure, the reason.
    async fn deliver(&self, entry: &Pending) -> Result<DeliveryOutcome, Stopped> {
        let op = entry.action.operation().name();
        let result = match self.resolve(entry.action.clone()) {
            Ok(action) => match self.reconcile(entry, &action).await? {
                Some(found) => Ok(found),
                None => self.try_deliver(&entry.plugin, &action).await?,
            },
            Err(e) => Err(e),
        };
        match &result {
            Ok(_) => self.metrics.delivered.inc(),
            Err(_) => self.metrics.dead.inc(),
        }
        Ok(match result {
            Ok(delivered) => Ok({
                audit(&entry.plugin, &entry.action);
                match (&entry.action, delivered.message_id) {
                    (Action::Send { handle, chat, .. }, Some(platform_id)) => Some(Delivered {
                        handle: MessageKey::of(chat, handle),
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
        })
    }

    async fn try_deliver(
        &self,
        plugin: &str,
        action: &Action,
    ) -> Result<Result<crate::adapter::Receipt, AdapterError>, Stopped> {
        let Some(adapter) = self.adapters.get(&self.bot) else {
            let unknown = format!("no bot named `{}`", self.bot);
            return Ok(Err(AdapterError::Invalid(unknown)));
        };
        let started = Instant::now();
        let mut tries = 0;
        loop {
            tries += 1;
            let admission = self.unless_stopped(self.breaker.admit()).await?;
            if tries > 1 {
                self.metrics.retries.inc();
            }
            self.rate_slot(plugin).await?;
            let result = adapter.deliver(action).await;
            match &result {
                Err(AdapterError::Transient(_)) => self.breaker.failed(admission),
                _ => self.breaker.answered(),
            }
            match result {
                Err(e) if e.is_retryable() && started.elapsed() < self.retry_for => {
                    let wait = match &e {
                        AdapterError::RateLimited(after) => *after,
                        _ => backoff(tries, self.max_backoff),
                    };
                    tracing::debug!(bot = %self.bot, tries, error = %e, ?wait, "retrying an action");
                    self.unless_stopped(tokio::time::sleep(wait)).await?;
                }
                other => return Ok(other),
            }
        }
    }

    /// Waits for the bot's rate limit to allow a request of `plugin`, and counts the request.
    async fn rate_slot(&self, plugin: &str) -> Result<(), Stopped> {
        if let Some(limiter) = &self.limiter {
            let asked = Instant::now();
            self.unless_stopped(limiter.acquire(plugin)).await?;
            if asked.elapsed() >= RATE_WAIT {
                self.metrics.rate_limit_waits.inc();
            }
        }
        self.metrics.requests.inc();
        Ok(())
    }

    /// For a send a crash may have left half done: the platform's message if the send
    /// arrived before the crash (it is not sent again), `None` if it must be sent. A look-up
    /// that keeps failing sends it (at least once).
    async fn reconcile(
        &self,
        entry: &Pending,
        action: &Action,
    ) -> Result<Option<Receipt>, Stopped> {
        let adapter = match self.adapters.get(&self.bot) {
            Some(adapter) if self.doubts.is_in_doubt(entry) => adapter,
            _ => return Ok(None),
        };
        let chat = action.chat();
        let started = Instant::now();
        let mut tries = 0;
        loop {
            tries += 1;
            let error = match self.look_up(adapter.as_ref(), entry, action).await? {
                Ok(Lookup::Found(platform_id)) => {
                    tracing::info!(bot = %self.bot, plugin = %entry.plugin, chat = %chat.id, action = entry.id, %platform_id, "a send in doubt after a crash is on the platform already; not sent again");
                    let message_id = Some(platform_id);
                    return Ok(Some(Receipt { message_id }));
                }
                Ok(Lookup::Absent) => {
                    self.doubts.settle(&entry.plugin, chat);
                    return Ok(None);
                }
                Ok(Lookup::Unknown) => return Ok(None),
                Err(e) => e,
            };
            if !error.is_retryable() || started.elapsed() >= self.retry_for {
                tracing::warn!(bot = %self.bot, plugin = %entry.plugin, action = entry.id, error = %error, "cannot tell whether a send in doubt after a crash reached the platform; sending it");
                return Ok(None);
            }
            let wait = match &error {
                AdapterError::RateLimited(after) => *after,
                _ => backoff(tries, self.max_backoff),
            };
            self.unless_stopped(tokio::time::sleep(wait)).await?;
        }
    }

    /// One look-up of a send in doubt: the platform id of its message, if it arrived.
    async fn look_up(
        &self,
        adapter: &dyn Adapter,
        entry: &Pending,
        action: &Action,
    ) -> Result<Result<Lookup, AdapterError>, Stopped> {
        let admission = self.unless_stopped(self.breaker.admit()).await?;
        self.rate_slot(&entry.plugin).await?;
        let found = adapter.find_sent(action).await;
        match &found {
            Err(AdapterError::Transient(_)) => self.breaker.failed(admission),
            _ => self.breaker.answered(),
        }
        Ok(match found {
            Ok(Some(candidates)) => (self.doubts)
                .pick(self.store.as_ref(), action.chat(), candidates)
                .map(|picked| picked.map_or(Lookup::Absent, Lookup::Found))
                .map_err(|e| AdapterError::Transient(e.to_string())),
            Ok(None) => Ok(Lookup::Unknown),
            Err(e) => Err(e),
        })
    }

    /// Waits for `wait`, unless the daemon stops first. Only waits before a request are cut
    /// short: a request under way is let finish, so its outcome is known.
    async fn unless_stopped<T>(&self, wait: impl Future<Output = T>) -> Result<T, Stopped> {
        tokio::select! {
            done = wait => Ok(done),
            () = self.stop.cancelled() => Err(Stopped),
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

    fn platform_id(&self, chat: &crate::model::ChatRef, id: &str) -> Result<String, AdapterError> {
        let key = MessageKey::of(chat, id);
        if let Some(platform_id) = self.sent.platform_id(&key) {
            return Ok(platform_id);
        }
        match self.store.lookup_message(&key) {
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

/// The wait before retry `tries`: 100 ms, 200 ms, 400 ms, … capped at `max`, each ±25 %.
fn backoff(tries: u32, max: Duration) -> Duration {
    let wait = backoff::exponential(tries, Duration::from_millis(100), max);
    backoff::jittered(wait, 0.25)
}
