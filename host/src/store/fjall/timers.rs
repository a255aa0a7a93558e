//! Timers in fjall: `timers` by (plugin, slot), `timer_due` by (due, plugin, slot) for the
//! firer, `timer_counts` for quotas. Commits change them in the commit's transaction; firing
//! runs in a shared transaction with the journal appends it makes.

use super::batch::InBatch;
use super::keys::{self, Key, Reader};
use super::tx::Tx;
use super::{backend, from_json, to_json, FjallStore};
use crate::model::Inbound;
use crate::store::timer::{is_schedule_slot, keep_instants, slot, FireSteps};
use crate::store::writes::Batch;
use crate::store::{FireOutcome, Firing, StoreError, Timer, TimerChange, TimerStore};

fn row_key(plugin: &str, slot: &str) -> Vec<u8> {
    Key::new().text(plugin).tail(slot).bytes()
}

fn due_key(due: u64, plugin: &str, slot: &str) -> Vec<u8> {
    Key::new().num(due).text(plugin).tail(slot).bytes()
}

impl Tx<'_> {
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
        let parts = self.parts;
        self.insert(&parts.timers, &row_key(plugin, &slot), &to_json(timer)?);
        self.insert(&parts.timer_due, &due_key(timer.due_at, plugin, &slot), &[]);
        if !is_schedule_slot(&slot) {
            self.count_timers(plugin, 1)?;
        }
        Ok(())
    }

    /// Removes the row in `slot`, returning it.
    pub fn take_timer(&mut self, plugin: &str, slot: &str) -> Result<Option<Timer>, StoreError> {
        let parts = self.parts;
        let Some(row) = self.take(&parts.timers, &row_key(plugin, slot))? else {
            return Ok(None);
        };
        let timer: Timer = from_json(&row)?;
        self.remove(&parts.timer_due, &due_key(timer.due_at, plugin, slot));
        if !is_schedule_slot(slot) {
            self.count_timers(plugin, -1)?;
        }
        Ok(Some(timer))
    }

    fn count_timers(&mut self, plugin: &str, change: i64) -> Result<(), StoreError> {
        let parts = self.parts;
        let count = match self.get(&parts.timer_counts, plugin.as_bytes())? {
            Some(value) => keys::decode_num(&value)?,
            None => 0,
        };
        match count.saturating_add_signed(change) {
            0 => self.remove(&parts.timer_counts, plugin.as_bytes()),
            n => self.insert(&parts.timer_counts, plugin.as_bytes(), &keys::num(n)),
        }
        Ok(())
    }
}

/// Of `plugin`'s rows (as read by a prefix scan of `timers`), those that are schedules
/// (`true`) or timers (`false`).
fn pick(
    plugin: &str,
    rows: Vec<super::tx::Row>,
    schedules: bool,
) -> Result<Vec<Timer>, StoreError> {
    let skip = plugin_prefix(plugin).len();
    let mut picked = Vec::new();
    for (key, row) in rows {
        if (key.get(skip) == Some(&0)) == schedules {
            picked.push(from_json(&row)?);
        }
    }
    Ok(picked)
}

fn plugin_prefix(plugin: &str) -> Vec<u8> {
    Key::new().text(plugin).bytes()
}

/// Firing on a batch's transaction.
impl FireSteps for InBatch<'_, '_> {
    fn stored(&mut self, plugin: &str, slot: &str) -> Result<Option<Timer>, StoreError> {
        let parts = self.tx.parts;
        match self.tx.get(&parts.timers, &row_key(plugin, slot))? {
            Some(row) => Ok(Some(from_json(&row)?)),
            None => Ok(None),
        }
    }

    fn append(&mut self, inbound: &Inbound) -> Result<crate::store::Appended, StoreError> {
        let bytes = to_json(inbound)?;
        let key = inbound.dedupe_key.as_deref();
        Batch::append(self, &bytes, &inbound.bot, key, &[])
    }

    fn take(&mut self, plugin: &str, slot: &str) -> Result<(), StoreError> {
        self.tx.take_timer(plugin, slot).map(drop)
    }

    fn put(&mut self, plugin: &str, timer: &Timer) -> Result<(), StoreError> {
        self.tx.put_timer(plugin, timer)
    }
}

#[async_trait::async_trait]
impl TimerStore for FjallStore {
    fn timers_of(&self, plugin: &str, max: usize) -> Result<Vec<Timer>, StoreError> {
        let rows = self
            .space
            .prefixed(&self.space.parts.timers, &plugin_prefix(plugin))?;
        let mut timers = pick(plugin, rows, false)?;
        timers.sort_by(|a, b| (a.due_at, &a.key).cmp(&(b.due_at, &b.key)));
        timers.truncate(max);
        Ok(timers)
    }

    fn timer(&self, plugin: &str, key: &str) -> Result<Option<Timer>, StoreError> {
        let row = self.space.parts.timers.get(row_key(plugin, key));
        match row.map_err(backend)? {
            Some(row) => Ok(Some(from_json(&row)?)),
            None => Ok(None),
        }
    }

    fn timer_count(&self, plugin: &str) -> Result<u64, StoreError> {
        match self.space.parts.timer_counts.get(plugin).map_err(backend)? {
            Some(value) => keys::decode_num(&value),
            None => Ok(0),
        }
    }

    fn schedules_of(&self, plugin: &str) -> Result<Vec<Timer>, StoreError> {
        let rows = self
            .space
            .prefixed(&self.space.parts.timers, &plugin_prefix(plugin))?;
        pick(plugin, rows, true)
    }

    fn set_schedules(&self, plugin: &str, schedules: Vec<Timer>) -> Result<(), StoreError> {
        self.space.write_tx(|tx| {
            let rows = tx.prefixed(&tx.parts.timers, &plugin_prefix(plugin))?;
            let stored = pick(plugin, rows, true)?;
            for old in &stored {
                tx.take_timer(plugin, &slot(&old.key, true))?;
            }
            for schedule in keep_instants(stored, schedules) {
                tx.put_timer(plugin, &schedule)?;
            }
            Ok(())
        })
    }

    fn timers_due(&self, now: u64, max: usize) -> Result<Vec<(String, Timer)>, StoreError> {
        let parts = &self.space.parts;
        let snapshot = self.space.keyspace.read_tx();
        let mut rows = Vec::new();
        for entry in snapshot.iter(&parts.timer_due).take(max) {
            let (key, _) = entry.map_err(backend)?;
            let mut reader = Reader::new(&key);
            if reader.num()? > now {
                break;
            }
            let plugin = reader.text()?;
            let slot = reader.tail()?;
            let row = snapshot.get(&parts.timers, row_key(&plugin, &slot));
            if let Some(row) = row.map_err(backend)? {
                rows.push((plugin, from_json(&row)?));
            }
        }
        Ok(rows)
    }

    fn next_due(&self) -> Result<Option<u64>, StoreError> {
        match self
            .space
            .parts
            .timer_due
            .first_key_value()
            .map_err(backend)?
        {
            Some((key, _)) => Ok(Some(Reader::new(&key).num()?)),
            None => Ok(None),
        }
    }

    fn fire(&self, firings: Vec<Firing>) -> Result<FireOutcome, StoreError> {
        futures::executor::block_on(self.fire_async(firings))
    }

    async fn fire_async(&self, firings: Vec<Firing>) -> Result<FireOutcome, StoreError> {
        self.writer.fire(firings).await
    }
}
