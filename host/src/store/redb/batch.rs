//! The hot writes (`store::writes`: accepting an event, committing a plugin's handling of one,
//! recording a delivery's outcome) run in shared transactions (group commit, see
//! `store::group`): one fsync for every write that arrived while the previous transaction was
//! being written.
//!
//! What is written without an fsync (redb's `Durability::None`) is visible at once and made
//! durable by the next durable transaction, which persists everything before it; a crash loses
//! a suffix of such writes, never a middle part. Two kinds of write go that way:
//! - a commit without actions (only kv writes, or nothing): a crash replays its event;
//! - delivery outcomes: a crash delivers their actions again (delivery is at least once
//!   anyway; the outbox's flusher bounds how far back, see `outbox`).
//!
//! A commit with actions is durable: its actions cannot leave before it is, and an fsync in its
//! own batch (shared with the accepts and commits around it) is cheaper than the outbox asking
//! the writer for one afterwards. A long commit is written in parts and only its last part
//! waits for the fsync. The outbox hands out only actions a durable transaction covers
//! (`durable_actions`), and `sync` makes the rest durable if it finds any (the earlier parts
//! of a commit still being written).

use std::sync::atomic::Ordering;

use ::redb::{Durability, ReadableTable, ReadableTableMetadata};

use super::tables::Tables;
use super::{backend, from_json, to_json, StoreFile, Stored};
use crate::store::writes::{all_failed, run_writes, Batch, Write, Written};
use crate::store::{
    forgot_dead_letter, ActionId, Appended, Commit, DeadLetter, Delivered, FireOutcome, Firing,
    Indexed, MessageKey, Seq, StoreError,
};

impl StoreFile {
    /// One transaction for the whole batch (see `writes::run_writes`).
    pub(super) fn run_batch(&self, batch: Vec<Write>) -> Vec<Result<Written, StoreError>> {
        let n = batch.len();
        let durable = batch.iter().any(Write::needs_fsync);
        match self.run_durable(batch, durable) {
            Ok(results) => {
                // Batches run one at a time, and a durable one persists all before it.
                self.unflushed.store(!durable, Ordering::Release);
                results
            }
            Err(e) => all_failed(n, &e),
        }
    }

    fn run_durable(
        &self,
        batch: Vec<Write>,
        durable: bool,
    ) -> Result<Vec<Result<Written, StoreError>>, StoreError> {
        let mut tx = self.db.begin_write().map_err(backend)?;
        if !durable {
            tx.set_durability(Durability::None).map_err(backend)?;
        }
        let mut tables = Tables::open(&tx)?;
        let results = run_writes(
            &mut InBatch {
                file: self,
                tables: &mut tables,
            },
            batch,
        )?;
        let actions = durable.then(|| tables.peek("next_action")).transpose()?;
        drop(tables);
        tx.commit().map_err(backend)?;
        if let Some(actions) = actions {
            self.durable_actions.fetch_max(actions, Ordering::Release);
        }
        Ok(results)
    }
}

/// A batch's open tables, with the limits its writes are held to.
pub(super) struct InBatch<'a, 'tx> {
    pub file: &'a StoreFile,
    pub tables: &'a mut Tables<'tx>,
}

impl Batch for InBatch<'_, '_> {
    fn append(
        &mut self,
        inbound: &[u8],
        bot: &str,
        dedupe_key: Option<&str>,
        messages: &[MessageKey],
    ) -> Result<Appended, StoreError> {
        let (tables, limits) = (&mut *self.tables, &self.file.limits);
        if let Some(key) = dedupe_key {
            let earlier = tables
                .dedupe
                .get((bot, key))
                .map_err(backend)?
                .map(|seq| seq.value());
            if let Some(seq) = earlier {
                return Ok(Appended::Duplicate(seq));
            }
        }
        let waiting = tables.journal.len().map_err(backend)? as usize;
        if waiting >= limits.journal {
            return Err(StoreError::JournalFull(waiting));
        }
        let seq = tables.next("next_seq")?;
        tables.journal.insert(seq, inbound).map_err(backend)?;
        if let Some(key) = dedupe_key {
            tables.remember_dedupe(bot, key, seq, limits.dedupe_keys)?;
        }
        for key in messages {
            tables.remember_message(key, &Indexed::seen(key), limits.messages)?;
        }
        Ok(Appended::New(seq))
    }

    fn room_for(&mut self, plugin: &str, commit: &Commit) -> Result<(), StoreError> {
        if commit.actions.is_empty() {
            return Ok(());
        }
        let waiting = self.tables.outbox.len().map_err(backend)?;
        let of_plugin = self.tables.waiting_of(plugin)?;
        self.file
            .limits
            .outbox_room(waiting as usize, of_plugin as usize, commit.actions.len())
    }

    fn commit(&mut self, plugin: &str, seq: Seq, commit: Commit) -> Result<(), StoreError> {
        let (tables, limits) = (&mut *self.tables, &self.file.limits);
        if tables
            .finished
            .get((plugin, seq))
            .map_err(backend)?
            .is_some()
        {
            return Ok(()); // committed before: applying it again would duplicate effects
        }
        tables.finished.insert((plugin, seq), ()).map_err(backend)?;
        for (key, value) in &commit.kv {
            match value {
                Some(value) => tables
                    .kv
                    .insert((plugin, key.as_str()), value.as_slice())
                    .map_err(backend)?,
                None => tables.kv.remove((plugin, key.as_str())).map_err(backend)?,
            };
        }
        let owned = Indexed::owned_by(plugin);
        for key in &commit.sent {
            tables.remember_message(key, &owned, limits.messages)?;
        }
        for action in commit.actions {
            tables.enqueue(plugin, action)?;
        }
        for change in &commit.timers {
            tables.apply_timer(plugin, change)?;
        }
        Ok(())
    }

    fn delivered(&mut self, id: ActionId, sent: Option<Delivered>) -> Result<(), StoreError> {
        self.tables.dequeue(id)?;
        for (key, indexed) in sent.into_iter().flat_map(Delivered::index_entries) {
            self.tables
                .remember_message(&key, &indexed, self.file.limits.messages)?;
        }
        Ok(())
    }

    /// Moves an action to the dead letters, dropping the oldest letter beyond the bound.
    fn dead(&mut self, id: ActionId, reason: String) -> Result<(), StoreError> {
        let Some(row) = self.tables.dequeue(id)? else {
            return Ok(());
        };
        let stored: Stored = from_json(&row)?;
        let letter = DeadLetter {
            id,
            plugin: stored.plugin,
            action: stored.action,
            reason,
        };
        let dead = &mut self.tables.dead;
        dead.insert(id, to_json(&letter)?.as_slice())
            .map_err(backend)?;
        while dead.len().map_err(backend)? as usize > self.file.limits.dead_letters {
            let Some((_, oldest)) = dead.pop_first().map_err(backend)? else {
                break;
            };
            forgot_dead_letter(&from_json(oldest.value())?);
        }
        Ok(())
    }

    fn fire(&mut self, firings: Vec<Firing>) -> Result<FireOutcome, StoreError> {
        crate::store::timer::fire(self, firings)
    }
}
