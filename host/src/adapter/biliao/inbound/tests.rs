//! Hostile Biliao bodies: ids in every numeric form, fields of the wrong shape, events that
//! could not be answered, and dedupe keys that must not merge different events.
#![allow(clippy::unwrap_used)]

use serde_json::{json, Value};

use super::parse;
use crate::adapter::webhook::{HookError, Parsed};
use crate::model::{ChatKind, Event};

fn private(message_id: &str) -> String {
    format!(
        r#"{{"event_type": "private_message", "message_id": {message_id}, "sender_id": "user_1",
            "group_id": "", "message_type": "text", "content": "hi", "timestamp": 1732636800}}"#
    )
}

fn parsed(body: &str) -> Parsed {
    parse("bl", body).unwrap()
}

fn refusal(body: &Value) -> String {
    match parse("bl", &body.to_string()) {
        Err(HookError::Invalid(why)) => why,
        other => panic!("not refused: {other:?}"),
    }
}

fn message_id(parsed: &Parsed) -> &str {
    match &parsed.event {
        Event::Message(m) => &m.id.id,
        other => panic!("{other:?}"),
    }
}

#[test]
fn numeric_ids_keep_their_text_and_their_own_dedupe_key() {
    let forms = [
        "9007199254740993",
        "9007199254740992",
        "18446744073709551617",
        "18446744073709551618",
        "1e3",
        "1000.0",
        "1000",
    ];
    let mut keys = Vec::new();
    for form in forms {
        let p = parsed(&private(form));
        assert_eq!(message_id(&p), form);
        keys.push(p.dedupe_key.unwrap());
    }
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), forms.len(), "{keys:?}");
    assert_eq!(
        parsed(&private("\"1000\"")).dedupe_key,
        parsed(&private("1000")).dedupe_key,
        "the same text as a string or a number is the same id"
    );
}

#[test]
fn sender_and_group_ids_keep_their_text() {
    let body = r#"{"event_type": "group_message", "message_id": "m", "sender_id": 18446744073709551617,
                   "group_id": 1e3, "content": "hi"}"#;
    let Event::Message(m) = parsed(body).event else {
        panic!()
    };
    assert_eq!(
        (m.id.chat.kind, m.id.chat.id.as_str(), m.sender.id.as_str()),
        (ChatKind::Group, "1e3", "18446744073709551617")
    );
}

#[test]
fn messages_that_could_not_be_answered_are_refused_by_field() {
    let base = json!({ "event_type": "private_message", "message_id": "m1", "sender_id": "u1",
                       "group_id": "", "content": "hi", "timestamp": 1 });
    let mut no_sender = base.clone();
    no_sender["sender_id"] = json!("");
    assert!(refusal(&no_sender).contains("`sender_id` is missing"));
    let mut no_group = base.clone();
    no_group["event_type"] = json!("group_message");
    assert!(refusal(&no_group).contains("`group_id` is missing"));
    let mut click = base.clone();
    click["event_type"] = json!("callback_query");
    assert!(refusal(&click).contains("`callback_id` is missing"));
    assert!(parse("bl", &base.to_string()).is_ok());
}

#[test]
fn content_of_the_wrong_shape_is_refused_not_emptied() {
    let mut body = json!({ "event_type": "private_message", "message_id": "m1", "sender_id": "u1",
                           "content": { "text": "hi" } });
    assert_eq!(
        refusal(&body),
        "`content` must be a string or a number, not an object"
    );
    body["content"] = json!(["hi"]);
    assert!(refusal(&body).contains("`content`"));
    body["content"] = json!("hi");
    body["sender_id"] = json!({ "id": "u1" });
    assert!(refusal(&body).contains("`sender_id`"));
}

#[test]
fn joins_without_an_id_are_keyed_by_their_time_or_not_at_all() {
    let join = |timestamp: Option<&str>| {
        let time = timestamp.map_or(String::new(), |t| format!(r#", "timestamp": {t}"#));
        parsed(&format!(
            r#"{{"event_type": "member_joined", "sender_id": "u1", "group_id": "g1"{time}}}"#
        ))
    };
    assert_eq!(
        join(None).dedupe_key,
        None,
        "no time: a re-join is no duplicate"
    );
    assert_ne!(
        join(Some("1732636800")).dedupe_key,
        join(Some("1732636801")).dedupe_key
    );
    assert_eq!(
        join(Some("1732636800")).dedupe_key,
        join(Some("1732636800")).dedupe_key,
        "a redelivery is one"
    );
    assert!(matches!(join(None).event, Event::MemberJoined(_)));
}

#[test]
fn message_ids_are_keyed_within_their_chat() {
    let in_chat = |group: &str| {
        parsed(&format!(
            r#"{{"event_type": "group_message", "message_id": 5, "sender_id": "u1", "group_id": "{group}"}}"#
        ))
        .dedupe_key
    };
    assert_ne!(in_chat("g1"), in_chat("g2"));
    assert_ne!(in_chat("g:1"), in_chat("g"));
}
