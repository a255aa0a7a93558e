//! Biliao webhook bodies → `Event`. Times are Unix seconds; a private chat's id is the sender's.
//!
//! Every id and the text keep the exact text they came as (`lenient`); a field that came as an
//! object or a list is refused by name, since its text would be lost. So is an event that could
//! not be answered: a message or a click names its sender, a group message and a join name their
//! group, a click its callback id (what `answercallback` needs).

use super::wire::WireEvent;
use super::PLATFORM;
use crate::adapter::webhook::lenient::{int_of_text, Scalar};
use crate::adapter::webhook::{chat_ref, dedupe_key, HookError, Parsed};
use crate::model::{
    message_or_command, Callback, ChatKind, ChatRef, Content, Event, Media, MemberChange, Message,
    MessageRef, OtherEvent, Rank, UserRef,
};

/// The fields of a body that carry an id or the text, each checked to be a string or a number.
#[derive(Debug)]
struct Fields {
    kind: String,
    message_id: String,
    sender_id: String,
    group_id: String,
    content: String,
    timestamp: String,
    callback_id: String,
    callback_data: String,
}

/// Parses one webhook body of `bot` (its JSON text).
pub fn parse(bot: &str, body: &str) -> Result<Parsed, HookError> {
    let e: WireEvent = serde_json::from_str(body).map_err(|e| HookError::Invalid(e.to_string()))?;
    if e.event_type.is_empty() {
        return Err(HookError::Invalid("`event_type` is missing".into()));
    }
    let f = Fields::of(&e)?;
    f.check_answerable()?;
    let chat = chat_of(bot, &f);
    let user = UserRef {
        id: f.sender_id.clone(),
        name: e.sender_display_name.clone().or(e.sender_username.clone()),
        is_bot: false,
    };
    let event = match f.kind.as_str() {
        "private_message" | "group_message" => message_or_command(Message {
            id: MessageRef {
                chat,
                id: f.message_id.clone(),
            },
            sender: user,
            content: content(&e, &f, body),
            mentions: Vec::new(),
            reply_to: None,
            sent_at: seconds_to_ms(int_of_text(&f.timestamp)),
        }),
        "member_joined" => Event::MemberJoined(MemberChange { chat, user }),
        "callback_query" => Event::Callback(Callback {
            id: f.callback_id.clone(),
            message: Some(MessageRef {
                chat: chat.clone(),
                id: f.message_id.clone(),
            })
            .filter(|m| !m.id.is_empty()),
            chat,
            user,
            data: if f.callback_data.is_empty() {
                f.content.clone()
            } else {
                f.callback_data.clone()
            },
        }),
        other => Event::Other(OtherEvent {
            chat: Some(chat).filter(|c| !c.id.is_empty()),
            kind: other.to_string(),
            raw: body.to_string(),
        }),
    };
    // Biliao's payloads and API say nothing of a member's rank (fact sheet: "role: no API").
    Ok(Parsed {
        dedupe_key: f.dedupe_key(),
        event,
        rank: Rank::Unknown,
    })
}

impl Fields {
    fn of(e: &WireEvent) -> Result<Self, HookError> {
        let text = |value: &Scalar, name: &str| {
            value
                .text(name)
                .map(str::to_string)
                .map_err(|e| HookError::Invalid(e.to_string()))
        };
        Ok(Self {
            kind: e.event_type.clone(),
            message_id: text(&e.message_id, "message_id")?,
            sender_id: text(&e.sender_id, "sender_id")?,
            group_id: text(&e.group_id, "group_id")?,
            content: text(&e.content, "content")?,
            timestamp: text(&e.timestamp, "timestamp")?,
            callback_id: text(&e.callback_id, "callback_id")?,
            callback_data: text(&e.callback_data, "callback_data")?,
        })
    }

    /// Refuses an event without what answering it takes. Other event types pass as they are.
    fn check_answerable(&self) -> Result<(), HookError> {
        let needed = match self.kind.as_str() {
            "private_message" => vec![("sender_id", &self.sender_id)],
            "group_message" | "member_joined" => {
                vec![("group_id", &self.group_id), ("sender_id", &self.sender_id)]
            }
            "callback_query" => vec![
                ("callback_id", &self.callback_id),
                ("sender_id", &self.sender_id),
            ],
            _ => Vec::new(),
        };
        match needed.into_iter().find(|(_, value)| value.is_empty()) {
            Some((field, _)) => Err(HookError::Invalid(format!(
                "`{field}` is missing: a {} without it cannot be answered",
                self.kind
            ))),
            None => Ok(()),
        }
    }

    /// The platform's id of the event: a click's callback id; a message id, within its chat
    /// (the seed does not say message ids are unique across chats). A join without a message id
    /// is keyed by group, user and second; without a time it gets no key, so a later re-join
    /// is never taken for a redelivery (Biliao documents no redeliveries to drop).
    fn dedupe_key(&self) -> Option<String> {
        let kind = self.kind.as_str();
        if kind == "callback_query" {
            return Some(dedupe_key(&[kind, &self.callback_id]));
        }
        let chat = if self.group_id.is_empty() {
            &self.sender_id
        } else {
            &self.group_id
        };
        if !self.message_id.is_empty() {
            return Some(dedupe_key(&[kind, chat, &self.message_id]));
        }
        let keyed = kind == "member_joined" && !self.timestamp.is_empty();
        keyed.then(|| dedupe_key(&[kind, &self.group_id, &self.sender_id, &self.timestamp]))
    }
}

/// A group when the event names one, else the private chat with the sender.
fn chat_of(bot: &str, f: &Fields) -> ChatRef {
    if f.group_id.is_empty() {
        chat_ref(PLATFORM, bot, ChatKind::Private, &f.sender_id)
    } else {
        chat_ref(PLATFORM, bot, ChatKind::Group, &f.group_id)
    }
}

/// Text as text; media (whose inbound fields the seed does not show) by whatever reference came.
fn content(e: &WireEvent, f: &Fields, raw: &str) -> Content {
    let media = || Media {
        url: e
            .file_url
            .clone()
            .or(e.file_id.clone())
            .unwrap_or_else(|| f.content.clone()),
        name: None,
        size: None,
    };
    match e.message_type.as_str() {
        "" | "text" => Content::Text(f.content.clone()),
        "image" => Content::Image(media()),
        "video" => Content::Video(media()),
        "audio" => Content::Audio(media()),
        "file" => Content::File(media()),
        "sticker" => Content::Sticker(e.file_id.clone().unwrap_or_else(|| f.content.clone())),
        other => Content::Other((other.to_string(), raw.to_string())),
    }
}

fn seconds_to_ms(seconds: i64) -> u64 {
    u64::try_from(seconds)
        .unwrap_or_default()
        .saturating_mul(1000)
}

#[cfg(test)]
mod tests;
