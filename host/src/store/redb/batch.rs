//! The hot writes (accepting an event, committing a plugin's handling of one, recording a
//! delivery's outcome) run in shared transactions (group commit, see `store::group`): one
//! fsync for every write that arrived while the previous transaction was being written.
//!
//! A plugin's commit need not wait for an fsync of its own. A batch of nothing but commits and
//! delivery outcomes is written without one (redb's `Durability::None`): visible at once, so
//! the plugin's next event reads its kv writes, and made durable by the next durable
//! transaction, which persists everything before it. A crash loses a suffix of such writes,
//! never a middle part: their events are replayed, and their actions delivered again (delivery
//! is at least once anyway; the outbox's flusher bounds how far back, see `outbox`). What must
//! not be lost is only what reaches the outside: the outbox hands out only actions a durable
//! transaction covers (`durable_actions`), and `sync` makes the rest durable when the outbox
//! finds it waiting.

use std::sync::atomic::Ordering;

use ::redb::{Durability, ReadableTable, ReadableTableMetadata, WriteTransaction};

use super::remember_message;
use super::{backend, dequeue, enqueue, from_json, next, next_action, remember_dedupe, waiting_of};
use super::{to_json, RedbStore, DEAD, DEDUPE, FINISHED, JOURNAL, KV, OUTBOX};
use crate::store::{
    forgot_dead_letter, ActionId, Appended, Commit, DeadLetter, Delivered, DeliveryOutcome,
    Indexed, MessageKey, Outcome, Seq, StoreError, Uncommitted,
};

/// A write waiting for its batch.
pub(super) enum Write {
    Append {
        /// The event, serialized by the caller (outside the batch).
        inbound: Vec<u8>,
        bot: String,
        dedupe_key: Option<String>,
        messages: Vec<MessageKey>,
    },
    /// A plugin's outcomes, in order.
    Commit {
        plugin: String,
        outcomes: Vec<Outcome>,
    },
    /// How deliveries ended, in order. A lost outcome means a second delivery.
    Outcomes(Vec<(ActionId, DeliveryOutcome)>),
    /// Nothing but durability: persists every commit before it.
    Sync,
}

impl Write {
    fn needs_fsync(&self) -> bool {
        !matches!(self, Write::Commit { .. } | Write::Outcomes(_))
    }
}

pub(super) enum Written {
    Appended(Appended),
    Done,
    /// Outcomes refused for a limit, with the reason; those before them were committed.
    Refused(Uncommitted),
}

impl RedbStore {
    /// Runs `write` in the next shared transaction.
    pub(super) fn grouped(&self, write: Write) -> Result<Written, StoreError> {
        self.group.submit(write, |batch| self.run_batch(batch))
    }

    /// One transaction for the whole batch. A write refused for a limit (journal or outbox
    /// full) changes nothing and the others go on; a storage error fails the whole batch, so
    /// no caller is told its write is durable unless the transaction committed.
    fn run_batch(&self, batch: Vec<Write>) -> Vec<Result<Written, StoreError>> {
        let n = batch.len();
        let all_failed = |e: &StoreError| (0..n).map(|_| Err(e.clone())).collect();
        let durable = batch.iter().any(Write::needs_fsync);
        let mut tx = match self.db.begin_write().map_err(backend) {
            Ok(tx) => tx,
            Err(e) => return all_failed(&e),
        };
        if !durable {
            if let Err(e) = tx.set_durability(Durability::None) {
                return all_failed(&backend(e));
            }
        }
        let mut results = Vec::with_capacity(n);
        for write in batch {
            let result = match write {
                Write::Append {
                    inbound,
                    bot,
                    dedupe_key,
                    messages,
                } => self
                    .append_in(&tx, &inbound, &bot, dedupe_key.as_deref(), &messages)
                    .map(Written::Appended),
                Write::Commit { plugin, outcomes } => self.commit_all_in(&tx, &plugin, outcomes),
                Write::Outcomes(outcomes) => self.record_in(&tx, outcomes).map(|()| Written::Done),
                Write::Sync => Ok(Written::Done),
            };
            if let Err(e @ StoreError::Backend(_)) = &result {
                return all_failed(e);
            }
            results.push(result);
        }
        let actions = match durable.then(|| next_action(&tx)).transpose() {
            Ok(actions) => actions,
            Err(e) => return all_failed(&e),
        };
        match tx.commit() {
            Ok(()) => {
                // Batches run one at a time, and a durable one persists all before it.
                self.unflushed.store(!durable, Ordering::Release);
                if let Some(actions) = actions {
                    self.durable_actions.fetch_max(actions, Ordering::Release);
                }
                results
            }
            Err(e) => all_failed(&backend(e)),
        }
    }

    fn append_in(
        &self,
        tx: &WriteTransaction,
        inbound: &[u8],
        bot: &str,
        dedupe_key: Option<&str>,
        messages: &[MessageKey],
    ) -> Result<Appended, StoreError> {
        if let Some(key) = dedupe_key {
            let dedupe = tx.open_table(DEDUPE).map_err(backend)?;
            let earlier = dedupe
                .get((bot, key))
                .map_err(backend)?
                .map(|seq| seq.value());
            if let Some(seq) = earlier {
                return Ok(Appended::Duplicate(seq));
            }
        }
        let mut journal = tx.open_table(JOURNAL).map_err(backend)?;
        let waiting = journal.len().map_err(backend)? as usize;
        if waiting >= self.limits.journal {
            return Err(StoreError::JournalFull(waiting));
        }
        let seq = next(tx, "next_seq")?;
        journal.insert(seq, inbound).map_err(backend)?;
        if let Some(key) = dedupe_key {
            remember_dedupe(tx, bot, key, seq, self.limits.dedupe_keys)?;
        }
        for key in messages {
            let indexed = Indexed {
                platform_id: Some(key.id.clone()),
                owner: None,
            };
            remember_message(tx, key, &indexed, self.limits.messages)?;
        }
        Ok(Appended::New(seq))
    }

    /// Commits outcomes in order until one is refused for a limit.
    fn commit_all_in(
        &self,
        tx: &WriteTransaction,
        plugin: &str,
        outcomes: Vec<Outcome>,
    ) -> Result<Written, StoreError> {
        let mut outcomes = outcomes.into_iter();
        while let Some((seq, commit)) = outcomes.next() {
            if let Err(error) = self.room_for(tx, plugin, &commit) {
                if let StoreError::Backend(_) = error {
                    return Err(error);
                }
                let rest = std::iter::once((seq, commit)).chain(outcomes).collect();
                return Ok(Written::Refused(Uncommitted { rest, error }));
            }
            self.commit_in(tx, plugin, seq, commit)?;
        }
        Ok(Written::Done)
    }

    /// The outbox, and the plugin's share of it, must have room for all of a commit's actions.
    fn room_for(
        &self,
        tx: &WriteTransaction,
        plugin: &str,
        commit: &Commit,
    ) -> Result<(), StoreError> {
        if commit.actions.is_empty() {
            return Ok(());
        }
        let waiting = tx
            .open_table(OUTBOX)
            .map_err(backend)?
            .len()
            .map_err(backend)?;
        let of_plugin = waiting_of(tx, plugin)?;
        self.limits
            .outbox_room(waiting as usize, of_plugin as usize, commit.actions.len())
    }

    fn commit_in(
        &self,
        tx: &WriteTransaction,
        plugin: &str,
        seq: Seq,
        commit: Commit,
    ) -> Result<(), StoreError> {
        let mut finished = tx.open_table(FINISHED).map_err(backend)?;
        if finished.get((plugin, seq)).map_err(backend)?.is_some() {
            return Ok(()); // committed before: applying it again would duplicate effects
        }
        finished.insert((plugin, seq), ()).map_err(backend)?;
        let mut kv = tx.open_table(KV).map_err(backend)?;
        for (key, value) in &commit.kv {
            match value {
                Some(value) => kv
                    .insert((plugin, key.as_str()), value.as_slice())
                    .map_err(backend)?,
                None => kv.remove((plugin, key.as_str())).map_err(backend)?,
            };
        }
        let owned = Indexed {
            platform_id: None,
            owner: Some(plugin.to_string()),
        };
        for key in &commit.sent {
            remember_message(tx, key, &owned, self.limits.messages)?;
        }
        for action in commit.actions {
            enqueue(tx, plugin, action)?;
        }
        Ok(())
    }

    fn record_in(
        &self,
        tx: &WriteTransaction,
        outcomes: Vec<(ActionId, DeliveryOutcome)>,
    ) -> Result<(), StoreError> {
        for (id, outcome) in outcomes {
            match outcome {
                Ok(sent) => self.done_in(tx, id, sent)?,
                Err(reason) => self.dead_in(tx, id, reason)?,
            }
        }
        Ok(())
    }

    fn done_in(
        &self,
        tx: &WriteTransaction,
        id: ActionId,
        sent: Option<Delivered>,
    ) -> Result<(), StoreError> {
        dequeue(tx, id)?;
        for (key, indexed) in sent.into_iter().flat_map(Delivered::index_entries) {
            remember_message(tx, &key, &indexed, self.limits.messages)?;
        }
        Ok(())
    }

    /// Moves an action to the dead letters, dropping the oldest letter beyond the bound.
    fn dead_in(
        &self,
        tx: &WriteTransaction,
        id: ActionId,
        reason: String,
    ) -> Result<(), StoreError> {
        let Some(stored) = dequeue(tx, id)? else {
            return Ok(());
        };
        let letter = DeadLetter {
            id,
            plugin: stored.plugin,
            action: stored.action,
            reason,
        };
        let mut dead = tx.open_table(DEAD).map_err(backend)?;
        dead.insert(id, to_json(&letter)?.as_slice())
            .map_err(backend)?;
        while dead.len().map_err(backend)? as usize > self.limits.dead_letters {
            let Some((_, oldest)) = dead.pop_first().map_err(backend)? else {
                break;
            };
            forgot_dead_letter(&from_json(oldest.value())?);
        }
        Ok(())
    }
}
