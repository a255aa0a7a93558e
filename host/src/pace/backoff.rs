//! Exponential backoff: the one formula behind every retry's wait (inbound reconnects, outbox
//! retries, plugin restarts), and a stateful `Backoff` for loops that retry until they succeed.

use std::time::Duration;

/// `min` doubled `attempt` times, at most `max`: `min`, 2×`min`, 4×`min`, … (attempt 0 is `min`).
pub fn exponential(attempt: u32, min: Duration, max: Duration) -> Duration {
    min.saturating_mul(1 << attempt.min(30)).min(max)
}

/// `wait` spread by ±`spread` (0.25: anywhere from 75 % to 125 %), so clients that failed
/// together do not retry together.
pub fn jittered(wait: Duration, spread: f64) -> Duration {
    wait.mul_f64(rand::random_range(1.0 - spread..1.0 + spread))
}

/// Waits `min`, then twice as long each time up to `max`, each ±20 %; `reset` after a success.
#[derive(Debug, Clone)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    pub fn new(min_ms: u64, max_ms: u64) -> Self {
        let min = Duration::from_millis(min_ms);
        Self {
            min,
            max: Duration::from_millis(max_ms.max(min_ms)),
            next: min,
        }
    }

    /// The wait before the next try.
    pub fn next_wait(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(self.max);
        jittered(wait, 0.2)
    }

    pub fn reset(&mut self) {
        self.next = self.min;
    }

    /// Sleeps for the next wait; `false` when `stop` fired first.
    pub async fn sleep(&mut self, stop: &tokio_util::sync::CancellationToken) -> bool {
        let wait = self.next_wait();
        tokio::select! {
            () = tokio::time::sleep(wait) => true,
            () = stop.cancelled() => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_and_resets() {
        let mut b = Backoff::new(100, 400);
        let waits: Vec<u128> = (0..4).map(|_| b.next_wait().as_millis()).collect();
        assert!(
            (80..=120).contains(&waits[0]) && (160..=240).contains(&waits[1]),
            "{waits:?}"
        );
        assert!((320..=480).contains(&waits[3]), "{waits:?}");
        b.reset();
        assert!(b.next_wait() <= Duration::from_millis(120));
    }

    #[test]
    fn exponential_doubles_from_min_up_to_max() {
        let ms = Duration::from_millis;
        let waits: Vec<Duration> = [0, 1, 2, 6, 40]
            .map(|n| exponential(n, ms(100), ms(5_000)))
            .to_vec();
        assert_eq!(waits, [ms(100), ms(200), ms(400), ms(5_000), ms(5_000)]);
    }
}
