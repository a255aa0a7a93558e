//! Timers and schedules in cluster mode: rows in a shared kv bucket (mirrored in memory on
//! every node, like plugin kv), set and cancelled with the completion that set them, and fired
//! by the one node holding the `timers` lease. A firing goes into the event stream with the
//! timer's identity as its publish-dedupe id before its row leaves, so a firer that dies
//! between the two, and the next holder firing the row again, still make one event.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use super::kv::KvMirror;
use crate::journal::Publisher;
use crate::store::{FireOutcome, Firing, StoreError, Timer, TimerChange};

/// How often a node that holds the lease looks for rows other nodes set (their commits do not
/// wake its firer).
const LOOK_EVERY_MS: u64 = 1000;

/// The cluster's timers, as this node sees them.
pub struct ClusterTimers {
    rows: Arc<KvMirror>,
    events: Arc<dyn Publisher>,
    /// Whether this node holds the `timers` lease and so fires.
    firing: AtomicBool,
}

impl std::fmt::Debug for ClusterTimers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterTimers").finish_non_exhaustive()
    }
}

/// A change to a plugin's rows: its slot and new row (`None`: removed).
pub type RowChange = (String, Option<Vec<u8>>);

impl ClusterTimers {
    pub fn new(rows: Arc<KvMirror>, events: Arc<dyn Publisher>) -> Self {
        Self {
            rows,
            events,
            firing: AtomicBool::new(false),
        }
    }

    /// Whether this node fires (it holds the lease).
    pub fn set_firing(&self, firing: bool) {
        self.firing.store(firing, Ordering::SeqCst);
    }

    /// A commit's timer changes as row changes.
    pub fn changes(changes: &[TimerChange]) -> Result<Vec<RowChange>, StoreError> {
        changes
            .iter()
            .map(|change| match change {
                TimerChange::Set(timer) => Ok((timer.slot(), Some(encode(timer)?))),
                TimerChange::Cancel(key) => Ok((crate::store::timer_slot(key, false), None)),
            })
            .collect()
    }

    /// See [`KvMirror::catch_up`].
    pub async fn catch_up(&self) -> Result<(), StoreError> {
        self.rows.catch_up().await
    }

    pub async fn write(&self, plugin: &str, changes: &[RowChange]) -> Result<(), StoreError> {
        self.rows.write(plugin, changes).await
    }

    fn parsed(&self, plugin: &str, schedules: bool) -> Vec<Timer> {
        let prefix = if schedules { "\u{0}" } else { "" };
        self.rows
            .rows(plugin, prefix)
            .into_iter()
            .filter(|(slot, _)| crate::store::is_schedule_slot(slot) == schedules)
            .filter_map(|(_, row)| serde_json::from_slice(&row).ok())
            .collect()
    }

    pub fn timers_of(&self, plugin: &str, max: usize) -> Vec<Timer> {
        let mut timers = self.parsed(plugin, false);
        timers.sort_by_key(|t| t.due_at);
        timers.truncate(max);
        timers
    }

    pub fn timer(&self, plugin: &str, key: &str) -> Option<Timer> {
        let row = self
            .rows
            .get(plugin, &crate::store::timer_slot(key, false))?;
        serde_json::from_slice(&row).ok()
    }

    /// Counted by slot, not parsed: the quota asks at every timer a plugin sets.
    pub fn timer_count(&self, plugin: &str) -> u64 {
        let mut count = 0;
        self.rows.each_key(plugin, |slot| {
            count += u64::from(!crate::store::is_schedule_slot(slot));
        });
        count
    }

    pub fn schedules_of(&self, plugin: &str) -> Vec<Timer> {
        self.parsed(plugin, true)
    }

    /// The row changes that make `schedules` the plugin's (an unchanged schedule keeps its
    /// due time; see `TimerStore::set_schedules`).
    pub fn schedule_changes(
        &self,
        plugin: &str,
        schedules: Vec<Timer>,
    ) -> Result<Vec<RowChange>, StoreError> {
        let before = self.schedules_of(plugin);
        let mut changes = Vec::new();
        for old in &before {
            if !schedules.iter().any(|s| s.key == old.key) {
                changes.push((old.slot(), None));
            }
        }
        for mut schedule in schedules {
            if let Some(old) = before
                .iter()
                .find(|o| o.key == schedule.key && o.schedule == schedule.schedule)
            {
                schedule.due_at = old.due_at;
            }
            changes.push((schedule.slot(), Some(encode(&schedule)?)));
        }
        Ok(changes)
    }

    /// Rows due at `now`, soonest first: only on the node that fires.
    pub fn due(&self, now: u64, max: usize) -> Vec<(String, Timer)> {
        if !self.firing.load(Ordering::SeqCst) {
            return Vec::new();
        }
        let mut due = Vec::new();
        self.rows.each(|plugin, _, row| {
            if let Ok(timer) = serde_json::from_slice::<Timer>(row) {
                if timer.due_at <= now {
                    due.push((plugin.to_string(), timer));
                }
            }
        });
        due.sort_by_key(|(_, t)| t.due_at);
        due.truncate(max);
        due
    }

    /// The firer looks again within a second whatever is due: rows set on other nodes, and
    /// the lease coming to this one, do not wake it.
    pub fn next_due(&self) -> u64 {
        let soon = now_ms() + LOOK_EVERY_MS;
        let mut next = soon;
        if self.firing.load(Ordering::SeqCst) {
            self.rows.each(|_, _, row| {
                if let Ok(timer) = serde_json::from_slice::<Timer>(row) {
                    next = next.min(timer.due_at);
                }
            });
        }
        next
    }

    /// Fires each row still stored unchanged: its event into the stream (deduplicated by the
    /// timer's identity), then the row out or on to its next instant.
    pub async fn fire(&self, firings: Vec<Firing>) -> Result<FireOutcome, StoreError> {
        let mut outcome = FireOutcome::default();
        if !self.firing.load(Ordering::SeqCst) {
            return Ok(outcome);
        }
        for mut firing in firings {
            let slot = firing.timer.slot();
            let stored = self.rows.get(&firing.plugin, &slot);
            let unchanged = stored
                .and_then(|row| serde_json::from_slice::<Timer>(&row).ok())
                .is_some_and(|t| t == firing.timer);
            if !unchanged {
                continue;
            }
            if firing.inbound.dedupe_key.is_none() {
                let t = &firing.timer;
                firing.inbound.dedupe_key =
                    Some(format!("timer/{}/{}/{}", firing.plugin, t.key, t.due_at));
            }
            self.events.publish(&firing.inbound).await?;
            let next = match firing.next_due {
                Some(due_at) => Some(encode(&Timer {
                    due_at,
                    ..firing.timer
                })?),
                None => None,
            };
            self.rows.write(&firing.plugin, &[(slot, next)]).await?;
            outcome.fired += 1;
        }
        Ok(outcome)
    }
}

fn encode(timer: &Timer) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(timer)
        .map_err(|e| StoreError::Backend(format!("cannot encode a timer: {e}")))
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
