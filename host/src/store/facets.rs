//! The store's facets: what each consumer may ask of it. One backend implements them all.
//!
//! The writes on an event's way (accept, commit, a delivery's outcome, sync) come twice: a
//! blocking method, and an `_async` one that awaits instead of holding a thread while the
//! write waits for its transaction. The daemon uses the latter; a backend that does not block
//! (the in-memory one) keeps their defaults, which call the former.

use std::collections::{BTreeSet, HashSet};

use super::{
    ActionId, Appended, Commit, DeadLetter, DeliveryOutcome, FireOutcome, Firing, Indexed,
    MessageKey, Outcome, Pending, Seq, StoreError, Timer, Uncommitted,
};
use crate::model::Inbound;

/// The journal: accepted events in order, released once every plugin is past them, and each
/// plugin's saved place.
#[async_trait::async_trait]
pub trait JournalStore: Send + Sync {
    /// Accepts an event, or reports the earlier acceptance of the same platform event.
    /// `messages`: the inbound messages it carries, indexed in the same transaction.
    fn append(&self, inbound: &Inbound, messages: &[MessageKey]) -> Result<Appended, StoreError>;

    /// [`append`](Self::append), awaiting its transaction.
    async fn append_async(
        &self,
        inbound: &Inbound,
        messages: &[MessageKey],
    ) -> Result<Appended, StoreError> {
        self.append(inbound, messages)
    }

    /// Up to `max` accepted events from `from` on, in order.
    fn read(&self, from: Seq, max: usize) -> Result<Vec<(Seq, Inbound)>, StoreError>;

    /// The position the next accepted event will get.
    fn head(&self) -> Result<Seq, StoreError>;

    /// Forgets the events before `seq` except those in `keep`, with their finished-markers:
    /// every plugin has finished or shed them. `keep`: events some plugin is still handling.
    fn release_before(&self, seq: Seq, keep: &BTreeSet<Seq>) -> Result<(), StoreError>;

    /// Each plugin's place in the journal as last saved (the lowest event it may still need),
    /// so that a plugin that does not load at the next start keeps it.
    fn places(&self) -> Result<Vec<(String, Seq)>, StoreError>;

    /// Replaces the saved places.
    fn save_places(&self, places: &[(String, Seq)]) -> Result<(), StoreError>;
}

/// Plugins finishing events: each event's actions and kv writes committed with its completion.
#[async_trait::async_trait]
pub trait CompletionStore: Send + Sync {
    fn is_finished(&self, plugin: &str, seq: Seq) -> Result<bool, StoreError>;

    /// Marks each event finished for `plugin` and stores its actions and kv writes, atomically
    /// per event and in order (a store may share transactions among them, or split them
    /// across several). Stops at the first it cannot commit and hands that one and the rest
    /// back with the reason.
    fn commit_all(&self, plugin: &str, outcomes: Vec<Outcome>) -> Result<(), Uncommitted>;

    /// [`commit_all`](Self::commit_all), awaiting its transactions.
    async fn commit_all_async(
        &self,
        plugin: &str,
        outcomes: Vec<Outcome>,
    ) -> Result<(), Uncommitted> {
        self.commit_all(plugin, outcomes)
    }

    /// [`Store::commit_all`] for one event.
    fn commit(&self, plugin: &str, seq: Seq, commit: Commit) -> Result<(), StoreError> {
        self.commit_all(plugin, vec![(seq, commit)])
            .map_err(|u| u.error)
    }

    /// Makes every commit so far durable, so `outbox_pending` hands out its actions.
    fn sync(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// [`sync`](Self::sync), awaiting its transaction.
    async fn sync_async(&self) -> Result<(), StoreError> {
        self.sync()
    }

    /// True when something was written without an fsync since the last durable write.
    fn unflushed(&self) -> bool {
        false
    }
}

/// Each plugin's key-value data, as committed (writes go through `CompletionStore::commit_all`).
pub trait KvStore: Send + Sync {
    fn kv_get(&self, plugin: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    fn kv_list(&self, plugin: &str, prefix: &str) -> Result<Vec<String>, StoreError>;

    /// Bytes of keys and values a plugin stores.
    fn kv_usage(&self, plugin: &str) -> Result<u64, StoreError>;
}

/// The actions waiting for delivery, and how their deliveries ended.
#[async_trait::async_trait]
pub trait OutboxStore: Send + Sync {
    /// The first `per_plugin` pending actions of each plugin with actions for `bot`: plugins in
    /// name order, each plugin's actions in commit order; only durable ones (see `sync`).
    /// Actions in `known` (the caller holds them already) count toward `per_plugin` but are
    /// left out: they are not read and decoded again. Actions in `ended` (delivered, their
    /// outcome not written yet) are left out and do not count: they are as good as gone.
    fn outbox_pending(
        &self,
        bot: &str,
        per_plugin: usize,
        known: &HashSet<ActionId>,
        ended: &HashSet<ActionId>,
    ) -> Result<Vec<Pending>, StoreError>;

    /// Records how deliveries ended, in order (a store may write them in parts; recording an
    /// outcome twice changes nothing): a delivered action is removed,
    /// and where a sent message went is recorded (under its handle and under the platform's id,
    /// both owned by the plugin); an undeliverable one moves to the dead letters with the reason.
    fn outbox_record(&self, outcomes: Vec<(ActionId, DeliveryOutcome)>) -> Result<(), StoreError>;

    /// [`outbox_record`](Self::outbox_record), awaiting its transactions.
    async fn outbox_record_async(
        &self,
        outcomes: Vec<(ActionId, DeliveryOutcome)>,
    ) -> Result<(), StoreError> {
        self.outbox_record(outcomes)
    }
}

/// The actions that could not be delivered, for the operator.
pub trait DeadLetterStore: Send + Sync {
    fn dead_letters(&self, max: usize) -> Result<Vec<DeadLetter>, StoreError>;

    /// Puts a dead letter back at the end of the outbox; `false` if there is no such letter.
    fn dead_retry(&self, id: ActionId) -> Result<bool, StoreError>;

    fn dead_drop(&self, id: ActionId) -> Result<bool, StoreError>;
}

/// Where each message went: handles and platform ids, by chat, with the plugin that sent it.
pub trait MessageIndex: Send + Sync {
    fn index_message(&self, key: MessageKey, indexed: Indexed) -> Result<(), StoreError>;

    /// `None`: a message this host never saw or sent.
    fn lookup_message(&self, key: &MessageKey) -> Result<Option<Indexed>, StoreError>;
}

/// Timers and schedules by plugin, and by due time for the firer. Timers are set and cancelled
/// through [`CompletionStore::commit_all`] (`Commit::timers`), with the event that set them.
#[async_trait::async_trait]
pub trait TimerStore: Send + Sync {
    /// Up to `max` of `plugin`'s timers (not its schedules), soonest first.
    fn timers_of(&self, plugin: &str, max: usize) -> Result<Vec<Timer>, StoreError>;

    /// `plugin`'s timer `key`, if it is pending.
    fn timer(&self, plugin: &str, key: &str) -> Result<Option<Timer>, StoreError>;

    /// How many timers `plugin` has pending (its schedules not counted), for its quota.
    fn timer_count(&self, plugin: &str) -> Result<u64, StoreError>;

    /// `plugin`'s schedule rows.
    fn schedules_of(&self, plugin: &str) -> Result<Vec<Timer>, StoreError>;

    /// Replaces `plugin`'s schedule rows with `schedules`. A row whose name and recurrence are
    /// unchanged keeps its due time (an instant missed while the daemon was down still
    /// fires); its payload is updated.
    fn set_schedules(&self, plugin: &str, schedules: Vec<Timer>) -> Result<(), StoreError>;

    /// Up to `max` rows (timers and schedules of every plugin) due at or before `now`,
    /// soonest first, with their plugin.
    fn timers_due(&self, now: u64, max: usize) -> Result<Vec<(String, Timer)>, StoreError>;

    /// The earliest due time of any row.
    fn next_due(&self) -> Result<Option<u64>, StoreError>;

    /// In one transaction, for each firing in order whose row is still stored unchanged:
    /// appends its event to the journal (a dedupe key seen before appends nothing) and takes
    /// the row out, or moves a schedule's row to its next instant. A crash leaves all of them
    /// fired or none. A full journal stops it: the rest stay for later.
    fn fire(&self, firings: Vec<Firing>) -> Result<FireOutcome, StoreError>;

    /// [`fire`](Self::fire), awaiting its transaction.
    async fn fire_async(&self, firings: Vec<Firing>) -> Result<FireOutcome, StoreError> {
        self.fire(firings)
    }
}

/// Everything the daemon keeps: one backend (redb, or in memory) implements every facet, and
/// each consumer takes only the facet it needs.
#[async_trait::async_trait]
pub trait Store:
    JournalStore
    + CompletionStore
    + KvStore
    + OutboxStore
    + DeadLetterStore
    + MessageIndex
    + TimerStore
    + 'static
{
    /// Makes everything written so far durable (commits and delivery outcomes alike).
    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// [`flush`](Self::flush), awaiting its transaction.
    async fn flush_async(&self) -> Result<(), StoreError> {
        self.flush()
    }
}
