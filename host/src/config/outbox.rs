//! `[outbox]`: how deliveries ride out a platform's trouble.

use std::time::Duration;

use serde::Deserialize;

/// How long and how patiently the outbox retries, and when it takes a platform to be down.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutboxConfig {
    /// How long an action is retried while its platform fails as a platform that is down
    /// fails (5xx, timeouts, refused connections) before it becomes a dead letter.
    pub retry_for_s: u64,
    /// Failed requests in a row that open a bot's circuit: its deliveries pause, and one probe
    /// goes out now and then until the platform answers.
    pub breaker_after: u32,
    /// The longest wait between two tries of one action, and between two probes.
    pub max_backoff_ms: u64,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self {
            retry_for_s: 3600,
            breaker_after: 5,
            max_backoff_ms: 30_000,
        }
    }
}

impl OutboxConfig {
    pub fn retry_for(&self) -> Duration {
        Duration::from_secs(self.retry_for_s)
    }

    pub fn max_backoff(&self) -> Duration {
        Duration::from_millis(self.max_backoff_ms.max(1))
    }
}
