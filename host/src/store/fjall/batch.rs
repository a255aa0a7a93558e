//! A batch of hot writes in one fjall transaction (see `store::writes`), fsynced when one of
//! them needs it.

use std::sync::atomic::Ordering;

use fjall::PersistMode;

use super::keys::{self, Key};
use super::tx::Tx;
use super::{from_json, to_json, Space};
use crate::store::writes::{all_failed, run_writes, Batch, Write, Written};
use crate::store::{
    forgot_dead_letter, ActionId, Appended, Commit, DeadLetter, Delivered, FireOutcome, Firing,
    Indexed, MessageKey, Seq, StoreError,
};

impl Space {
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
        let mut tx = Tx::new(self, durable.then_some(PersistMode::SyncData));
        let results = run_writes(
            &mut InBatch {
                space: self,
                tx: &mut tx,
            },
            batch,
        )?;
        let actions = durable.then(|| tx.peek("next_action")).transpose()?;
        tx.commit()?;
        if let Some(actions) = actions {
            self.durable_actions.fetch_max(actions, Ordering::Release);
        }
        Ok(results)
    }
}

/// A batch's transaction, with the limits its writes are held to.
pub(super) struct InBatch<'a, 'tx> {
    pub space: &'a Space,
    pub tx: &'a mut Tx<'tx>,
}

impl Batch for InBatch<'_, '_> {
    fn append(
        &mut self,
        inbound: &[u8],
        bot: &str,
        dedupe_key: Option<&str>,
        messages: &[MessageKey],
    ) -> Result<Appended, StoreError> {
        let (tx, limits) = (&mut *self.tx, &self.space.limits);
        let parts = tx.parts;
        if let Some(key) = dedupe_key {
            let row = Key::new().text(bot).tail(key).bytes();
            if let Some(seq) = tx.get(&parts.dedupe, &row)? {
                return Ok(Appended::Duplicate(keys::decode_num(&seq)?));
            }
        }
        let waiting = tx.peek("journal_len")? as usize;
        if waiting >= limits.journal {
            return Err(StoreError::JournalFull(waiting));
        }
        let seq = tx.next("next_seq")?;
        tx.insert(&parts.journal, &keys::num(seq), inbound);
        tx.add("journal_len", 1)?;
        if let Some(key) = dedupe_key {
            tx.remember_dedupe(bot, key, seq, limits.dedupe_keys)?;
        }
        for key in messages {
            tx.remember_message(key, &Indexed::seen(key), limits.messages)?;
        }
        Ok(Appended::New(seq))
    }

    fn room_for(&mut self, plugin: &str, commit: &Commit) -> Result<(), StoreError> {
        if commit.actions.is_empty() {
            return Ok(());
        }
        let waiting = self.tx.peek("outbox_len")?;
        let of_plugin = self.tx.waiting_of(plugin)?;
        self.space
            .limits
            .outbox_room(waiting as usize, of_plugin as usize, commit.actions.len())
    }

    fn commit(&mut self, plugin: &str, seq: Seq, commit: Commit) -> Result<(), StoreError> {
        let (tx, limits) = (&mut *self.tx, &self.space.limits);
        if !tx.finish(plugin, seq)? {
            return Ok(()); // committed before: applying it again would duplicate effects
        }
        let parts = tx.parts;
        for (key, value) in &commit.kv {
            let row = Key::new().text(plugin).tail(key).bytes();
            match value {
                Some(value) => tx.insert(&parts.kv, &row, value),
                None => tx.remove(&parts.kv, &row),
            }
        }
        let owned = Indexed::owned_by(plugin);
        for key in &commit.sent {
            tx.remember_message(key, &owned, limits.messages)?;
        }
        for action in commit.actions {
            tx.enqueue(plugin, action)?;
        }
        for change in &commit.timers {
            tx.apply_timer(plugin, change)?;
        }
        Ok(())
    }

    fn delivered(&mut self, id: ActionId, sent: Option<Delivered>) -> Result<(), StoreError> {
        self.tx.dequeue(id)?;
        for (key, indexed) in sent.into_iter().flat_map(Delivered::index_entries) {
            self.tx
                .remember_message(&key, &indexed, self.space.limits.messages)?;
        }
        Ok(())
    }

    /// Moves an action to the dead letters, dropping the oldest letter beyond the bound.
    fn dead(&mut self, id: ActionId, reason: String) -> Result<(), StoreError> {
        let Some(stored) = self.tx.dequeue(id)? else {
            return Ok(());
        };
        let letter = DeadLetter {
            id,
            plugin: stored.plugin,
            action: stored.action,
            reason,
        };
        let parts = self.tx.parts;
        self.tx
            .insert(&parts.dead, &keys::num(id), &to_json(&letter)?);
        let mut len = self.tx.add("dead_len", 1)?;
        while len > self.space.limits.dead_letters as u64 {
            let Some((key, row)) = self.tx.first(&parts.dead)? else {
                break;
            };
            self.tx.remove(&parts.dead, &key);
            len = self.tx.add("dead_len", -1)?;
            forgot_dead_letter(&from_json(&row)?);
        }
        Ok(())
    }

    fn fire(&mut self, firings: Vec<Firing>) -> Result<FireOutcome, StoreError> {
        crate::store::timer::fire(self, firings)
    }
}
