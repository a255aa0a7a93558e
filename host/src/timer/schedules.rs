//! The daemon's handle on timers: what the router asks when a plugin version is installed
//! (its schedules written to the store) and when a commit sets timers (the firer woken).

use std::sync::Arc;

use tokio::sync::Notify;

use super::clock::Clock;
use super::cron::Cron;
use crate::metrics::TimerMetrics;
use crate::store::{Recurrence, StoreError, Timer, TimerStore};

/// A schedule as the daemon runs it: the plugin's declaration with the operator's overrides
/// applied, its expression checked.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub name: String,
    pub cron: Cron,
    pub payload: String,
}

/// Shared by the router, the lanes' committers and the firer.
#[derive(Clone)]
pub struct Timers {
    pub(super) store: Arc<dyn TimerStore>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) wake: Arc<Notify>,
    /// What the firer counted.
    pub(super) metrics: Arc<TimerMetrics>,
}

impl std::fmt::Debug for Timers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Timers")
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl Timers {
    pub fn new(store: Arc<dyn TimerStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            wake: Arc::new(Notify::new()),
            metrics: Arc::default(),
        }
    }

    /// Timers fired so far (for `/metrics`).
    pub fn metrics(&self) -> Arc<TimerMetrics> {
        self.metrics.clone()
    }

    /// Timers were committed: the firer looks at the next due time again. (A wake while the
    /// firer is busy is kept for its next wait, so none is lost.)
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Makes `schedules` the schedules of `plugin` in the store. One whose expression and time
    /// zone are unchanged keeps its next instant, so an instant missed while the daemon was
    /// down (or the plugin away) still fires, once; a new or changed one starts at its next
    /// instant from now. Schedules the plugin no longer has are dropped.
    pub fn install_schedules(
        &self,
        plugin: &str,
        schedules: &[Schedule],
    ) -> Result<(), StoreError> {
        let now = self.clock.now_ms();
        let rows = schedules
            .iter()
            .filter_map(|schedule| {
                let Some(due_at) = schedule.cron.next_after(now) else {
                    tracing::warn!(plugin, schedule = %schedule.name, cron = schedule.cron.expression(), "schedule has no instant left; it never fires");
                    return None;
                };
                Some(Timer {
                    key: schedule.name.clone(),
                    due_at,
                    payload: schedule.payload.clone(),
                    chat: None,
                    schedule: Some(Recurrence {
                        cron: schedule.cron.expression().to_owned(),
                        timezone: schedule.cron.timezone().to_owned(),
                    }),
                })
            })
            .collect();
        self.store.set_schedules(plugin, rows)?;
        self.wake();
        Ok(())
    }
}
