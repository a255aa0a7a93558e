//! Structure-aware: the fuzzer's bytes describe a JSON tree (not JSON text), whose keys and
//! string values come mostly from the platforms' own vocabulary, and that tree goes to every
//! JSON parser: the Biliao, Yunhu and minapp webhook parsers as a value, and Fanbook's frame
//! and update decoders as text. The byte-level targets spend most of their time on JSON syntax;
//! this one spends it on what the parsers decide: a field of the wrong type, a known event type
//! with the fields of another, numbers at the edges, missing or `null` fields.
//!
//! Trees are at most 64 deep: the webhook route reads bodies with `serde_json`, which refuses
//! anything deeper than 128, so deeper values never reach the parsers.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Number, Value};
use wasmbot::adapter::{biliao, fanbook, minapp, yunhu};
use wasmbot::config::Secret;

const MAX_DEPTH: usize = 64;
/// How deep a JSON-in-a-string may start (its text grows twofold with each level).
const MAX_NESTED: usize = 4;

/// Field names of the platforms' payloads (from the golden samples).
#[rustfmt::skip]
const KEYS: &[&str] = &[
    "action", "at", "audioUrl", "author", "avatarUrl", "bot", "callback_data", "callback_id",
    "callback_query", "channel_id", "channel_post", "channel_type", "chat", "chatId",
    "chatType", "chat_instance", "circle_type", "code", "commandId", "commandName", "content",
    "contentType", "conversation_id", "data", "date", "document", "emoji", "event", "eventId",
    "eventTime", "eventType", "event_type", "fileName", "fileSize", "fileUrl", "first_name",
    "formJson", "from", "group_id", "group_title", "group_username", "guild_id", "header", "id",
    "image", "imageName", "imageUrl", "is_bot", "link", "member", "mentions", "menuId",
    "message", "messageId", "message_id", "message_type", "method", "miniprogram", "msgId",
    "msg_type", "msgtype", "name", "new_chat_members", "new_join_members", "nickname", "ok",
    "parent", "parentId", "postId", "post_id", "quote_l1", "quote_l2", "reaction", "records",
    "recvId", "recvType", "reply_to_message", "result", "secret", "sendTime", "sender",
    "senderId", "senderNickname", "sender_display_name", "sender_id", "sender_username",
    "settingJson", "text", "time", "timestamp", "title", "type", "update_id", "url", "userId",
    "user_id", "username", "value", "videoName", "videoUrl",
];

/// Values of the fields that pick a kind of event or content (from the golden samples).
#[rustfmt::skip]
const WORDS: &[&str] = &[
    "", "a2ui.button.report", "add", "audio", "bot", "bot.followed", "bot.setting",
    "bot.shortcut.menu", "bot.unfollowed", "button.report.inline", "callback_query", "channel",
    "circle", "circleEnter", "connect", "del", "edited_message", "expression", "file", "form",
    "group", "group.join", "group.leave", "group_message", "guildNotice", "html", "image",
    "link", "markdown", "member_joined", "message.receive.instruction",
    "message.receive.normal", "miniprogram", "newJoin", "ping", "pong", "post", "post_add",
    "post_like", "private", "private_message", "push", "reaction", "richText", "text", "tip",
    "topicShare", "user", "userQuit", "video", "voice", "/start", "${@!1}", "%F0%9F%91%8D",
    "R:1", "S:1", "{}", "[]", "null",
];

/// A JSON tree as the fuzzer's bytes describe it.
#[derive(Debug, Arbitrary)]
enum Node {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Word(u8),
    Text(String),
    /// A string holding JSON: Fanbook and Yunhu nest JSON documents in string fields.
    Nested(Box<Node>),
    Array(Vec<Node>),
    Object(Vec<(Key, Node)>),
}

#[derive(Debug, Arbitrary)]
enum Key {
    Known(u8),
    Other(String),
}

impl Node {
    fn value(&self, depth: usize) -> Value {
        if depth >= MAX_DEPTH {
            return Value::Null;
        }
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Int(i) => json!(i),
            Node::UInt(u) => json!(u),
            Node::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Node::Word(i) => Value::String(pick(WORDS, *i).into()),
            Node::Text(s) => Value::String(s.clone()),
            // Each level of nesting doubles the escapes: four levels are plenty.
            Node::Nested(n) if depth < MAX_NESTED => Value::String(n.value(depth + 1).to_string()),
            Node::Nested(_) => Value::Null,
            Node::Array(items) => items.iter().map(|n| n.value(depth + 1)).collect(),
            Node::Object(fields) => {
                let mut map = Map::new();
                for (key, node) in fields {
                    let key = match key {
                        Key::Known(i) => pick(KEYS, *i).to_string(),
                        Key::Other(s) => s.clone(),
                    };
                    map.insert(key, node.value(depth + 1));
                }
                Value::Object(map)
            }
        }
    }
}

fn pick(list: &[&'static str], i: u8) -> &'static str {
    list[usize::from(i) % list.len()]
}

fuzz_target!(|data: &[u8]| {
    let Ok(node) = Node::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let body = node.value(0);
    let _ = biliao::parse_webhook("fuzz", body.clone());
    let _ = yunhu::parse_webhook("fuzz", body.clone());
    let secret = Secret::new(body.get("secret").and_then(Value::as_str).unwrap_or("s"));
    let _ = minapp::parse_webhook("fuzz", &secret, body.clone());
    let _ = fanbook::decode_frame("fuzz", &body.to_string());
    let updates = json!({ "ok": true, "result": [body] });
    let _ = fanbook::decode_updates("fuzz", &updates.to_string());
});
