//! Releases on demand: the releaser runs a few times a second, and at once when the ingress
//! finds the journal full, so a burst is refused only when a release frees nothing, not
//! because the last release is 200 ms old.

use std::time::Duration;

use tokio::sync::{watch, Notify};
use tokio::time::Instant;

/// How long an accept waits for releases to make room before the journal counts as full.
pub const FULL_PATIENCE: Duration = Duration::from_secs(1);
/// Releases an accept waits for: the first moves the leader (a lagging plugin sheds), the
/// next frees what it shed.
pub const ROUNDS: usize = 3;

/// Requests for a release, and a count of the releases run.
#[derive(Debug)]
pub struct ReleaseWake {
    wanted: Notify,
    runs: watch::Sender<u64>,
}

impl Default for ReleaseWake {
    fn default() -> Self {
        Self {
            wanted: Notify::new(),
            runs: watch::channel(0).0,
        }
    }
}

impl ReleaseWake {
    /// Asks for a release and waits until one has run after the request; `false` if none ran
    /// before `deadline`.
    pub async fn release_now(&self, deadline: Instant) -> bool {
        let mut runs = self.runs.subscribe();
        runs.borrow_and_update();
        self.wanted.notify_one();
        matches!(
            tokio::time::timeout_at(deadline, runs.changed()).await,
            Ok(Ok(()))
        )
    }

    /// Waits until a release is asked for (for the releaser).
    pub async fn wanted(&self) {
        self.wanted.notified().await;
    }

    /// Tells the waiting accepts that a release has run (for the releaser).
    pub fn ran(&self) {
        self.runs.send_modify(|n| *n = n.wrapping_add(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_returns_once_the_releaser_has_run_and_not_before() {
        let wake = std::sync::Arc::new(ReleaseWake::default());
        let soon = Instant::now() + Duration::from_millis(50);
        assert!(
            !wake.release_now(soon).await,
            "no releaser: the wait times out"
        );

        let releaser = {
            let wake = wake.clone();
            tokio::spawn(async move {
                wake.wanted().await;
                wake.ran();
            })
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        assert!(wake.release_now(deadline).await);
        releaser.await.unwrap();
    }
}
