//! How long a plugin call may run, and how a long one shares the CPU.
//!
//! Guest code is interrupted at every epoch tick it runs through (see `engine`). A call that
//! has computed past its deadline is stopped there (a timeout). One still within it gives way
//! to the other tasks on its worker thread, and once it has computed for [`FULL_SPEED`] it also
//! waits a tick for every tick it runs: a plugin stuck in a loop takes at most about half a
//! core, and for a short while, instead of a whole one until its deadline. A call that finishes
//! within a tick (nearly all of them) never meets any of this.
//!
//! What counts is the time the guest computes, not the time it waits on HTTP: between two
//! ticks a running guest spends at most [`MAX_GAP`], so a longer gap while the instance had a
//! request in flight was a wait, and counts as [`MAX_GAP`]. The request's own timeout bounds
//! such a wait. Any other gap counts whole (a live query's wait, for one, still does).

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::{Store, UpdateDeadline};

use super::engine::EPOCH_TICK;
use super::http::Activity;
use super::state::HostState;

/// How long a call computes at full speed before it is slowed to half.
pub const FULL_SPEED: Duration = Duration::from_millis(50);

/// The longest a computing guest goes between two ticks: one slowed tick's pause and one tick.
pub const MAX_GAP: Duration = Duration::from_millis(2 * EPOCH_TICK.as_millis() as u64);

/// How long the current call has computed, net of its waits on HTTP.
#[derive(Debug)]
pub struct CallClock {
    /// The last moment the guest was seen running: the call's start or its last tick.
    last: Instant,
    ran: Duration,
    /// The instance's HTTP activity at `last`.
    mark: (u64, bool),
    activity: Arc<Activity>,
}

impl CallClock {
    pub fn new(activity: Arc<Activity>) -> Self {
        Self {
            last: Instant::now(),
            ran: Duration::ZERO,
            mark: activity.mark(),
            activity,
        }
    }

    /// Starts counting a new call.
    fn start(&mut self) {
        self.last = Instant::now();
        self.ran = Duration::ZERO;
        self.mark = self.activity.mark();
    }

    /// At a tick the guest ran into: adds the time since the last one and returns the total.
    fn tick(&mut self) -> Duration {
        let now = Instant::now();
        let gap = now.saturating_duration_since(self.last);
        let mark = self.activity.mark();
        let waited_on_http = mark.1 || mark.0 != self.mark.0;
        self.ran += if waited_on_http {
            gap.min(MAX_GAP)
        } else {
            gap
        };
        self.last = now;
        self.mark = mark;
        self.ran
    }
}

/// Installs the tick handler on a new store.
pub fn install(store: &mut Store<HostState>) {
    store.epoch_deadline_callback(|mut context| {
        let state = context.data_mut();
        let ran = state.clock.tick();
        Ok(next_slice(ran, state.call_timeout))
    });
}

/// Starts the clock for the next call (the first interruption comes at the next tick).
/// Returns the outer limit for a tokio timer, for time spent in async host calls, where the
/// epoch cannot interrupt: twice the deadline, plus one HTTP request's wait.
pub fn arm(store: &mut Store<HostState>) -> Duration {
    store.data_mut().clock.start();
    store.set_epoch_deadline(1);
    let state = store.data();
    state.call_timeout * 2 + state.http.timeout() + Duration::from_millis(100)
}

/// What a call that has computed for `ran` and run into a tick does next.
fn next_slice(ran: Duration, timeout: Duration) -> UpdateDeadline {
    if ran >= timeout {
        return UpdateDeadline::Interrupt;
    }
    if tokio::runtime::Handle::try_current().is_err() {
        return UpdateDeadline::Continue(1); // not on a tokio thread: nothing to give way to
    }
    if ran < FULL_SPEED {
        UpdateDeadline::YieldCustom(1, Box::pin(tokio::task::yield_now()))
    } else {
        UpdateDeadline::YieldCustom(1, Box::pin(tokio::time::sleep(EPOCH_TICK)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn a_call_past_its_deadline_is_stopped() {
        let next = next_slice(Duration::from_millis(1001), SECOND);
        assert!(matches!(next, UpdateDeadline::Interrupt));
    }

    #[tokio::test]
    async fn a_long_call_gives_way_and_then_slows_down() {
        let early = next_slice(Duration::from_millis(20), SECOND);
        assert!(matches!(early, UpdateDeadline::YieldCustom(1, _)));
        let late = next_slice(FULL_SPEED + Duration::from_millis(1), SECOND);
        let UpdateDeadline::YieldCustom(1, pause) = late else {
            panic!("a call past FULL_SPEED must pause");
        };
        let start = Instant::now();
        pause.await;
        assert!(start.elapsed() >= EPOCH_TICK);
    }

    #[test]
    fn off_tokio_a_call_just_goes_on() {
        let next = next_slice(Duration::from_millis(20), SECOND);
        assert!(matches!(next, UpdateDeadline::Continue(1)));
    }

    #[test]
    fn long_gaps_count_whole_unless_http_was_in_flight() {
        let activity = Arc::new(Activity::default());
        let mut clock = CallClock::new(activity.clone());
        clock.start();
        clock.last -= Duration::from_millis(500);
        let ran = clock.tick();
        assert!(
            ran >= Duration::from_millis(500),
            "{ran:?}: no request, a gap counts whole"
        );
        let gates = crate::runtime::http::HttpGates::default();
        let plugin: Arc<str> = "p".into();
        let permit = gates.admit(&plugin, &activity, 1, 10);
        clock.last -= Duration::from_millis(500);
        let waited = clock.tick() - ran;
        assert!(
            waited <= MAX_GAP + Duration::from_millis(5),
            "{waited:?}: a wait on HTTP"
        );
        drop(permit);
        // The request ended during this gap: still a wait.
        clock.last -= Duration::from_millis(500);
        let before = clock.ran;
        assert!(clock.tick() - before <= MAX_GAP + Duration::from_millis(5));
        // Nothing in flight, nothing finished since: counts whole again.
        clock.last -= Duration::from_millis(500);
        let before = clock.ran;
        assert!(clock.tick() - before >= Duration::from_millis(500));
    }
}
