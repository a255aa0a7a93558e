//! Hostile Fanbook payloads: ids just past 2^53 keep every digit on both transports, and ids that
//! are no 64-bit integer (`1e3`, `1000.0`, beyond 2^64 − 1) are errors naming the field, never
//! rounded into another id nor read as plain text.
#![allow(clippy::unwrap_used)]

use super::Decoder;
use crate::model::{Event, Inbound};

fn decoder() -> Decoder {
    Decoder {
        bot: "fb".into(),
        self_id: Some(455902781326258176),
    }
}

/// A gateway push of a text message; ids are JSON literals.
fn push(message_id: &str, user_id: &str, channel_id: &str) -> String {
    format!(
        r#"{{"action": "push", "data": {{"content": "{{\"type\":\"text\",\"text\":\"hi\"}}",
            "user_id": {user_id}, "channel_id": {channel_id}, "message_id": {message_id},
            "guild_id": "412870153862758400", "channel_type": 0}}}}"#
    )
}

/// A long-poll update of a channel text; ids are JSON literals.
fn update(message_id: &str, chat_id: &str) -> serde_json::Value {
    let text = format!(
        r#"{{"update_id": 7, "channel_post": {{"message_id": {message_id}, "chat": {{"id": {chat_id},
            "type": "channel"}}, "from": {{"id": 388117934290821120}}, "text": "{{\"type\":\"text\",\"text\":\"hi\"}}"}}}}"#
    );
    serde_json::from_str(&text).unwrap()
}

fn ids(event: &Inbound) -> (String, String, String) {
    let Event::Message(m) = &event.event else {
        panic!("{event:?}")
    };
    (m.id.id.clone(), m.id.chat.id.clone(), m.sender.id.clone())
}

#[test]
fn ids_past_2_pow_53_keep_every_digit_on_the_gateway() {
    let a = decoder()
        .frame(&push(
            "9007199254740993",
            "9007199254740995",
            "18446744073709551615",
        ))
        .unwrap()
        .unwrap();
    let b = decoder()
        .frame(&push("\"9007199254740992\"", "1", "1"))
        .unwrap()
        .unwrap();
    assert_eq!(
        ids(&a),
        (
            "9007199254740993".into(),
            "18446744073709551615".into(),
            "9007199254740995".into()
        )
    );
    assert_eq!(ids(&b).0, "9007199254740992");
    assert_ne!(a.dedupe_key, b.dedupe_key);
}

#[test]
fn ids_past_2_pow_53_keep_every_digit_on_the_long_poll() {
    let a = decoder()
        .update(&update("9007199254740993", "9007199254740995"))
        .unwrap();
    let b = decoder()
        .update(&update("9007199254740992", "9007199254740995"))
        .unwrap();
    assert_eq!(
        ids(&a[0]),
        (
            "9007199254740993".into(),
            "9007199254740995".into(),
            "388117934290821120".into()
        )
    );
    assert_ne!(a[0].dedupe_key, b[0].dedupe_key);
}

#[test]
fn ids_that_are_no_64_bit_integer_are_refused_by_field_on_the_gateway() {
    for (literal, shown) in [
        ("18446744073709551617", "1.8446744073709552e+19"),
        ("1e3", "1000.0"),
        ("1000.0", "1000.0"),
        ("-1", "-1"),
        ("\"18446744073709551616\"", "\"18446744073709551616\""),
    ] {
        let error = decoder().frame(&push(literal, "1", "1")).unwrap_err();
        assert!(
            error.starts_with(&format!("`message_id` is {shown}, not a Fanbook id")),
            "{literal}: {error}"
        );
    }
}

#[test]
fn ids_that_are_no_64_bit_integer_are_refused_by_field_on_the_long_poll() {
    let error = decoder()
        .update(&update("1", "18446744073709551617"))
        .unwrap_err();
    assert!(
        error.starts_with("`channel_post.chat.id` is 1.8446744073709552e+19"),
        "{error}"
    );
    let error = decoder().update(&update("1e3", "1")).unwrap_err();
    assert!(
        error.starts_with("`channel_post.message_id` is 1000.0"),
        "{error}"
    );
}

#[test]
fn a_reaction_to_no_64_bit_id_is_refused_not_read_as_text() {
    let frame = r#"{"action": "push", "data": {"content": "{\"type\":\"reaction\",\"action\":\"add\",\"id\":1e3,\"emoji\":{\"name\":\"x\"}}",
        "user_id": "1", "channel_id": "1", "message_id": "2", "channel_type": 0}}"#;
    let error = decoder().frame(frame).unwrap_err();
    assert!(
        error.starts_with("content document: `id` is 1000.0, not a Fanbook id"),
        "{error}"
    );
    let plain = r#"{"action": "push", "data": {"content": "{not json", "user_id": "1",
        "channel_id": "1", "message_id": "2", "channel_type": 0}}"#;
    assert!(
        decoder().frame(plain).unwrap().is_some(),
        "plain text is still text"
    );
}
