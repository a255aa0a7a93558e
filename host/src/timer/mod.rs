//! Timers and schedules: the firer that turns due timers into journal events (in the store
//! transaction that takes them out), schedules' cron expressions in their time zones, and the
//! clock both read.
//!
//! A plugin sets and cancels timers as effects of an event (`runtime::host::timers`, committed
//! with the event by `router::committer`); the store keeps them by plugin and by due time
//! (`store::TimerStore`). A fired timer is an event like any other from there on: the feeder
//! hands it to its plugin alone, on the lane of its chat, and its effects commit once.

mod clock;
mod cron;
mod firer;
mod schedules;

pub use clock::{unix_ms, Clock, ManualClock, SystemClock};
pub use cron::{Cron, CronError};
pub use firer::{spawn_firer, BATCH};
pub use schedules::{Schedule, Timers};
