//! How much HTTP a plugin may have going: requests in flight (all its instances together) and
//! requests per minute. Both refuse at once rather than queue: a plugin that asks for more gets
//! a typed error, and nothing waits unbounded.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::pace::RateLimits;

/// The HTTP state every instance of every plugin shares: one in-flight count and one rate
/// bucket per plugin.
#[derive(Debug, Default)]
pub struct HttpGates {
    in_flight: Mutex<HashMap<Arc<str>, Arc<AtomicUsize>>>,
    rates: RateLimits,
    /// Every request's ending, counted (for `/metrics`).
    pub metrics: Arc<crate::metrics::HttpMetrics>,
    /// The scenario harness's stub server: when set, every request goes there (plain HTTP,
    /// its URL in [`STUB_URL_HEADER`](super::STUB_URL_HEADER)) whatever its host, and no grant
    /// is asked for. Never set from a config file.
    pub stub: Option<std::net::SocketAddr>,
}

/// Why a request was refused before it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `max_in_flight` requests are already waiting for their answers.
    InFlight(u32),
    /// `requests_per_minute` is used up.
    Rate(u32),
}

impl HttpGates {
    /// Takes a place for one request of `plugin`, or says why not. The place is given back
    /// when the returned permit drops (the request finished, failed or was abandoned).
    pub fn admit(
        &self,
        plugin: &Arc<str>,
        activity: &Arc<Activity>,
        max_in_flight: u32,
        per_minute: u32,
    ) -> Result<Permit, Refusal> {
        let counter = self.counter(plugin);
        let limit = usize::try_from(max_in_flight).unwrap_or(usize::MAX);
        let taken = counter.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < limit).then_some(n + 1)
        });
        if taken.is_err() {
            return Err(Refusal::InFlight(max_in_flight));
        }
        let permit = Permit::new(counter, activity.clone());
        if self.rates.take(plugin, per_minute).is_err() {
            return Err(Refusal::Rate(per_minute));
        }
        Ok(permit)
    }

    fn counter(&self, plugin: &Arc<str>) -> Arc<AtomicUsize> {
        match self.in_flight.lock() {
            Ok(mut map) => map.entry(plugin.clone()).or_default().clone(),
            // A poisoned map only means another thread panicked mid-insert: count apart.
            Err(_) => Arc::default(),
        }
    }
}

/// One instance's HTTP activity, read by the deadline: while a request is in flight (or one
/// finished since the last look), time the guest spent away from its code was waiting.
#[derive(Debug, Default)]
pub struct Activity {
    in_flight: AtomicUsize,
    finished: AtomicU64,
}

impl Activity {
    /// A mark that changes whenever a request starts or ends, and whether one is in flight.
    pub fn mark(&self) -> (u64, bool) {
        (
            self.finished.load(Ordering::Acquire),
            self.in_flight.load(Ordering::Acquire) > 0,
        )
    }
}

/// A request's place in its plugin's in-flight count and its instance's activity.
#[derive(Debug)]
pub struct Permit {
    plugin: Arc<AtomicUsize>,
    activity: Arc<Activity>,
}

impl Permit {
    fn new(plugin: Arc<AtomicUsize>, activity: Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::AcqRel);
        Self { plugin, activity }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.plugin.fetch_sub(1, Ordering::AcqRel);
        self.activity.in_flight.fetch_sub(1, Ordering::AcqRel);
        self.activity.finished.fetch_add(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_flight_is_capped_per_plugin_and_given_back() {
        let gates = HttpGates::default();
        let (a, b): (Arc<str>, Arc<str>) = ("a".into(), "b".into());
        let activity = Arc::new(Activity::default());
        let first = gates.admit(&a, &activity, 2, 100);
        let second = gates.admit(&a, &activity, 2, 100);
        assert!(first.is_ok() && second.is_ok());
        assert_eq!(activity.mark(), (0, true));
        assert_eq!(
            gates.admit(&a, &activity, 2, 100).err(),
            Some(Refusal::InFlight(2))
        );
        assert!(gates.admit(&b, &activity, 2, 100).is_ok(), "per plugin");
        drop(first);
        assert!(gates.admit(&a, &activity, 2, 100).is_ok());
        drop(second);
        assert_eq!(activity.mark(), (4, false));
    }

    #[test]
    fn the_rate_is_per_minute() {
        let gates = HttpGates::default();
        let p: Arc<str> = "p".into();
        let activity = Arc::new(Activity::default());
        for _ in 0..3 {
            assert!(gates.admit(&p, &activity, 8, 3).is_ok());
        }
        assert_eq!(
            gates.admit(&p, &activity, 8, 3).err(),
            Some(Refusal::Rate(3))
        );
    }
}
