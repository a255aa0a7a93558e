//! A write transaction over the partitions, with the row-level steps every write is made of:
//! counters, the outbox and its queue, the bounded dedupe keys and message index.

use fjall::{PersistMode, TxPartitionHandle, WriteTransaction};

use super::keys::{self, Key};
use super::{backend, from_json, to_json, Parts, Space};
use crate::model::Action;
use crate::store::redb::Stored;
use crate::store::{ActionId, Indexed, MessageKey, Seq, StoreError};

/// A row as read: key and value.
pub(super) type Row = (Vec<u8>, Vec<u8>);

pub(super) struct Tx<'a> {
    tx: WriteTransaction<'a>,
    pub parts: &'a Parts,
    space: &'a Space,
}

impl<'a> Tx<'a> {
    /// A transaction fsynced on commit (`Some`) or written to the OS only (`None`).
    pub fn new(space: &'a Space, durability: Option<PersistMode>) -> Self {
        Self {
            tx: space.keyspace.write_tx().durability(durability),
            parts: &space.parts,
            space,
        }
    }

    pub fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().map_err(backend)
    }

    pub fn get(&self, part: &TxPartitionHandle, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let value = self.tx.get(part, key).map_err(backend)?;
        Ok(value.map(|v| v.to_vec()))
    }

    pub fn contains(&self, part: &TxPartitionHandle, key: &[u8]) -> Result<bool, StoreError> {
        self.tx.contains_key(part, key).map_err(backend)
    }

    pub fn insert(&mut self, part: &TxPartitionHandle, key: &[u8], value: &[u8]) {
        self.tx.insert(part, key, value);
    }

    /// Removes a row, returning it.
    pub fn take(
        &mut self,
        part: &TxPartitionHandle,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let value = self.tx.take(part, key).map_err(backend)?;
        Ok(value.map(|v| v.to_vec()))
    }

    pub fn remove(&mut self, part: &TxPartitionHandle, key: &[u8]) {
        self.tx.remove(part, key);
    }

    /// The keys (with values) of `part` from `from` (inclusive) up to `to` (exclusive).
    pub fn range(
        &self,
        part: &TxPartitionHandle,
        from: Vec<u8>,
        to: Vec<u8>,
    ) -> Result<Vec<Row>, StoreError> {
        self.tx
            .range(part, from..to)
            .map(|kv| kv.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(backend))
            .collect()
    }

    /// The rows of `part` whose keys start with `prefix`.
    pub fn prefixed(
        &self,
        part: &TxPartitionHandle,
        prefix: &[u8],
    ) -> Result<Vec<Row>, StoreError> {
        self.tx
            .prefix(part, prefix)
            .map(|kv| kv.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(backend))
            .collect()
    }

    /// The first row of `part`.
    pub fn first(&self, part: &TxPartitionHandle) -> Result<Option<Row>, StoreError> {
        let first = self.tx.first_key_value(part).map_err(backend)?;
        Ok(first.map(|(k, v)| (k.to_vec(), v.to_vec())))
    }

    /// The current value of a counter.
    pub fn peek(&self, counter: &str) -> Result<u64, StoreError> {
        match self.get(&self.parts.meta, counter.as_bytes())? {
            Some(value) => keys::decode_num(&value),
            None => Ok(0),
        }
    }

    /// Adds `change` to a counter (at least 0), returning its new value.
    pub fn add(&mut self, counter: &str, change: i64) -> Result<u64, StoreError> {
        let value = self.peek(counter)?.saturating_add_signed(change);
        let meta = &self.parts.meta;
        self.tx.insert(meta, counter.as_bytes(), keys::num(value));
        Ok(value)
    }

    /// Takes the next value of a counter.
    pub fn next(&mut self, counter: &str) -> Result<u64, StoreError> {
        Ok(self.add(counter, 1)? - 1)
    }

    /// Adds an action to the outbox under a new id.
    pub fn enqueue(&mut self, plugin: &str, action: Action) -> Result<ActionId, StoreError> {
        let id = self.next("next_action")?;
        let bot = action.chat().bot.clone();
        let stored = to_json(&Stored {
            plugin: plugin.to_string(),
            bot: Some(bot.clone()),
            action,
        })?;
        let parts = self.parts;
        self.insert(&parts.outbox, &keys::num(id), &stored);
        let queued = Key::new().text(&bot).text(plugin).num(id).bytes();
        self.insert(&parts.outbox_queue, &queued, &[]);
        // A new bot and plugin pair starts from 0: nothing of it was ever removed.
        let mut floors = self.space.floors();
        let plugins = floors.outbox.entry(bot).or_default();
        if !plugins.contains_key(plugin) {
            plugins.insert(plugin.to_string(), 0);
        }
        drop(floors);
        self.add("outbox_len", 1)?;
        self.count_waiting(plugin, 1)?;
        Ok(id)
    }

    /// Removes an action from the outbox, returning it.
    pub fn dequeue(&mut self, id: ActionId) -> Result<Option<Stored>, StoreError> {
        let parts = self.parts;
        let Some(row) = self.take(&parts.outbox, &keys::num(id))? else {
            return Ok(None);
        };
        let stored: Stored = from_json(&row)?;
        let bot = match &stored.bot {
            Some(bot) => bot.clone(),
            None => stored.action.chat().bot.clone(),
        };
        let queued = Key::new().text(&bot).text(&stored.plugin).num(id).bytes();
        self.remove(&parts.outbox_queue, &queued);
        self.add("outbox_len", -1)?;
        self.count_waiting(&stored.plugin, -1)?;
        Ok(Some(stored))
    }

    /// How many of `plugin`'s actions wait in the outbox.
    pub fn waiting_of(&self, plugin: &str) -> Result<u64, StoreError> {
        match self.get(&self.parts.outbox_waiting, plugin.as_bytes())? {
            Some(value) => keys::decode_num(&value),
            None => Ok(0),
        }
    }

    fn count_waiting(&mut self, plugin: &str, change: i64) -> Result<(), StoreError> {
        let waiting = self.waiting_of(plugin)?.saturating_add_signed(change);
        let part = &self.parts.outbox_waiting;
        if waiting == 0 {
            self.tx.remove(part, plugin.as_bytes());
        } else {
            self.tx.insert(part, plugin.as_bytes(), keys::num(waiting));
        }
        Ok(())
    }

    /// Remembers a platform event id, forgetting the oldest beyond `limit`.
    pub fn remember_dedupe(
        &mut self,
        bot: &str,
        key: &str,
        seq: Seq,
        limit: usize,
    ) -> Result<(), StoreError> {
        let parts = self.parts;
        let row = Key::new().text(bot).tail(key).bytes();
        self.insert(&parts.dedupe, &row, &keys::num(seq));
        let n = self.next("dedupe_counter")?;
        self.insert(&parts.dedupe_order, &keys::num(n), &row);
        self.forget_oldest(&parts.dedupe_order, &parts.dedupe, "dedupe", n + 1, limit)
    }

    /// Indexes a message, forgetting the oldest beyond `limit`.
    pub fn remember_message(
        &mut self,
        key: &MessageKey,
        indexed: &Indexed,
        limit: usize,
    ) -> Result<(), StoreError> {
        let parts = self.parts;
        let row = Key::new()
            .text(&key.bot)
            .text(&key.chat)
            .tail(&key.id)
            .bytes();
        let (merged, known) = if indexed.is_complete() {
            // Nothing earlier can add to it: no need to read it.
            (indexed.clone(), self.contains(&parts.messages, &row)?)
        } else {
            match self.get(&parts.messages, &row)? {
                Some(earlier) => (from_json::<Indexed>(&earlier)?.merge(indexed.clone()), true),
                None => (indexed.clone(), false),
            }
        };
        self.insert(&parts.messages, &row, &to_json(&merged)?);
        if !known {
            let n = self.next("message_counter")?;
            self.insert(&parts.message_order, &keys::num(n), &row);
            let order = &parts.message_order;
            self.forget_oldest(order, &parts.messages, "message", n + 1, limit)?;
        }
        Ok(())
    }

    /// Removes the oldest rows of an order partition, and the rows they name, while more
    /// than `limit` are numbered below `next`. The numbers are contiguous from the counter
    /// `{kind}_first` on, so the oldest is found by its number: an LSM tree would have to step
    /// over the tombstones of every row forgotten before to find the first one.
    fn forget_oldest(
        &mut self,
        order: &TxPartitionHandle,
        rows: &TxPartitionHandle,
        kind: &str,
        next: u64,
        limit: usize,
    ) -> Result<(), StoreError> {
        let counter = format!("{kind}_first");
        let mut first = self.peek(&counter)?;
        while next - first > limit as u64 {
            if let Some(row) = self.take(order, &keys::num(first))? {
                self.remove(rows, &row);
            }
            first += 1;
        }
        let meta = &self.parts.meta;
        self.tx.insert(meta, counter.as_bytes(), keys::num(first));
        Ok(())
    }

    /// Marks `seq` finished for `plugin`; `false` if it was already.
    pub fn finish(&mut self, plugin: &str, seq: Seq) -> Result<bool, StoreError> {
        let parts = self.parts;
        let key = marker(seq, plugin);
        if self.contains(&parts.finished, &key)? {
            return Ok(false);
        }
        self.insert(&parts.finished, &key, &[]);
        Ok(true)
    }
}

/// The key of `plugin`'s finished-marker of `seq`: by seq first, so a release removes the
/// markers of every plugin in one range that starts where the last one ended.
pub(super) fn marker(seq: Seq, plugin: &str) -> Vec<u8> {
    Key::new().num(seq).tail(plugin).bytes()
}
