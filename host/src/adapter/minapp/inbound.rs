//! minapp webhook bodies → `Event`, after checking the echoed secret in constant time. minapp
//! gives no message or event ids, so each message gets a fresh id and cannot be deduplicated.

use serde_json::Value;

use super::wire::WireEvent;
use super::PLATFORM;
use crate::adapter::webhook::{chat_ref, now_ms, secret_matches, HookError, Parsed};
use crate::config::Secret;
use crate::model::{message_or_command, Card, ChatKind, Content, Message, MessageRef, UserRef};

/// Parses one webhook body of `bot`, refusing it unless it carries `secret`.
pub fn parse(bot: &str, secret: &Secret, body: Value) -> Result<Parsed, HookError> {
    let raw_part = |name: &str| body.get(name).cloned().unwrap_or(Value::Null).to_string();
    let (image, miniprogram) = (raw_part("image"), raw_part("miniprogram"));
    let e: WireEvent =
        serde_json::from_value(body).map_err(|e| HookError::Invalid(e.to_string()))?;
    if !secret_matches(&e.secret, secret.expose()) {
        return Err(HookError::Forbidden);
    }
    if e.conversation_id.is_empty() {
        return Err(HookError::Invalid("`conversation_id` is missing".into()));
    }
    let content = match e.msgtype.as_str() {
        "text" => Content::Text(e.text.content),
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
    Ok(Parsed {
        dedupe_key: None,
        event: message_or_command(message),
    })
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
