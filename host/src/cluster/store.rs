//! The store in cluster mode: this node's local store behind the same facets, except where
//! the cluster must agree. A plugin's completion of an event is recorded once in the cluster
//! (a completion record per event and plugin, written only if none exists), and its effects
//! then go where every node sees them: kv writes into the shared bucket, actions into the
//! outbox stream. The local store keeps the journal of the events this node took, the
//! finished-markers, timers and the message index.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use async_nats::jetstream::{message::PublishMessage as Publish, Context};
use serde::{Deserialize, Serialize};

use super::dead::DeadLetters;
use super::kv::KvMirror;
use super::names;
use super::outbox::{ClusterOutbox, Queued};
use super::publish::unavailable;
use super::timers::{ClusterTimers, RowChange};
use crate::model::{Action, Inbound};
use crate::store::{Commit, CompletionStore, Outcome, Seq, Store, StoreError, Uncommitted};

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
    pub(super) local: Arc<dyn Store>,
    js: Context,
    partitions: u32,
    pub(super) kv: Arc<KvMirror>,
    pub(super) outbox: Arc<ClusterOutbox>,
    pub(super) timers: Arc<ClusterTimers>,
    pub(super) dead: Arc<DeadLetters>,
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
