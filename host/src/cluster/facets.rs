//! The store facets `ClusterStore` answers besides completions: the journal, the message
//! index and flushing go to this node's local store; kv, timers, the outbox and dead letters
//! to their shared places in the cluster.

use std::collections::{BTreeSet, HashSet};

use super::dead::wait_for;
use super::store::ClusterStore;
use crate::model::Inbound;
use crate::store::{
    ActionId, Appended, DeadLetter, DeadLetterStore, DeliveryOutcome, FireOutcome, Firing, Indexed,
    JournalStore, KvStore, MessageIndex, MessageKey, OutboxStore, Pending, Seq, Store, StoreError,
    Timer, TimerStore,
};

#[async_trait::async_trait]
impl JournalStore for ClusterStore {
    fn append(&self, inbound: &Inbound, messages: &[MessageKey]) -> Result<Appended, StoreError> {
        self.local.append(inbound, messages)
    }

    async fn append_async(
        &self,
        inbound: &Inbound,
        messages: &[MessageKey],
    ) -> Result<Appended, StoreError> {
        self.local.append_async(inbound, messages).await
    }

    fn read(&self, from: Seq, max: usize) -> Result<Vec<(Seq, Inbound)>, StoreError> {
        self.local.read(from, max)
    }

    fn head(&self) -> Result<Seq, StoreError> {
        self.local.head()
    }

    fn release_before(&self, seq: Seq, keep: &BTreeSet<Seq>) -> Result<(), StoreError> {
        self.local.release_before(seq, keep)
    }

    fn places(&self) -> Result<Vec<(String, Seq)>, StoreError> {
        self.local.places()
    }

    fn save_places(&self, places: &[(String, Seq)]) -> Result<(), StoreError> {
        self.local.save_places(places)
    }
}

impl KvStore for ClusterStore {
    fn kv_get(&self, plugin: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.kv.get(plugin, key))
    }

    fn kv_list(&self, plugin: &str, prefix: &str) -> Result<Vec<String>, StoreError> {
        Ok(self.kv.list(plugin, prefix))
    }

    fn kv_usage(&self, plugin: &str) -> Result<u64, StoreError> {
        Ok(self.kv.usage(plugin))
    }
}

#[async_trait::async_trait]
impl OutboxStore for ClusterStore {
    fn outbox_pending(
        &self,
        bot: &str,
        per_plugin: usize,
        known: &HashSet<ActionId>,
        ended: &HashSet<ActionId>,
    ) -> Result<Vec<Pending>, StoreError> {
        Ok(self.outbox.pending(bot, per_plugin, known, ended))
    }

    fn outbox_record(&self, outcomes: Vec<(ActionId, DeliveryOutcome)>) -> Result<(), StoreError> {
        self.outbox.record(outcomes)
    }
}

/// The cluster's dead letters (see `cluster::dead`).
impl DeadLetterStore for ClusterStore {
    fn dead_letters(&self, max: usize) -> Result<Vec<DeadLetter>, StoreError> {
        Ok(self.dead.list(max))
    }

    fn dead_retry(&self, id: ActionId) -> Result<bool, StoreError> {
        wait_for(self.dead.retry(id))
    }

    fn dead_drop(&self, id: ActionId) -> Result<bool, StoreError> {
        wait_for(self.dead.drop_letter(id))
    }
}

impl MessageIndex for ClusterStore {
    fn index_message(&self, key: MessageKey, indexed: Indexed) -> Result<(), StoreError> {
        self.local.index_message(key, indexed)
    }

    fn lookup_message(&self, key: &MessageKey) -> Result<Option<Indexed>, StoreError> {
        self.local.lookup_message(key)
    }
}

/// The cluster's timers (see `cluster::timers`); `fire` is the async one the firer uses.
#[async_trait::async_trait]
impl TimerStore for ClusterStore {
    fn timers_of(&self, plugin: &str, max: usize) -> Result<Vec<Timer>, StoreError> {
        Ok(self.timers.timers_of(plugin, max))
    }

    fn timer(&self, plugin: &str, key: &str) -> Result<Option<Timer>, StoreError> {
        Ok(self.timers.timer(plugin, key))
    }

    fn timer_count(&self, plugin: &str) -> Result<u64, StoreError> {
        Ok(self.timers.timer_count(plugin))
    }

    fn schedules_of(&self, plugin: &str) -> Result<Vec<Timer>, StoreError> {
        Ok(self.timers.schedules_of(plugin))
    }

    /// Called while a plugin loads, outside any event: waits for the bucket in place.
    fn set_schedules(&self, plugin: &str, schedules: Vec<Timer>) -> Result<(), StoreError> {
        let changes = self.timers.schedule_changes(plugin, schedules)?;
        wait_for(self.timers.write(plugin, &changes))
    }

    fn timers_due(&self, now: u64, max: usize) -> Result<Vec<(String, Timer)>, StoreError> {
        Ok(self.timers.due(now, max))
    }

    fn next_due(&self) -> Result<Option<u64>, StoreError> {
        Ok(Some(self.timers.next_due()))
    }

    fn fire(&self, _firings: Vec<Firing>) -> Result<FireOutcome, StoreError> {
        Err(StoreError::Backend(
            "cluster mode fires through fire_async".into(),
        ))
    }

    async fn fire_async(&self, firings: Vec<Firing>) -> Result<FireOutcome, StoreError> {
        self.timers.fire(firings).await
    }
}

#[async_trait::async_trait]
impl Store for ClusterStore {
    fn flush(&self) -> Result<(), StoreError> {
        self.local.flush()
    }

    async fn flush_async(&self) -> Result<(), StoreError> {
        self.local.flush_async().await
    }
}
