//! The hot writes (accepting an event, committing a plugin's handling of one, recording a
//! delivery's outcome) run in shared transactions (group commit, see `store::group`): one
//! fsync for every write that arrived while the previous transaction was being written.
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
use super::{backend, from_json, to_json, RedbStore, StoreFile, Stored};
use crate::store::{
    forgot_dead_letter, ActionId, Appended, Commit, DeadLetter, Delivered, DeliveryOutcome,
    FireOutcome, Firing, Indexed, MessageKey, Outcome, Seq, StoreError, Uncommitted,
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
    /// A plugin's outcomes, in order; `durable` when its actions wait for it (see above).
    Commit {
        plugin: String,
        outcomes: Vec<Outcome>,
        durable: bool,
    },
    /// How deliveries ended, in order. A lost outcome means a second delivery.
    Outcomes(Vec<(ActionId, DeliveryOutcome)>),
    /// Nothing but durability: persists every commit before it.
    Sync,
    /// Due timers: their events appended and their rows taken out, durably (a timer must
    /// not fire again after a crash, nor be lost).
    Fire(Vec<Firing>),
}

impl Write {
    /// Small work a reply waits for: an accept, a sync, a commit of a few rows.
    pub(super) fn is_urgent(&self) -> bool {
        match self {
            Write::Append { .. } | Write::Sync | Write::Fire(_) => true,
            Write::Commit { outcomes, .. } => {
                outcomes.iter().map(|(_, c)| c.weight()).sum::<usize>() < PART / 4
            }
            Write::Outcomes(_) => false,
        }
    }

    fn needs_fsync(&self) -> bool {
        match self {
            Write::Append { .. } | Write::Sync | Write::Fire(_) => true,
            Write::Commit { durable, .. } => *durable,
            Write::Outcomes(_) => false,
        }
    }
}

pub(super) enum Written {
    Appended(Appended),
    Fired(FireOutcome),
    Done,
    /// Outcomes refused for a limit, with the reason; those before them were committed.
    Refused(Uncommitted),
}

/// One caller's part of a shared transaction carries at most this much work (actions, kv
/// writes and indexed messages committed, or outcomes recorded), so an accept that arrives
/// while a flood is being written waits for a bounded part of it, not all of it.
const PART: usize = 64;

/// Cuts `items` into runs whose weights add up to at most [`PART`] (an item heavier than that
/// alone in its run).
fn split<T>(items: Vec<T>, weight: impl Fn(&T) -> usize) -> Vec<Vec<T>> {
    let mut parts: Vec<Vec<T>> = Vec::new();
    let mut load = 0;
    for item in items {
        let w = weight(&item).max(1);
        match parts.last_mut() {
            Some(part) if load + w <= PART => part.push(item),
            _ => {
                parts.push(vec![item]);
                load = 0;
            }
        }
        load += w;
    }
    parts
}

impl RedbStore {
    /// Commits `outcomes` in parts of at most [`PART`] (each event whole, one part at a time).
    pub(super) async fn commit_in_parts(
        &self,
        plugin: &str,
        outcomes: Vec<Outcome>,
    ) -> Result<(), Uncommitted> {
        let has_actions = outcomes.iter().any(|(_, c)| !c.actions.is_empty());
        let mut parts = split(outcomes, |(_, commit)| commit.weight()).into_iter();
        while let Some(part) = parts.next() {
            let write = Write::Commit {
                plugin: plugin.to_string(),
                outcomes: part,
                durable: has_actions && parts.len() == 0,
            };
            let mut uncommitted = match self.grouped(write).await {
                Ok(Written::Refused(uncommitted)) => uncommitted,
                Ok(_) => continue,
                // The transaction failed as a whole: none of this part was committed.
                Err(error) => Uncommitted {
                    rest: Vec::new(),
                    error,
                },
            };
            uncommitted.rest.extend(parts.flatten());
            return Err(uncommitted);
        }
        Ok(())
    }

    /// Records outcomes in parts of at most [`PART`], in order. A failure leaves the later
    /// parts unwritten; writing the earlier ones again changes nothing.
    pub(super) async fn record_in_parts(
        &self,
        outcomes: Vec<(ActionId, DeliveryOutcome)>,
    ) -> Result<(), StoreError> {
        for part in split(outcomes, |_| 1) {
            self.grouped(Write::Outcomes(part)).await?;
        }
        Ok(())
    }

    /// Runs `write` in the next shared transaction, on the writer thread.
    pub(super) async fn grouped(&self, write: Write) -> Result<Written, StoreError> {
        self.group.submit(write).await
    }
}

impl StoreFile {
    /// One transaction for the whole batch. A write refused for a limit (journal or outbox
    /// full) changes nothing and the others go on; a storage error fails the whole batch, so
    /// no caller is told its write is durable unless the transaction committed.
    pub(super) fn run_batch(&self, batch: Vec<Write>) -> Vec<Result<Written, StoreError>> {
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
        let mut tables = match Tables::open(&tx) {
            Ok(tables) => tables,
            Err(e) => return all_failed(&e),
        };
        let mut results = Vec::with_capacity(n);
        for write in batch {
            let result = match write {
                Write::Append {
                    inbound,
                    bot,
                    dedupe_key,
                    messages,
                } => self
                    .append_in(
                        &mut tables,
                        &inbound,
                        &bot,
                        dedupe_key.as_deref(),
                        &messages,
                    )
                    .map(Written::Appended),
                Write::Commit {
                    plugin, outcomes, ..
                } => self.commit_all_in(&mut tables, &plugin, outcomes),
                Write::Outcomes(outcomes) => self
                    .record_in(&mut tables, outcomes)
                    .map(|()| Written::Done),
                Write::Sync => Ok(Written::Done),
                Write::Fire(firings) => self.fire_in(&mut tables, firings).map(Written::Fired),
            };
            if let Err(e @ StoreError::Backend(_)) = &result {
                return all_failed(e);
            }
            results.push(result);
        }
        let actions = match durable.then(|| tables.peek("next_action")).transpose() {
            Ok(actions) => actions,
            Err(e) => return all_failed(&e),
        };
        drop(tables);
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

    pub(super) fn append_in(
        &self,
        tables: &mut Tables,
        inbound: &[u8],
        bot: &str,
        dedupe_key: Option<&str>,
        messages: &[MessageKey],
    ) -> Result<Appended, StoreError> {
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
        if waiting >= self.limits.journal {
            return Err(StoreError::JournalFull(waiting));
        }
        let seq = tables.next("next_seq")?;
        tables.journal.insert(seq, inbound).map_err(backend)?;
        if let Some(key) = dedupe_key {
            tables.remember_dedupe(bot, key, seq, self.limits.dedupe_keys)?;
        }
        for key in messages {
            let indexed = Indexed {
                platform_id: Some(key.id.clone()),
                owner: None,
            };
            tables.remember_message(key, &indexed, self.limits.messages)?;
        }
        Ok(Appended::New(seq))
    }

    /// Commits outcomes in order until one is refused for a limit.
    fn commit_all_in(
        &self,
        tables: &mut Tables,
        plugin: &str,
        outcomes: Vec<Outcome>,
    ) -> Result<Written, StoreError> {
        let mut outcomes = outcomes.into_iter();
        while let Some((seq, commit)) = outcomes.next() {
            if let Err(error) = self.room_for(tables, plugin, &commit) {
                if let StoreError::Backend(_) = error {
                    return Err(error);
                }
                let rest = std::iter::once((seq, commit)).chain(outcomes).collect();
                return Ok(Written::Refused(Uncommitted { rest, error }));
            }
            self.commit_in(tables, plugin, seq, commit)?;
        }
        Ok(Written::Done)
    }

    /// The outbox, and the plugin's share of it, must have room for all of a commit's actions.
    fn room_for(
        &self,
        tables: &mut Tables,
        plugin: &str,
        commit: &Commit,
    ) -> Result<(), StoreError> {
        if commit.actions.is_empty() {
            return Ok(());
        }
        let waiting = tables.outbox.len().map_err(backend)?;
        let of_plugin = tables.waiting_of(plugin)?;
        self.limits
            .outbox_room(waiting as usize, of_plugin as usize, commit.actions.len())
    }

    fn commit_in(
        &self,
        tables: &mut Tables,
        plugin: &str,
        seq: Seq,
        commit: Commit,
    ) -> Result<(), StoreError> {
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
        let owned = Indexed {
            platform_id: None,
            owner: Some(plugin.to_string()),
        };
        for key in &commit.sent {
            tables.remember_message(key, &owned, self.limits.messages)?;
        }
        for action in commit.actions {
            tables.enqueue(plugin, action)?;
        }
        for change in &commit.timers {
            tables.apply_timer(plugin, change)?;
        }
        Ok(())
    }

    fn record_in(
        &self,
        tables: &mut Tables,
        outcomes: Vec<(ActionId, DeliveryOutcome)>,
    ) -> Result<(), StoreError> {
        for (id, outcome) in outcomes {
            match outcome {
                Ok(sent) => self.done_in(tables, id, sent)?,
                Err(reason) => self.dead_in(tables, id, reason)?,
            }
        }
        Ok(())
    }

    fn done_in(
        &self,
        tables: &mut Tables,
        id: ActionId,
        sent: Option<Delivered>,
    ) -> Result<(), StoreError> {
        tables.dequeue(id)?;
        for (key, indexed) in sent.into_iter().flat_map(Delivered::index_entries) {
            tables.remember_message(&key, &indexed, self.limits.messages)?;
        }
        Ok(())
    }

    /// Moves an action to the dead letters, dropping the oldest letter beyond the bound.
    fn dead_in(&self, tables: &mut Tables, id: ActionId, reason: String) -> Result<(), StoreError> {
        let Some(row) = tables.dequeue(id)? else {
            return Ok(());
        };
        let stored: Stored = from_json(&row)?;
        let letter = DeadLetter {
            id,
            plugin: stored.plugin,
            action: stored.action,
            reason,
        };
        let dead = &mut tables.dead;
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

#[cfg(test)]
mod tests {
    use super::{split, PART};

    #[test]
    fn split_keeps_order_and_bounds_each_part() {
        let weights = [10, 50, 10, 70, 1, 1, 200, 0];
        let parts = split(weights.to_vec(), |w| *w);
        assert_eq!(
            parts,
            vec![
                vec![10, 50],
                vec![10],
                vec![70],
                vec![1, 1],
                vec![200],
                vec![0]
            ]
        );
        assert!(parts
            .iter()
            .all(|p| p.len() == 1 || p.iter().sum::<usize>() <= PART));
    }
}
