//! The daemon's own numbers, kept in atomics by the parts that count them (no lock or
//! allocation per event), and written out for `/metrics` in the Prometheus text format by
//! `prometheus-client` at scrape time.

mod histogram;
mod render;

use std::sync::atomic::{AtomicU64, Ordering};

pub use histogram::Histogram;
pub use render::{render, BotSample, PluginSample, Snapshot};

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

/// What the journal's ingress counts.
#[derive(Debug, Default)]
pub struct IngressMetrics {
    /// Events accepted into the journal (new).
    pub accepted: Count,
    /// Events a platform delivered again, dropped by their dedupe key.
    pub deduplicated: Count,
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
}

impl Default for PluginMetrics {
    fn default() -> Self {
        Self {
            handled: Count::default(),
            failed: Count::default(),
            handle_seconds: Histogram::seconds(),
            commit_seconds: Histogram::seconds(),
            reload_seconds: Histogram::reload_seconds(),
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
}

impl BotMetrics {
    /// Actions enqueued and not yet delivered or given up.
    pub fn depth(&self) -> u64 {
        self.enqueued
            .get()
            .saturating_sub(self.delivered.get() + self.dead.get())
    }
}
