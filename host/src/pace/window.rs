//! A per-key request limiter: at most `limit` requests in any window of `window` for each key
//! (an API path, or a whole bot in the outbox). It is a token bucket of `limit` tokens in which a spent token comes back
//! exactly `window` after it was spent; unlike a bucket that refills continuously, it never lets
//! a burst plus the refill exceed the platform's "N per second" in some one-second window.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Keys beyond this many are not tracked separately (the platforms have a handful of paths).
const MAX_KEYS: usize = 256;

#[derive(Debug)]
pub struct RateLimiter {
    limit: usize,
    window: Duration,
    /// For each key, when its last `limit` requests were (or are scheduled to be) sent.
    sent: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimiter {
    /// `limit` requests per `window` per key; a `limit` of 0 is treated as 1.
    pub fn new(limit: usize, window: Duration) -> Self {
        Self {
            limit: limit.max(1),
            window,
            sent: Mutex::new(HashMap::new()),
        }
    }

    /// How much later than `window` a slot frees up: the platform counts requests as they
    /// arrive, and one that took longer on its way than a later one (a new connection, a busy
    /// moment) would otherwise put `limit + 1` of them into one of the platform's windows. A
    /// twentieth of the window, at most 50 ms.
    fn margin(&self) -> Duration {
        (self.window / 20).min(Duration::from_millis(50))
    }

    /// Waits until a request on `key` may go out, and counts it. A free slot is taken at once:
    /// a timer, even one already due, would cost a tick of the timer wheel (about 1 ms).
    pub async fn acquire(&self, key: &str) {
        let at = self.reserve(key);
        if at > Instant::now() {
            tokio::time::sleep_until(at).await;
        }
    }

    /// Reserves the earliest slot for `key` and returns when it is.
    fn reserve(&self, key: &str) -> Instant {
        let now = Instant::now();
        // The lock is never held across an await, and the map stays consistent if a holder
        // panicked, so a poisoned lock is used as it is.
        let mut sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
        if !sent.contains_key(key) && sent.len() >= MAX_KEYS {
            sent.retain(|_, times| times.back().is_some_and(|last| *last + self.window > now));
        }
        let key = if sent.len() >= MAX_KEYS { "*" } else { key };
        let times = sent.entry(key.to_string()).or_default();
        while times.len() > self.limit {
            times.pop_front();
        }
        let at = if times.len() < self.limit {
            now
        } else {
            // The slot frees up a window (and the margin) after the oldest of the last `limit`.
            times.front().map_or(now, |oldest| {
                (*oldest + self.window + self.margin()).max(now)
            })
        };
        let at = times.back().map_or(at, |last| at.max(*last));
        times.push_back(at);
        if times.len() > self.limit {
            times.pop_front();
        }
        at
    }
}

/// A bot's rate limit shared by its plugins: all their requests together stay within it, and no
/// plugin takes more than its share of a window (all but an eighth, at least one request), so
/// another plugin's next request finds a slot free instead of waiting for a flood's window to
/// slide past. (Under "20 a minute", a reply would otherwise wait up to a minute.)
#[derive(Debug)]
pub struct SharedLimit {
    bot: RateLimiter,
    per_plugin: RateLimiter,
}

impl SharedLimit {
    pub fn new(limit: usize, window: Duration) -> Self {
        let limit = limit.max(1);
        let share = (limit - limit.div_ceil(8)).max(1);
        Self {
            bot: RateLimiter::new(limit, window),
            per_plugin: RateLimiter::new(share, window),
        }
    }

    /// Waits until `plugin` may send: first for its share, then for the bot's limit.
    pub async fn acquire(&self, plugin: &str) {
        self.per_plugin.acquire(plugin).await;
        self.bot.acquire("").await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Waker};

    #[tokio::test]
    async fn a_free_slot_is_taken_without_waiting() {
        let limiter = RateLimiter::new(2, Duration::from_secs(1));
        for _ in 0..2 {
            assert!(
                ready_at_once(limiter.acquire("k")),
                "a free slot waited for a timer"
            );
        }
        assert!(
            !ready_at_once(limiter.acquire("k")),
            "the third request in the window must wait"
        );
    }

    fn ready_at_once(acquire: impl Future<Output = ()>) -> bool {
        pin!(acquire)
            .poll(&mut Context::from_waker(Waker::noop()))
            .is_ready()
    }

    #[tokio::test]
    async fn a_flood_leaves_an_eighth_of_the_window_to_the_other_plugins() {
        let limit = SharedLimit::new(16, Duration::from_secs(60));
        for _ in 0..14 {
            assert!(ready_at_once(limit.acquire("flood")));
        }
        assert!(
            !ready_at_once(limit.acquire("flood")),
            "past its share of 14"
        );
        assert!(ready_at_once(limit.acquire("quiet")));
        assert!(ready_at_once(limit.acquire("other")));
        assert!(
            !ready_at_once(limit.acquire("quiet")),
            "the bot's 16 are all taken"
        );
    }

    #[tokio::test]
    async fn a_limit_of_one_is_all_one_plugin_gets() {
        let limit = SharedLimit::new(1, Duration::from_secs(60));
        assert!(ready_at_once(limit.acquire("only")));
        assert!(!ready_at_once(limit.acquire("other")));
    }

    #[tokio::test]
    async fn never_more_than_limit_in_a_window() {
        let window = Duration::from_millis(200);
        let limiter = RateLimiter::new(3, window);
        let start = Instant::now();
        let mut at = Vec::new();
        for _ in 0..7 {
            limiter.acquire("/send").await;
            at.push(start.elapsed());
        }
        // Three at once, three a window later, one two windows later.
        assert!(at[2] < Duration::from_millis(50), "{at:?}");
        assert!(at[3] >= window, "{at:?}");
        assert!(at[6] >= window * 2, "{at:?}");
        // Scheduled slots are exactly a window (plus margin) apart; what is measured here
        // includes the sleep's wake-up latency, hence a little slack.
        for w in at.windows(4) {
            assert!(w[3] - w[0] >= window * 95 / 100, "{at:?}");
        }
        // And the margin: a slot is reused a window and a twentieth after it was taken (a
        // sleep never ends early, so these hold however late the wake-ups are).
        let reuse = window + window / 20;
        assert!(at[3] >= reuse && at[6] >= reuse * 2, "{at:?}");
        // Another key is not held up.
        let before = Instant::now();
        limiter.acquire("/edit").await;
        assert!(before.elapsed() < Duration::from_millis(50));
    }
}
