//! minapp webhook bodies → `Event`, after checking the echoed secret in constant time. minapp
//! gives no message or event ids, so each message gets a fresh id and no dedupe key: nothing
//! can merge two messages. The conversation and sender ids keep the text they came as.

use serde_json::value::RawValue;

use super::wire::{TextBody, WireEvent};
use super::PLATFORM;
use crate::adapter::webhook::{chat_ref, now_ms, secret_matches, HookError, Parsed};
use crate::config::Secret;
use crate::model::{
    message_or_command, Card, ChatKind, Content, Message, MessageRef, Rank, UserRef,
};

/// Parses one webhook body of `bot` (its JSON text), refusing it unless it carries `secret`.
pub fn parse(bot: &str, secret: &Secret, body: &str) -> Result<Parsed, HookError> {
    let e: WireEvent = serde_json::from_str(body).map_err(|e| HookError::Invalid(e.to_string()))?;
    if !secret_matches(&e.secret, secret.expose()) {
        return Err(HookError::Forbidden);
    }
    if e.conversation_id.is_empty() {
        return Err(HookError::Invalid("`conversation_id` is missing".into()));
    }
    let raw_part =
        |part: &Option<Box<RawValue>>| part.as_deref().map_or("null", RawValue::get).to_string();
    let (image, miniprogram) = (raw_part(&e.image), raw_part(&e.miniprogram));
    let content = match e.msgtype.as_str() {
        "text" => Content::Text(text(e.text.as_deref())?),
        "link" => Content::Card(Card {
            title: e.link.title,
            body: String::new(),
            url: Some(e.link.url),
            image: None,
        }),
        // An inbound image is a CDN handle, not a URL; its JSON is passed on as it came.
        "image" => Content::Other(("image".into(), image)),
        "miniprogram" => Content::Other(("miniprogram".into(), miniprogram)),
        other => Content::Other((other.to_string(), String::new())),
    };
    let chat = chat_ref(
        PLATFORM,
        bot,
        kind_of(&e.conversation_id),
        &e.conversation_id,
    );
    let message = Message {
        id: MessageRef {
            chat,
            id: format!("minapp-{:032x}", rand::random::<u128>()),
        },
        sender: UserRef {
            id: e.sender,
            name: None,
            is_bot: false,
        },
        content,
        mentions: Vec::new(),
        reply_to: None,
        sent_at: now_ms(),
    };
    // The payload says nothing of the sender's place in the conversation.
    Ok(Parsed {
        dedupe_key: None,
        event: message_or_command(message),
        rank: Rank::Unknown,
    })
}

/// A text message's `text.content`. A `text` that is not an object, or a `content` that is an
/// object or a list, would lose the message's text: refused by name.
fn text(body: Option<&RawValue>) -> Result<String, HookError> {
    let Some(body) = body else {
        return Ok(String::new());
    };
    if !matches!(body.get().as_bytes().first(), Some(b'{' | b'n')) {
        return Err(HookError::Invalid("`text` must be an object".into()));
    }
    let text: TextBody = serde_json::from_str(body.get()).unwrap_or_default();
    text.content
        .text("text.content")
        .map(str::to_string)
        .map_err(|e| HookError::Invalid(e.to_string()))
}

/// WeChat room ids start with `R:`; anything else is taken as a one-to-one conversation (an
/// inference: the seed does not say how the two differ).
fn kind_of(conversation_id: &str) -> ChatKind {
    if conversation_id.starts_with("R:") || conversation_id.ends_with("@chatroom") {
        ChatKind::Group
    } else {
        ChatKind::Private
    }
}

#[cfg(test)]
mod tests;
