//! Sends a crash left in doubt, on a platform that can tell (Yunhu, Fanbook): the store holds
//! pending sends whose outcome was never written, one of which had reached the platform (its
//! simulator holds it). The daemon started on that store must look each up before sending it
//! again: the one the platform has is not sent again but recorded with the platform's id (an
//! edit of it reaches that message), the one it lacks is sent once, and a send after that in
//! the same queue goes without a look-up (it cannot have started before the crash).

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use wasmbot::config::{BotConfig, Secret};
use wasmbot::model::{
    Action, ChatKind, ChatRef, Content, Event, Inbound, MessageRef, OtherEvent, Outgoing,
};
use wasmbot::store::{Bounds, Commit, CompletionStore, FjallStore, JournalStore, MessageKey};

use crate::common;
use crate::fanbook_sim::{payloads, FanbookSim};
use crate::webhook_sim::Sim;
use crate::yunhu_sim;

const WAIT: Duration = Duration::from_secs(20);
const ARRIVED: &str = "arrived before the crash";
const LOST: &str = "lost in the crash";
const LATER: &str = "queued behind them";
const EDITED: &str = "edited after the restart";
const FANBOOK_TOKEN: &str = "d0e1f2a3757bee0729b49fc54e3d87e4";

fn outgoing(text: &str) -> Outgoing {
    Outgoing {
        content: Content::Text(text.into()),
        keyboard: None,
        mentions: vec![],
    }
}

fn send(chat: &ChatRef, handle: &str, text: &str) -> Action {
    Action::Send {
        handle: handle.into(),
        chat: chat.clone(),
        message: outgoing(text),
        reply_to: None,
    }
}

/// Writes what a crash leaves behind into `data`'s store: three sends of plugin `p` in `chat`
/// and an edit of the first, all pending (no outcome written).
fn leave_pending(data: &Path, chat: &ChatRef) {
    std::fs::create_dir_all(data).unwrap();
    let store = FjallStore::open(&data.join("wasmbot.fjall"), Bounds::default()).unwrap();
    let inbound = Inbound {
        bot: chat.bot.clone(),
        rank: Default::default(),
        dedupe_key: None,
        event: Event::Other(OtherEvent {
            chat: None,
            kind: "test".into(),
            raw: "{}".into(),
        }),
        timer: None,
    };
    let seq = store.append(&inbound, &[]).unwrap().seq();
    let edit = Action::Edit {
        target: MessageRef {
            chat: chat.clone(),
            id: "h1".into(),
        },
        message: outgoing(EDITED),
    };
    let actions = vec![
        send(chat, "h1", ARRIVED),
        send(chat, "h2", LOST),
        edit,
        send(chat, "h3", LATER),
    ];
    let sent = ["h1", "h2", "h3"].map(|h| MessageKey::of(chat, h)).to_vec();
    let commit = Commit {
        actions,
        sent,
        ..Commit::default()
    };
    store.commit("p", seq, commit).unwrap();
    store.sync().unwrap();
}

/// Starts a daemon with `bot` on the store `leave_pending` wrote (the store may stay locked a
/// moment after it was dropped).
async fn daemon_on(dir: &Path, bot: BotConfig) -> common::TestDaemon {
    let plugins = dir.join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    let config = || {
        let mut config = common::config_in(dir);
        config.bots.push(bot.clone());
        config
    };
    common::TestDaemon::attach(common::start_again(config).await, plugins)
}

/// Waits until `done` holds, or fails with `what`.
async fn wait_until(what: &str, done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < WAIT, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn yunhu_sends_in_doubt_are_looked_up_before_they_go_again() {
    let sim = yunhu_sim::start().await;
    let group = "604715001";
    let chat = ChatRef {
        platform: "yunhu".into(),
        bot: "yh".into(),
        kind: ChatKind::Group,
        id: group.into(),
        guild: None,
    };
    // The request that reached Yunhu before the crash, as the adapter makes it.
    let body = json!({ "recvId": group, "recvType": "group", "contentType": "text", "content": { "text": ARRIVED } });
    let http = reqwest::Client::new();
    let url = format!("{}/bot/send?token={}", sim.base, yunhu_sim::TOKEN);
    let answer: Value = http
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let arrived_id = answer["data"]["messageInfo"]["msgId"].clone();
    let dir = tempfile::tempdir().unwrap();
    leave_pending(&dir.path().join("data"), &chat);

    let bot = BotConfig {
        name: "yh".into(),
        platform: "yunhu".into(),
        token: Some(Secret::new(yunhu_sim::TOKEN)),
        secret: None,
        base_url: Some(sim.base.clone()),
        options: toml::from_str("rate_limit_per_second = 1000").unwrap(),
        register_commands: false,
        rate_limit: None,
        admins: Vec::new(),
    };
    let daemon = daemon_on(dir.path(), bot).await;
    let texts = |sim: &Sim| -> Vec<String> {
        let sends = sim.to("/bot/send");
        let text = |r: &crate::webhook_sim::Recorded| {
            r.json()["content"]["text"].as_str().map(str::to_string)
        };
        sends.iter().filter_map(text).collect()
    };
    wait_until("the send behind the edit", || {
        texts(&sim).contains(&LATER.to_string())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(daemon);

    assert_eq!(
        texts(&sim),
        vec![ARRIVED, LOST, LATER],
        "the send that had arrived went once (before the crash), the others once each"
    );
    let edits = sim.to("/bot/edit");
    assert_eq!(edits.len(), 1);
    assert_eq!(
        edits[0].json()["msgId"],
        arrived_id,
        "the send found on the platform was recorded with its id"
    );
    let lookups = sim.to("/bot/messages");
    assert_eq!(
        lookups.len(),
        2,
        "looked up: the one that arrived, then the lost one; not the send behind them"
    );
    assert!(lookups
        .iter()
        .all(|r| r.query.get("chat-id").map(String::as_str) == Some(group)));
}

#[tokio::test]
async fn fanbook_sends_in_doubt_are_looked_up_before_they_go_again() {
    let sim = FanbookSim::start(FANBOOK_TOKEN).await;
    let channel = payloads::CHANNEL;
    let chat = ChatRef {
        platform: "fanbook".into(),
        bot: "fb".into(),
        kind: ChatKind::Group,
        id: channel.to_string(),
        guild: Some(payloads::GUILD.to_string()),
    };
    let http = reqwest::Client::new();
    let url = format!("{}/api/bot/{FANBOOK_TOKEN}/sendMessage", sim.base);
    let body = json!({ "chat_id": channel, "text": ARRIVED });
    let answer: Value = http
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let arrived_id = answer["result"]["message_id"].clone();
    let dir = tempfile::tempdir().unwrap();
    leave_pending(&dir.path().join("data"), &chat);

    let options =
        "inbound = \"poll\"\npoll_timeout_secs = 1\nbackoff_min_ms = 20\nbackoff_max_ms = 200";
    let bot = BotConfig {
        name: "fb".into(),
        platform: "fanbook".into(),
        token: Some(Secret::new(FANBOOK_TOKEN)),
        secret: None,
        base_url: Some(sim.base.clone()),
        options: toml::from_str(options).unwrap(),
        register_commands: false,
        rate_limit: None,
        admins: Vec::new(),
    };
    let daemon = daemon_on(dir.path(), bot).await;
    let texts = |sim: &FanbookSim| -> Vec<String> {
        let sends = sim.calls("sendMessage");
        sends
            .iter()
            .filter_map(|r| r.body["text"].as_str().map(str::to_string))
            .collect()
    };
    wait_until("the send behind the edit", || {
        texts(&sim).contains(&LATER.to_string())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(daemon);

    assert_eq!(texts(&sim), vec![ARRIVED, LOST, LATER]);
    let edits = sim.calls("editMessageText");
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0].body["message_id"], arrived_id);
    assert_eq!(edits[0].body["text"], EDITED);
    let lookups = sim.calls("message/getList");
    assert_eq!(lookups.len(), 2, "{lookups:?}");
    let channel_id = channel.to_string();
    assert!(lookups
        .iter()
        .all(|r| r.body["channel_id"] == channel_id.as_str()));
}
