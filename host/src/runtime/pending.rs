//! Writes of events a lane has handled but the store has not committed yet.
//!
//! A lane hands each event's outcome to its committer and goes on to the next event without
//! waiting for the transaction (see `router::committer`). So that the next event still reads
//! what the last one wrote, the host looks here after the call's own buffered writes and before
//! the store: kv writes, the handles of messages sent, and timers set or cancelled. An entry
//! leaves once the commit that carries it is in the store (or has failed, and the event will be
//! replayed).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::store::{Commit, MessageKey, Seq, Timer, TimerChange};

#[derive(Debug, Default)]
pub struct PendingWrites {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// key → (the event that wrote it last, the value; `None`: deleted).
    kv: BTreeMap<String, (Seq, Option<Vec<u8>>)>,
    /// Bytes of keys and values in `kv`, for the quota check.
    kv_bytes: u64,
    sent: HashSet<MessageKey>,
    /// timer key → (the event that changed it last, the timer; `None`: cancelled).
    timers: BTreeMap<String, (Seq, Option<Timer>)>,
    /// How many timers the uncommitted events add to the stored count, net.
    timers_added: i64,
    /// What each uncommitted event wrote, to forget it when it settles.
    by_event: HashMap<Seq, Written>,
}

/// What one uncommitted event wrote.
#[derive(Debug, Default)]
struct Written {
    kv: Vec<String>,
    sent: Vec<MessageKey>,
    timers: Vec<String>,
    timers_added: i64,
}

impl PendingWrites {
    /// Records what `commit` (of event `seq`) will write; `timers_added`: how many timers it
    /// adds to the plugin's pending count, net.
    pub fn add(&self, seq: Seq, commit: &Commit, timers_added: i64) {
        if commit.kv.is_empty() && commit.sent.is_empty() && commit.timers.is_empty() {
            return;
        }
        let mut inner = self.lock();
        for (key, value) in &commit.kv {
            inner.kv_bytes += entry_bytes(key, value.as_deref());
            if let Some((_, old)) = inner.kv.insert(key.clone(), (seq, value.clone())) {
                inner.kv_bytes -= entry_bytes(key, old.as_deref());
            }
        }
        inner.sent.extend(commit.sent.iter().cloned());
        for change in &commit.timers {
            let timer = match change {
                TimerChange::Set(timer) => Some(timer.clone()),
                TimerChange::Cancel(_) => None,
            };
            inner.timers.insert(change.key().to_owned(), (seq, timer));
        }
        inner.timers_added += timers_added;
        let written = Written {
            kv: commit.kv.iter().map(|(key, _)| key.clone()).collect(),
            sent: commit.sent.clone(),
            timers: commit.timers.iter().map(|c| c.key().to_owned()).collect(),
            timers_added,
        };
        inner.by_event.insert(seq, written);
    }

    /// Forgets what event `seq` wrote: the store has it now, or never will.
    pub fn settle(&self, seq: Seq) {
        let mut inner = self.lock();
        let Some(written) = inner.by_event.remove(&seq) else {
            return;
        };
        for key in written.timers {
            if inner.timers.get(&key).is_some_and(|(by, _)| *by == seq) {
                inner.timers.remove(&key);
            }
        }
        inner.timers_added -= written.timers_added;
        for key in written.kv {
            if inner.kv.get(&key).is_some_and(|(by, _)| *by == seq) {
                if let Some((_, old)) = inner.kv.remove(&key) {
                    inner.kv_bytes -= entry_bytes(&key, old.as_deref());
                }
            }
        }
        for key in written.sent {
            inner.sent.remove(&key);
        }
    }

    /// `Some(timer)` if an uncommitted event changed timer `key` (`Some(None)`: cancelled it).
    pub fn timer(&self, key: &str) -> Option<Option<Timer>> {
        self.lock().timers.get(key).map(|(_, timer)| timer.clone())
    }

    /// The uncommitted timer changes, by key (`None`: cancelled).
    pub fn timers(&self) -> Vec<(String, Option<Timer>)> {
        let inner = self.lock();
        let changes = inner.timers.iter();
        changes.map(|(k, (_, t))| (k.clone(), t.clone())).collect()
    }

    /// How many timers the uncommitted events add to the stored count, net.
    pub fn timers_added(&self) -> i64 {
        self.lock().timers_added
    }

    /// `Some(value)` if an uncommitted event wrote `key` (`Some(None)`: deleted it).
    pub fn kv_get(&self, key: &str) -> Option<Option<Vec<u8>>> {
        self.lock().kv.get(key).map(|(_, value)| value.clone())
    }

    /// Applies the uncommitted writes under `prefix` to a set of stored keys.
    pub fn merge_keys(&self, prefix: &str, keys: &mut std::collections::BTreeSet<String>) {
        let inner = self.lock();
        for (key, (_, value)) in inner.kv.range(prefix.to_string()..) {
            if !key.starts_with(prefix) {
                break;
            }
            match value {
                Some(_) => keys.insert(key.clone()),
                None => keys.remove(key),
            };
        }
    }

    /// Bytes the uncommitted kv values take (counted on top of the stored ones: conservative).
    pub fn kv_bytes(&self) -> u64 {
        self.lock().kv_bytes
    }

    /// Whether an uncommitted event sent the message `key`.
    pub fn sent(&self, key: &MessageKey) -> bool {
        self.lock().sent.contains(key)
    }

    /// The lock guards plain data that stays consistent if a holder panicked.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn entry_bytes(key: &str, value: Option<&[u8]>) -> u64 {
    value.map_or(0, |v| (key.len() + v.len()) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(kv: &[(&str, Option<&str>)], sent: &[&str]) -> Commit {
        Commit {
            actions: Vec::new(),
            kv: kv
                .iter()
                .map(|(k, v)| (k.to_string(), v.map(|v| v.as_bytes().to_vec())))
                .collect(),
            sent: sent
                .iter()
                .map(|id| MessageKey {
                    bot: "b".into(),
                    chat: "c".into(),
                    id: id.to_string(),
                })
                .collect(),
            timers: Vec::new(),
        }
    }

    #[test]
    fn the_latest_write_wins_until_its_event_settles() {
        let pending = PendingWrites::default();
        pending.add(
            1,
            &commit(&[("a", Some("one")), ("b", Some("x"))], &["h1"]),
            0,
        );
        pending.add(2, &commit(&[("a", Some("two")), ("b", None)], &[]), 0);
        assert_eq!(pending.kv_get("a"), Some(Some(b"two".to_vec())));
        assert_eq!(pending.kv_get("b"), Some(None));
        assert_eq!(pending.kv_bytes(), 4);
        pending.settle(1);
        // Event 2's writes are newer: settling event 1 must not drop them.
        assert_eq!(pending.kv_get("a"), Some(Some(b"two".to_vec())));
        let key = |id: &str| MessageKey {
            bot: "b".into(),
            chat: "c".into(),
            id: id.into(),
        };
        assert!(!pending.sent(&key("h1")));
        pending.settle(2);
        assert_eq!(pending.kv_get("a"), None);
        assert_eq!(pending.kv_bytes(), 0);
    }

    #[test]
    fn listed_keys_see_uncommitted_writes_and_deletes() {
        let pending = PendingWrites::default();
        pending.add(
            7,
            &commit(
                &[("p.new", Some("1")), ("p.old", None), ("q", Some("2"))],
                &[],
            ),
            0,
        );
        let mut keys: std::collections::BTreeSet<String> =
            ["p.old".to_string(), "p.kept".to_string()].into();
        pending.merge_keys("p.", &mut keys);
        assert_eq!(
            keys.into_iter().collect::<Vec<_>>(),
            vec!["p.kept".to_string(), "p.new".to_string()]
        );
    }
}
