//! Yunhu webhook bodies → `Event`. A private chat is identified by the *sender's* id (Yunhu puts
//! the bot's own id in `chatId`), so that a reply goes back to the sender.
//!
//! Ids keep the text they came as (`lenient`). An event that names no chat to answer in (a group
//! event without its group id, a private one without its user) is refused naming the field, and
//! so is a message whose `content` or `content.text` has a shape its text would be lost in.

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::wire::{
    ButtonEvent, Envelope, FormField, MemberEvent, MessageEvent, Whereabouts, WireContent,
};
use super::PLATFORM;
use crate::adapter::webhook::lenient::Scalar;
use crate::adapter::webhook::{chat_ref, HookError, Parsed};
use crate::model::{
    message_or_command, parse_command, Callback, Card, ChatKind, ChatRef, Command, Content, Event,
    Media, MemberChange, Message, MessageRef, OtherEvent, Rank, UserRef,
};

/// Where media keys become URLs ([NB]/[ER] use these hosts).
const VIDEO_HOST: &str = "https://chat-video1.jwznb.com/";
const FILE_HOST: &str = "https://chat-file.jwznb.com/";
const AUDIO_HOST: &str = "https://chat-audio1.jwznb.com/";
const IMAGE_HOST: &str = "https://chat-img.jwznb.com/";

/// Parses one webhook body of `bot` (its JSON text).
pub fn parse(bot: &str, body: &str) -> Result<Parsed, HookError> {
    let envelope: Envelope =
        serde_json::from_str(body).map_err(|e| HookError::Invalid(e.to_string()))?;
    let kind = envelope.header.event_type.clone();
    if kind.is_empty() {
        return Err(HookError::Invalid("`header.eventType` is missing".into()));
    }
    let dedupe_key = Some(envelope.header.event_id.clone()).filter(|id| !id.is_empty());
    let event = envelope.event.as_deref();
    let mut rank = Rank::Unknown;
    let event = match kind.as_str() {
        "message.receive.normal" | "message.receive.instruction" => {
            let event: MessageEvent = decode(event);
            rank = rank_of(&event.sender.sender_user_level);
            message(bot, event, kind == "message.receive.instruction", body)?
        }
        "bot.followed" | "bot.unfollowed" => {
            let change = follower(bot, decode(event))?;
            if kind == "bot.followed" {
                Event::BotFollowed(change)
            } else {
                Event::BotUnfollowed(change)
            }
        }
        "group.join" | "group.leave" => {
            let change = member(bot, decode(event))?;
            if kind == "group.join" {
                Event::MemberJoined(change)
            } else {
                Event::MemberLeft(change)
            }
        }
        "button.report.inline" => button(bot, decode(event), &envelope.header.event_id)?,
        _ => other(bot, &kind, decode(event), body.to_string()),
    };
    Ok(Parsed {
        dedupe_key,
        event,
        rank,
    })
}

/// The sender's rank from `senderUserLevel`; anything else (a tip's `unknown`, a missing or
/// malformed field) is unknown.
fn rank_of(level: &str) -> Rank {
    match level {
        "owner" => Rank::Owner,
        "administrator" => Rank::Admin,
        "member" => Rank::Member,
        _ => Rank::Unknown,
    }
}

/// A lenient read of an event body: a body of the wrong shape gives the type's defaults.
fn decode<T: serde::de::DeserializeOwned + Default>(event: Option<&RawValue>) -> T {
    event
        .and_then(|e| serde_json::from_str(e.get()).ok())
        .unwrap_or_default()
}

/// Refuses an event whose `field` is empty: without it, there is nothing to answer.
fn required(value: &str, field: &str, why: &str) -> Result<(), HookError> {
    if value.is_empty() {
        return Err(HookError::Invalid(format!("`{field}` is missing: {why}")));
    }
    Ok(())
}

fn chat(bot: &str, kind: ChatKind, id: &str) -> ChatRef {
    chat_ref(PLATFORM, bot, kind, id)
}

/// `group` chats are groups; `bot` (and `user`) chats are the private chat with the sender.
fn chat_of(bot: &str, chat_type: &str, chat_id: &str, user_id: &str) -> ChatRef {
    if chat_type == "group" {
        chat(bot, ChatKind::Group, chat_id)
    } else {
        chat(bot, ChatKind::Private, user_id)
    }
}

fn message(
    bot: &str,
    event: MessageEvent,
    instruction: bool,
    raw: &str,
) -> Result<Event, HookError> {
    let m = event.message;
    let sender = UserRef {
        id: event.sender.sender_id.clone(),
        name: event.sender.sender_nickname.clone(),
        is_bot: event.sender.sender_type == "bot",
    };
    let chat_type = if event.chat.chat_type.is_empty() {
        &m.chat_type
    } else {
        &event.chat.chat_type
    };
    let chat_id = if event.chat.chat_id.is_empty() {
        &m.chat_id
    } else {
        &event.chat.chat_id
    };
    let chat = chat_of(bot, chat_type, chat_id, &sender.id);
    if m.content_type == "tip" {
        return Ok(Event::Other(OtherEvent {
            chat: Some(chat),
            kind: "group.tip".into(),
            raw: raw.to_string(),
        }));
    }
    answerable(&chat)?;
    let wire = wire_content(m.content.as_deref())?;
    let mentions = wire.at.clone();
    let raw_content = m.content.as_deref().map_or("null", RawValue::get);
    let (content, form) = content(&m.content_type, wire, raw_content);
    let message = Message {
        id: MessageRef { chat, id: m.msg_id },
        sender,
        content,
        mentions,
        reply_to: m.parent_id,
        sent_at: u64::try_from(m.send_time).unwrap_or_default(),
    };
    let name = m.command_name.or(m.instruction_name);
    Ok(match (instruction, name) {
        (true, Some(name)) => {
            let args = match (&message.content, form) {
                (_, Some(form)) => form,
                (Content::Text(text), None) => command_args(text),
                _ => String::new(),
            };
            Event::Command(Command {
                name,
                args,
                message,
            })
        }
        _ => message_or_command(message),
    })
}

/// Refuses a message that names no chat to answer in: its group, or its private sender.
fn answerable(chat: &ChatRef) -> Result<(), HookError> {
    match chat.kind {
        ChatKind::Group => required(
            &chat.id,
            "event.chat.chatId",
            "a group message names its group",
        ),
        ChatKind::Private => required(
            &chat.id,
            "event.sender.senderId",
            "a private message is answered to its sender",
        ),
    }
}

/// A message's `content`: an object, whose `text` (when there is one) is a string or a number.
/// Anything else would be read as an empty message, its text lost, so it is refused.
fn wire_content(content: Option<&RawValue>) -> Result<WireContent, HookError> {
    let field = "event.message.content";
    let Some(content) = content else {
        return Ok(WireContent::default());
    };
    if !matches!(content.get().as_bytes().first(), Some(b'{' | b'n')) {
        return Err(HookError::Invalid(format!("`{field}` must be an object")));
    }
    let wire: WireContent = decode(Some(content));
    wire.text
        .text(&format!("{field}.text"))
        .map_err(|e| HookError::Invalid(e.to_string()))?;
    Ok(wire)
}

/// The text after `/name` (or the whole text when it does not start with a command).
fn command_args(text: &str) -> String {
    parse_command(text).map_or_else(|| text.trim().to_string(), |(_, args)| args)
}

/// The neutral content, and for a form its values as a JSON object (`{field id: value}`).
fn content(kind: &str, c: WireContent, raw: &str) -> (Content, Option<String>) {
    let media = |url: Option<String>, host: &str, name: Option<String>, size: i64| Media {
        url: url
            .map(|u| {
                if u.starts_with("http") {
                    u
                } else {
                    format!("{host}{u}")
                }
            })
            .unwrap_or_default(),
        name,
        size: u64::try_from(size).ok().filter(|s| *s > 0),
    };
    let text = c.text.into_text();
    let content = match kind {
        "text" => Content::Text(text),
        "markdown" => Content::Markdown(text),
        "html" => Content::Html(text),
        "image" => Content::Image(media(c.image_url, IMAGE_HOST, c.image_name, 0)),
        "video" => Content::Video(media(c.video_url, VIDEO_HOST, None, 0)),
        "audio" => Content::Audio(media(c.audio_url, AUDIO_HOST, None, 0)),
        "file" => Content::File(media(c.file_url, FILE_HOST, c.file_name, c.file_size)),
        "expression" => Content::Sticker(c.expression_id.or(c.image_name).unwrap_or_default()),
        "post" => Content::Card(Card {
            title: c.post_title.unwrap_or(text),
            body: c.post_content.unwrap_or_default(),
            url: None,
            image: None,
        }),
        "form" => {
            let values = form_values(&c.form_json);
            return (
                Content::Other(("form".into(), values.clone())),
                Some(values),
            );
        }
        other => Content::Other((other.to_string(), raw.to_string())),
    };
    (content, None)
}

/// A form's answers as `{field id: value}`: text fields as strings, switches as booleans, a
/// radio or select as its chosen value, checkboxes as the list of ticked values.
fn form_values(fields: &std::collections::BTreeMap<String, FormField>) -> String {
    let mut out = Map::new();
    for (key, field) in fields {
        let id = if field.id.is_empty() {
            key.clone()
        } else {
            field.id.clone()
        };
        let value = match field.kind.as_str() {
            "radio" | "select" => Value::String(text_of(field.select_value.as_deref())),
            "checkbox" => {
                let ticked = field
                    .select_values
                    .iter()
                    .zip(
                        field
                            .select_status
                            .iter()
                            .chain(std::iter::repeat(&Value::Bool(false))),
                    )
                    .filter(|(_, on)| on.as_bool() == Some(true))
                    .map(|(v, _)| Value::String(text_of(Some(v))));
                Value::Array(ticked.collect())
            }
            _ => match field.value.as_deref().map(RawValue::get) {
                Some("true") => Value::Bool(true),
                Some("false") => Value::Bool(false),
                _ => Value::String(text_of(field.value.as_deref())),
            },
        };
        out.insert(id, value);
    }
    Value::Object(out).to_string()
}

/// A form value's exact text (empty for `null`, an object or a list).
fn text_of(raw: Option<&RawValue>) -> String {
    raw.map(Scalar::of).unwrap_or_default().into_text()
}

fn user(id: String, name: Option<String>) -> UserRef {
    UserRef {
        id,
        name,
        is_bot: false,
    }
}

/// `bot.followed` / `bot.unfollowed` happen in the private chat with the user.
fn follower(bot: &str, e: MemberEvent) -> Result<MemberChange, HookError> {
    required(&e.user_id, "event.userId", "the user is the chat")?;
    Ok(MemberChange {
        chat: chat(bot, ChatKind::Private, &e.user_id),
        user: user(e.user_id, e.nickname),
    })
}

fn member(bot: &str, e: MemberEvent) -> Result<MemberChange, HookError> {
    required(
        &e.chat_id,
        "event.chatId",
        "a member change names its group",
    )?;
    required(&e.user_id, "event.userId", "a member change names its user")?;
    Ok(MemberChange {
        chat: chat(bot, ChatKind::Group, &e.chat_id),
        user: user(e.user_id, e.nickname),
    })
}

/// A click on an actionType-3 button. Yunhu gives no click id, so the event id stands in.
fn button(bot: &str, e: ButtonEvent, event_id: &str) -> Result<Event, HookError> {
    required(&e.user_id, "event.userId", "a click names who clicked")?;
    let chat = chat_of(bot, &e.recv_type, &e.recv_id, &e.user_id);
    required(
        &chat.id,
        "event.recvId",
        "a click in a group names the group",
    )?;
    let message = Some(MessageRef {
        chat: chat.clone(),
        id: e.msg_id,
    })
    .filter(|m| !m.id.is_empty());
    Ok(Event::Callback(Callback {
        id: event_id.to_string(),
        chat,
        user: user(e.user_id, None),
        message,
        data: e.value,
    }))
}

/// Everything else (`bot.shortcut.menu`, `bot.setting`, `a2ui.button.report`, new types): the
/// raw body, with the chat when one can be told.
fn other(bot: &str, kind: &str, w: Whereabouts, raw: String) -> Event {
    let user_id = if w.user_id.is_empty() {
        &w.sender_id
    } else {
        &w.user_id
    };
    let chat = if kind == "bot.setting" {
        Some(w.group_id.as_str())
            .filter(|g| !g.is_empty())
            .map(|g| chat(bot, ChatKind::Group, g))
    } else if !w.chat_id.is_empty() {
        Some(chat_of(bot, &w.chat_type, &w.chat_id, user_id))
    } else if !w.recv_id.is_empty() {
        Some(chat_of(bot, &w.recv_type, &w.recv_id, user_id))
    } else {
        None
    };
    let chat = chat.filter(|c| !c.id.is_empty());
    Event::Other(OtherEvent {
        chat,
        kind: kind.to_string(),
        raw,
    })
}

#[cfg(test)]
mod hostile;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lenient_where_production_is_sloppy() {
        let body = json!({
            "header": {"eventId": "e1", "eventType": "message.receive.instruction"},
            "event": {
                "sender": {"senderId": 5280193, "senderType": "user"},
                "chat": {"chatId": "38261437", "chatType": "bot"},
                "message": {"msgId": "m1", "contentType": "form", "commandName": "报修", "content": {"formJson": {
                    "a": {"id": "a", "type": "switch", "label": null, "value": true},
                    "b": {"id": "b", "type": "checkbox", "label": null, "selectValues": ["x", "y"], "selectStatus": [false, true]}
                }}}
            }
        });
        let parsed = parse("yh", &body.to_string()).unwrap();
        let Event::Command(c) = parsed.event else {
            panic!("{:?}", parsed.event)
        };
        assert_eq!(c.message.id.chat.kind, ChatKind::Private);
        assert_eq!(c.message.id.chat.id, "5280193");
        let args: Value = serde_json::from_str(&c.args).unwrap();
        assert_eq!(args, json!({"a": true, "b": ["y"]}));
    }

    #[test]
    fn at_as_a_string() {
        let body = json!({
            "header": {"eventId": "e2", "eventType": "message.receive.normal"},
            "event": {"sender": {"senderId": "1"}, "chat": {"chatId": "9", "chatType": "group"},
                      "message": {"msgId": "m", "contentType": "text", "content": {"text": "hi", "at": "1,2"}}}
        });
        let Event::Message(m) = parse("yh", &body.to_string()).unwrap().event else {
            panic!()
        };
        assert_eq!(m.mentions, vec!["1", "2"]);
    }
}
