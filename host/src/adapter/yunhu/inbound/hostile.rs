//! Hostile Yunhu bodies: ids in every numeric form, contents of the wrong shape, events that
//! name no chat to answer in.
#![allow(clippy::unwrap_used)]

use serde_json::{json, Value};

use super::parse;
use crate::adapter::webhook::HookError;
use crate::model::{ChatKind, Event, Message};

/// A group text message whose ids are the JSON literals given.
fn group_text(event_id: &str, msg_id: &str, sender: &str, group: &str) -> String {
    format!(
        r#"{{"version": "1.0", "header": {{"eventId": {event_id}, "eventType": "message.receive.normal"}},
            "event": {{"sender": {{"senderId": {sender}, "senderType": "user"}},
                       "chat": {{"chatId": {group}, "chatType": "group"}},
                       "message": {{"msgId": {msg_id}, "parentId": {msg_id}, "contentType": "text",
                                    "content": {{"text": "hi", "at": [{sender}]}}}}}}}}"#
    )
}

fn message(body: &str) -> (Option<String>, Message) {
    let parsed = parse("yh", body).unwrap();
    match parsed.event {
        Event::Message(m) => (parsed.dedupe_key, m),
        other => panic!("{other:?}"),
    }
}

fn refusal(body: &Value) -> String {
    match parse("yh", &body.to_string()) {
        Err(HookError::Invalid(why)) => why,
        other => panic!("not refused: {other:?}"),
    }
}

#[test]
fn every_id_keeps_the_text_it_came_as() {
    for id in ["9007199254740993", "18446744073709551617", "1e3", "1000.0"] {
        let (key, m) = message(&group_text(id, id, id, id));
        assert_eq!(key.as_deref(), Some(id));
        assert_eq!(m.id.id, id);
        assert_eq!(m.id.chat.id, id);
        assert_eq!(m.sender.id, id);
        assert_eq!(m.reply_to.as_deref(), Some(id));
        assert_eq!(m.mentions, vec![id]);
    }
    let (a, _) = message(&group_text("18446744073709551617", "1", "1", "1"));
    let (b, _) = message(&group_text("18446744073709551618", "1", "1", "1"));
    assert_ne!(a, b, "ids that differ beyond 2^53 are different events");
    let (a, _) = message(&group_text("1e3", "1", "1", "1"));
    let (b, _) = message(&group_text("1000.0", "1", "1", "1"));
    assert_ne!(a, b, "`1e3` and `1000.0` are different texts");
}

#[test]
fn a_private_message_is_answered_to_the_sender_s_exact_id() {
    let body = r#"{"header": {"eventId": "e", "eventType": "message.receive.normal"},
                   "event": {"sender": {"senderId": 18446744073709551617},
                             "chat": {"chatId": 38261437, "chatType": "bot"},
                             "message": {"msgId": "m", "contentType": "text", "content": {"text": "hi"}}}}"#;
    let (_, m) = message(body);
    assert_eq!(
        (m.id.chat.kind, m.id.chat.id.as_str()),
        (ChatKind::Private, "18446744073709551617")
    );
}

#[test]
fn events_without_a_chat_to_answer_in_are_refused_by_field() {
    let mut group = json!({ "header": { "eventId": "e", "eventType": "message.receive.normal" },
        "event": { "sender": { "senderId": "1" }, "chat": { "chatType": "group" },
                   "message": { "msgId": "m", "contentType": "text", "content": { "text": "hi" } } } });
    assert!(refusal(&group).contains("`event.chat.chatId` is missing"));
    group["event"]["chat"] = json!({ "chatType": "bot", "chatId": "9" });
    group["event"]["sender"] = json!({});
    assert!(refusal(&group).contains("`event.sender.senderId` is missing"));
    let join = json!({ "header": { "eventId": "e", "eventType": "group.join" },
                       "event": { "userId": "1" } });
    assert!(refusal(&join).contains("`event.chatId` is missing"));
    let click = json!({ "header": { "eventId": "e", "eventType": "button.report.inline" },
                        "event": { "recvType": "group", "userId": "1", "value": "v" } });
    assert!(refusal(&click).contains("`event.recvId` is missing"));
}

#[test]
fn contents_whose_text_would_be_lost_are_refused() {
    let mut body = json!({ "header": { "eventId": "e", "eventType": "message.receive.normal" },
        "event": { "sender": { "senderId": "1" }, "chat": { "chatId": "9", "chatType": "group" },
                   "message": { "msgId": "m", "contentType": "text", "content": { "text": { "t": "hi" } } } } });
    assert_eq!(
        refusal(&body),
        "`event.message.content.text` must be a string or a number, not an object"
    );
    body["event"]["message"]["content"] = json!("hi");
    assert_eq!(refusal(&body), "`event.message.content` must be an object");
}
