//! The sim's world: chats, members and messages, and the record of what plugins did.
//! Everything is bounded: old messages and records are forgotten first.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::Serialize;

/// The bot's user name in the sim.
pub const BOT_USER: &str = "bot";
const MAX_MESSAGES_PER_CHAT: usize = 1000;
const MAX_RECORDS: usize = 200_000;
const MAX_CHATS: usize = 1000;
/// Roles every sim chat offers.
pub const DEFAULT_ROLES: [&str; 3] = ["red", "green", "blue"];

#[derive(Debug, Clone, Serialize)]
pub struct SimButton {
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copy: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
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

#[derive(Debug, Clone, Default, Serialize)]
pub struct SimMember {
    pub user: String,
    pub roles: BTreeSet<String>,
    pub muted_until_ms: Option<u64>,
    pub kicked: bool,
}

/// One thing a plugin did, as `GET /sim/actions` shows it.
#[derive(Debug, Clone, Default, Serialize)]
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
    records: VecDeque<(u64, Record)>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum WorldError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Full(String),
}

impl World {
    pub fn chat_mut(&mut self, id: &str) -> Result<&mut Chat, WorldError> {
        if !self.chats.contains_key(id) && self.chats.len() >= MAX_CHATS {
            return Err(WorldError::Full(format!("the sim holds at most {MAX_CHATS} chats")));
        }
        Ok(self.chats.entry(id.to_string()).or_default())
    }

    pub fn bump(&mut self) -> u64 {
        self.next_version += 1;
        self.next_version
    }

    /// Adds a message and returns its id.
    pub fn post(&mut self, mut message: SimMessage) -> Result<String, WorldError> {
        self.next_message += 1;
        message.id = format!("m{}", self.next_message);
        message.version = self.bump();
        let id = message.id.clone();
        let chat = self.chat_mut(&message.chat)?;
        chat.messages.push_back(message);
        if chat.messages.len() > MAX_MESSAGES_PER_CHAT {
            chat.messages.pop_front();
        }
        Ok(id)
    }

    /// Changes a message and gives it a new version, so pollers see the change.
    pub fn update(&mut self, chat: &str, id: &str, change: impl FnOnce(&mut SimMessage)) -> Result<(), WorldError> {
        let version = self.bump();
        let message = self
            .chats
            .get_mut(chat)
            .and_then(|c| c.messages.iter_mut().find(|m| m.id == id))
            .ok_or_else(|| WorldError::NotFound(format!("no message `{id}` in chat `{chat}`")))?;
        change(message);
        message.version = version;
        Ok(())
    }

    pub fn message(&self, chat: &str, id: &str) -> Option<&SimMessage> {
        self.chats.get(chat)?.messages.iter().find(|m| m.id == id)
    }

    pub fn member_mut(&mut self, chat: &str, user: &str) -> Result<&mut SimMember, WorldError> {
        let chat = self.chat_mut(chat)?;
        Ok(chat.members.entry(user.to_string()).or_insert_with(|| SimMember { user: user.to_string(), ..SimMember::default() }))
    }

    pub fn record(&mut self, mut record: Record) {
        self.next_record += 1;
        record.seq = self.next_record;
        self.records.push_back((record.seq, record));
        if self.records.len() > MAX_RECORDS {
            self.records.pop_front();
        }
    }

    pub fn records_since(&self, chat: Option<&str>, since: u64) -> Vec<Record> {
        self.records
            .iter()
            .filter(|(seq, r)| *seq > since && chat.is_none_or(|c| r.chat == c))
            .map(|(_, r)| r.clone())
            .collect()
    }

    pub fn timeline_since(&self, chat: &str, since: u64) -> Vec<SimMessage> {
        let Some(chat) = self.chats.get(chat) else { return Vec::new() };
        let mut changed: Vec<SimMessage> = chat.messages.iter().filter(|m| m.version > since).cloned().collect();
        changed.sort_by_key(|m| m.version);
        changed
    }
}
