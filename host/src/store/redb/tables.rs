//! The tables a write transaction changes, opened once for the whole transaction.
//!
//! Opening a table looks it up in redb's table tree. The hot writes used to open three or four
//! tables per action or outcome (a quarter of a flood's commit time); a batch now opens each
//! table once, and the helpers below work on the open tables.

use ::redb::{ReadableTable, ReadableTableMetadata, Table, WriteTransaction};

use super::{backend, from_json, to_json, Owner, Stored};
use super::{
    DEAD, DEDUPE, DEDUPE_ORDER, FINISHED, JOURNAL, KV, MESSAGES, MESSAGE_ORDER, META, OUTBOX,
    OUTBOX_QUEUE, OUTBOX_WAITING, TIMERS, TIMER_COUNTS, TIMER_DUE,
};
use crate::model::Action;
use crate::store::{ActionId, Indexed, MessageKey, Seq, StoreError};

type Str = &'static str;

pub(super) struct Tables<'tx> {
    pub journal: Table<'tx, u64, &'static [u8]>,
    pub dedupe: Table<'tx, (Str, Str), u64>,
    pub dedupe_order: Table<'tx, u64, (Str, Str)>,
    pub finished: Table<'tx, (Str, u64), ()>,
    pub kv: Table<'tx, (Str, Str), &'static [u8]>,
    pub outbox: Table<'tx, u64, &'static [u8]>,
    pub outbox_queue: Table<'tx, (Str, Str, u64), ()>,
    pub outbox_waiting: Table<'tx, Str, u64>,
    pub dead: Table<'tx, u64, &'static [u8]>,
    pub messages: Table<'tx, (Str, Str, Str), &'static [u8]>,
    pub message_order: Table<'tx, u64, (Str, Str, Str)>,
    pub meta: Table<'tx, Str, u64>,
    pub timers: Table<'tx, (Str, Str), &'static [u8]>,
    pub timer_due: Table<'tx, (u64, Str, Str), ()>,
    pub timer_counts: Table<'tx, Str, u64>,
}

impl<'tx> Tables<'tx> {
    pub fn open(tx: &'tx WriteTransaction) -> Result<Self, StoreError> {
        Ok(Self {
            journal: tx.open_table(JOURNAL).map_err(backend)?,
            dedupe: tx.open_table(DEDUPE).map_err(backend)?,
            dedupe_order: tx.open_table(DEDUPE_ORDER).map_err(backend)?,
            finished: tx.open_table(FINISHED).map_err(backend)?,
            kv: tx.open_table(KV).map_err(backend)?,
            outbox: tx.open_table(OUTBOX).map_err(backend)?,
            outbox_queue: tx.open_table(OUTBOX_QUEUE).map_err(backend)?,
            outbox_waiting: tx.open_table(OUTBOX_WAITING).map_err(backend)?,
            dead: tx.open_table(DEAD).map_err(backend)?,
            messages: tx.open_table(MESSAGES).map_err(backend)?,
            message_order: tx.open_table(MESSAGE_ORDER).map_err(backend)?,
            meta: tx.open_table(META).map_err(backend)?,
            timers: tx.open_table(TIMERS).map_err(backend)?,
            timer_due: tx.open_table(TIMER_DUE).map_err(backend)?,
            timer_counts: tx.open_table(TIMER_COUNTS).map_err(backend)?,
        })
    }

    /// The current value of a counter.
    pub fn peek(&self, counter: &str) -> Result<u64, StoreError> {
        let value = self.meta.get(counter).map_err(backend)?;
        Ok(value.map_or(0, |v| v.value()))
    }

    /// Takes the next value of a counter.
    pub fn next(&mut self, counter: &str) -> Result<u64, StoreError> {
        let value = self.peek(counter)?;
        self.meta.insert(counter, value + 1).map_err(backend)?;
        Ok(value)
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
        self.outbox.insert(id, stored.as_slice()).map_err(backend)?;
        self.outbox_queue
            .insert((bot.as_str(), plugin, id), ())
            .map_err(backend)?;
        self.count_waiting(plugin, 1)?;
        Ok(id)
    }

    /// Removes an action from the outbox, returning its row (a JSON [`Stored`]).
    pub fn dequeue(&mut self, id: ActionId) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(row) = self
            .outbox
            .remove(id)
            .map_err(backend)?
            .map(|v| v.value().to_vec())
        else {
            return Ok(None);
        };
        let owner: Owner = serde_json::from_slice(&row).map_err(backend)?;
        let bot = match owner.bot {
            Some(bot) => bot.into_owned(),
            None => from_json::<Stored>(&row)?.action.chat().bot.clone(),
        };
        self.outbox_queue
            .remove((bot.as_str(), owner.plugin.as_ref(), id))
            .map_err(backend)?;
        self.count_waiting(&owner.plugin, -1)?;
        Ok(Some(row))
    }

    /// How many of `plugin`'s actions wait in the outbox.
    pub fn waiting_of(&self, plugin: &str) -> Result<u64, StoreError> {
        let waiting = self.outbox_waiting.get(plugin).map_err(backend)?;
        Ok(waiting.map_or(0, |v| v.value()))
    }

    /// Adds `change` (one more or one fewer) to `plugin`'s count of waiting actions.
    fn count_waiting(&mut self, plugin: &str, change: i64) -> Result<(), StoreError> {
        let waiting = self.waiting_of(plugin)?.saturating_add_signed(change);
        if waiting == 0 {
            self.outbox_waiting.remove(plugin).map_err(backend)?;
        } else {
            self.outbox_waiting
                .insert(plugin, waiting)
                .map_err(backend)?;
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
        self.dedupe.insert((bot, key), seq).map_err(backend)?;
        let n = self.next("dedupe_counter")?;
        self.dedupe_order.insert(n, (bot, key)).map_err(backend)?;
        while self.dedupe_order.len().map_err(backend)? as usize > limit {
            let Some((_, oldest)) = self.dedupe_order.pop_first().map_err(backend)? else {
                break;
            };
            let (b, k) = oldest.value();
            self.dedupe.remove((b, k)).map_err(backend)?;
        }
        Ok(())
    }

    /// Indexes a message, forgetting the oldest beyond `limit`.
    pub fn remember_message(
        &mut self,
        key: &MessageKey,
        indexed: &Indexed,
        limit: usize,
    ) -> Result<(), StoreError> {
        let k = (key.bot.as_str(), key.chat.as_str(), key.id.as_str());
        let known = if indexed.is_complete() {
            // Nothing earlier can add to it: write without reading first.
            let earlier = self.messages.insert(k, to_json(indexed)?.as_slice());
            earlier.map_err(backend)?.is_some()
        } else {
            let earlier: Option<Indexed> = match self.messages.get(k).map_err(backend)? {
                Some(bytes) => Some(from_json(bytes.value())?),
                None => None,
            };
            let known = earlier.is_some();
            let merged = match earlier {
                Some(earlier) => earlier.merge(indexed.clone()),
                None => indexed.clone(),
            };
            self.messages
                .insert(k, to_json(&merged)?.as_slice())
                .map_err(backend)?;
            known
        };
        if !known {
            let n = self.next("message_counter")?;
            self.message_order.insert(n, k).map_err(backend)?;
            self.forget_oldest_messages(limit)?;
        }
        Ok(())
    }

    fn forget_oldest_messages(&mut self, limit: usize) -> Result<(), StoreError> {
        while self.message_order.len().map_err(backend)? as usize > limit {
            let Some((_, oldest)) = self.message_order.pop_first().map_err(backend)? else {
                break;
            };
            let (b, c, i) = oldest.value();
            self.messages.remove((b, c, i)).map_err(backend)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use ::redb::{Database, ReadableTableMetadata};

    use super::*;
    use crate::test_fixtures::text_send;

    /// Rows written before the bot was stored beside the action still leave the queue.
    #[test]
    fn an_action_stored_without_its_bot_is_dequeued() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("old.redb")).unwrap();
        let tx = db.begin_write().unwrap();
        let mut tables = Tables::open(&tx).unwrap();
        let new = tables.enqueue("p", text_send("h1", "new")).unwrap();
        let old = tables.enqueue("p", text_send("h2", "old")).unwrap();
        let row = serde_json::json!({ "plugin": "p", "action": text_send("h2", "old") });
        let row = serde_json::to_vec(&row).unwrap();
        tables.outbox.insert(old, row.as_slice()).unwrap();
        assert_eq!(tables.waiting_of("p").unwrap(), 2);
        for id in [old, new] {
            let row = tables.dequeue(id).unwrap().unwrap();
            assert_eq!(from_json::<Stored>(&row).unwrap().plugin, "p");
        }
        assert!(tables.outbox_queue.is_empty().unwrap());
        assert_eq!(tables.waiting_of("p").unwrap(), 0);
        assert_eq!(tables.dequeue(new).unwrap(), None);
    }
}
