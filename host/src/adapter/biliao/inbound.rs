//! Biliao webhook bodies → `Event`. Times are Unix seconds; a private chat's id is the sender's.

use serde_json::Value;

use super::wire::WireEvent;
use super::PLATFORM;
use crate::adapter::webhook::{chat_ref, HookError, Parsed};
use crate::model::{
    message_or_command, Callback, ChatKind, ChatRef, Content, Event, Media, MemberChange, Message,
    MessageRef, OtherEvent, UserRef,
};

/// Parses one webhook body of `bot`.
pub fn parse(bot: &str, body: Value) -> Result<Parsed, HookError> {
    let raw = body.to_string();
    let e: WireEvent =
        serde_json::from_value(body).map_err(|e| HookError::Invalid(e.to_string()))?;
    if e.event_type.is_empty() {
        return Err(HookError::Invalid("`event_type` is missing".into()));
    }
    let dedupe_key = dedupe_key(&e);
    let chat = chat_of(bot, &e);
    let user = UserRef {
        id: e.sender_id.clone(),
        name: e.sender_display_name.clone().or(e.sender_username.clone()),
        is_bot: false,
    };
    let event = match e.event_type.as_str() {
        "private_message" | "group_message" => message_or_command(Message {
            id: MessageRef {
                chat,
                id: e.message_id.clone(),
            },
            sender: user,
            content: content(&e, &raw),
            mentions: Vec::new(),
            reply_to: None,
            sent_at: seconds_to_ms(e.timestamp),
        }),
        "member_joined" => Event::MemberJoined(MemberChange { chat, user }),
        "callback_query" => Event::Callback(Callback {
            id: e.callback_id.clone(),
            message: Some(MessageRef {
                chat: chat.clone(),
                id: e.message_id.clone(),
            })
            .filter(|m| !m.id.is_empty()),
            chat,
            user,
            data: if e.callback_data.is_empty() {
                e.content.clone()
            } else {
                e.callback_data.clone()
            },
        }),
        other => Event::Other(OtherEvent {
            chat: Some(chat).filter(|c| !c.id.is_empty()),
            kind: other.to_string(),
            raw,
        }),
    };
    Ok(Parsed { dedupe_key, event })
}

/// The platform's id of the event: the callback id for clicks, the message id for messages; a
/// join has neither, so group, user and time stand in.
fn dedupe_key(e: &WireEvent) -> Option<String> {
    let id = match e.event_type.as_str() {
        "callback_query" => e.callback_id.clone(),
        "member_joined" if e.message_id.is_empty() => {
            format!("{}:{}:{}", e.group_id, e.sender_id, e.timestamp)
        }
        _ => e.message_id.clone(),
    };
    Some(id)
        .filter(|id| !id.is_empty())
        .map(|id| format!("{}:{id}", e.event_type))
}

/// A group when the event names one, else the private chat with the sender.
fn chat_of(bot: &str, e: &WireEvent) -> ChatRef {
    if e.group_id.is_empty() {
        chat_ref(PLATFORM, bot, ChatKind::Private, &e.sender_id)
    } else {
        chat_ref(PLATFORM, bot, ChatKind::Group, &e.group_id)
    }
}

/// Text as text; media (whose inbound fields the seed does not show) by whatever reference came.
fn content(e: &WireEvent, raw: &str) -> Content {
    let media = || Media {
        url: e
            .file_url
            .clone()
            .or(e.file_id.clone())
            .unwrap_or_else(|| e.content.clone()),
        name: None,
        size: None,
    };
    match e.message_type.as_str() {
        "" | "text" => Content::Text(e.content.clone()),
        "image" => Content::Image(media()),
        "video" => Content::Video(media()),
        "audio" => Content::Audio(media()),
        "file" => Content::File(media()),
        "sticker" => Content::Sticker(e.file_id.clone().unwrap_or_else(|| e.content.clone())),
        other => Content::Other((other.to_string(), raw.to_string())),
    }
}

fn seconds_to_ms(seconds: i64) -> u64 {
    u64::try_from(seconds)
        .unwrap_or_default()
        .saturating_mul(1000)
}
