//! The in-memory store's timers: rows by (plugin, slot) and an index by due time, as redb
//! keeps them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{Inner, MemoryStore};
use crate::model::Inbound;
use crate::store::timer::{fire, is_schedule_slot, keep_instants, slot, FireSteps};
use crate::store::{Appended, FireOutcome, Firing, StoreError, Timer, TimerChange, TimerStore};

#[derive(Debug, Default)]
pub(super) struct Timers {
    rows: BTreeMap<(String, String), Timer>,
    due: BTreeSet<(u64, String, String)>,
    /// Timers (not schedules) per plugin.
    counts: HashMap<String, u64>,
}

impl Timers {
    /// Applies a commit's change.
    pub(super) fn apply(&mut self, plugin: &str, change: TimerChange) {
        match change {
            TimerChange::Set(timer) => self.insert(plugin, timer),
            TimerChange::Cancel(key) => {
                self.remove(plugin, &slot(&key, false));
            }
        }
    }

    fn insert(&mut self, plugin: &str, timer: Timer) {
        let slot = timer.slot();
        self.remove(plugin, &slot);
        self.due
            .insert((timer.due_at, plugin.to_owned(), slot.clone()));
        if !is_schedule_slot(&slot) {
            *self.counts.entry(plugin.to_owned()).or_default() += 1;
        }
        self.rows.insert((plugin.to_owned(), slot), timer);
    }

    fn remove(&mut self, plugin: &str, slot: &str) -> Option<Timer> {
        let timer = self.rows.remove(&(plugin.to_owned(), slot.to_owned()))?;
        self.due
            .remove(&(timer.due_at, plugin.to_owned(), slot.to_owned()));
        if !is_schedule_slot(slot) {
            if let Some(n) = self.counts.get_mut(plugin) {
                *n -= 1;
                if *n == 0 {
                    self.counts.remove(plugin);
                }
            }
        }
        Some(timer)
    }

    /// The rows of `plugin`, schedules or timers.
    fn of<'a>(&'a self, plugin: &'a str, schedules: bool) -> impl Iterator<Item = &'a Timer> + 'a {
        let start = (plugin.to_owned(), String::new());
        self.rows
            .range(start..)
            .take_while(move |((p, _), _)| p == plugin)
            .filter(move |((_, s), _)| is_schedule_slot(s) == schedules)
            .map(|(_, timer)| timer)
    }
}

impl TimerStore for MemoryStore {
    fn timers_of(&self, plugin: &str, max: usize) -> Result<Vec<Timer>, StoreError> {
        let inner = self.lock()?;
        let mut timers: Vec<Timer> = inner.timers.of(plugin, false).cloned().collect();
        timers.sort_by(|a, b| (a.due_at, &a.key).cmp(&(b.due_at, &b.key)));
        timers.truncate(max);
        Ok(timers)
    }

    fn timer(&self, plugin: &str, key: &str) -> Result<Option<Timer>, StoreError> {
        let key = (plugin.to_owned(), slot(key, false));
        Ok(self.lock()?.timers.rows.get(&key).cloned())
    }

    fn timer_count(&self, plugin: &str) -> Result<u64, StoreError> {
        Ok(self.lock()?.timers.counts.get(plugin).copied().unwrap_or(0))
    }

    fn schedules_of(&self, plugin: &str) -> Result<Vec<Timer>, StoreError> {
        Ok(self.lock()?.timers.of(plugin, true).cloned().collect())
    }

    fn set_schedules(&self, plugin: &str, schedules: Vec<Timer>) -> Result<(), StoreError> {
        let mut inner = self.lock()?;
        let timers = &mut inner.timers;
        let stored: Vec<Timer> = timers.of(plugin, true).cloned().collect();
        for old in &stored {
            timers.remove(plugin, &slot(&old.key, true));
        }
        for schedule in keep_instants(stored, schedules) {
            timers.insert(plugin, schedule);
        }
        Ok(())
    }

    fn timers_due(&self, now: u64, max: usize) -> Result<Vec<(String, Timer)>, StoreError> {
        let inner = self.lock()?;
        let timers = &inner.timers;
        Ok(timers
            .due
            .iter()
            .take_while(|(due, _, _)| *due <= now)
            .take(max)
            .filter_map(|(_, plugin, slot)| {
                let timer = timers.rows.get(&(plugin.clone(), slot.clone()))?;
                Some((plugin.clone(), timer.clone()))
            })
            .collect())
    }

    fn next_due(&self) -> Result<Option<u64>, StoreError> {
        Ok(self.lock()?.timers.due.first().map(|(due, _, _)| *due))
    }

    fn fire(&self, firings: Vec<Firing>) -> Result<FireOutcome, StoreError> {
        let mut inner = self.lock()?;
        let mut steps = Steps {
            store: self,
            inner: &mut inner,
        };
        fire(&mut steps, firings)
    }
}

/// [`FireSteps`] under the store's lock.
struct Steps<'a> {
    store: &'a MemoryStore,
    inner: &'a mut Inner,
}

impl FireSteps for Steps<'_> {
    fn stored(&mut self, plugin: &str, slot: &str) -> Result<Option<Timer>, StoreError> {
        let key = (plugin.to_owned(), slot.to_owned());
        Ok(self.inner.timers.rows.get(&key).cloned())
    }

    fn append(&mut self, inbound: &Inbound) -> Result<Appended, StoreError> {
        self.store.append_in(self.inner, inbound, &[])
    }

    fn take(&mut self, plugin: &str, slot: &str) -> Result<(), StoreError> {
        self.inner.timers.remove(plugin, slot);
        Ok(())
    }

    fn put(&mut self, plugin: &str, timer: &Timer) -> Result<(), StoreError> {
        self.inner.timers.insert(plugin, timer.clone());
        Ok(())
    }
}
