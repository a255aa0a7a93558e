//! The last few minutes of throughput and latency, one point a second, for the console's
//! charts: a bounded ring filled by a sampler that diffs the running totals.

use std::collections::VecDeque;
use std::sync::Mutex;

/// Points kept: five minutes.
pub const KEPT: usize = 300;

/// Running totals read once a second (they only grow, save when a plugin goes).
#[derive(Debug, Clone, Copy, Default)]
pub struct Totals {
    pub accepted: u64,
    /// Events plugins finished (handled or failed).
    pub handled: u64,
    pub delivered: u64,
    /// `handle` calls timed, and their summed time.
    pub calls: u64,
    pub call_nanos: u64,
}

/// One second: rates per second and the mean `handle` time in it.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Point {
    /// The end of the second, in ms since the Unix epoch.
    pub at_ms: u64,
    pub accepted: u64,
    pub handled: u64,
    pub delivered: u64,
    /// The mean handle time in that second, in ms; `None` without calls.
    pub handle_ms: Option<f64>,
}

/// The ring of points and the totals the last one was taken from.
#[derive(Debug, Default)]
pub struct Series(Mutex<(VecDeque<Point>, Option<Totals>)>);

impl Series {
    /// Adds the point between the previous totals and `now` (the first call only remembers).
    pub fn sample(&self, at_ms: u64, now: Totals) {
        let Ok(mut inner) = self.0.lock() else {
            return;
        };
        let (ring, last) = &mut *inner;
        if let Some(before) = last.replace(now) {
            let calls = now.calls.saturating_sub(before.calls);
            let nanos = now.call_nanos.saturating_sub(before.call_nanos);
            let point = Point {
                at_ms,
                accepted: now.accepted.saturating_sub(before.accepted),
                handled: now.handled.saturating_sub(before.handled),
                delivered: now.delivered.saturating_sub(before.delivered),
                handle_ms: (calls > 0).then(|| nanos as f64 / calls as f64 / 1e6),
            };
            if ring.len() == KEPT {
                ring.pop_front();
            }
            ring.push_back(point);
        }
    }

    /// The points, oldest first.
    pub fn points(&self) -> Vec<Point> {
        self.0
            .lock()
            .map(|inner| inner.0.iter().copied().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_are_differences_and_the_ring_is_bounded() {
        let series = Series::default();
        let mut totals = Totals::default();
        series.sample(0, totals);
        assert!(series.points().is_empty());
        totals.accepted = 5;
        totals.calls = 2;
        totals.call_nanos = 4_000_000;
        series.sample(1000, totals);
        let points = series.points();
        assert_eq!(points.len(), 1);
        assert_eq!(points[0].accepted, 5);
        assert_eq!(points[0].handle_ms, Some(2.0));
        for i in 0..(KEPT as u64 + 10) {
            series.sample(2000 + i, totals);
        }
        assert_eq!(series.points().len(), KEPT);
        assert_eq!(series.points()[0].handle_ms, None);
    }
}
