//! The store in cluster mode: this node's local store behind the same facets, except where
//! the cluster must agree. A plugin's completion of an event is recorded once in the cluster
//! (a completion record per event and plugin, written only if none exists), and its effects
//! then go where every node sees them: kv writes into the shared bucket, actions into the
//! outbox stream. The local store keeps the journal of the events this node took, the
//! finished-markers, timers and the message index.

use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use async_nats::jetstream::{message::PublishMessage as Publish, Context};
use serde::{Deserialize, Serialize};

use super::dead::{wait_for, DeadLetters};
use super::kv::KvMirror;
use super::names;
use super::outbox::{ClusterOutbox, Queued};
use super::publish::unavailable;
use super::timers::{ClusterTimers, RowChange};
use crate::model::{Action, Inbound};
use crate::store::{
    ActionId, Appended, Commit, CompletionStore, DeadLetter, DeadLetterStore, DeliveryOutcome,
    FireOutcome, Firing, Indexed, JournalStore, KvStore, MessageIndex, MessageKey, OutboxStore,
    Outcome, Pending, Seq, Store, StoreError, Timer, TimerStore, Uncommitted,
};

/// How long a completion is tried again while NATS does not answer.
const PATIENCE: Duration = Duration::from_secs(120);

/// What a plugin's handling of an event did that the cluster must see, recorded once.
#[derive(Debug, Serialize, Deserialize)]
pub struct DoneRecord {
    pub kv: Vec<(String, Option<Vec<u8>>)>,
    pub actions: Vec<Action>,
    /// Timer rows set or cancelled.
    #[serde(default)]
    pub timers: Vec<RowChange>,
}

/// Where an event stands in the cluster: its partition and identity token.
#[derive(Debug, Clone)]
pub struct EventPlace {
    pub partition: u32,
    pub token: String,
}

impl EventPlace {
    /// Every event in a node's journal has a dedupe key in cluster mode: the platform's id,
    /// a timer firing's, or the event stream's position (see `partitions`).
    pub fn of(inbound: &Inbound, partitions: u32) -> Self {
        let key = match (&inbound.dedupe_key, &inbound.timer) {
            (Some(key), _) => key.clone(),
            (None, Some(t)) => format!("timer/{}/{}/{}", t.plugin, t.key, t.due_at),
            (None, None) => String::new(),
        };
        Self {
            partition: names::partition_of(inbound, partitions),
            token: names::event_token(&inbound.bot, &key),
        }
    }
}

/// The local store, with completions, kv and the outbox shared through JetStream.
pub struct ClusterStore {
    local: Arc<dyn Store>,
    js: Context,
    partitions: u32,
    kv: Arc<KvMirror>,
    outbox: Arc<ClusterOutbox>,
    timers: Arc<ClusterTimers>,
    dead: Arc<DeadLetters>,
    /// (event token, plugin) completed by a node before this one took the event again.
    done_elsewhere: Mutex<HashSet<(String, String)>>,
}

impl std::fmt::Debug for ClusterStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterStore").finish_non_exhaustive()
    }
}

impl ClusterStore {
    pub fn new(
        local: Arc<dyn Store>,
        js: Context,
        partitions: u32,
        kv: Arc<KvMirror>,
        outbox: Arc<ClusterOutbox>,
        timers: Arc<ClusterTimers>,
        dead: Arc<DeadLetters>,
    ) -> Self {
        Self {
            local,
            js,
            partitions,
            kv,
            outbox,
            timers,
            dead,
            done_elsewhere: Mutex::default(),
        }
    }

    /// Notes that `plugin` finished this event on another node (its record was found).
    pub fn finished_elsewhere(&self, token: &str, plugin: &str) {
        if let Ok(mut done) = self.done_elsewhere.lock() {
            done.insert((token.to_string(), plugin.to_string()));
        }
    }

    /// Forgets an event's notes once it is acked.
    pub fn forget_event(&self, token: &str) {
        if let Ok(mut done) = self.done_elsewhere.lock() {
            done.retain(|(t, _)| t != token);
        }
    }

    fn inbound_at(&self, seq: Seq) -> Result<Option<Inbound>, StoreError> {
        Ok(self
            .local
            .read(seq, 1)?
            .into_iter()
            .find(|(at, _)| *at == seq)
            .map(|(_, inbound)| inbound))
    }

    /// Records `plugin`'s completion of the event once in the cluster and applies its effects;
    /// a record that exists already means another node did both.
    async fn record(
        &self,
        plugin: &str,
        place: &EventPlace,
        commit: &Commit,
    ) -> Result<(), StoreError> {
        let record = DoneRecord {
            kv: commit.kv.clone(),
            actions: commit.actions.clone(),
            timers: ClusterTimers::changes(&commit.timers)?,
        };
        let payload = serde_json::to_vec(&record)
            .map_err(|e| StoreError::Backend(format!("cannot encode a completion: {e}")))?;
        let subject = names::done_subject(place.partition, &place.token, plugin);
        let message = Publish::build()
            .payload(payload.into())
            .expected_last_subject_sequence(0);
        let ack = self
            .js
            .send_publish(subject, message)
            .await
            .map_err(|e| unavailable("cannot record a completion", e))?
            .await;
        let record = match ack {
            Ok(_) => record,
            // Written already: by this node, whose ack was lost (a NATS restart), or by a node
            // that had the event before. Its effects are applied again; that changes nothing.
            Err(e) if e.to_string().contains("wrong last sequence") => self
                .find_record(plugin, place)
                .await?
                .ok_or_else(|| StoreError::Backend("a completion record vanished".into()))?,
            Err(e) => return Err(unavailable("the completion was not acknowledged", e)),
        };
        self.apply(plugin, place, &record).await
    }

    /// [`record`](Self::record), tried again while NATS is away (a restart, a failover): the
    /// event stays this node's meanwhile (progress acks), and giving up would leave it stuck.
    async fn record_patiently(
        &self,
        plugin: &str,
        place: &EventPlace,
        commit: &Commit,
    ) -> Result<(), StoreError> {
        let mut wait = Duration::from_millis(100);
        let give_up = Instant::now() + PATIENCE;
        loop {
            match self.record(plugin, place, commit).await {
                Err(e) if Instant::now() < give_up => {
                    tracing::warn!(plugin, event = %place.token, error = %e, "cannot record a completion yet; trying again");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(2));
                }
                done => return done,
            }
        }
    }

    /// Applies a completion record's effects: again after a crash changes nothing (kv writes
    /// are the final values; actions are deduplicated by their id in the outbox stream).
    pub async fn apply(
        &self,
        plugin: &str,
        place: &EventPlace,
        record: &DoneRecord,
    ) -> Result<(), StoreError> {
        self.kv.write(plugin, &record.kv).await?;
        self.timers.write(plugin, &record.timers).await?;
        for (n, action) in record.actions.iter().enumerate() {
            let bot = &action.chat().bot;
            let subject = names::outbox_subject(bot, place.partition, &place.token, plugin, n);
            let queued = Queued {
                plugin: plugin.to_string(),
                action: action.clone(),
            };
            let payload = serde_json::to_vec(&queued)
                .map_err(|e| StoreError::Backend(format!("cannot encode an action: {e}")))?;
            let message = Publish::build()
                .payload(payload.into())
                .message_id(&subject);
            self.js
                .send_publish(subject, message)
                .await
                .map_err(|e| unavailable("cannot queue an action", e))?
                .await
                .map_err(|e| unavailable("the outbox did not acknowledge an action", e))?;
        }
        Ok(())
    }

    /// The completion record of `plugin` for an event, if one was written.
    pub async fn find_record(
        &self,
        plugin: &str,
        place: &EventPlace,
    ) -> Result<Option<DoneRecord>, StoreError> {
        let stream = self
            .js
            .get_stream(names::DONE)
            .await
            .map_err(|e| unavailable("cannot open the completion stream", e))?;
        let subject = names::done_subject(place.partition, &place.token, plugin);
        match stream.direct_get_last_for_subject(subject).await {
            Ok(message) => serde_json::from_slice(&message.payload)
                .map(Some)
                .map_err(|e| {
                    StoreError::Backend(format!("a completion record is unreadable: {e}"))
                }),
            Err(e) if e.kind() == async_nats::jetstream::stream::DirectGetErrorKind::NotFound => {
                Ok(None)
            }
            Err(e) => Err(unavailable("cannot read a completion record", e)),
        }
    }

    /// The partition count, for the pullers.
    pub fn partitions(&self) -> u32 {
        self.partitions
    }

    /// Waits until this node's mirrors of the plugins' kv and timers hold every write made
    /// before the call, so an event sees what the events before it wrote, on any node.
    pub async fn catch_up(&self) -> Result<(), StoreError> {
        let (kv, timers) = tokio::join!(self.kv.catch_up(), self.timers.catch_up());
        kv.and(timers)
    }
}

/// What the local store keeps of a commit in cluster mode: the finished-marker and the sent
/// handles; kv, actions and timers went to the cluster.
fn local_part(commit: Commit) -> Commit {
    Commit {
        actions: Vec::new(),
        kv: Vec::new(),
        sent: commit.sent,
        timers: Vec::new(),
    }
}

#[async_trait::async_trait]
impl CompletionStore for ClusterStore {
    fn is_finished(&self, plugin: &str, seq: Seq) -> Result<bool, StoreError> {
        if self.local.is_finished(plugin, seq)? {
            return Ok(true);
        }
        let any_elsewhere = self.done_elsewhere.lock().is_ok_and(|d| !d.is_empty());
        if !any_elsewhere {
            return Ok(false);
        }
        let Some(inbound) = self.inbound_at(seq)? else {
            return Ok(false);
        };
        let place = EventPlace::of(&inbound, self.partitions);
        Ok(self
            .done_elsewhere
            .lock()
            .is_ok_and(|d| d.contains(&(place.token, plugin.to_string()))))
    }

    fn commit_all(&self, _plugin: &str, outcomes: Vec<Outcome>) -> Result<(), Uncommitted> {
        Err(Uncommitted {
            rest: outcomes,
            error: StoreError::Backend("cluster mode commits through commit_all_async".into()),
        })
    }

    async fn commit_all_async(
        &self,
        plugin: &str,
        outcomes: Vec<Outcome>,
    ) -> Result<(), Uncommitted> {
        let mut local = Vec::with_capacity(outcomes.len());
        let mut outcomes = outcomes.into_iter();
        while let Some((seq, commit)) = outcomes.next() {
            let recorded = match self.inbound_at(seq) {
                Ok(Some(inbound)) => {
                    let place = EventPlace::of(&inbound, self.partitions);
                    self.record_patiently(plugin, &place, &commit).await
                }
                Ok(None) => Err(StoreError::Backend(format!(
                    "event {seq} is not in this node's journal"
                ))),
                Err(e) => Err(e),
            };
            if let Err(error) = recorded {
                let mut rest = vec![(seq, commit)];
                rest.extend(outcomes);
                self.local.commit_all_async(plugin, local).await?;
                return Err(Uncommitted { rest, error });
            }
            local.push((seq, local_part(commit)));
        }
        self.local.commit_all_async(plugin, local).await
    }

    fn sync(&self) -> Result<(), StoreError> {
        self.local.sync()
    }

    async fn sync_async(&self) -> Result<(), StoreError> {
        self.local.sync_async().await
    }

    fn unflushed(&self) -> bool {
        self.local.unflushed()
    }
}

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
