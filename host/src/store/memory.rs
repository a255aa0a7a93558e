//! The in-memory store: everything a durable store keeps, lost on exit. Every collection is
//! bounded: the journal and outbox refuse new entries when full (back-pressure), the dedupe set
//! and the message index forget their oldest entries.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Mutex;

use super::{
    ActionId, Appended, Bounds, Commit, DeadLetter, Delivered, DeliveryOutcome, Indexed,
    MessageKey, Outcome, Pending, Seq, Store, StoreError, Uncommitted,
};
use crate::model::Inbound;
use crate::store::{
    CompletionStore, DeadLetterStore, JournalStore, KvStore, MessageIndex, OutboxStore,
};

mod timers;

#[derive(Debug, Default)]
struct Inner {
    next_seq: Seq,
    journal: BTreeMap<Seq, Inbound>,
    finished: BTreeSet<(String, Seq)>,
    dedupe: HashMap<(String, String), Seq>,
    dedupe_order: VecDeque<(String, String)>,
    kv: BTreeMap<(String, String), Vec<u8>>,
    next_action: ActionId,
    outbox: BTreeMap<ActionId, (String, Pending)>,
    /// Actions waiting in the outbox, per plugin.
    waiting: HashMap<String, usize>,
    dead: BTreeMap<ActionId, DeadLetter>,
    messages: HashMap<MessageKey, Indexed>,
    message_order: VecDeque<MessageKey>,
    places: Vec<(String, Seq)>,
    timers: timers::Timers,
}

#[derive(Debug, Default)]
pub struct MemoryStore {
    limits: Bounds,
    inner: Mutex<Inner>,
    /// Unit tests: this many next commits fail as a broken disk would.
    #[cfg(test)]
    pub(crate) failing_commits: std::sync::atomic::AtomicU32,
}

impl MemoryStore {
    pub fn new(limits: Bounds) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Inner>, StoreError> {
        self.inner
            .lock()
            .map_err(|_| StoreError::Backend("memory store lock poisoned".into()))
    }
}

impl Inner {
    fn enqueue(&mut self, plugin: String, action: crate::model::Action) {
        let id = self.next_action;
        self.next_action += 1;
        *self.waiting.entry(plugin.clone()).or_default() += 1;
        let bot = action.chat().bot.clone();
        let pending = Pending { id, plugin, action };
        self.outbox.insert(id, (bot, pending));
    }

    fn dequeue(&mut self, id: ActionId) -> Option<Pending> {
        let (_, pending) = self.outbox.remove(&id)?;
        if let Some(n) = self.waiting.get_mut(&pending.plugin) {
            *n -= 1;
            if *n == 0 {
                self.waiting.remove(&pending.plugin);
            }
        }
        Some(pending)
    }
}

impl MemoryStore {
    /// Indexes a message, forgetting the oldest beyond the limit.
    fn remember(&self, inner: &mut Inner, key: MessageKey, indexed: Indexed) {
        let merged = match inner.messages.get(&key) {
            Some(known) => known.clone().merge(indexed),
            None => indexed,
        };
        if inner.messages.insert(key.clone(), merged).is_none() {
            inner.message_order.push_back(key);
            while inner.message_order.len() > self.limits.messages {
                if let Some(old) = inner.message_order.pop_front() {
                    inner.messages.remove(&old);
                }
            }
        }
    }

    /// Keeps an undeliverable action as a dead letter, dropping the oldest beyond the bound.
    fn bury(&self, inner: &mut Inner, id: ActionId, pending: Pending, reason: String) {
        let letter = DeadLetter {
            id,
            plugin: pending.plugin,
            action: pending.action,
            reason,
        };
        inner.dead.insert(id, letter);
        while inner.dead.len() > self.limits.dead_letters {
            if let Some((_, oldest)) = inner.dead.pop_first() {
                super::forgot_dead_letter(&oldest);
            }
        }
    }

    /// The outbox, and the plugin's share of it, must have room for all of a commit's actions.
    fn room_for(&self, inner: &Inner, plugin: &str, commit: &Commit) -> Result<(), StoreError> {
        let of_plugin = inner.waiting.get(plugin).copied().unwrap_or(0);
        self.limits
            .outbox_room(inner.outbox.len(), of_plugin, commit.actions.len())
    }

    fn commit_one(&self, inner: &mut Inner, plugin: &str, seq: Seq, commit: Commit) {
        if !inner.finished.insert((plugin.to_string(), seq)) {
            return; // committed before: applying it again would duplicate effects
        }
        for (key, value) in commit.kv {
            let key = (plugin.to_string(), key);
            match value {
                Some(value) => inner.kv.insert(key, value),
                None => inner.kv.remove(&key),
            };
        }
        for key in commit.sent {
            self.remember(
                inner,
                key,
                Indexed {
                    platform_id: None,
                    owner: Some(plugin.to_string()),
                },
            );
        }
        for action in commit.actions {
            inner.enqueue(plugin.to_string(), action);
        }
        for change in commit.timers {
            inner.timers.apply(plugin, change);
        }
    }
}

impl JournalStore for MemoryStore {
    fn append(&self, inbound: &Inbound, messages: &[MessageKey]) -> Result<Appended, StoreError> {
        let mut inner = self.lock()?;
        self.append_in(&mut inner, inbound, messages)
    }

    fn read(&self, from: Seq, max: usize) -> Result<Vec<(Seq, Inbound)>, StoreError> {
        let inner = self.lock()?;
        Ok(inner
            .journal
            .range(from..)
            .take(max)
            .map(|(s, e)| (*s, e.clone()))
            .collect())
    }

    fn head(&self) -> Result<Seq, StoreError> {
        Ok(self.lock()?.next_seq)
    }

    fn release_before(&self, seq: Seq, keep: &BTreeSet<Seq>) -> Result<(), StoreError> {
        let mut inner = self.lock()?;
        let kept = |s: &Seq| *s >= seq || keep.contains(s);
        inner.journal.retain(|s, _| kept(s));
        inner.finished.retain(|(_, s)| kept(s));
        Ok(())
    }

    fn places(&self) -> Result<Vec<(String, Seq)>, StoreError> {
        Ok(self.lock()?.places.clone())
    }

    fn save_places(&self, places: &[(String, Seq)]) -> Result<(), StoreError> {
        self.lock()?.places = places.to_vec();
        Ok(())
    }
}

impl MemoryStore {
    /// Accepts an event under the lock (see [`JournalStore::append`]).
    fn append_in(
        &self,
        inner: &mut Inner,
        inbound: &Inbound,
        messages: &[MessageKey],
    ) -> Result<Appended, StoreError> {
        let dedupe = inbound
            .dedupe_key
            .clone()
            .map(|key| (inbound.bot.clone(), key));
        if let Some(seq) = dedupe.as_ref().and_then(|d| inner.dedupe.get(d)) {
            return Ok(Appended::Duplicate(*seq));
        }
        if inner.journal.len() >= self.limits.journal {
            return Err(StoreError::JournalFull(inner.journal.len()));
        }
        let seq = inner.next_seq;
        inner.next_seq += 1;
        inner.journal.insert(seq, inbound.clone());
        for key in messages {
            self.remember(
                inner,
                key.clone(),
                Indexed {
                    platform_id: Some(key.id.clone()),
                    owner: None,
                },
            );
        }
        if let Some(key) = dedupe {
            inner.dedupe.insert(key.clone(), seq);
            inner.dedupe_order.push_back(key);
            while inner.dedupe_order.len() > self.limits.dedupe_keys {
                if let Some(old) = inner.dedupe_order.pop_front() {
                    inner.dedupe.remove(&old);
                }
            }
        }
        Ok(Appended::New(seq))
    }
}

impl CompletionStore for MemoryStore {
    fn is_finished(&self, plugin: &str, seq: Seq) -> Result<bool, StoreError> {
        Ok(self.lock()?.finished.contains(&(plugin.to_string(), seq)))
    }

    fn commit_all(&self, plugin: &str, outcomes: Vec<Outcome>) -> Result<(), Uncommitted> {
        #[cfg(test)]
        {
            use std::sync::atomic::Ordering::SeqCst;
            let failing = self
                .failing_commits
                .fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1));
            if failing.is_ok() {
                let error = StoreError::Backend("injected: the disk is gone".into());
                return Err(Uncommitted {
                    rest: Vec::new(),
                    error,
                });
            }
        }
        let mut inner = match self.lock() {
            Ok(inner) => inner,
            Err(error) => {
                return Err(Uncommitted {
                    rest: outcomes,
                    error,
                })
            }
        };
        let mut outcomes = outcomes.into_iter();
        while let Some((seq, commit)) = outcomes.next() {
            if let Err(error) = self.room_for(&inner, plugin, &commit) {
                let rest = std::iter::once((seq, commit)).chain(outcomes).collect();
                return Err(Uncommitted { rest, error });
            }
            self.commit_one(&mut inner, plugin, seq, commit);
        }
        Ok(())
    }
}

impl KvStore for MemoryStore {
    fn kv_get(&self, plugin: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .lock()?
            .kv
            .get(&(plugin.to_string(), key.to_string()))
            .cloned())
    }

    fn kv_list(&self, plugin: &str, prefix: &str) -> Result<Vec<String>, StoreError> {
        let inner = self.lock()?;
        let start = (plugin.to_string(), prefix.to_string());
        Ok(inner
            .kv
            .range(start..)
            .take_while(|((p, k), _)| p == plugin && k.starts_with(prefix))
            .map(|((_, k), _)| k.clone())
            .collect())
    }

    fn kv_usage(&self, plugin: &str) -> Result<u64, StoreError> {
        let inner = self.lock()?;
        let start = (plugin.to_string(), String::new());
        Ok(inner
            .kv
            .range(start..)
            .take_while(|((p, _), _)| p == plugin)
            .map(|((_, k), v)| (k.len() + v.len()) as u64)
            .sum())
    }
}

impl OutboxStore for MemoryStore {
    fn outbox_pending(
        &self,
        bot: &str,
        per_plugin: usize,
        known: &HashSet<ActionId>,
        ended: &HashSet<ActionId>,
    ) -> Result<Vec<Pending>, StoreError> {
        let inner = self.lock()?;
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let mut taken: BTreeMap<&str, Vec<Pending>> = BTreeMap::new();
        let waiting = inner
            .outbox
            .values()
            .filter(|(b, p)| b == bot && !ended.contains(&p.id));
        for (_, pending) in waiting {
            let plugin = pending.plugin.as_str();
            let count = seen.entry(plugin).or_default();
            *count += 1;
            if *count <= per_plugin && !known.contains(&pending.id) {
                taken.entry(plugin).or_default().push(pending.clone());
            }
        }
        Ok(taken.into_values().flatten().collect())
    }

    fn outbox_record(&self, outcomes: Vec<(ActionId, DeliveryOutcome)>) -> Result<(), StoreError> {
        let mut inner = self.lock()?;
        for (id, outcome) in outcomes {
            let removed = inner.dequeue(id);
            match outcome {
                Ok(sent) => {
                    for (key, indexed) in sent.into_iter().flat_map(Delivered::index_entries) {
                        self.remember(&mut inner, key, indexed);
                    }
                }
                Err(reason) => {
                    if let Some(pending) = removed {
                        self.bury(&mut inner, id, pending, reason);
                    }
                }
            }
        }
        Ok(())
    }
}

impl DeadLetterStore for MemoryStore {
    fn dead_letters(&self, max: usize) -> Result<Vec<DeadLetter>, StoreError> {
        Ok(self.lock()?.dead.values().take(max).cloned().collect())
    }

    fn dead_retry(&self, id: ActionId) -> Result<bool, StoreError> {
        let mut inner = self.lock()?;
        let Some(letter) = inner.dead.remove(&id) else {
            return Ok(false);
        };
        inner.enqueue(letter.plugin, letter.action);
        Ok(true)
    }

    fn dead_drop(&self, id: ActionId) -> Result<bool, StoreError> {
        Ok(self.lock()?.dead.remove(&id).is_some())
    }
}

impl MessageIndex for MemoryStore {
    fn index_message(&self, key: MessageKey, indexed: Indexed) -> Result<(), StoreError> {
        let mut inner = self.lock()?;
        self.remember(&mut inner, key, indexed);
        Ok(())
    }

    fn lookup_message(&self, key: &MessageKey) -> Result<Option<Indexed>, StoreError> {
        Ok(self.lock()?.messages.get(key).cloned())
    }
}

impl Store for MemoryStore {}
