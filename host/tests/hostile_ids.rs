//! Numeric platform ids in the forms a float conversion merges, on every platform's real inbound
//! path: ids that differ only beyond 2^53 or beyond 2^64, and `1e3` beside `1000.0`.
//!
//! The webhook platforms (Yunhu, Biliao, minapp) document string ids, so a number's literal is
//! the id: each of these is its own event, journaled with its exact text under its own dedupe
//! key, and the ids a plugin sees are that text (the `driver` plugin's replies carry them back to
//! the simulators). Fanbook documents 64-bit integer ids: within them every digit is kept on
//! both transports, and an id outside them (`1e3`, `1000.0`, past 2^64 − 1) is skipped with a
//! warning naming the field, never rounded into another id.

use std::time::Duration;

use serde_json::{json, Value};
use wasmbot::config::{BotConfig, Secret};
use wasmbot::model::{Event, Inbound};

use crate::common::{self, TestDaemon};
use crate::fanbook_sim::{self, FanbookSim, WsCommand};
use crate::webhook_sim::{Recorded, Sim};
use crate::{biliao_sim, minapp_sim, yunhu_sim};

const WAIT: Duration = Duration::from_secs(20);

/// Pairs of id literals that differ, but not once read through an `f64`.
const PAIRS: [(&str, &str); 3] = [
    ("9007199254740993", "9007199254740992"),
    ("18446744073709551617", "18446744073709551618"),
    ("1e3", "1000.0"),
];

/// Every literal of [`PAIRS`].
fn literals() -> Vec<&'static str> {
    PAIRS.iter().flat_map(|(a, b)| [*a, *b]).collect()
}

/// A Yunhu group text whose event, message, group and sender ids are all the literal `id`.
fn yunhu_text(id: &str, text: &str) -> String {
    format!(
        r#"{{"version": "1.0", "header": {{"eventId": {id}, "eventType": "message.receive.normal", "eventTime": 1}},
            "event": {{"sender": {{"senderId": {id}, "senderType": "user", "senderNickname": "n"}},
                       "chat": {{"chatId": {id}, "chatType": "group"}},
                       "message": {{"msgId": {id}, "sendTime": 1, "chatId": {id}, "chatType": "group",
                                    "contentType": "text", "content": {{"text": "{text}"}}}}}}}}"#
    )
}

/// A Biliao group message whose message, group and sender ids are all the literal `id`.
fn biliao_text(id: &str, text: &str) -> String {
    format!(
        r#"{{"event_type": "group_message", "message_id": {id}, "sender_id": {id}, "group_id": {id},
            "message_type": "text", "content": "{text}", "timestamp": 1732636800}}"#
    )
}

/// A minapp text in the conversation `id`, from the sender `id` (literals).
fn minapp_text(secret: &str, id: &str, text: &str) -> String {
    format!(
        r#"{{"secret": "{secret}", "msgtype": "text", "conversation_id": {id}, "sender": {id},
            "text": {{"content": "{text}"}}}}"#
    )
}

/// Posts a body's exact text; the status and whether it was a duplicate.
async fn post(url: &str, body: String) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Posts every literal's body once (each a new event) and the first one again (a duplicate).
async fn post_all(url: &str, body: impl Fn(&str) -> String) {
    for id in literals() {
        let (status, answer) = post(url, body(id)).await;
        assert_eq!(
            (status, &answer["duplicate"]),
            (200, &json!(false)),
            "{id}: {answer}"
        );
    }
    let (status, answer) = post(url, body(literals()[0])).await;
    assert_eq!(
        (status, &answer["duplicate"]),
        (200, &json!(true)),
        "{answer}"
    );
}

/// (message id, chat id, sender id) of a journaled message.
fn message_ids(inbound: &Inbound) -> (String, String, String) {
    match &inbound.event {
        Event::Message(m) => (m.id.id.clone(), m.id.chat.id.clone(), m.sender.id.clone()),
        other => panic!("{other:?}"),
    }
}

fn webhook_bot(name: &str, platform: &str, secret: Option<&str>) -> BotConfig {
    BotConfig {
        name: name.into(),
        platform: platform.into(),
        token: Some(Secret::new("t")),
        secret: secret.map(Secret::new),
        base_url: Some("http://127.0.0.1:9".into()),
        options: toml::Table::new(),
        register_commands: false,
        rate_limit: None,
        admins: Vec::new(),
    }
}

#[tokio::test]
async fn yunhu_journals_each_id_form_as_its_own_event_with_its_text() {
    let (url, store) = common::serve_webhook(webhook_bot("yh", "yunhu", None)).await;
    post_all(&url, |id| yunhu_text(id, "hi")).await;
    let events = common::journaled(&store);
    assert_eq!(events.len(), literals().len());
    for (event, id) in events.iter().zip(literals()) {
        assert_eq!(event.dedupe_key.as_deref(), Some(id));
        assert_eq!(message_ids(event), (id.into(), id.into(), id.into()));
    }
}

#[tokio::test]
async fn biliao_journals_each_id_form_as_its_own_event_with_its_text() {
    let (url, store) = common::serve_webhook(webhook_bot("bl", "biliao", None)).await;
    post_all(&url, |id| biliao_text(id, "hi")).await;
    let events = common::journaled(&store);
    assert_eq!(events.len(), literals().len());
    for (event, id) in events.iter().zip(literals()) {
        assert_eq!(message_ids(event), (id.into(), id.into(), id.into()));
    }
}

#[tokio::test]
async fn minapp_journals_each_conversation_id_with_its_text() {
    let (url, store) = common::serve_webhook(webhook_bot("mn", "minapp", Some("s3"))).await;
    for id in literals() {
        let (status, answer) = post(&url, minapp_text("s3", id, "hi")).await;
        assert_eq!(status, 200, "{id}: {answer}");
    }
    let events = common::journaled(&store);
    assert_eq!(events.len(), literals().len());
    for (event, id) in events.iter().zip(literals()) {
        assert_eq!(
            event.dedupe_key, None,
            "minapp gives no ids: nothing is merged"
        );
        let (_, chat, sender) = message_ids(event);
        assert_eq!((chat.as_str(), sender.as_str()), (id, id));
    }
}

/// Posts `/reply r<i>` once per literal (in the body `body` builds) to a daemon running the
/// `driver` plugin for `bot`; returns, per literal, the simulator's request carrying the reply.
async fn replies(
    sim: &Sim,
    bot: BotConfig,
    path: &str,
    body: impl Fn(&str, &str) -> String,
    reply_text: impl Fn(&Recorded) -> Option<String>,
) -> Vec<Recorded> {
    let hook = format!("/hooks/{}", bot.name);
    let d = TestDaemon::start_config(&["driver"], move |c| c.bots.push(bot)).await;
    d.wait_for_plugin("driver", None, WAIT).await;
    for (i, id) in literals().into_iter().enumerate() {
        let (status, answer) = post(
            &format!("{}{hook}", d.base),
            body(id, &format!("/reply r{i}")),
        )
        .await;
        assert_eq!(
            (status, &answer["duplicate"]),
            (200, &json!(false)),
            "{id}: {answer}"
        );
    }
    let n = literals().len();
    let wanted = |rs: &[Recorded], i: usize| {
        rs.iter()
            .find(|r| r.path == path && reply_text(r).as_deref() == Some(&format!("r{i}")))
            .cloned()
    };
    let requests = sim
        .wait_for(WAIT, |rs| (0..n).all(|i| wanted(rs, i).is_some()))
        .await;
    (0..n).filter_map(|i| wanted(&requests, i)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_yunhu_plugin_sees_every_id_as_sent() {
    let sim = yunhu_sim::start().await;
    let mut bot = webhook_bot("yh", "yunhu", None);
    bot.token = Some(Secret::new(yunhu_sim::TOKEN));
    bot.base_url = Some(sim.base.clone());
    let text = |r: &Recorded| r.json()["content"]["text"].as_str().map(String::from);
    let sent = replies(&sim, bot, "/bot/send", yunhu_text, text).await;
    for (request, id) in sent.iter().zip(literals()) {
        let body = request.json();
        assert_eq!(
            (&body["recvId"], &body["recvType"], &body["parentId"]),
            (&json!(id), &json!("group"), &json!(id)),
            "{body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_biliao_plugin_sees_every_id_as_sent() {
    let sim = biliao_sim::start().await;
    let bot = biliao_sim::bot(&sim, &[("auto_answer_ms", toml::Value::Integer(0))]);
    let text = |r: &Recorded| r.json()["content"].as_str().map(String::from);
    let sent = replies(&sim, bot, "/bot/sendmessage", biliao_text, text).await;
    for (request, id) in sent.iter().zip(literals()) {
        let body = request.json();
        assert_eq!(
            (&body["group_id"], &body["reply_to_id"]),
            (&json!(id), &json!(id)),
            "{body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_minapp_plugin_answers_in_every_conversation_as_sent() {
    let sim = minapp_sim::start().await;
    let mut bot = webhook_bot("mn", "minapp", Some(minapp_sim::SECRET));
    bot.token = None;
    bot.base_url = Some(sim.base.clone());
    let body = |id: &str, text: &str| minapp_text(minapp_sim::SECRET, id, text);
    let text = |r: &Recorded| r.json()["text"]["content"].as_str().map(String::from);
    let sent = replies(&sim, bot, "/api/send", body, text).await;
    for (request, id) in sent.iter().zip(literals()) {
        assert_eq!(
            request.query.get("conversation_id").map(String::as_str),
            Some(id)
        );
    }
}

const FANBOOK_TOKEN: &str = "f3c9a1e0d2b84c6e9a7f5b3d1c0e2a4b";

async fn fanbook_daemon(sim: &FanbookSim, inbound: &str) -> TestDaemon {
    let options = format!(
        "inbound = \"{inbound}\"\ngateway_url = \"{}\"\npoll_timeout_secs = 1\nrequest_timeout_ms = 1500\n\
         heartbeat_ms = 150\ngateway_idle_ms = 600\nbackoff_min_ms = 20\nbackoff_max_ms = 200",
        sim.gateway_url()
    );
    let bot = BotConfig {
        name: "fb".into(),
        platform: "fanbook".into(),
        token: Some(Secret::new(FANBOOK_TOKEN)),
        secret: None,
        base_url: Some(sim.base.clone()),
        options: toml::from_str(&options).unwrap(),
        register_commands: false,
        rate_limit: None,
        admins: Vec::new(),
    };
    let d = TestDaemon::start_config(&["driver"], move |c| c.bots.push(bot)).await;
    d.wait_for_plugin("driver", None, WAIT).await;
    d
}

/// A gateway push of `text` in the guild channel; `message_id` is a JSON literal.
fn push(message_id: &str, text: &str) -> String {
    let content = fanbook_sim::payloads::text_doc(text);
    format!(
        r#"{{"action": "push", "data": {{"content": {}, "time": 1761905100000, "user_id": "{}",
            "channel_id": "{}", "message_id": {message_id}, "guild_id": "{}", "channel_type": 0}}}}"#,
        json!(content),
        fanbook_sim::payloads::USER,
        fanbook_sim::payloads::CHANNEL,
        fanbook_sim::payloads::GUILD,
    )
}

/// Whether a warning naming `field` and `value` as no Fanbook id was logged.
fn refusal_logged(field: &str, value: &str) -> bool {
    let logs = common::logs().wasmbot.lock().unwrap().clone();
    String::from_utf8_lossy(&logs).contains(&format!("`{field}` is {value}, not a Fanbook id"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fanbook_gateway_keeps_64_bit_ids_exact_and_refuses_the_rest_by_field() {
    common::logs();
    let sim = FanbookSim::start(FANBOOK_TOKEN).await;
    let _d = fanbook_daemon(&sim, "gateway").await;
    sim.wait_for(WAIT, "a gateway connection", |r| {
        r.iter().any(|r| r.method == "websocket")
    })
    .await;
    let (a, b) = ("9007199254740993", "9007199254740992");
    sim.ws(WsCommand::Frame(push(a, "/reply ok-a")));
    sim.ws(WsCommand::Frame(push(b, "/reply ok-b")));
    for (i, bad) in [
        "18446744073709551617",
        "18446744073709551618",
        "1e3",
        "1000.0",
    ]
    .iter()
    .enumerate()
    {
        sim.ws(WsCommand::Frame(push(bad, &format!("/reply bad-{i}"))));
    }
    sim.ws(WsCommand::Frame(push(
        "18446744073709551615",
        "/reply ok-max",
    )));
    for (text, id) in [("ok-a", a), ("ok-b", b), ("ok-max", "18446744073709551615")] {
        let reply = sim.wait_for_text(text, WAIT).await;
        assert_eq!(reply.body["reply_to_message_id"].to_string(), id, "{text}");
    }
    let texts = sim.sent_texts();
    assert!(!texts.iter().any(|t| t.starts_with("bad-")), "{texts:?}");
    assert!(refusal_logged("message_id", "1.8446744073709552e+19"));
    assert!(refusal_logged("message_id", "1000.0"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fanbook_long_poll_keeps_64_bit_ids_exact_and_refuses_the_rest_by_field() {
    common::logs();
    let sim = FanbookSim::start(FANBOOK_TOKEN).await;
    let _d = fanbook_daemon(&sim, "poll").await;
    let update = |message_id: Value, text: &str| {
        let mut update = fanbook_sim::payloads::channel_text(0, text);
        update["channel_post"]["message_id"] = message_id;
        update
    };
    sim.push_update(update(json!(9007199254740993u64), "/reply ok-a"));
    sim.push_update(update(json!(9007199254740992u64), "/reply ok-b"));
    // A `Value` writes these as `1.8446744073709552e19` and `1000.0`: what a float id looks like.
    sim.push_update(update(json!(18446744073709551617f64), "/reply bad-1"));
    sim.push_update(update(json!(1e3), "/reply bad-2"));
    sim.push_update(update(json!(u64::MAX), "/reply ok-max"));
    for (text, id) in [
        ("ok-a", "9007199254740993"),
        ("ok-b", "9007199254740992"),
        ("ok-max", "18446744073709551615"),
    ] {
        let reply = sim.wait_for_text(text, WAIT).await;
        assert_eq!(reply.body["reply_to_message_id"].to_string(), id, "{text}");
    }
    let texts = sim.sent_texts();
    assert!(!texts.iter().any(|t| t.starts_with("bad-")), "{texts:?}");
    assert!(refusal_logged(
        "channel_post.message_id",
        "1.8446744073709552e+19"
    ));
    assert!(refusal_logged("channel_post.message_id", "1000.0"));
}
