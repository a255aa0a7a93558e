//! The sim's world across restarts: replay, torn lines, handle dedupe, compaction.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;

use super::{Change, Record, SimMessage, World, BOT_USER};

fn post(world: &mut World, chat: &str, text: &str) -> String {
    let message = world
        .new_message(SimMessage::new(chat, "alice", text.into()))
        .unwrap();
    let id = message.id.clone();
    world.commit(vec![Change::Message(message)]).unwrap();
    id
}

fn send(world: &mut World, chat: &str, handle: &str, text: &str) -> String {
    if let Some(id) = world.sent_message(handle) {
        return id.to_string();
    }
    let message = world
        .new_message(SimMessage::new(chat, BOT_USER, text.into()))
        .unwrap();
    let id = message.id.clone();
    let record = world.new_record(Record {
        op: "send".into(),
        chat: chat.into(),
        text: Some(text.into()),
        ..Record::default()
    });
    let sent = Change::Sent {
        handle: handle.into(),
        message_id: id.clone(),
    };
    world
        .commit(vec![Change::Message(message), sent, Change::Record(record)])
        .unwrap();
    id
}

#[test]
fn a_reopened_world_is_the_world_before() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sim-test.jsonl");
    let mut world = World::open(&path).unwrap();
    post(&mut world, "g", "hi");
    let sent = send(&mut world, "g", "h1", "v1:hi");
    world.update("g", &sent, |m| m.edited = true).unwrap();
    let member = world.member("g", "bob").unwrap();
    world
        .commit(vec![Change::Member {
            chat: "g".into(),
            member,
        }])
        .unwrap();
    let (records, timeline) = (world.records_since(None, 0), world.timeline_since("g", 0));
    drop(world);

    let mut world = World::open(&path).unwrap();
    assert_eq!(world.records_since(None, 0), records);
    assert_eq!(world.timeline_since("g", 0), timeline);
    assert!(world.existing_member("g", "bob").is_some());
    // The handle is remembered: the same send is not posted again.
    assert_eq!(send(&mut world, "g", "h1", "v1:hi"), sent);
    assert_eq!(world.records_since(None, 0).len(), 1);
    // Ids keep counting up.
    assert_eq!(post(&mut world, "g", "again"), "m3");
    assert!(world
        .timeline_since("g", 0)
        .iter()
        .all(|m| m.version <= world.next_version));
}

#[test]
fn a_torn_last_line_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sim-test.jsonl");
    let mut world = World::open(&path).unwrap();
    post(&mut world, "g", "kept");
    drop(world);
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    file.write_all(br#"[{"t":"message","id":"m2","vers"#)
        .unwrap();
    drop(file);

    let mut world = World::open(&path).unwrap();
    let texts: Vec<String> = world
        .timeline_since("g", 0)
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(texts, ["kept"]);
    // Later lines are not glued to the torn one: the log was rewritten at open.
    post(&mut world, "g", "after");
    drop(world);
    let world = World::open(&path).unwrap();
    assert_eq!(world.timeline_since("g", 0).len(), 2);
}

#[test]
fn the_log_is_compacted_and_stays_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sim-test.jsonl");
    let mut world = World::open(&path).unwrap();
    let mut sizes = Vec::new();
    for n in 0..30_000 {
        // One message edited over and over: the world stays small, the log must too.
        if n == 0 {
            post(&mut world, "g", "0");
        } else {
            world.update("g", "m1", |m| m.text = n.to_string()).unwrap();
        }
        if n % 5_000 == 0 {
            sizes.push(std::fs::metadata(&path).unwrap().len());
        }
    }
    let largest = sizes.into_iter().max().unwrap();
    assert!(largest < 4_000_000, "the log grew to {largest} bytes");
    drop(world);
    let world = World::open(&path).unwrap();
    assert_eq!(world.message("g", "m1").unwrap().text, "29999");
}
