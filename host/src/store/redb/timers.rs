//! Timers in redb: `TIMERS` by (plugin, slot), `TIMER_DUE` by (due, plugin, slot) for the
//! firer, `TIMER_COUNTS` for quotas. Commits change them in the commit's transaction (see
//! `batch`); firing runs in a shared transaction too, with the journal appends it makes.

use ::redb::{ReadableTable, WriteTransaction};

use super::batch::InBatch;
use super::tables::Tables;
use super::{backend, from_json, to_json, RedbStore, TIMERS, TIMER_COUNTS, TIMER_DUE};
use crate::model::Inbound;
use crate::store::timer::{is_schedule_slot, keep_instants, slot, FireSteps};
use crate::store::writes::Batch;
use crate::store::{Appended, FireOutcome, Firing, StoreError, Timer, TimerChange, TimerStore};

impl Tables<'_> {
    /// Applies a commit's change to `plugin`'s timers.
    pub fn apply_timer(&mut self, plugin: &str, change: &TimerChange) -> Result<(), StoreError> {
        match change {
            TimerChange::Set(timer) => self.put_timer(plugin, timer),
            TimerChange::Cancel(key) => self.take_timer(plugin, &slot(key, false)).map(drop),
        }
    }

    /// Stores a row, replacing the one in its slot.
    pub fn put_timer(&mut self, plugin: &str, timer: &Timer) -> Result<(), StoreError> {
        let slot = timer.slot();
        self.take_timer(plugin, &slot)?;
        let row = to_json(timer)?;
        self.timers
            .insert((plugin, slot.as_str()), row.as_slice())
            .map_err(backend)?;
        self.timer_due
            .insert((timer.due_at, plugin, slot.as_str()), ())
            .map_err(backend)?;
        if !is_schedule_slot(&slot) {
            self.count_timers(plugin, 1)?;
        }
        Ok(())
    }

    /// Removes the row in `slot`, returning it.
    pub fn take_timer(&mut self, plugin: &str, slot: &str) -> Result<Option<Timer>, StoreError> {
        let Some(row) = self
            .timers
            .remove((plugin, slot))
            .map_err(backend)?
            .map(|v| v.value().to_vec())
        else {
            return Ok(None);
        };
        let timer: Timer = from_json(&row)?;
        self.timer_due
            .remove((timer.due_at, plugin, slot))
            .map_err(backend)?;
        if !is_schedule_slot(slot) {
            self.count_timers(plugin, -1)?;
        }
        Ok(Some(timer))
    }

    fn count_timers(&mut self, plugin: &str, change: i64) -> Result<(), StoreError> {
        let count = self.timer_counts.get(plugin).map_err(backend)?;
        let count = count.map_or(0, |v| v.value()).saturating_add_signed(change);
        if count == 0 {
            self.timer_counts.remove(plugin).map_err(backend)?;
        } else {
            self.timer_counts.insert(plugin, count).map_err(backend)?;
        }
        Ok(())
    }
}

/// Firing on a batch's open tables.
impl FireSteps for InBatch<'_, '_> {
    fn stored(&mut self, plugin: &str, slot: &str) -> Result<Option<Timer>, StoreError> {
        match self.tables.timers.get((plugin, slot)).map_err(backend)? {
            Some(row) => Ok(Some(from_json(row.value())?)),
            None => Ok(None),
        }
    }

    fn append(&mut self, inbound: &Inbound) -> Result<Appended, StoreError> {
        let bytes = to_json(inbound)?;
        let key = inbound.dedupe_key.as_deref();
        Batch::append(self, &bytes, &inbound.bot, key, &[])
    }

    fn take(&mut self, plugin: &str, slot: &str) -> Result<(), StoreError> {
        self.tables.take_timer(plugin, slot).map(drop)
    }

    fn put(&mut self, plugin: &str, timer: &Timer) -> Result<(), StoreError> {
        self.tables.put_timer(plugin, timer)
    }
}

/// Decodes the rows of `plugin` that are schedules (`true`) or timers (`false`).
fn rows_of(
    table: &impl ReadableTable<(&'static str, &'static str), &'static [u8]>,
    plugin: &str,
    schedules: bool,
) -> Result<Vec<Timer>, StoreError> {
    let mut rows = Vec::new();
    for entry in table.range((plugin, "")..).map_err(backend)? {
        let (key, row) = entry.map_err(backend)?;
        let (p, slot) = key.value();
        if p != plugin {
            break;
        }
        if is_schedule_slot(slot) == schedules {
            rows.push(from_json(row.value())?);
        }
    }
    Ok(rows)
}

/// Replaces `plugin`'s schedule rows, keeping the due time of unchanged ones.
fn replace_schedules(
    tx: &WriteTransaction,
    plugin: &str,
    schedules: Vec<Timer>,
) -> Result<(), StoreError> {
    let mut tables = Tables::open(tx)?;
    let stored = rows_of(&tables.timers, plugin, true)?;
    for old in &stored {
        tables.take_timer(plugin, &slot(&old.key, true))?;
    }
    for schedule in keep_instants(stored, schedules) {
        tables.put_timer(plugin, &schedule)?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl TimerStore for RedbStore {
    fn timers_of(&self, plugin: &str, max: usize) -> Result<Vec<Timer>, StoreError> {
        let mut timers = self.file.read_tx(|tx| {
            let table = tx.open_table(TIMERS).map_err(backend)?;
            rows_of(&table, plugin, false)
        })?;
        timers.sort_by(|a, b| (a.due_at, &a.key).cmp(&(b.due_at, &b.key)));
        timers.truncate(max);
        Ok(timers)
    }

    fn timer(&self, plugin: &str, key: &str) -> Result<Option<Timer>, StoreError> {
        self.file.read_tx(|tx| {
            let table = tx.open_table(TIMERS).map_err(backend)?;
            let row = table.get((plugin, key)).map_err(backend)?;
            row.map(|row| from_json(row.value())).transpose()
        })
    }

    fn timer_count(&self, plugin: &str) -> Result<u64, StoreError> {
        self.file.read_tx(|tx| {
            let table = tx.open_table(TIMER_COUNTS).map_err(backend)?;
            let count = table.get(plugin).map_err(backend)?;
            Ok(count.map_or(0, |v| v.value()))
        })
    }

    fn schedules_of(&self, plugin: &str) -> Result<Vec<Timer>, StoreError> {
        self.file.read_tx(|tx| {
            let table = tx.open_table(TIMERS).map_err(backend)?;
            rows_of(&table, plugin, true)
        })
    }

    fn set_schedules(&self, plugin: &str, schedules: Vec<Timer>) -> Result<(), StoreError> {
        self.file
            .write_tx(|tx| replace_schedules(tx, plugin, schedules))
    }

    fn timers_due(&self, now: u64, max: usize) -> Result<Vec<(String, Timer)>, StoreError> {
        self.file.read_tx(|tx| {
            let due = tx.open_table(TIMER_DUE).map_err(backend)?;
            let timers = tx.open_table(TIMERS).map_err(backend)?;
            let mut rows = Vec::new();
            for entry in due.range((0, "", "")..).map_err(backend)?.take(max) {
                let (key, _) = entry.map_err(backend)?;
                let (at, plugin, slot) = key.value();
                if at > now {
                    break;
                }
                if let Some(row) = timers.get((plugin, slot)).map_err(backend)? {
                    rows.push((plugin.to_owned(), from_json(row.value())?));
                }
            }
            Ok(rows)
        })
    }

    fn next_due(&self) -> Result<Option<u64>, StoreError> {
        self.file.read_tx(|tx| {
            let due = tx.open_table(TIMER_DUE).map_err(backend)?;
            let first = due.first().map_err(backend)?;
            Ok(first.map(|(key, _)| key.value().0))
        })
    }

    fn fire(&self, firings: Vec<Firing>) -> Result<FireOutcome, StoreError> {
        futures::executor::block_on(self.fire_async(firings))
    }

    async fn fire_async(&self, firings: Vec<Firing>) -> Result<FireOutcome, StoreError> {
        self.writer.fire(firings).await
    }
}
