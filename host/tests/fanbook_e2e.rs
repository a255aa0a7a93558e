//! End to end: a daemon with a Fanbook bot pointing at the simulator and the `driver` plugin.
//! Updates arrive by long poll or gateway; the assertions are on what the simulator received.

use std::time::Duration;

use crate::common;
use crate::fanbook_sim::payloads::{self, CHANNEL, DM, GUILD, USER};
use crate::fanbook_sim::{FanbookSim, Fault, Recorded, WsCommand, BOT_ID, USER_TOKEN};
use base64::Engine as _;
use serde_json::{json, Value};
use wasmbot::config::{BotConfig, Secret};

const TOKEN: &str = "e79f1400757bee0729b49fc54e3d87e4";
const WAIT: Duration = Duration::from_secs(30);

fn bot(sim: &FanbookSim, inbound: &str) -> BotConfig {
    let options = format!(
        "inbound = \"{inbound}\"\ngateway_url = \"{}\"\npoll_timeout_secs = 1\nrequest_timeout_ms = 1500\n\
         heartbeat_ms = 150\ngateway_idle_ms = 600\nbackoff_min_ms = 20\nbackoff_max_ms = 200",
        sim.gateway_url()
    );
    BotConfig {
        name: "fb".into(),
        platform: "fanbook".into(),
        token: Some(Secret::new(TOKEN)),
        secret: None,
        base_url: Some(sim.base.clone()),
        options: toml::from_str(&options).unwrap(),
        register_commands: false,
        rate_limit: None,
        admins: Vec::new(),
    }
}

async fn daemon(sim: &FanbookSim, inbound: &str) -> common::TestDaemon {
    let bot = bot(sim, inbound);
    let daemon = common::TestDaemon::start_config(&["driver"], move |c| c.bots.push(bot)).await;
    daemon.wait_for_plugin("driver", None, WAIT).await;
    daemon
}

/// The one request of `method` whose body field `key` equals `value`.
fn one(sim: &FanbookSim, method: &str, key: &str, value: Value) -> Recorded {
    let found: Vec<Recorded> = sim
        .calls(method)
        .into_iter()
        .filter(|r| r.body[key] == value)
        .collect();
    assert_eq!(found.len(), 1, "{method} with {key}={value}: {found:?}");
    found.into_iter().next().unwrap()
}

fn count_text(sim: &FanbookSim, text: &str) -> usize {
    sim.sent_texts().iter().filter(|t| *t == text).count()
}

/// Every Bot API request carried the token as its path segment, with the documented verb.
fn assert_wire_basics(sim: &FanbookSim) {
    for r in sim
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/api/bot/") && r.method != "console")
    {
        assert_eq!(r.token, TOKEN, "{r:?}");
        assert_eq!(r.path, format!("/api/bot/{TOKEN}/{}", r.method));
        let verb = if r.method == "getMe" { "GET" } else { "POST" };
        assert_eq!(r.verb, verb, "{r:?}");
        if verb == "POST" {
            assert!(
                r.headers
                    .get("content-type")
                    .is_some_and(|c| c.starts_with("application/json")),
                "{r:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_poll_drives_every_method() {
    let sim = FanbookSim::start(TOKEN).await;
    let _daemon = daemon(&sim, "poll").await;
    let commands = [
        "/reply hi",
        "/send yo",
        "/edit done",
        "/delete",
        "/react 👍",
        "/pin",
        "/unpin",
        "/role 412870153900507200",
        "/unrole 412870153900507200",
        "/mute 60",
        "/unmute",
        "/kick",
        "/member",
        "/roles",
        "/keyboard",
        "/image https://example.com/p.png",
        "/markdown **bold**",
    ];
    let first = 469240000000000001u64;
    for (i, text) in commands.iter().enumerate() {
        sim.push_update(payloads::channel_text(first + i as u64, text));
    }
    sim.push_update(payloads::new_join(469240000000000101, 470118822514081792));
    sim.push_update(payloads::reaction(469240000000000102, first, "%E8%B5%9E"));
    sim.push_update(payloads::callback("cbq-1", 469240000000000103, "a"));
    sim.push_update(payloads::pinned(469240000000000104, first));
    sim.push_update(payloads::private_text(469240000000000105, "/send dm"));
    // A redelivery of `/send yo` under a new update id: the message id makes it a duplicate.
    let last = sim.push_update(payloads::channel_text(first + 1, "/send yo"));

    sim.wait_for_text("other:pinned_message", WAIT).await;
    sim.wait_for_text("dm", WAIT).await;
    sim.wait_for(WAIT, "the offset past the last update", |r| {
        r.iter()
            .any(|r| r.method == "getUpdates" && r.body["offset"] == json!(last + 1))
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_wire_basics(&sim);

    let reply = one(&sim, "sendMessage", "text", json!("hi"));
    assert_eq!(reply.body["chat_id"], json!(CHANNEL));
    assert_eq!(reply.body["reply_to_message_id"], json!(first));
    assert!(
        reply.body.get("parse_mode").is_none(),
        "plain text has no parse_mode: {}",
        reply.body
    );
    let yo = one(&sim, "sendMessage", "text", json!("yo"));
    assert!(yo.body.get("reply_to_message_id").is_none());

    let draft = one(&sim, "sendMessage", "text", json!("draft"));
    let edit = one(&sim, "editMessageText", "text", json!("done"));
    assert_eq!(edit.body["chat_id"], json!(CHANNEL));
    assert!(
        edit.body["message_id"].is_u64() && edit.at > draft.at,
        "{}",
        edit.body
    );
    let temp = one(&sim, "sendMessage", "text", json!("temp"));
    let delete = sim.calls("deleteMessage");
    assert_eq!(delete.len(), 1);
    assert_eq!(
        delete[0].body,
        json!({ "chat_id": CHANNEL, "message_id": delete[0].body["message_id"] })
    );
    assert!(delete[0].body["message_id"].is_u64() && delete[0].at > temp.at);

    let react = &sim.calls("sendReaction")[0];
    let expected = json!({ "user_id": BOT_ID.to_string(), "message_id": (first + 4).to_string(), "channel_id": CHANNEL.to_string(), "emoji": "%E8%B5%9E" });
    assert_eq!(react.body, expected);
    assert_eq!(
        sim.calls("pinChatMessage")[0].body,
        json!({ "chat_id": CHANNEL, "message_id": first + 5, "channel_id": CHANNEL })
    );
    assert_eq!(
        sim.calls("unpinChatMessage")[0].body,
        json!({ "chat_id": CHANNEL, "message_id": first + 6 })
    );

    let roles = sim.calls("v2/setMemberRoles");
    let role = |op: &str| json!({ "guild_id": GUILD, "user_id": USER, "roles": [412870153900507200u64], "operation": op });
    assert_eq!(
        roles.iter().map(|r| r.body.clone()).collect::<Vec<_>>(),
        vec![role("add"), role("del")]
    );
    let mute = json!({ "target_uid": USER.to_string(), "target_guild_id": GUILD.to_string(), "duration_in_second": 60 });
    assert_eq!(sim.calls("forbidUserSpeaking")[0].body, mute);
    assert!(
        sim.sent_texts()
            .iter()
            .any(|t| t.starts_with("error:unmute:")),
        "{:?}",
        sim.sent_texts()
    );
    assert_eq!(
        sim.calls("kickChatMember")[0].body,
        json!({ "guild_id": GUILD, "user_id": USER })
    );

    assert_eq!(
        sim.calls("getChatMember")[0].body,
        json!({ "chat_id": CHANNEL, "guild_id": GUILD, "user_id": USER })
    );
    assert_eq!(
        count_text(&sim, "roles:412870153900507136,412870153900507137"),
        1
    );
    assert_eq!(
        sim.calls("getGuildRoles")[0].body,
        json!({ "guild_id": GUILD })
    );
    assert_eq!(count_text(&sim, "roles:成员,VIP,管理员"), 1);

    let keyboard = one(&sim, "sendMessage", "text", json!("pick"));
    let rows = json!([
        [{ "text": "A", "callback_data": "a" }, { "text": "B", "callback_data": "b" }],
        [{ "text": "Docs", "url": "https://example.com/docs" }]
    ]);
    assert_eq!(
        keyboard.body["reply_markup"],
        json!({ "inline_keyboard": rows })
    );
    let photo = &sim.calls("sendPhoto")[0];
    assert_eq!(
        photo.body,
        json!({ "chat_id": CHANNEL, "photo": { "Url": "https://example.com/p.png" } })
    );
    let card = sim
        .calls("sendMessage")
        .into_iter()
        .find(|r| r.body["parse_mode"] == "Fanbook")
        .unwrap();
    let document: Value = serde_json::from_str(card.body["text"].as_str().unwrap()).unwrap();
    assert_eq!(document["type"], "messageCard");
    assert!(
        document["data"].as_str().unwrap().contains("**bold**"),
        "{document}"
    );

    assert_eq!(count_text(&sim, "joined:470118822514081792"), 1);
    assert_eq!(count_text(&sim, "reaction:赞"), 1);
    assert_eq!(count_text(&sim, "callback:a"), 1);
    assert!(sim
        .sent_texts()
        .iter()
        .any(|t| t.starts_with("error:answer-callback:")));
    let dm = one(&sim, "sendMessage", "text", json!("dm"));
    assert_eq!(dm.body["chat_id"], json!(DM));
    assert!(
        sim.calls("getPrivateChat").is_empty(),
        "a known DM chat needs no lookup"
    );
    assert_eq!(
        count_text(&sim, "yo"),
        1,
        "the redelivered message was handled twice"
    );

    let polls = sim.calls("getUpdates");
    assert!(
        polls
            .iter()
            .all(|p| p.body["limit"] == json!(100) && p.body["timeout"] == json!(1)),
        "{:?}",
        polls[0].body
    );
    assert!(polls[0].body.get("offset").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_delivers_and_reconnects() {
    let sim = FanbookSim::start(TOKEN).await;
    let _daemon = daemon(&sim, "gateway").await;
    let connect = sim
        .wait_for(WAIT, "a gateway connection", |r| {
            r.iter().any(|r| r.method == "websocket")
        })
        .await;
    let query = connect
        .iter()
        .find(|r| r.method == "websocket")
        .unwrap()
        .body
        .clone();
    let device = format!("bot{BOT_ID}");
    assert_eq!(query["id"], USER_TOKEN);
    assert_eq!(query["dId"], json!(device));
    assert_eq!(query["v"], "1.6.60");
    let props = base64::engine::general_purpose::STANDARD
        .decode(query["x-super-properties"].as_str().unwrap())
        .unwrap();
    let props: Value = serde_json::from_slice(&props).unwrap();
    assert_eq!(
        props,
        json!({ "platform": "bot", "version": "1.6.60", "channel": "office", "device_id": device, "build_number": "1" })
    );

    sim.ws(WsCommand::Frame(payloads::push_text(
        469250000000000001,
        "/reply hi",
    )));
    sim.ws(WsCommand::Frame(payloads::push_text(
        469250000000000001,
        "/reply hi",
    )));
    sim.ws(WsCommand::Frame("{not json".into()));
    sim.ws(WsCommand::Frame(payloads::push_reaction(
        469250000000000002,
        469250000000000001,
        "%E8%B5%9E",
    )));
    sim.ws(WsCommand::Frame(payloads::push_new_join(
        469250000000000003,
        470118822514081792,
    )));
    sim.ws(WsCommand::Frame(payloads::user_quit(470118822514081792)));
    sim.ws(WsCommand::Frame(payloads::circle_like()));
    let reply = sim.wait_for_text("hi", WAIT).await;
    assert_eq!(
        reply.body["reply_to_message_id"],
        json!(469250000000000001u64)
    );
    sim.wait_for_text("reaction:赞", WAIT).await;
    sim.wait_for_text("joined:470118822514081792", WAIT).await;
    let left = sim.wait_for_text("left:470118822514081792", WAIT).await;
    assert_eq!(
        left.body["chat_id"],
        json!(GUILD),
        "a guild notice's chat is the guild"
    );
    let other = sim.wait_for_text("other:circle.post_like", WAIT).await;
    assert_eq!(
        other.body["chat_id"],
        json!(CHANNEL),
        "a circle event goes to its channel"
    );

    // Heartbeats: a ping on open, then one every 150 ms.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let received = sim.state.ws_received.lock().unwrap().clone();
    assert!(received.len() >= 3, "{received:?}");
    assert!(
        received
            .iter()
            .all(|f| serde_json::from_str::<Value>(f).unwrap() == json!({ "type": "ping" })),
        "{received:?}"
    );

    // A dropped connection, then a stalled one: each is replaced and nothing is lost.
    sim.ws(WsCommand::Drop);
    sim.ws(WsCommand::Frame(payloads::push_text(
        469250000000000004,
        "/send after-drop",
    )));
    sim.wait_for_text("after-drop", WAIT).await;
    sim.ws(WsCommand::Stall);
    sim.ws(WsCommand::Frame(payloads::push_text(
        469250000000000005,
        "/send after-stall",
    )));
    sim.wait_for_text("after-stall", WAIT).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    assert_eq!(
        count_text(&sim, "hi"),
        1,
        "a repeated frame was handled twice"
    );
    assert_eq!(count_text(&sim, "after-drop"), 1);
    assert_eq!(count_text(&sim, "after-stall"), 1);
    assert!(
        sim.calls("websocket").len() >= 3,
        "{}",
        sim.calls("websocket").len()
    );
    assert!(
        sim.calls("getMe").len() >= 3,
        "getMe is asked before every connection"
    );
    assert!(
        sim.calls("getUpdates").is_empty(),
        "gateway mode never polls"
    );
    assert_wire_basics(&sim);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_poll_survives_faults_without_loss_or_duplicates() {
    let sim = FanbookSim::start(TOKEN).await;
    for fault in [
        Fault::Status(502),
        Fault::Garbage,
        Fault::Drop,
        Fault::Stall(Duration::from_secs(3)),
    ] {
        sim.fault("getUpdates", fault);
    }
    // A malformed update between two good ones: skipped, the others handled.
    sim.push_update(payloads::channel_text(469260000000000001, "/send one"));
    let bad = sim.next_update_id();
    sim.push_raw_update(
        json!({ "update_id": bad, "channel_post": { "message_id": "not-an-id", "chat": 5 } }),
    );
    sim.push_update(payloads::channel_text(469260000000000002, "/send two"));
    let _daemon = daemon(&sim, "poll").await;
    sim.wait_for_text("one", WAIT).await;
    sim.wait_for_text("two", WAIT).await;
    let polls = sim.calls("getUpdates");
    assert!(
        polls.len() >= 5,
        "every fault costs a poll: {}",
        polls.len()
    );
    assert!(
        polls[..4].iter().all(|p| p.body.get("offset").is_none()),
        "the offset moved before anything was accepted"
    );

    // The platform forgets its confirmations and sends everything again.
    sim.replay();
    sim.push_update(payloads::channel_text(469260000000000003, "/send three"));
    sim.wait_for_text("three", WAIT).await;

    // Outbound: a 503 and a 429 are retried (after Retry-After), a refusal is not.
    sim.fault("sendMessage", Fault::Status(503));
    sim.push_update(payloads::channel_text(469260000000000004, "/send four"));
    sim.wait_for(WAIT, "four delivered after a 503", |r| {
        r.iter().filter(|r| r.body["text"] == "four").count() == 2
    })
    .await;
    sim.fault("sendMessage", Fault::RateLimit(0.3));
    sim.push_update(payloads::channel_text(469260000000000005, "/send five"));
    let five = sim
        .wait_for(WAIT, "five after a 429", |r| {
            r.iter().filter(|r| r.body["text"] == "five").count() == 2
        })
        .await;
    let five: Vec<&Recorded> = five.iter().filter(|r| r.body["text"] == "five").collect();
    assert!(
        five[1].at.duration_since(five[0].at) >= Duration::from_millis(250),
        "Retry-After was not honoured"
    );
    sim.fault(
        "sendMessage",
        Fault::Refuse(400, "Bad Request: chat not found".into()),
    );
    sim.push_update(payloads::channel_text(469260000000000006, "/send six"));
    sim.push_update(payloads::channel_text(469260000000000007, "/send seven"));
    sim.wait_for_text("seven", WAIT).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    for (text, requests) in [
        ("one", 1),
        ("two", 1),
        ("three", 1),
        ("four", 2),
        ("five", 2),
        ("six", 1),
        ("seven", 1),
    ] {
        assert_eq!(count_text(&sim, text), requests, "sendMessage `{text}`");
    }
    assert_wire_basics(&sim);
}
