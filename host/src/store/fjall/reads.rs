//! The facets on the fjall store: reads from snapshots, hot writes through the writer, rare
//! writes in their own durable transaction.

use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::Ordering;

use fjall::TxPartitionHandle;

use super::keys::{self, Key, Reader};
use super::{backend, from_json, FjallStore, Space};
use crate::model::Inbound;
use crate::store::redb::Stored;
use crate::store::writes::Write;
use crate::store::{
    ActionId, Appended, CompletionStore, DeadLetter, DeadLetterStore, DeliveryOutcome, Indexed,
    JournalStore, KvStore, MessageIndex, MessageKey, OutboxStore, Outcome, Pending, Seq, Store,
    StoreError, Uncommitted,
};

type Rows = Vec<super::tx::Row>;

impl Space {
    /// Raises the outbox floor of `bot` and `plugin` to `id` (never lowers it).
    fn raise_outbox_floor(&self, bot: &str, plugin: &str, id: ActionId) {
        let mut floors = self.floors();
        let floor = floors.outbox.get_mut(bot).and_then(|p| p.get_mut(plugin));
        if let Some(floor) = floor {
            *floor = (*floor).max(id);
        }
    }

    /// The rows of `part` whose keys start with `prefix`, from one snapshot.
    pub(super) fn prefixed(
        &self,
        part: &TxPartitionHandle,
        prefix: &[u8],
    ) -> Result<Rows, StoreError> {
        let snapshot = self.keyspace.read_tx();
        snapshot
            .prefix(part, prefix)
            .map(|kv| kv.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(backend))
            .collect()
    }
}

#[async_trait::async_trait]
impl JournalStore for FjallStore {
    fn append(&self, inbound: &Inbound, messages: &[MessageKey]) -> Result<Appended, StoreError> {
        futures::executor::block_on(self.append_async(inbound, messages))
    }

    async fn append_async(
        &self,
        inbound: &Inbound,
        messages: &[MessageKey],
    ) -> Result<Appended, StoreError> {
        self.writer.append(inbound, messages).await
    }

    fn read(&self, from: Seq, max: usize) -> Result<Vec<(Seq, Inbound)>, StoreError> {
        let snapshot = self.space.keyspace.read_tx();
        let mut events = Vec::new();
        for entry in snapshot
            .range(&self.space.parts.journal, keys::num(from)..)
            .take(max)
        {
            let (seq, bytes) = entry.map_err(backend)?;
            events.push((keys::decode_num(&seq)?, from_json(&bytes)?));
        }
        Ok(events)
    }

    fn head(&self) -> Result<Seq, StoreError> {
        self.space.counter("next_seq")
    }

    fn release_before(&self, seq: Seq, keep: &BTreeSet<Seq>) -> Result<(), StoreError> {
        let floor = self.space.floors().journal;
        if seq <= floor {
            return Ok(());
        }
        self.space.write_tx(|tx| {
            let parts = tx.parts;
            let (from, to) = (keys::num(floor).to_vec(), keys::num(seq).to_vec());
            let mut released = 0;
            for (key, _) in tx.range(&parts.journal, from.clone(), to.clone())? {
                if !keep.contains(&keys::decode_num(&key)?) {
                    tx.remove(&parts.journal, &key);
                    released += 1;
                }
            }
            tx.add("journal_len", -released)?;
            // Markers are keyed by seq first: the same range holds every plugin's.
            for (key, _) in tx.range(&parts.finished, from, to)? {
                if !keep.contains(&Reader::new(&key).num()?) {
                    tx.remove(&parts.finished, &key);
                }
            }
            Ok(())
        })?;
        let kept = keep.range(floor..seq).next().copied();
        let mut floors = self.space.floors();
        floors.journal = floors.journal.max(kept.unwrap_or(seq));
        Ok(())
    }

    fn places(&self) -> Result<Vec<(String, Seq)>, StoreError> {
        let rows = self.space.prefixed(&self.space.parts.places, &[])?;
        rows.into_iter()
            .map(|(plugin, seq)| {
                let plugin = Reader::new(&plugin).tail()?;
                Ok((plugin, keys::decode_num(&seq)?))
            })
            .collect()
    }

    fn save_places(&self, places: &[(String, Seq)]) -> Result<(), StoreError> {
        self.space.write_tx(|tx| {
            let parts = tx.parts;
            for (plugin, _) in tx.prefixed(&parts.places, &[])? {
                tx.remove(&parts.places, &plugin);
            }
            for (plugin, seq) in places {
                tx.insert(&parts.places, plugin.as_bytes(), &keys::num(*seq));
            }
            Ok(())
        })
    }
}

#[async_trait::async_trait]
impl CompletionStore for FjallStore {
    fn is_finished(&self, plugin: &str, seq: Seq) -> Result<bool, StoreError> {
        let key = super::tx::marker(seq, plugin);
        self.space.parts.finished.contains_key(key).map_err(backend)
    }

    fn commit_all(&self, plugin: &str, outcomes: Vec<Outcome>) -> Result<(), Uncommitted> {
        futures::executor::block_on(self.writer.commit_in_parts(plugin, outcomes))
    }

    async fn commit_all_async(
        &self,
        plugin: &str,
        outcomes: Vec<Outcome>,
    ) -> Result<(), Uncommitted> {
        self.writer.commit_in_parts(plugin, outcomes).await
    }

    fn sync(&self) -> Result<(), StoreError> {
        futures::executor::block_on(self.sync_async())
    }

    async fn sync_async(&self) -> Result<(), StoreError> {
        let next = self.space.counter("next_action")?;
        if next > self.space.durable_actions.load(Ordering::Acquire) {
            self.writer.submit(Write::Sync).await?;
        }
        Ok(())
    }

    fn unflushed(&self) -> bool {
        self.space.unflushed.load(Ordering::Acquire)
    }
}

impl KvStore for FjallStore {
    fn kv_get(&self, plugin: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row = Key::new().text(plugin).tail(key).bytes();
        let value = self.space.parts.kv.get(row).map_err(backend)?;
        Ok(value.map(|v| v.to_vec()))
    }

    fn kv_list(&self, plugin: &str, prefix: &str) -> Result<Vec<String>, StoreError> {
        let rows = Key::new().text(plugin).tail(prefix).bytes();
        let skip = Key::new().text(plugin).bytes().len();
        self.space
            .prefixed(&self.space.parts.kv, &rows)?
            .into_iter()
            .map(|(key, _)| Reader::new(&key[skip..]).tail())
            .collect()
    }

    fn kv_usage(&self, plugin: &str) -> Result<u64, StoreError> {
        let prefix = Key::new().text(plugin).bytes();
        let rows = self.space.prefixed(&self.space.parts.kv, &prefix)?;
        Ok(rows
            .iter()
            .map(|(key, value)| (key.len() - prefix.len() + value.len()) as u64)
            .sum())
    }
}

#[async_trait::async_trait]
impl OutboxStore for FjallStore {
    fn outbox_pending(
        &self,
        bot: &str,
        per_plugin: usize,
        known: &HashSet<ActionId>,
        ended: &HashSet<ActionId>,
    ) -> Result<Vec<Pending>, StoreError> {
        let durable = self.space.durable_actions.load(Ordering::Acquire);
        let parts = &self.space.parts;
        let snapshot = self.space.keyspace.read_tx();
        let plugins = self
            .space
            .floors()
            .outbox
            .get(bot)
            .cloned()
            .unwrap_or_default();
        let mut pending = Vec::new();
        for (plugin, floor) in plugins {
            let prefix = Key::new().text(bot).text(&plugin).bytes();
            let from = Key::new().text(bot).text(&plugin).num(floor).bytes();
            let mut ids = snapshot
                .range(&parts.outbox_queue, from..)
                .map(|kv| kv.map_err(backend))
                .take_while(|kv| {
                    kv.as_ref()
                        .map_or(true, |(key, _)| key.starts_with(&prefix))
                })
                .map(|kv| keys::decode_num(&kv?.0[prefix.len()..]))
                .peekable();
            // Nothing below the first id queued now (or below `durable`, if none is) can be
            // queued again: ids only grow.
            let first = match ids.peek() {
                Some(Ok(id)) => (*id).min(durable),
                _ => durable,
            };
            let ids = ids
                .filter(|id| !id.as_ref().is_ok_and(|id| ended.contains(id)))
                .take(per_plugin);
            for id in ids {
                let id = id?;
                if id >= durable {
                    break; // not on disk yet: a crash could still take it back
                }
                if known.contains(&id) {
                    continue;
                }
                let row = snapshot
                    .get(&parts.outbox, keys::num(id))
                    .map_err(backend)?;
                if let Some(row) = row {
                    let stored: Stored = from_json(&row)?;
                    pending.push(Pending {
                        id,
                        plugin: stored.plugin,
                        action: stored.action,
                    });
                }
            }
            self.space.raise_outbox_floor(bot, &plugin, first);
        }
        Ok(pending)
    }

    fn outbox_record(&self, outcomes: Vec<(ActionId, DeliveryOutcome)>) -> Result<(), StoreError> {
        futures::executor::block_on(self.writer.record_in_parts(outcomes))
    }

    async fn outbox_record_async(
        &self,
        outcomes: Vec<(ActionId, DeliveryOutcome)>,
    ) -> Result<(), StoreError> {
        self.writer.record_in_parts(outcomes).await
    }
}

impl DeadLetterStore for FjallStore {
    fn dead_letters(&self, max: usize) -> Result<Vec<DeadLetter>, StoreError> {
        let snapshot = self.space.keyspace.read_tx();
        snapshot
            .iter(&self.space.parts.dead)
            .take(max)
            .map(|kv| from_json(&kv.map_err(backend)?.1))
            .collect()
    }

    fn dead_retry(&self, id: ActionId) -> Result<bool, StoreError> {
        self.space.write_tx(|tx| {
            let parts = tx.parts;
            let Some(row) = tx.take(&parts.dead, &keys::num(id))? else {
                return Ok(false);
            };
            tx.add("dead_len", -1)?;
            let letter: DeadLetter = from_json(&row)?;
            tx.enqueue(&letter.plugin, letter.action)?;
            Ok(true)
        })
    }

    fn dead_drop(&self, id: ActionId) -> Result<bool, StoreError> {
        self.space.write_tx(|tx| {
            let parts = tx.parts;
            let dropped = tx.take(&parts.dead, &keys::num(id))?.is_some();
            if dropped {
                tx.add("dead_len", -1)?;
            }
            Ok(dropped)
        })
    }
}

impl MessageIndex for FjallStore {
    fn index_message(&self, key: MessageKey, indexed: Indexed) -> Result<(), StoreError> {
        let limit = self.space.limits.messages;
        self.space
            .write_tx(|tx| tx.remember_message(&key, &indexed, limit))
    }

    fn lookup_message(&self, key: &MessageKey) -> Result<Option<Indexed>, StoreError> {
        let row = Key::new()
            .text(&key.bot)
            .text(&key.chat)
            .tail(&key.id)
            .bytes();
        match self.space.parts.messages.get(row).map_err(backend)? {
            Some(bytes) => Ok(Some(from_json(&bytes)?)),
            None => Ok(None),
        }
    }
}

#[async_trait::async_trait]
impl Store for FjallStore {
    fn flush(&self) -> Result<(), StoreError> {
        futures::executor::block_on(self.flush_async())
    }

    async fn flush_async(&self) -> Result<(), StoreError> {
        if self.unflushed() {
            self.writer.submit(Write::Sync).await?;
        }
        Ok(())
    }
}
