//! A plugin's health: consecutive failures, restart backoff and quarantine.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use crate::pace::backoff::exponential;

#[derive(Debug)]
pub struct Health {
    failures: AtomicU32,
    quarantined: AtomicBool,
    quarantine_after: u32,
    /// The last failed call's error and what to do about it, for the status.
    last_error: std::sync::Mutex<Option<String>>,
}

impl Health {
    pub fn new(quarantine_after: u32) -> Self {
        Self {
            failures: AtomicU32::new(0),
            quarantined: AtomicBool::new(false),
            quarantine_after: quarantine_after.max(1),
            last_error: std::sync::Mutex::new(None),
        }
    }

    /// Keeps `error` as the last failure's (shown by the status until the next one).
    pub fn note_error(&self, error: String) {
        *self.last_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(error);
    }

    /// The last failed call's error, if any call failed.
    pub fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn succeeded(&self) {
        self.failures.store(0, Ordering::Relaxed);
    }

    /// Counts a failure; returns true when it puts the plugin in quarantine.
    pub fn failed(&self) -> bool {
        let failures = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
        failures >= self.quarantine_after && !self.quarantined.swap(true, Ordering::Relaxed)
    }

    pub fn is_quarantined(&self) -> bool {
        self.quarantined.load(Ordering::Relaxed)
    }

    pub fn failures(&self) -> u32 {
        self.failures.load(Ordering::Relaxed)
    }

    /// Lifts a quarantine; returns whether there was one.
    pub fn release(&self) -> bool {
        self.failures.store(0, Ordering::Relaxed);
        self.quarantined.swap(false, Ordering::Relaxed)
    }

    /// How long to wait before starting a fresh instance: 0 after a success, then 50 ms doubling
    /// per consecutive failure, capped at 5 s.
    pub fn restart_delay(&self) -> Duration {
        match self.failures() {
            0 => Duration::ZERO,
            n => exponential(n - 1, Duration::from_millis(50), Duration::from_secs(5)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarantine_after_n_failures_and_release() {
        let health = Health::new(3);
        assert!(!health.failed());
        assert!(!health.failed());
        assert_eq!(health.restart_delay(), Duration::from_millis(100));
        assert!(health.failed());
        assert!(health.is_quarantined());
        assert!(
            !health.failed(),
            "only the first failure past the limit reports the quarantine"
        );
        assert!(health.release());
        assert!(!health.is_quarantined());
        assert_eq!(health.restart_delay(), Duration::ZERO);
    }
}
