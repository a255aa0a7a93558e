//! The daemon's own numbers, kept in atomics by the parts that count them (no lock or
//! allocation per event), and written out for `/metrics` in the Prometheus text format by
//! `prometheus-client` at scrape time.

mod histogram;
mod render;
mod series;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

pub use histogram::Histogram;
pub use render::{render, BotSample, PluginSample, Snapshot};
pub use series::{Point, Series, Totals};

/// A counter that only goes up.
#[derive(Debug, Default)]
pub struct Count(AtomicU64);

impl Count {
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    pub fn inc(&self) {
        self.add(1);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// What the journal's ingress counts, in all and per bot (acceptance comes before routing,
/// so no plugin is known yet: the bot is the natural label).
#[derive(Debug, Default)]
pub struct IngressMetrics {
    /// Events accepted into the journal (new).
    pub accepted: Count,
    /// Events a platform delivered again, dropped by their dedupe key.
    pub deduplicated: Count,
    /// The same per configured bot: a map fixed once at start, so counting takes no lock.
    by_bot: OnceLock<BTreeMap<String, BotIngress>>,
}

/// One bot's ingress counts.
#[derive(Debug, Default)]
pub struct BotIngress {
    pub accepted: Count,
    pub deduplicated: Count,
    /// When its last event (new or again) arrived, in ms since the Unix epoch; 0: never.
    pub last_event_ms: AtomicU64,
}

impl IngressMetrics {
    /// Counts per bot from now on, for these bots (the first call wins).
    pub fn track_bots<'a>(&self, names: impl Iterator<Item = &'a str>) {
        let map = names.map(|n| (n.to_string(), BotIngress::default()));
        let _ = self.by_bot.set(map.collect());
    }

    /// Counts one event of `bot`: `new`, or a duplicate.
    pub fn counted(&self, bot: &str, new: bool) {
        let per_bot = self.by_bot.get().and_then(|m| m.get(bot));
        if new {
            self.accepted.inc();
            per_bot.inspect(|b| b.accepted.inc());
        } else {
            self.deduplicated.inc();
            per_bot.inspect(|b| b.deduplicated.inc());
        }
        if let Some(b) = per_bot {
            b.last_event_ms.store(now_ms(), Ordering::Relaxed);
        }
    }

    /// Each tracked bot with its counts, sorted by name.
    pub fn bots(&self) -> impl Iterator<Item = (&String, &BotIngress)> {
        self.by_bot.get().into_iter().flatten()
    }

    /// When `bot`'s last event arrived (ms since the Unix epoch), if it sent one.
    pub fn last_event_ms(&self, bot: &str) -> Option<u64> {
        let at = self
            .by_bot
            .get()?
            .get(bot)?
            .last_event_ms
            .load(Ordering::Relaxed);
        (at > 0).then_some(at)
    }
}

/// Now in milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// What one plugin's lanes and committers count; kept across reloads.
#[derive(Debug)]
pub struct PluginMetrics {
    /// Events its `handle` finished without an error.
    pub handled: Count,
    /// Events whose `handle` failed (an error, a trap, a timeout).
    pub failed: Count,
    /// Seconds one `handle` call took.
    pub handle_seconds: Histogram,
    /// Seconds one store commit of its outcomes took.
    pub commit_seconds: Histogram,
    /// Seconds a reload (compile, init, swap) took.
    pub reload_seconds: Histogram,
    /// Reloads of its file that failed (the running version kept serving).
    pub reload_failed: Count,
}

impl Default for PluginMetrics {
    fn default() -> Self {
        Self {
            handled: Count::default(),
            failed: Count::default(),
            handle_seconds: Histogram::seconds(),
            commit_seconds: Histogram::seconds(),
            reload_seconds: Histogram::reload_seconds(),
            reload_failed: Count::default(),
        }
    }
}

/// Plugins' outbound HTTP requests by how they ended, as their audit lines say.
#[derive(Debug, Default)]
pub struct HttpMetrics {
    by_outcome: [Count; HTTP_OUTCOMES.len()],
}

/// How an outbound request can end: `answered`, or the audit line's `outcome`.
pub const HTTP_OUTCOMES: [&str; 7] = [
    "answered",
    "denied",
    "limited",
    "timeout",
    "too-large",
    "failed",
    "abandoned",
];

impl HttpMetrics {
    /// Counts one request that ended as `outcome` (one of [`HTTP_OUTCOMES`]; others count as
    /// `failed`).
    pub fn ended(&self, outcome: &str) {
        let i = HTTP_OUTCOMES
            .iter()
            .position(|o| *o == outcome)
            .unwrap_or(5);
        if let Some(count) = self.by_outcome.get(i) {
            count.inc();
        }
    }

    /// Each outcome with its count.
    pub fn counts(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        HTTP_OUTCOMES
            .iter()
            .zip(&self.by_outcome)
            .map(|(o, c)| (*o, c.get()))
    }
}

/// What the timer firer counts.
#[derive(Debug, Default)]
pub struct TimerMetrics {
    /// Timers and schedule instants fired into the journal.
    pub fired: Count,
}

/// What one bot's outbox counts.
#[derive(Debug, Default)]
pub struct BotMetrics {
    /// Actions handed to the outbox.
    pub enqueued: Count,
    /// Actions the platform carried out.
    pub delivered: Count,
    /// Actions given up: dead letters.
    pub dead: Count,
    /// Tries after a failed one (5xx, timeout, rate limit).
    pub retries: Count,
    /// Waits for the bot's rate limit before a request.
    pub rate_limit_waits: Count,
    /// Requests made to the platform (every try).
    pub requests: Count,
    /// The bot's outbound rate limit: requests per window (ms); `(0, 0)`: none.
    pub rate_limit: std::sync::OnceLock<(u32, u64)>,
}

impl BotMetrics {
    /// Actions enqueued and not yet delivered or given up.
    pub fn depth(&self) -> u64 {
        self.enqueued
            .get()
            .saturating_sub(self.delivered.get() + self.dead.get())
    }
}
