//! Exponential backoff with jitter for the inbound tasks' retries.

use std::time::Duration;

/// Waits `min`, then twice as long each time up to `max`, each ±20 %; `reset` after a success.
#[derive(Debug, Clone)]
pub(super) struct Backoff {
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
        wait.mul_f64(rand::random_range(0.8..1.2))
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
}
