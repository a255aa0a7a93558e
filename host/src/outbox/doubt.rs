//! Sends a crash may have left half done: the request went out, the outcome was not written.
//!
//! A plugin's actions in one chat go one at a time, in commit order, each once the one before
//! was answered (see `ready_by_plugin`); on such platforms, once its outcome is durable too (see
//! `record`). So after a crash, the action that may have reached the platform is the first
//! pending one of its queue (plugin, chat) among those committed before this start; no marker
//! is written before a send to know it.
//!
//! Where the platform can tell ([`InDoubt::Reconciled`]), such a send is looked up before it
//! is sent: found, it is recorded delivered with the platform's id (so edits and replies to it
//! work), and the next of its queue is looked up too (cheap, and right should a queue ever have
//! more than one in doubt); not found, it is sent, and the rest of its queue cannot have started
//! before the crash, so it goes without a look-up. Nothing else runs in the chat meanwhile, so
//! every message this run sent there is in the store's index by then, never taken for it.

use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::adapter::InDoubt;
use crate::model::{Action, ChatRef};
use crate::store::{ActionId, MessageKey, Pending, Store, StoreError};

/// Which pending sends of one bot are in doubt, and the platform ids look-ups handed out.
#[derive(Debug, Default)]
pub(super) struct Doubts {
    /// The last action pending at start-up (`None`: none, or the platform cannot tell).
    old_up_to: Option<ActionId>,
    /// Queues (plugin, chat) whose sends from before this start are settled.
    settled: Mutex<HashSet<(String, String)>>,
    /// Messages a look-up gave to an action in this run: no other action may take them.
    taken: Mutex<HashSet<MessageKey>>,
}

impl Doubts {
    /// For a bot whose platform works as `in_doubt`, whose last pending action at start-up
    /// was `old_up_to`.
    pub fn new(in_doubt: InDoubt, old_up_to: Option<ActionId>) -> Self {
        Self {
            old_up_to: old_up_to.filter(|_| in_doubt == InDoubt::Reconciled),
            ..Self::default()
        }
    }

    /// Whether `entry` is a send that may have reached the platform before a crash.
    pub fn is_in_doubt(&self, entry: &Pending) -> bool {
        let Action::Send { chat, .. } = &entry.action else {
            return false;
        };
        let old = self.old_up_to.is_some_and(|last| entry.id <= last);
        old && !lock(&self.settled).contains(&queue(&entry.plugin, chat))
    }

    /// The send of `plugin` in `chat` was not on the platform: the rest of the queue never
    /// started before the crash.
    pub fn settle(&self, plugin: &str, chat: &ChatRef) {
        lock(&self.settled).insert(queue(plugin, chat));
    }

    /// The first of `candidates` (platform ids of matching messages, oldest first) that no
    /// other action owns: not in the store's index (recorded for an earlier delivery, or a
    /// message from someone else) and not taken by another look-up. Taken from now on.
    pub fn pick(
        &self,
        store: &dyn Store,
        chat: &ChatRef,
        candidates: Vec<String>,
    ) -> Result<Option<String>, StoreError> {
        let mut taken = lock(&self.taken);
        for id in candidates {
            let key = MessageKey::of(chat, &id);
            if taken.contains(&key) || store.lookup_message(&key)?.is_some() {
                continue;
            }
            taken.insert(key);
            return Ok(Some(id));
        }
        Ok(None)
    }
}

fn queue(plugin: &str, chat: &ChatRef) -> (String, String) {
    (plugin.to_string(), chat.id.clone())
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Indexed, MemoryStore, MessageIndex};
    use crate::test_fixtures::text_send;

    fn pending(id: ActionId, plugin: &str) -> Pending {
        Pending {
            id,
            plugin: plugin.into(),
            action: text_send(&format!("h{id}"), "hi"),
        }
    }

    #[test]
    fn only_sends_from_before_the_start_of_unsettled_queues_are_in_doubt() {
        let doubts = Doubts::new(InDoubt::Reconciled, Some(5));
        assert!(doubts.is_in_doubt(&pending(5, "p")));
        assert!(
            !doubts.is_in_doubt(&pending(6, "p")),
            "committed after the start"
        );
        let chat = pending(5, "p").action.chat().clone();
        doubts.settle("p", &chat);
        assert!(
            !doubts.is_in_doubt(&pending(4, "p")),
            "its queue is settled"
        );
        assert!(
            doubts.is_in_doubt(&pending(4, "q")),
            "another plugin's queue"
        );
        let elsewhere = Doubts::new(InDoubt::OnePerChat, Some(5));
        assert!(!elsewhere.is_in_doubt(&pending(1, "p")));
    }

    #[test]
    fn a_message_someone_owns_is_never_picked() {
        let store = MemoryStore::default();
        let chat = pending(1, "p").action.chat().clone();
        let owned = Indexed {
            platform_id: Some("m1".into()),
            owner: Some("p".into()),
        };
        store
            .index_message(MessageKey::of(&chat, "m1"), owned)
            .unwrap();
        let doubts = Doubts::new(InDoubt::Reconciled, Some(9));
        let candidates = || vec!["m1".to_string(), "m2".into(), "m3".into()];
        let first = doubts.pick(&store, &chat, candidates()).unwrap();
        assert_eq!(first.as_deref(), Some("m2"), "m1 was recorded before");
        let second = doubts.pick(&store, &chat, candidates()).unwrap();
        assert_eq!(second.as_deref(), Some("m3"), "m2 is taken");
        assert_eq!(doubts.pick(&store, &chat, candidates()).unwrap(), None);
    }
}
