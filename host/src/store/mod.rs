//! Where accepted events, finished-markers, pending actions, kv data and the sent-message index
//! live. One trait for all of them because one commit spans them: "plugin P finished event E",
//! the actions P asked for and P's kv writes are stored together or not at all.
//!
//! `RedbStore` (one file under the data dir) is the default; `MemoryStore` is always built, for
//! tests and `store = "memory"`.

mod facets;
mod fjall;
mod group;
pub mod memory;
mod redb;
mod timer;
mod writes;

pub use self::fjall::{migrate_from_redb, FjallStore};
pub use self::redb::RedbStore;
pub use facets::{
    CompletionStore, DeadLetterStore, JournalStore, KvStore, MessageIndex, OutboxStore, Store,
    TimerStore,
};
pub use memory::MemoryStore;
pub(crate) use timer::{is_schedule_slot, slot as timer_slot};
pub use timer::{FireOutcome, Firing, Recurrence, Timer, TimerChange};

use crate::model::{Action, ChatRef};

/// A journal position: events are numbered in the order they were accepted.
pub type Seq = u64;

/// An outbox entry's id; entries are delivered in id order per chat.
pub type ActionId = u64;

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("the journal is full: {0} accepted events are not finished yet; try again shortly")]
    JournalFull(usize),
    #[error("the outbox is full: {0} actions wait for delivery; try again shortly")]
    OutboxFull(usize),
    #[error("this plugin's share of the outbox is full: {0} of its actions wait for delivery; try again shortly")]
    PluginOutboxFull(usize),
    #[error("storage failed: {0}")]
    Backend(String),
}

/// How much each store keeps. The journal and outbox refuse new entries when full
/// (back-pressure); the dedupe keys, the message index and the dead letters forget their
/// oldest entries beyond their bound.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Accepted events not yet finished by every plugin.
    pub journal: usize,
    /// Actions waiting for delivery.
    pub outbox: usize,
    /// Of those, at most this many of one plugin, so a plugin that floods a rate-limited bot
    /// leaves room for the others' replies.
    pub outbox_per_plugin: usize,
    /// Platform event ids remembered, to drop a platform's redelivery.
    pub dedupe_keys: usize,
    /// Messages whose platform id and sender are remembered (edit/delete after a restart).
    pub messages: usize,
    /// Dead letters kept for an operator to retry or drop.
    pub dead_letters: usize,
}

impl Bounds {
    /// Whether `adding` actions of a plugin that has `of_plugin` waiting fit in an outbox
    /// holding `waiting` in all.
    fn outbox_room(
        &self,
        waiting: usize,
        of_plugin: usize,
        adding: usize,
    ) -> Result<(), StoreError> {
        if adding == 0 {
            Ok(())
        } else if waiting + adding > self.outbox {
            Err(StoreError::OutboxFull(waiting))
        } else if of_plugin + adding > self.outbox_per_plugin {
            Err(StoreError::PluginOutboxFull(of_plugin))
        } else {
            Ok(())
        }
    }
}

impl Default for Bounds {
    fn default() -> Self {
        Self {
            journal: 10_000,
            outbox: 10_000,
            outbox_per_plugin: 10_000 / 8,
            dedupe_keys: 100_000,
            messages: 100_000,
            dead_letters: 10_000,
        }
    }
}

/// The result of offering an event to the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// Newly accepted at this position.
    New(Seq),
    /// The same platform event was accepted before, at this position.
    Duplicate(Seq),
}

impl Appended {
    pub fn seq(self) -> Seq {
        match self {
            Appended::New(seq) | Appended::Duplicate(seq) => seq,
        }
    }
}

/// Everything a plugin's handling of one event produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Commit {
    pub actions: Vec<Action>,
    /// Key → new value, or `None` for a deletion.
    pub kv: Vec<(String, Option<Vec<u8>>)>,
    /// Handles of the messages it sent, indexed (owned, not delivered yet) with the commit.
    pub sent: Vec<MessageKey>,
    /// Timers it set or cancelled, in order.
    pub timers: Vec<TimerChange>,
}

impl Commit {
    /// How many rows it writes besides its finished-marker, roughly.
    pub fn weight(&self) -> usize {
        self.actions.len() + self.kv.len() + self.sent.len() + self.timers.len()
    }
}

/// An action waiting in the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub id: ActionId,
    pub plugin: String,
    pub action: Action,
}

/// An action given up after its tries, kept with the reason until an operator retries or
/// drops it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DeadLetter {
    pub id: ActionId,
    pub plugin: String,
    pub action: Action,
    pub reason: String,
}

/// What the message index knows of a message.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Indexed {
    /// The platform's id; `None` for a sent message not delivered yet.
    pub platform_id: Option<String>,
    /// The plugin that sent it; `None` for messages from people.
    pub owner: Option<String>,
}

/// A message the outbox delivered: its handle, the platform's id for it, and who sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivered {
    pub handle: MessageKey,
    pub platform_id: String,
    pub plugin: String,
}

impl Indexed {
    /// An inbound message: its platform id known, no plugin owning it.
    pub fn seen(key: &MessageKey) -> Self {
        Indexed {
            platform_id: Some(key.id.clone()),
            owner: None,
        }
    }

    /// A message `plugin` sent, before the platform gave it an id.
    pub fn owned_by(plugin: &str) -> Self {
        Indexed {
            platform_id: None,
            owner: Some(plugin.to_string()),
        }
    }

    /// Knows everything: merging anything into it changes nothing.
    pub fn is_complete(&self) -> bool {
        self.platform_id.is_some() && self.owner.is_some()
    }

    /// What is known after also learning `newer`: known fields are never forgotten (an inbound
    /// mention of a bot message must not erase who sent it).
    pub fn merge(self, newer: Indexed) -> Indexed {
        Indexed {
            platform_id: newer.platform_id.or(self.platform_id),
            owner: newer.owner.or(self.owner),
        }
    }
}

impl Delivered {
    /// The two index entries a delivery makes: the handle and the platform's id, both owned.
    pub fn index_entries(self) -> [(MessageKey, Indexed); 2] {
        let indexed = Indexed {
            platform_id: Some(self.platform_id.clone()),
            owner: Some(self.plugin),
        };
        let by_platform_id = MessageKey {
            id: self.platform_id,
            ..self.handle.clone()
        };
        [(self.handle, indexed.clone()), (by_platform_id, indexed)]
    }
}

/// How a delivery ended: delivered (with where a sent message went), or given up with the
/// reason.
pub type DeliveryOutcome = Result<Option<Delivered>, String>;

/// A handled event and what to commit for it.
pub type Outcome = (Seq, Commit);

/// Outcomes [`Store::commit_all`] did not commit, the first of them refused for `error`.
#[derive(Debug)]
pub struct Uncommitted {
    pub rest: Vec<Outcome>,
    pub error: StoreError,
}

/// Where a message lives: the key of the sent-message index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageKey {
    pub bot: String,
    pub chat: String,
    /// The platform's id, or the host handle of a message a plugin sent.
    pub id: String,
}

impl MessageKey {
    /// The key of the message `id` (a platform id or a host handle) in `chat`.
    pub fn of(chat: &ChatRef, id: &str) -> Self {
        MessageKey {
            bot: chat.bot.clone(),
            chat: chat.id.clone(),
            id: id.to_owned(),
        }
    }
}

/// Logs a dead letter dropped for room: the operator should know what was given up for good.
fn forgot_dead_letter(letter: &DeadLetter) {
    tracing::warn!(
        plugin = %letter.plugin,
        op = letter.action.operation().name(),
        action = letter.id,
        reason = %letter.reason,
        "dead letter dropped: the dead-letter list is full (retention.dead_letters)"
    );
}

#[cfg(test)]
mod tests;
