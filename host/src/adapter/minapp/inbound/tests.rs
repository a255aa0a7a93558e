//! Hostile minapp bodies: conversation and sender ids in every numeric form, a text of the
//! wrong shape.
#![allow(clippy::unwrap_used)]

use super::parse;
use crate::adapter::webhook::HookError;
use crate::config::Secret;
use crate::model::Event;

fn text(conversation: &str, sender: &str, text: &str) -> String {
    format!(
        r#"{{"secret": "s", "msgtype": "text", "conversation_id": {conversation}, "sender": {sender},
            "text": {text}}}"#
    )
}

fn parsed(body: &str) -> Result<Event, HookError> {
    parse("mn", &Secret::new("s"), body).map(|p| {
        assert_eq!(p.dedupe_key, None, "no ids: nothing is merged");
        p.event
    })
}

#[test]
fn conversation_and_sender_ids_keep_their_text() {
    for id in ["9007199254740993", "18446744073709551617", "1e3", "1000.0"] {
        let Ok(Event::Message(m)) = parsed(&text(id, id, r#"{"content": "hi"}"#)) else {
            panic!("{id}")
        };
        assert_eq!((m.id.chat.id.as_str(), m.sender.id.as_str()), (id, id));
    }
}

#[test]
fn a_text_whose_content_would_be_lost_is_refused() {
    let refusal = |body: &str| match parsed(body) {
        Err(HookError::Invalid(why)) => why,
        other => panic!("not refused: {other:?}"),
    };
    assert_eq!(
        refusal(&text("\"R:1\"", "\"w\"", r#"{"content": {"t": "hi"}}"#)),
        "`text.content` must be a string or a number, not an object"
    );
    assert_eq!(
        refusal(&text("\"R:1\"", "\"w\"", r#""hi""#)),
        "`text` must be an object"
    );
    assert!(parsed(&text("\"R:1\"", "\"w\"", r#"{"content": 12}"#)).is_ok());
}
