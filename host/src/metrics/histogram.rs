//! A histogram of atomics: fixed bucket bounds, one `fetch_add` per bucket hit, so observing
//! takes no lock (`prometheus-client`'s own histogram takes one).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;

/// Bounds for call and commit times: 100 µs to 10 s.
const SECONDS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];
/// Bounds for reloads: 10 ms to 60 s.
const RELOAD_SECONDS: &[f64] = &[0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// Observations in buckets (each counts those at or below its bound, not cumulative until
/// encoded), with their count and sum (in nanoseconds).
#[derive(Debug, Clone)]
pub struct Histogram {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    bounds: &'static [f64],
    /// One per bound, and one for above the last.
    buckets: Vec<AtomicU64>,
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl Histogram {
    fn with_bounds(bounds: &'static [f64]) -> Self {
        Self {
            inner: Arc::new(Inner {
                bounds,
                buckets: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
                count: AtomicU64::new(0),
                sum_nanos: AtomicU64::new(0),
            }),
        }
    }

    pub fn seconds() -> Self {
        Self::with_bounds(SECONDS)
    }

    pub fn reload_seconds() -> Self {
        Self::with_bounds(RELOAD_SECONDS)
    }

    pub fn observe(&self, took: Duration) {
        let secs = took.as_secs_f64();
        let i = self.inner.bounds.partition_point(|b| *b < secs);
        if let Some(bucket) = self.inner.buckets.get(i) {
            bucket.fetch_add(1, Ordering::Relaxed);
        }
        self.inner.count.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.inner.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.inner.count.load(Ordering::Relaxed)
    }

    /// The sum of the observations, in nanoseconds.
    pub fn sum_nanos(&self) -> u64 {
        self.inner.sum_nanos.load(Ordering::Relaxed)
    }

    /// The upper bound of the bucket holding quantile `q` (0..1) of the observations, in
    /// seconds; `None` before any.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let rank = (q * total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, bucket) in self.inner.buckets.iter().enumerate() {
            seen += bucket.load(Ordering::Relaxed);
            if seen >= rank {
                return Some(self.inner.bounds.get(i).copied().unwrap_or(f64::INFINITY));
            }
        }
        Some(f64::INFINITY)
    }

    /// Cumulative `(bound, count)` pairs, `+Inf` last, as Prometheus wants them.
    fn cumulative(&self) -> Vec<(f64, u64)> {
        let mut running = 0;
        let bounds = self.inner.bounds.iter().copied().chain([f64::INFINITY]);
        bounds
            .zip(&self.inner.buckets)
            .map(|(bound, n)| {
                running += n.load(Ordering::Relaxed);
                (bound, running)
            })
            .collect()
    }
}

impl EncodeMetric for Histogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let buckets = self.cumulative();
        let count = buckets.last().map_or(0, |(_, n)| *n);
        let sum = self.inner.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_their_buckets() {
        let h = Histogram::seconds();
        h.observe(Duration::from_micros(50));
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_secs(20));
        let buckets = h.cumulative();
        assert_eq!(buckets.first(), Some(&(0.0001, 1)));
        assert_eq!(buckets.iter().find(|(b, _)| *b == 0.005), Some(&(0.005, 2)));
        assert_eq!(buckets.last(), Some(&(f64::INFINITY, 3)));
        assert_eq!(h.quantile(0.5), Some(0.005));
        assert_eq!(h.quantile(1.0), Some(f64::INFINITY));
    }
}
