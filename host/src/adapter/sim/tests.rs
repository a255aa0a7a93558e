//! The sim's outbound side under redelivery, and across a restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;

use super::Sim;
use crate::adapter::Adapter;
use crate::journal::Ingress;
use crate::model::Action;
use crate::model::{ChatRef, MessageRef};
use crate::store::MemoryStore;
use crate::test_fixtures::{sim_group as chat, text_send as send};

fn sim(dir: &Path) -> Sim {
    let ingress = Ingress::new(Arc::new(MemoryStore::default())).unwrap();
    Sim::new("sim", ingress, dir).unwrap()
}

#[tokio::test]
async fn a_redelivered_send_is_posted_once_even_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = sim(dir.path())
        .deliver(&send("wb.p.1.0", "hi"))
        .await
        .unwrap();
    let again = sim(dir.path())
        .deliver(&send("wb.p.1.0", "hi"))
        .await
        .unwrap();
    assert_eq!(first, again);
    let other = sim(dir.path())
        .deliver(&send("wb.p.1.1", "hi"))
        .await
        .unwrap();
    assert_ne!(other.message_id, first.message_id);
    let world = sim(dir.path());
    let world = world.world();
    assert_eq!(world.records_since(None, 0).len(), 2);
    assert_eq!(world.timeline_since("g", 0).len(), 2);
}

#[tokio::test]
async fn other_actions_repeated_leave_the_same_state() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim(dir.path());
    let id = sim
        .deliver(&send("h", "hi"))
        .await
        .unwrap()
        .message_id
        .unwrap();
    let target = MessageRef { chat: chat(), id };
    let actions = [
        Action::React {
            target: target.clone(),
            emoji: "👍".into(),
        },
        Action::Pin {
            target: target.clone(),
        },
        Action::AddRole {
            chat: chat(),
            user_id: "bob".into(),
            role_id: "red".into(),
        },
        Action::Kick {
            chat: chat(),
            user_id: "eve".into(),
        },
        Action::Delete {
            target: target.clone(),
        },
    ];
    for action in &actions {
        sim.deliver(action).await.unwrap();
    }
    let state = |sim: &Sim| {
        let world = sim.world();
        let message = world.message("g", &target.id).cloned().unwrap();
        let members: Vec<_> = world.chats["g"].members.values().cloned().collect();
        (message.reactions, message.pinned, message.deleted, members)
    };
    let once = state(&sim);
    for action in &actions {
        sim.deliver(action).await.unwrap();
    }
    assert_eq!(state(&sim), once);
}

#[tokio::test]
async fn records_are_read_per_chat_from_a_position_on() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim(dir.path());
    let in_chat = |handle: &str, text: &str, id: &str| match send(handle, text) {
        Action::Send {
            handle,
            chat,
            message,
            reply_to,
        } => Action::Send {
            handle,
            chat: ChatRef {
                id: id.into(),
                ..chat
            },
            message,
            reply_to,
        },
        other => other,
    };
    for (handle, text, chat) in [("h1", "g1", "g"), ("h2", "o1", "other"), ("h3", "g2", "g")] {
        sim.deliver(&in_chat(handle, text, chat)).await.unwrap();
    }
    let world = sim.world();
    let texts = |records: Vec<super::world::Record>| -> Vec<String> {
        records.into_iter().filter_map(|r| r.text).collect()
    };
    let all_of_g = world.records_since(Some("g"), 0);
    let first = all_of_g[0].seq;
    assert_eq!(texts(all_of_g), vec!["g1", "g2"]);
    assert_eq!(texts(world.records_since(Some("g"), first)), vec!["g2"]);
    assert_eq!(texts(world.records_since(None, first)), vec!["o1", "g2"]);
    let last = world.records_since(None, 0).last().unwrap().seq;
    assert!(world.records_since(None, last).is_empty());
    assert_eq!(world.last_record_seq(), last);
}
