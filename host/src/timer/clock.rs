//! Where the firer and the scheduler read the time: the system's clock in the daemon, a clock
//! the test moves in tests (so a schedule's instants can be checked without waiting for them).

use std::fmt::Debug;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::future::BoxFuture;
use tokio::sync::watch;

/// Wall-clock time in Unix milliseconds, and a way to wait for a later one.
pub trait Clock: Send + Sync + Debug {
    fn now_ms(&self) -> u64;

    /// Resolves once this clock reads `at_ms` or later (or sooner: callers read the time
    /// again and may wait again).
    fn sleep_until(&self, at_ms: u64) -> BoxFuture<'static, ()>;
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

/// Unix milliseconds now, by the system's clock.
pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Longest single sleep: the system's clock may be set forward meanwhile, so the firer looks
/// again at least this often.
const MAX_SLEEP: Duration = Duration::from_secs(60);

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        unix_ms()
    }

    fn sleep_until(&self, at_ms: u64) -> BoxFuture<'static, ()> {
        let wait = Duration::from_millis(at_ms.saturating_sub(unix_ms())).min(MAX_SLEEP);
        Box::pin(tokio::time::sleep(wait))
    }
}

/// A clock that moves only when told: for tests.
#[derive(Debug)]
pub struct ManualClock {
    now: watch::Sender<u64>,
}

impl ManualClock {
    pub fn new(now_ms: u64) -> Self {
        Self {
            now: watch::channel(now_ms).0,
        }
    }

    /// Sets the time (forward or back) and wakes whoever sleeps on it.
    pub fn set(&self, now_ms: u64) {
        self.now.send_replace(now_ms);
    }

    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.now.send_modify(|now| *now = now.saturating_add(by));
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        *self.now.borrow()
    }

    fn sleep_until(&self, at_ms: u64) -> BoxFuture<'static, ()> {
        let mut now = self.now.subscribe();
        Box::pin(async move {
            // A dropped clock never reaches `at_ms`: sleep for good.
            if now.wait_for(|now| *now >= at_ms).await.is_err() {
                std::future::pending::<()>().await;
            }
        })
    }
}
