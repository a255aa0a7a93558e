//! Behaviour every store must have; run here against the in-memory store.

use super::*;
use crate::action::Action;
use crate::event::{ChatKind, ChatRef, Content, Event, OtherEvent, Outgoing};

fn chat() -> ChatRef {
    ChatRef { platform: "sim".into(), bot: "sim".into(), kind: ChatKind::Group, id: "g".into(), guild: None }
}

fn inbound(key: Option<&str>) -> Inbound {
    Inbound {
        bot: "sim".into(),
        dedupe_key: key.map(str::to_string),
        event: Event::Other(OtherEvent { chat: Some(chat()), kind: "x".into(), raw: "{}".into() }),
    }
}

fn send(text: &str) -> Action {
    Action::Send {
        handle: format!("h-{text}"),
        chat: chat(),
        message: Outgoing { content: Content::Text(text.into()), keyboard: None, mentions: vec![] },
        reply_to: None,
    }
}

#[test]
fn duplicates_are_dropped_at_the_door() {
    let store = MemoryStore::default();
    assert_eq!(store.append(&inbound(Some("e1"))).unwrap(), Appended::New(0));
    assert_eq!(store.append(&inbound(Some("e1"))).unwrap(), Appended::Duplicate(0));
    assert_eq!(store.append(&inbound(None)).unwrap(), Appended::New(1));
    assert_eq!(store.append(&inbound(None)).unwrap(), Appended::New(2));
    assert_eq!(store.read(1, 10).unwrap().len(), 2);
}

#[test]
fn a_full_journal_refuses_until_released() {
    let store = MemoryStore::new(MemoryLimits { journal: 2, ..MemoryLimits::default() });
    store.append(&inbound(None)).unwrap();
    store.append(&inbound(None)).unwrap();
    assert!(matches!(store.append(&inbound(None)), Err(StoreError::JournalFull(2))));
    store.release_before(1).unwrap();
    assert_eq!(store.append(&inbound(None)).unwrap(), Appended::New(2));
}

#[test]
fn a_commit_applies_once() {
    let store = MemoryStore::default();
    let commit = Commit { actions: vec![send("a")], kv: vec![("k".into(), Some(b"v".to_vec()))] };
    store.commit("p", 0, commit.clone()).unwrap();
    store.commit("p", 0, commit).unwrap();
    assert_eq!(store.outbox_pending("sim", 10).unwrap().len(), 1);
    assert!(store.is_finished("p", 0).unwrap());
    assert!(!store.is_finished("q", 0).unwrap());
    assert_eq!(store.kv_get("p", "k").unwrap(), Some(b"v".to_vec()));
    assert_eq!(store.kv_get("q", "k").unwrap(), None);
}

#[test]
fn kv_lists_by_prefix_per_plugin() {
    let store = MemoryStore::default();
    let kv = ["a/1", "a/2", "b/1"].map(|k| (k.to_string(), Some(vec![1])));
    store.commit("p", 0, Commit { actions: vec![], kv: kv.to_vec() }).unwrap();
    store.commit("q", 0, Commit { actions: vec![], kv: vec![("a/3".into(), Some(vec![]))] }).unwrap();
    assert_eq!(store.kv_list("p", "a/").unwrap(), vec!["a/1", "a/2"]);
    store.commit("p", 1, Commit { actions: vec![], kv: vec![("a/1".into(), None)] }).unwrap();
    assert_eq!(store.kv_list("p", "a/").unwrap(), vec!["a/2"]);
}

#[test]
fn outbox_keeps_order_and_bound() {
    let store = MemoryStore::new(MemoryLimits { outbox: 2, ..MemoryLimits::default() });
    store.commit("p", 0, Commit { actions: vec![send("a"), send("b")], kv: vec![] }).unwrap();
    assert!(matches!(
        store.commit("p", 1, Commit { actions: vec![send("c")], kv: vec![] }),
        Err(StoreError::OutboxFull(2))
    ));
    assert!(!store.is_finished("p", 1).unwrap(), "a refused commit must not mark the event finished");
    let pending = store.outbox_pending("sim", 10).unwrap();
    assert_eq!(pending.iter().map(|p| p.id).collect::<Vec<_>>(), vec![0, 1]);
    store.outbox_done(0).unwrap();
    assert_eq!(store.outbox_pending("sim", 10).unwrap()[0].id, 1);
}

#[test]
fn message_index_is_bounded() {
    let store = MemoryStore::new(MemoryLimits { messages: 1, ..MemoryLimits::default() });
    let key = |id: &str| MessageKey { bot: "b".into(), chat: "c".into(), id: id.into() };
    store.index_message(key("h1"), None).unwrap();
    assert_eq!(store.lookup_message(&key("h1")).unwrap(), Some(None));
    store.index_message(key("h1"), Some("p1".into())).unwrap();
    assert_eq!(store.lookup_message(&key("h1")).unwrap(), Some(Some("p1".into())));
    store.index_message(key("h2"), None).unwrap();
    assert_eq!(store.lookup_message(&key("h1")).unwrap(), None);
}
