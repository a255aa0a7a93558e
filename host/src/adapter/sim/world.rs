//! The sim's world: chats, members and messages, the record of what plugins did, and which
//! host handles became which messages. Everything is bounded: old messages, records and
//! handles are forgotten first.
//!
//! Every change goes through [`World::commit`] as a batch of [`Change`]s: the batch is written
//! to the sim's log as one line first (when the world has one), then applied. Replaying the log
//! applies the same changes the same way, so the world after a restart is the world before it.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::persist::SimLog;
use crate::model::Rank;

/// The bot's user name in the sim.
pub const BOT_USER: &str = "bot";
const MAX_MESSAGES_PER_CHAT: usize = 1000;
const MAX_RECORDS: usize = 200_000;
const MAX_CHATS: usize = 1000;
/// Handles of delivered sends remembered for deduplication. The outbox redelivers only what it
/// delivered but had not marked done when it stopped (one action per bot), so this is ample.
const MAX_SENT_HANDLES: usize = 20_000;
/// Roles every sim chat offers.
pub const DEFAULT_ROLES: [&str; 3] = ["red", "green", "blue"];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SimButton {
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SimMessage {
    pub id: String,
    pub version: u64,
    pub chat: String,
    pub from: String,
    pub from_bot: bool,
    pub text: String,
    pub keyboard: Option<Vec<Vec<SimButton>>>,
    pub reactions: BTreeMap<String, BTreeSet<String>>,
    pub edited: bool,
    pub deleted: bool,
    pub pinned: bool,
    pub reply_to: Option<String>,
}

impl SimMessage {
    /// A new, unnumbered message from a user (not the bot); [`World::new_message`] gives it
    /// its id and version.
    pub fn new(chat: &str, from: &str, text: String) -> Self {
        Self {
            id: String::new(),
            version: 0,
            chat: chat.to_string(),
            from: from.to_string(),
            from_bot: false,
            text,
            keyboard: None,
            reactions: BTreeMap::new(),
            edited: false,
            deleted: false,
            pinned: false,
            reply_to: None,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SimMember {
    pub user: String,
    /// The member's rank in the chat, set by a person on the sim page (`POST /sim/ranks`).
    #[serde(default = "member_rank", with = "crate::model::rank_by_name")]
    pub rank: Rank,
    pub roles: BTreeSet<String>,
    pub muted_until_ms: Option<u64>,
    pub kicked: bool,
}

/// A member joins as a plain member.
fn member_rank() -> Rank {
    Rank::Member
}

/// One thing a plugin did, as `GET /sim/actions` shows it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Record {
    pub seq: u64,
    pub op: String,
    pub chat: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emoji: Option<String>,
}

/// One change to the world, as applied live and as written to the log. Each says the new
/// state, not a delta, so applying one twice is harmless.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "t", rename_all = "kebab-case")]
pub enum Change {
    /// The counters are at least this high: a log's first line, so ids are never reused.
    Counters {
        message: u64,
        version: u64,
        record: u64,
    },
    /// A chat exists (possibly without members or messages).
    Chat { id: String },
    /// A message, new or changed.
    Message(SimMessage),
    /// A member, new or changed.
    Member { chat: String, member: SimMember },
    /// A member left.
    Left { chat: String, user: String },
    /// Something a plugin did.
    Record(Record),
    /// The bot's send with host handle `handle` became message `message_id`.
    Sent { handle: String, message_id: String },
}

#[derive(Debug, Default)]
pub struct Chat {
    pub messages: VecDeque<SimMessage>,
    pub members: BTreeMap<String, SimMember>,
}

#[derive(Debug, Default)]
pub struct World {
    next_message: u64,
    next_version: u64,
    next_record: u64,
    pub chats: BTreeMap<String, Chat>,
    records: VecDeque<Record>,
    sent: HashMap<String, String>,
    sent_order: VecDeque<String>,
    /// Where changes are written before they are applied; `None`: the world is not kept.
    log: Option<SimLog>,
    /// Counts commits, for the page's live stream (a watch: one value, never a queue).
    changes: tokio::sync::watch::Sender<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Full(String),
    #[error("the sim cannot write its log: {0}")]
    Storage(#[from] std::io::Error),
}

impl World {
    /// The world kept in the log at `path`: replays it (skipping a torn or unreadable line with
    /// a warning), rewrites it compacted, and writes every later change to it.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let mut world = World::default();
        for batch in SimLog::read(path)? {
            for change in batch {
                world.apply(change);
            }
        }
        world.log = Some(SimLog::create(path, &world.snapshot())?);
        tracing::info!(
            path = %path.display(),
            chats = world.chats.len(),
            records = world.records.len(),
            next_message = world.next_message,
            "sim world loaded"
        );
        Ok(world)
    }

    /// Writes `changes` to the log as one batch, then applies them: a crash keeps all or none.
    pub fn commit(&mut self, changes: Vec<Change>) -> Result<(), WorldError> {
        if let Some(log) = self.log.as_mut() {
            log.append(&changes)?;
        }
        for change in changes {
            self.apply(change);
        }
        self.changes.send_modify(|n| *n += 1);
        if self.log.as_ref().is_some_and(SimLog::wants_compaction) {
            let snapshot = self.snapshot();
            if let Some(log) = self.log.as_mut() {
                if let Err(e) = log.compact(&snapshot) {
                    tracing::warn!(error = %e, "cannot compact the sim's log; it keeps growing until the next try");
                }
            }
        }
        Ok(())
    }

    /// Applies one change to memory. Used live and on replay, so both give the same world.
    fn apply(&mut self, change: Change) {
        match change {
            Change::Counters {
                message,
                version,
                record,
            } => {
                self.next_message = self.next_message.max(message);
                self.next_version = self.next_version.max(version);
                self.next_record = self.next_record.max(record);
            }
            Change::Chat { id } => {
                self.chat_entry(&id);
            }
            Change::Message(message) => {
                let number = message
                    .id
                    .strip_prefix('m')
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                self.next_message = self.next_message.max(number);
                self.next_version = self.next_version.max(message.version);
                let Some(chat) = self.chat_entry(&message.chat) else {
                    return;
                };
                match chat.messages.iter_mut().rev().find(|m| m.id == message.id) {
                    Some(existing) => *existing = message,
                    None => {
                        chat.messages.push_back(message);
                        if chat.messages.len() > MAX_MESSAGES_PER_CHAT {
                            chat.messages.pop_front();
                        }
                    }
                }
            }
            Change::Member { chat, member } => {
                if let Some(chat) = self.chat_entry(&chat) {
                    chat.members.insert(member.user.clone(), member);
                }
            }
            Change::Left { chat, user } => {
                if let Some(chat) = self.chats.get_mut(&chat) {
                    chat.members.remove(&user);
                }
            }
            Change::Record(record) => {
                self.next_record = self.next_record.max(record.seq);
                if self
                    .records
                    .back()
                    .is_some_and(|last| last.seq >= record.seq)
                {
                    return; // seen already
                }
                self.records.push_back(record);
                if self.records.len() > MAX_RECORDS {
                    self.records.pop_front();
                }
            }
            Change::Sent { handle, message_id } => {
                if self.sent.contains_key(&handle) {
                    return;
                }
                self.sent.insert(handle.clone(), message_id);
                self.sent_order.push_back(handle);
                if self.sent_order.len() > MAX_SENT_HANDLES {
                    if let Some(oldest) = self.sent_order.pop_front() {
                        self.sent.remove(&oldest);
                    }
                }
            }
        }
    }

    /// The whole world as changes, the counters first: what a compacted log holds.
    fn snapshot(&self) -> Vec<Change> {
        let mut changes = vec![Change::Counters {
            message: self.next_message,
            version: self.next_version,
            record: self.next_record,
        }];
        for (id, chat) in &self.chats {
            changes.push(Change::Chat { id: id.clone() });
            changes.extend(chat.messages.iter().cloned().map(Change::Message));
            changes.extend(chat.members.values().map(|m| Change::Member {
                chat: id.clone(),
                member: m.clone(),
            }));
        }
        changes.extend(self.records.iter().cloned().map(Change::Record));
        for handle in &self.sent_order {
            if let Some(message_id) = self.sent.get(handle) {
                changes.push(Change::Sent {
                    handle: handle.clone(),
                    message_id: message_id.clone(),
                });
            }
        }
        changes
    }

    /// The chat, created if there is room.
    fn chat_entry(&mut self, id: &str) -> Option<&mut Chat> {
        if !self.chats.contains_key(id) && self.chats.len() >= MAX_CHATS {
            tracing::warn!(
                chat = id,
                "the sim holds at most {MAX_CHATS} chats; a change to a new one is dropped"
            );
            return None;
        }
        Some(self.chats.entry(id.to_string()).or_default())
    }

    fn check_room(&self, chat: &str) -> Result<(), WorldError> {
        if !self.chats.contains_key(chat) && self.chats.len() >= MAX_CHATS {
            return Err(WorldError::Full(format!(
                "the sim holds at most {MAX_CHATS} chats"
            )));
        }
        Ok(())
    }

    fn bump(&mut self) -> u64 {
        self.next_version += 1;
        self.next_version
    }

    /// Numbers a new message (not committed yet): ids and versions only ever count up.
    pub fn new_message(&mut self, mut message: SimMessage) -> Result<SimMessage, WorldError> {
        self.check_room(&message.chat)?;
        self.next_message += 1;
        message.id = format!("m{}", self.next_message);
        message.version = self.bump();
        Ok(message)
    }

    /// A changed copy of a message with a new version, so pollers see the change (not committed yet).
    pub fn changed(
        &mut self,
        chat: &str,
        id: &str,
        change: impl FnOnce(&mut SimMessage),
    ) -> Result<SimMessage, WorldError> {
        let mut message = self
            .message(chat, id)
            .cloned()
            .ok_or_else(|| WorldError::NotFound(format!("no message `{id}` in chat `{chat}`")))?;
        change(&mut message);
        message.version = self.bump();
        Ok(message)
    }

    /// Changes a message and commits the change.
    pub fn update(
        &mut self,
        chat: &str,
        id: &str,
        change: impl FnOnce(&mut SimMessage),
    ) -> Result<(), WorldError> {
        let message = self.changed(chat, id, change)?;
        self.commit(vec![Change::Message(message)])
    }

    pub fn message(&self, chat: &str, id: &str) -> Option<&SimMessage> {
        self.chats.get(chat)?.messages.iter().find(|m| m.id == id)
    }

    /// A copy of a member, or a new one (not committed yet).
    pub fn member(&self, chat: &str, user: &str) -> Result<SimMember, WorldError> {
        self.check_room(chat)?;
        Ok(self
            .existing_member(chat, user)
            .cloned()
            .unwrap_or_else(|| SimMember {
                user: user.to_string(),
                rank: Rank::Member,
                ..SimMember::default()
            }))
    }

    pub fn existing_member(&self, chat: &str, user: &str) -> Option<&SimMember> {
        self.chats.get(chat)?.members.get(user)
    }

    /// Numbers a record (not committed yet).
    pub fn new_record(&mut self, mut record: Record) -> Record {
        self.next_record += 1;
        record.seq = self.next_record;
        record
    }

    /// The message a send with this host handle became, if it was delivered before.
    pub fn sent_message(&self, handle: &str) -> Option<&str> {
        self.sent.get(handle).map(String::as_str)
    }

    /// Records after `since` (of one chat, or all). Records are in `seq` order, so a poller
    /// that passes the last `seq` it saw only pays for what is new.
    pub fn records_since(&self, chat: Option<&str>, since: u64) -> Vec<Record> {
        let first_new = self.records.partition_point(|r| r.seq <= since);
        self.records
            .range(first_new..)
            .filter(|r| chat.is_none_or(|c| r.chat == c))
            .cloned()
            .collect()
    }

    /// Every chat with its kind and members, as `/sim/chats` and the live stream give them.
    pub fn chats_json(&self) -> Vec<serde_json::Value> {
        self.chats
            .iter()
            .map(|(id, chat)| {
                let kind = if id.starts_with("dm:") {
                    "private"
                } else {
                    "group"
                };
                let members: Vec<_> = chat.members.values().collect();
                serde_json::json!({ "id": id, "kind": kind, "members": members })
            })
            .collect()
    }

    /// Tells the receiver of every commit from now on.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// The newest record's position (0 when there is none): where a reader that has looked at
    /// every record, of whatever chat, goes on from.
    pub fn last_record_seq(&self) -> u64 {
        self.records.back().map_or(0, |r| r.seq)
    }

    pub fn timeline_since(&self, chat: &str, since: u64) -> Vec<SimMessage> {
        let Some(chat) = self.chats.get(chat) else {
            return Vec::new();
        };
        let mut changed: Vec<SimMessage> = chat
            .messages
            .iter()
            .filter(|m| m.version > since)
            .cloned()
            .collect();
        changed.sort_by_key(|m| m.version);
        changed
    }
}

#[cfg(test)]
mod tests;
