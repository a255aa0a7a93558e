//! The hot writes every durable backend batches on its writer thread (see `group`): what they
//! are, which of them a reply waits for, which need an fsync, and how a long commit or a long
//! list of delivery outcomes is cut into parts so an accept never waits behind a flood.
//!
//! The backends (`redb`, `fjall`) run the batches; this module is what they share.

use super::group::GroupCommit;
use super::{
    ActionId, Appended, Commit, Delivered, DeliveryOutcome, FireOutcome, Firing, MessageKey,
    Outcome, Seq, StoreError, Uncommitted,
};
use crate::model::Inbound;

/// A write waiting for its batch.
pub(super) enum Write {
    Append {
        /// The event, serialized by the caller (outside the batch).
        inbound: Vec<u8>,
        bot: String,
        dedupe_key: Option<String>,
        messages: Vec<MessageKey>,
    },
    /// A plugin's outcomes, in order; `durable` when its actions wait for it (see the
    /// backends' batch docs).
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

    /// Whether the batch holding it must be fsynced before its callers are answered.
    pub(super) fn needs_fsync(&self) -> bool {
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
pub(super) const PART: usize = 64;

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

/// A backend's writer thread, as the facets use it.
pub(super) struct Writer(GroupCommit<Write, Written>);

impl Writer {
    /// Starts the writer thread `name`, which runs each batch through `run`.
    pub fn start(
        name: &str,
        run: impl FnMut(Vec<Write>) -> Vec<Result<Written, StoreError>> + Send + 'static,
    ) -> Result<Self, StoreError> {
        GroupCommit::start(name, Write::is_urgent, run)
            .map(Self)
            .map_err(|e| {
                StoreError::Backend(format!("cannot start the store's writer thread: {e}"))
            })
    }

    /// Runs `write` in the next shared transaction.
    pub async fn submit(&self, write: Write) -> Result<Written, StoreError> {
        self.0.submit(write).await
    }

    /// Accepts an event (see `JournalStore::append`).
    pub async fn append(
        &self,
        inbound: &Inbound,
        messages: &[MessageKey],
    ) -> Result<Appended, StoreError> {
        let write = Write::Append {
            inbound: serde_json::to_vec(inbound).map_err(|e| StoreError::Backend(e.to_string()))?,
            bot: inbound.bot.clone(),
            dedupe_key: inbound.dedupe_key.clone(),
            messages: messages.to_vec(),
        };
        match self.submit(write).await? {
            Written::Appended(appended) => Ok(appended),
            _ => Err(lost("an append", "its position")),
        }
    }

    /// Fires timers (see `TimerStore::fire`).
    pub async fn fire(&self, firings: Vec<Firing>) -> Result<FireOutcome, StoreError> {
        match self.submit(Write::Fire(firings)).await? {
            Written::Fired(outcome) => Ok(outcome),
            _ => Err(lost("a firing", "its outcome")),
        }
    }

    /// Commits `outcomes` in parts of at most [`PART`] (each event whole, one part at a
    /// time); only the last part of a commit with actions waits for an fsync.
    pub async fn commit_in_parts(
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
            let mut uncommitted = match self.submit(write).await {
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
    pub async fn record_in_parts(
        &self,
        outcomes: Vec<(ActionId, DeliveryOutcome)>,
    ) -> Result<(), StoreError> {
        for part in split(outcomes, |_| 1) {
            self.submit(Write::Outcomes(part)).await?;
        }
        Ok(())
    }
}

/// One open transaction of a backend, as a batch of writes uses it.
pub(super) trait Batch {
    /// Accepts an event (or finds its earlier acceptance) unless the journal is full.
    fn append(
        &mut self,
        inbound: &[u8],
        bot: &str,
        dedupe_key: Option<&str>,
        messages: &[MessageKey],
    ) -> Result<Appended, StoreError>;

    /// Whether the outbox, and `plugin`'s share of it, has room for all of `commit`'s actions.
    fn room_for(&mut self, plugin: &str, commit: &Commit) -> Result<(), StoreError>;

    /// Marks `seq` finished for `plugin` with its effects, unless it was committed before.
    fn commit(&mut self, plugin: &str, seq: Seq, commit: Commit) -> Result<(), StoreError>;

    /// Takes a delivered action out and indexes where its message went.
    fn delivered(&mut self, id: ActionId, sent: Option<Delivered>) -> Result<(), StoreError>;

    /// Moves an undeliverable action to the dead letters.
    fn dead(&mut self, id: ActionId, reason: String) -> Result<(), StoreError>;

    /// Fires what is still stored unchanged, in order, until the journal is full.
    fn fire(&mut self, firings: Vec<Firing>) -> Result<FireOutcome, StoreError>;
}

/// Runs a batch's writes in `tx`. A write refused for a limit (journal or outbox full)
/// changes nothing and the others go on; a storage error fails the whole batch (`Err`), so
/// no caller is told its write is durable unless the transaction commits.
pub(super) fn run_writes(
    tx: &mut impl Batch,
    writes: Vec<Write>,
) -> Result<Vec<Result<Written, StoreError>>, StoreError> {
    let mut results = Vec::with_capacity(writes.len());
    for write in writes {
        let result = match write {
            Write::Append {
                inbound,
                bot,
                dedupe_key,
                messages,
            } => tx
                .append(&inbound, &bot, dedupe_key.as_deref(), &messages)
                .map(Written::Appended),
            Write::Commit {
                plugin, outcomes, ..
            } => commit_all(tx, &plugin, outcomes),
            Write::Outcomes(outcomes) => outcomes
                .into_iter()
                .try_for_each(|(id, outcome)| match outcome {
                    Ok(sent) => tx.delivered(id, sent),
                    Err(reason) => tx.dead(id, reason),
                })
                .map(|()| Written::Done),
            Write::Sync => Ok(Written::Done),
            Write::Fire(firings) => tx.fire(firings).map(Written::Fired),
        };
        if let Err(e @ StoreError::Backend(_)) = result {
            return Err(e);
        }
        results.push(result);
    }
    Ok(results)
}

/// Commits outcomes in order until one is refused for a limit.
fn commit_all(
    tx: &mut impl Batch,
    plugin: &str,
    outcomes: Vec<Outcome>,
) -> Result<Written, StoreError> {
    let mut outcomes = outcomes.into_iter();
    while let Some((seq, commit)) = outcomes.next() {
        if let Err(error) = tx.room_for(plugin, &commit) {
            if let StoreError::Backend(_) = error {
                return Err(error);
            }
            let rest = std::iter::once((seq, commit)).chain(outcomes).collect();
            return Ok(Written::Refused(Uncommitted { rest, error }));
        }
        tx.commit(plugin, seq, commit)?;
    }
    Ok(Written::Done)
}

/// One error for every write of a batch that failed as a whole.
pub(super) fn all_failed(n: usize, error: &StoreError) -> Vec<Result<Written, StoreError>> {
    (0..n).map(|_| Err(error.clone())).collect()
}

fn lost(what: &str, missing: &str) -> StoreError {
    StoreError::Backend(format!(
        "{what} came back from the writer without {missing}"
    ))
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
