//! Writing down how deliveries ended, in batches, behind the deliveries.
//!
//! A chat's next action may start as soon as the platform has answered the one before; that
//! one's outcome is written afterwards, together with every other that ended meanwhile: one
//! transaction for many deliveries instead of one each, so a busy chat does not keep the store
//! (and every other writer) busy. Until an outcome is written:
//! - its action is not read from the store again (`unwritten`),
//! - a sent message's platform id is found here (`SentIndex`), so an edit of it can go at once.
//!
//! Outcomes are written in the order the deliveries ended, so a crash loses only the latest:
//! those actions are delivered again, in order (delivery is at least once).
//!
//! For a bot whose platform does not drop a repeated send itself (every `InDoubt` but
//! `Deduplicated`), each write is made durable before it counts as written, and the chats of
//! outcomes not yet durable are known (`busy_chats`): the scheduler starts nothing more in them
//! meanwhile, so a crash leaves at most one action per chat in doubt.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio::task::{JoinError, JoinSet};

use crate::store::{ActionId, DeliveryOutcome, MessageKey, Store, StoreError};

/// Outcomes of one bot ended and not yet written, at most: beyond, no delivery starts.
pub(super) const MAX_UNWRITTEN: usize = 256;

/// Where messages that were sent but whose outcome is not written yet went: handle key →
/// platform id.
#[derive(Clone, Default)]
pub(super) struct SentIndex(Arc<Mutex<HashMap<MessageKey, String>>>);

impl SentIndex {
    pub fn platform_id(&self, handle: &MessageKey) -> Option<String> {
        self.lock().get(handle).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<MessageKey, String>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

type Batch = Vec<(ActionId, DeliveryOutcome)>;

/// The outcomes of one bot's deliveries on their way to the store.
pub(super) struct Recorder {
    store: Arc<dyn Store>,
    bot: Arc<str>,
    /// Ended and not handed to the store yet, in the order they ended.
    waiting: Batch,
    /// Every action whose outcome is not written yet (waiting or being written).
    unwritten: HashSet<ActionId>,
    /// Writes are made durable, and the chat of each unwritten outcome kept in `chat_of`.
    one_per_chat: bool,
    chat_of: HashMap<ActionId, String>,
    pub sent: SentIndex,
    /// The write under way, if any (one at a time, to keep the order).
    writing: JoinSet<(Batch, Result<(), StoreError>)>,
    /// No write starts before this (unless `WRITE_AT_ONCE` are waiting).
    next_write: Instant,
    /// Told when written outcomes made room in the outbox.
    room: Arc<Notify>,
}

/// A write starts at most this often: back to back, the writes of a busy bot would hold the
/// store's write lock most of the time, and every accept and commit of every plugin waits for it.
const WRITE_EVERY: Duration = Duration::from_millis(20);
/// This many waiting are written without waiting for `WRITE_EVERY`.
const WRITE_AT_ONCE: usize = MAX_UNWRITTEN / 2;
/// How long to wait before writing again after a failure.
const RETRY_AFTER: Duration = Duration::from_secs(1);

impl Recorder {
    /// `one_per_chat`: see the module's doc.
    pub fn new(
        store: Arc<dyn Store>,
        bot: Arc<str>,
        room: Arc<Notify>,
        one_per_chat: bool,
    ) -> Self {
        Self {
            store,
            bot,
            waiting: Vec::new(),
            unwritten: HashSet::new(),
            one_per_chat,
            chat_of: HashMap::new(),
            sent: SentIndex::default(),
            writing: JoinSet::new(),
            next_write: Instant::now(),
            room,
        }
    }

    /// Takes the outcome of a delivery in `chat` that ended.
    pub fn ended(&mut self, id: ActionId, chat: &str, outcome: DeliveryOutcome) {
        if self.one_per_chat {
            self.chat_of.insert(id, chat.to_string());
        }
        if let Ok(Some(delivered)) = &outcome {
            let platform_id = delivered.platform_id.clone();
            self.sent
                .lock()
                .insert(delivered.handle.clone(), platform_id);
        }
        self.unwritten.insert(id);
        self.waiting.push((id, outcome));
    }

    /// Delivered or given up, the outcome not written yet: the store's reads leave them out.
    pub fn unwritten(&self) -> &HashSet<ActionId> {
        &self.unwritten
    }

    /// Whether a chat's next action waits until the outcome of the one before is durable.
    pub fn one_per_chat(&self) -> bool {
        self.one_per_chat
    }

    /// With `one_per_chat`, the chats with an outcome not durable yet (else none).
    pub fn busy_chats(&self) -> impl Iterator<Item = &str> {
        self.chat_of.values().map(String::as_str)
    }

    /// True when no delivery should start until outcomes are written.
    pub fn is_full(&self) -> bool {
        self.unwritten.len() >= MAX_UNWRITTEN
    }

    /// Starts writing what is waiting, unless a write is under way or the last began too
    /// recently (see `written` for the write that is put off).
    pub fn write_waiting(&mut self) {
        let too_soon = Instant::now() < self.next_write && self.waiting.len() < WRITE_AT_ONCE;
        if !self.writing.is_empty() || self.waiting.is_empty() || too_soon {
            return;
        }
        // A chat waiting for its outcome to be durable should not wait for a turn as well.
        let every = if self.one_per_chat {
            Duration::ZERO
        } else {
            WRITE_EVERY
        };
        self.next_write = Instant::now() + every;
        let batch = std::mem::take(&mut self.waiting);
        let store = self.store.clone();
        let durable = self.one_per_chat;
        self.writing.spawn(async move {
            let mut result = store.outbox_record_async(batch.clone()).await;
            if durable && result.is_ok() {
                result = store.flush_async().await;
            }
            (batch, result)
        });
    }

    /// Waits for the write under way to end; with none under way, starts the one put off once
    /// it is due (pending forever if nothing waits).
    pub async fn written(&mut self) -> Result<(Batch, Result<(), StoreError>), JoinError> {
        if self.writing.is_empty() && !self.waiting.is_empty() {
            tokio::time::sleep_until(self.next_write.into()).await;
            self.write_waiting();
        }
        match self.writing.join_next().await {
            Some(result) => result,
            None => std::future::pending().await,
        }
    }

    /// At shutdown: waits for the write under way, then writes what is still waiting (trying
    /// a failed write twice more).
    pub async fn write_all(&mut self) {
        for _ in 0..3 {
            if let Some(ended) = self.writing.join_next().await {
                self.settle(ended);
            }
            if self.waiting.is_empty() {
                return;
            }
            self.next_write = Instant::now();
            self.write_waiting();
        }
        if !self.waiting.is_empty() {
            tracing::warn!(bot = %self.bot, outcomes = self.waiting.len(), "delivery outcomes not written at shutdown; those actions are delivered again at the next start");
        }
    }

    /// Settles a write that ended: forgets what was written, or puts it back to try again.
    pub fn settle(&mut self, ended: Result<(Batch, Result<(), StoreError>), JoinError>) {
        match ended {
            Ok((batch, Ok(()))) => {
                let mut sent = self.sent.lock();
                for (id, outcome) in &batch {
                    self.unwritten.remove(id);
                    self.chat_of.remove(id);
                    if let Ok(Some(delivered)) = outcome {
                        sent.remove(&delivered.handle);
                    }
                }
                self.room.notify_waiters();
            }
            Ok((mut batch, Err(e))) => {
                tracing::error!(bot = %self.bot, outcomes = batch.len(), error = %e, "cannot record delivery outcomes; trying again");
                batch.append(&mut self.waiting);
                self.waiting = batch;
                self.next_write = Instant::now() + RETRY_AFTER;
            }
            // The store call itself never panics; a cancelled runtime is shutting down.
            Err(e) => {
                tracing::error!(bot = %self.bot, error = %e, "recording delivery outcomes was cancelled; those actions will be delivered again after a restart")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Inbound;
    use crate::store::{Commit, CompletionStore, Delivered, JournalStore, MemoryStore};
    use crate::test_fixtures::text_send;

    fn key(handle: &str) -> MessageKey {
        MessageKey {
            bot: "sim".into(),
            chat: "g".into(),
            id: handle.into(),
        }
    }

    /// A store with `n` pending sends (handles h0, h1, …).
    fn store_with_sends(n: usize) -> Arc<dyn Store> {
        let store = MemoryStore::default();
        let inbound = Inbound {
            bot: "sim".into(),
            rank: Default::default(),
            dedupe_key: None,
            event: crate::model::Event::Other(crate::model::OtherEvent {
                chat: None,
                kind: "test".into(),
                raw: "{}".into(),
            }),
            timer: None,
        };
        store.append(&inbound, &[]).unwrap();
        let actions = (0..n)
            .map(|i| text_send(&format!("h{i}"), &format!("m{i}")))
            .collect();
        let commit = Commit {
            actions,
            ..Commit::default()
        };
        store.commit("p", 0, commit).unwrap();
        Arc::new(store)
    }

    /// The ids of the sim bot's pending actions.
    fn pending_ids(store: &Arc<dyn Store>) -> Vec<ActionId> {
        store
            .outbox_pending("sim", 10, &HashSet::new(), &HashSet::new())
            .unwrap()
            .iter()
            .map(|p| p.id)
            .collect()
    }

    fn delivered(handle: &str, platform_id: &str) -> DeliveryOutcome {
        Ok(Some(Delivered {
            handle: key(handle),
            platform_id: platform_id.into(),
            plugin: "p".into(),
        }))
    }

    #[tokio::test]
    async fn outcomes_are_known_at_once_and_written_together() {
        let store = store_with_sends(3);
        let ids = pending_ids(&store);
        let mut recorder = Recorder::new(store.clone(), "sim".into(), Arc::default(), false);
        recorder.ended(ids[0], "g", delivered("h0", "p0"));
        recorder.write_waiting();
        recorder.ended(ids[1], "g", delivered("h1", "p1"));
        recorder.ended(ids[2], "g", Err("refused".into()));
        recorder.write_waiting(); // waits for the first write
        assert_eq!(recorder.sent.platform_id(&key("h1")).as_deref(), Some("p1"));
        assert_eq!(recorder.unwritten().len(), 3);

        let first = recorder.written().await;
        recorder.settle(first);
        assert_eq!(*recorder.unwritten(), ids[1..].iter().copied().collect());
        assert_eq!(
            recorder.sent.platform_id(&key("h0")),
            None,
            "kept after writing"
        );
        let indexed = store.lookup_message(&key("h0")).unwrap().unwrap();
        assert_eq!(indexed.platform_id.as_deref(), Some("p0"));

        let room = recorder.room.clone();
        let room_made = room.notified();
        recorder.write_waiting();
        assert!(
            recorder.writing.is_empty(),
            "the next write waits WRITE_EVERY"
        );
        let second = recorder.written().await;
        recorder.settle(second);
        assert!(recorder.unwritten().is_empty());
        tokio::time::timeout(Duration::from_secs(1), room_made)
            .await
            .expect("writing outcomes tells waiting committers that there is room");
        assert!(store
            .outbox_pending("sim", 10, &HashSet::new(), &HashSet::new())
            .unwrap()
            .is_empty());
        assert_eq!(store.dead_letters(10).unwrap().len(), 1);
    }

    #[tokio::test]
    async fn one_per_chat_keeps_a_chat_busy_until_its_outcome_is_written_at_once() {
        let store = store_with_sends(2);
        let ids = pending_ids(&store);
        let mut recorder = Recorder::new(store.clone(), "sim".into(), Arc::default(), true);
        recorder.ended(ids[0], "g", delivered("h0", "p0"));
        assert_eq!(recorder.busy_chats().collect::<Vec<_>>(), vec!["g"]);
        recorder.write_waiting();
        let first = recorder.written().await;
        recorder.settle(first);
        assert_eq!(
            recorder.busy_chats().count(),
            0,
            "written: the chat is free"
        );
        recorder.ended(ids[1], "g", delivered("h1", "p1"));
        recorder.write_waiting();
        assert!(
            !recorder.writing.is_empty(),
            "the next write does not wait for WRITE_EVERY"
        );
        let second = recorder.written().await;
        recorder.settle(second);
        assert_eq!(recorder.busy_chats().count(), 0);
        let plain = Recorder::new(store, "sim".into(), Arc::default(), false);
        assert!(!plain.one_per_chat());
    }

    #[test]
    fn deliveries_stop_while_too_many_outcomes_are_unwritten() {
        let mut recorder = Recorder::new(store_with_sends(0), "sim".into(), Arc::default(), false);
        for id in 0..MAX_UNWRITTEN as u64 {
            assert!(!recorder.is_full());
            recorder.ended(id, "g", Ok(None));
        }
        assert!(recorder.is_full());
    }
}
