//! How long a plugin call may run, and how a long one shares the CPU.
//!
//! Guest code is interrupted at every epoch tick it runs through (see `engine`). A call past
//! its wall-time deadline is stopped there (a timeout). One still within it gives way to the
//! other tasks on its worker thread, and once it has computed for [`FULL_SPEED`] it also waits
//! a tick for every tick it runs: a plugin stuck in a loop takes at most about half a core, and
//! for a short while, instead of a whole one until its deadline. A call that finishes within a
//! tick (nearly all of them) never meets any of this.

use std::time::{Duration, Instant};

use wasmtime::{Store, UpdateDeadline};

use super::engine::EPOCH_TICK;
use super::state::HostState;

/// How long a call computes at full speed before it is slowed to half.
pub const FULL_SPEED: Duration = Duration::from_millis(50);

/// Installs the tick handler on a new store.
pub fn install(store: &mut Store<HostState>) {
    store.epoch_deadline_callback(|context| {
        let state = context.data();
        Ok(next_slice(state.call_started, state.call_timeout))
    });
}

/// Starts the clock for the next call (the first interruption comes at the next tick).
/// Returns the outer limit for a tokio timer, for time spent in async host calls, where the
/// epoch cannot interrupt.
pub fn arm(store: &mut Store<HostState>) -> Duration {
    store.data_mut().call_started = Instant::now();
    store.set_epoch_deadline(1);
    store.data().call_timeout * 2 + Duration::from_millis(100)
}

/// What a call that has run into a tick does next.
fn next_slice(started: Instant, timeout: Duration) -> UpdateDeadline {
    let ran = started.elapsed();
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

    fn ago(elapsed: Duration) -> Instant {
        Instant::now() - elapsed
    }

    #[test]
    fn a_call_past_its_deadline_is_stopped() {
        let next = next_slice(ago(Duration::from_millis(1001)), SECOND);
        assert!(matches!(next, UpdateDeadline::Interrupt));
    }

    #[tokio::test]
    async fn a_long_call_gives_way_and_then_slows_down() {
        let early = next_slice(ago(Duration::from_millis(20)), SECOND);
        assert!(matches!(early, UpdateDeadline::YieldCustom(1, _)));
        let late = next_slice(ago(FULL_SPEED + Duration::from_millis(1)), SECOND);
        let UpdateDeadline::YieldCustom(1, pause) = late else {
            panic!("a call past FULL_SPEED must pause");
        };
        let start = Instant::now();
        pause.await;
        assert!(start.elapsed() >= EPOCH_TICK);
    }

    #[test]
    fn off_tokio_a_call_just_goes_on() {
        let next = next_slice(ago(Duration::from_millis(20)), SECOND);
        assert!(matches!(next, UpdateDeadline::Continue(1)));
    }
}
