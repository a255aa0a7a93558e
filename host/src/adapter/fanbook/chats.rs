//! Which private chats exist: a DM chat id is used as it is; a private chat ref whose id is not
//! a known DM chat is taken to be a user id, and `getPrivateChat` gives the chat to send to.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// How many ids each map keeps before it starts over (bounded memory).
const CAPACITY: usize = 4096;

/// DM chat ids seen inbound, and DM chats found for user ids.
#[derive(Debug, Default)]
pub(super) struct DmChats {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    known: HashSet<u64>,
    by_user: HashMap<u64, u64>,
}

impl DmChats {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The maps hold only caches; a panic elsewhere cannot leave them inconsistent.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Remembers a DM chat id seen in an inbound event.
    pub fn note_chat(&self, chat_id: u64) {
        let mut inner = self.lock();
        if inner.known.len() >= CAPACITY {
            inner.known.clear();
        }
        inner.known.insert(chat_id);
    }

    /// The DM chat to send to for a private chat ref's id, if known without asking.
    pub fn resolve(&self, id: u64) -> Option<u64> {
        let inner = self.lock();
        if inner.known.contains(&id) {
            return Some(id);
        }
        inner.by_user.get(&id).copied()
    }

    /// Remembers the DM chat `getPrivateChat` gave for a user.
    pub fn note_user(&self, user_id: u64, chat_id: u64) {
        let mut inner = self.lock();
        if inner.by_user.len() >= CAPACITY {
            inner.by_user.clear();
        }
        inner.by_user.insert(user_id, chat_id);
        if inner.known.len() >= CAPACITY {
            inner.known.clear();
        }
        inner.known.insert(chat_id);
    }
}
