//! Biliao end to end: golden-shaped webhooks into a daemon running the `driver` plugin, and
//! assertions on what the Biliao simulator received; callback answers (by the plugin, and
//! automatically when no plugin answers); the extra calls; error mapping.

use std::time::Duration;

use serde_json::{json, Value};
use wasmbot::adapter::biliao::Biliao;
use wasmbot::adapter::{Adapter, AdapterError};
use wasmbot::config::{BotConfig, Secret};
use wasmbot::model::Action;
use wasmbot::model::{ChatKind, ChatRef, Content, Outgoing};

use crate::biliao_sim::{self, TOKEN};
use crate::common::TestDaemon;
use crate::webhook_sim::{Recorded, Sim};

const WAIT: Duration = Duration::from_secs(10);
const GROUP: &str = "group_20931";
const USER: &str = "user_8c41d2";

fn bot(sim: &Sim, auto_answer_ms: i64) -> BotConfig {
    let auto_answer = toml::Value::Integer(auto_answer_ms);
    biliao_sim::bot(sim, &[("auto_answer_ms", auto_answer)])
}

fn golden(name: &str) -> Value {
    let path = format!("{}/tests/golden/biliao/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn message(n: u32, group: bool, text: &str) -> Value {
    let mut body = golden(if group {
        "event_group_message.json"
    } else {
        "event_private_message.json"
    });
    body["message_id"] = json!(format!("msg_{n}"));
    body["content"] = json!(text);
    body
}

async fn start(plugins: &[&str], auto_answer_ms: i64) -> (Sim, TestDaemon) {
    let sim = biliao_sim::start().await;
    let config = bot(&sim, auto_answer_ms);
    let d = TestDaemon::start_config(plugins, move |c| c.bots.push(config)).await;
    (sim, d)
}

fn sends_with(requests: &[Recorded], text: &str) -> Vec<Value> {
    requests
        .iter()
        .filter(|r| r.path == "/bot/sendmessage")
        .map(Recorded::json)
        .filter(|b| b["content"] == text)
        .collect()
}

fn has_error(requests: &[Recorded], op: &str) -> bool {
    requests.iter().any(|r| {
        r.json()["content"]
            .as_str()
            .is_some_and(|t| t.starts_with(&format!("error:{op}:")) && t.contains("unsupported"))
    })
}

#[tokio::test]
async fn a_private_reply_carries_the_bearer_token_and_reply_to_id() {
    let (sim, d) = start(&["driver"], 0).await;
    let (status, body) = d.post("/hooks/bl", message(1, false, "/reply 欢迎")).await;
    assert_eq!(status, 200, "{body}");
    let sent = sim
        .wait_json("/bot/sendmessage", WAIT, |b| b["content"] == "欢迎")
        .await;
    assert_eq!(sent.method, "POST");
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert!(
        sent.query.is_empty(),
        "no credential in the query: {:?}",
        sent.query
    );
    assert_eq!(
        sent.json(),
        json!({ "target_user_id": USER, "message_type": "text", "content": "欢迎", "reply_to_id": "msg_1" })
    );
}

#[tokio::test]
async fn group_commands_reach_biliao_as_documented() {
    let (sim, d) = start(&["driver"], 0).await;
    let image = format!("{}/media/pic.png", sim.base);
    let commands = [
        "/send 大家好".to_string(),
        "/edit 已更新".into(),
        "/delete".into(),
        "/keyboard".into(),
        format!("/image {image}"),
        "/mute 60".into(),
        "/unmute".into(),
        "/kick".into(),
        "/role vip".into(),
        "/react 👍".into(),
        "/pin".into(),
        "/roles".into(),
    ];
    for (i, command) in commands.iter().enumerate() {
        let (status, body) = d
            .post("/hooks/bl", message(100 + i as u32, true, command))
            .await;
        assert_eq!(status, 200, "{command}: {body}");
    }
    let requests = sim.wait_for(WAIT, |rs| has_error(rs, "list-roles")).await;

    let hello = &sends_with(&requests, "大家好")[0];
    assert_eq!(
        hello,
        &json!({ "group_id": GROUP, "message_type": "text", "content": "大家好" })
    );

    let draft = requests
        .iter()
        .position(|r| r.path == "/bot/sendmessage" && r.json()["content"] == "draft")
        .unwrap();
    let edit = requests
        .iter()
        .find(|r| r.path == "/bot/editmessage")
        .unwrap()
        .json();
    assert_eq!(
        edit,
        json!({ "message_id": format!("bm-{draft}"), "content": "已更新", "extra": { "inline_keyboard": [] } })
    );
    let temp = requests
        .iter()
        .position(|r| r.path == "/bot/sendmessage" && r.json()["content"] == "temp")
        .unwrap();
    let delete = requests
        .iter()
        .find(|r| r.path == "/bot/deletemessage")
        .unwrap()
        .json();
    assert_eq!(delete, json!({ "message_id": format!("bm-{temp}") }));

    let pick = &sends_with(&requests, "pick")[0];
    assert_eq!(
        pick["extra"]["inline_keyboard"],
        json!([[{ "text": "A", "callback_data": "a" }, { "text": "B", "callback_data": "b" }], [{ "text": "Docs", "url": "https://example.com/docs" }]])
    );

    let upload = requests
        .iter()
        .position(|r| r.path == "/bot/uploadfile")
        .unwrap();
    let up = &requests[upload];
    assert!(up
        .header("content-type")
        .unwrap()
        .starts_with("multipart/form-data"));
    assert!(
        up.text().contains("name=\"file\"; filename=\"pic.png\""),
        "{}",
        up.text()
    );
    let image_send = requests
        .iter()
        .find(|r| r.json()["message_type"] == "image")
        .unwrap()
        .json();
    assert_eq!(
        image_send,
        json!({ "group_id": GROUP, "message_type": "image", "file_id": format!("file_{upload}") })
    );

    assert_eq!(
        sim.to("/bot/mutemember")[0].json(),
        json!({ "group_id": GROUP, "user_id": USER, "duration": 60 })
    );
    assert_eq!(
        sim.to("/bot/unmutemember")[0].json(),
        json!({ "group_id": GROUP, "user_id": USER })
    );
    for op in ["kick", "add-role", "react", "pin", "list-roles"] {
        assert!(has_error(&requests, op), "no unsupported error for {op}");
    }
}

#[tokio::test]
async fn a_plugin_answers_a_click_once_and_joins_are_reported() {
    let (sim, d) = start(&["driver"], 400).await;
    assert_eq!(
        d.post("/hooks/bl", golden("event_callback_query.json"))
            .await
            .0,
        200
    );
    assert_eq!(
        d.post("/hooks/bl", golden("event_member_joined.json"))
            .await
            .0,
        200
    );
    let requests = sim
        .wait_for(WAIT, |rs| {
            !sends_with(rs, "callback:confirm").is_empty()
                && !sends_with(rs, "joined:user_99ab01").is_empty()
        })
        .await;
    let answer = requests
        .iter()
        .find(|r| r.path == "/bot/answercallback")
        .unwrap()
        .json();
    assert_eq!(
        answer,
        json!({ "callback_id": "cb_user_8c41d2_7e21a9b0", "text": "clicked confirm", "show_alert": false })
    );
    assert_eq!(
        sends_with(&requests, "callback:confirm")[0]["group_id"],
        GROUP
    );
    assert_eq!(
        sends_with(&requests, "joined:user_99ab01")[0]["group_id"],
        GROUP
    );
    // The plugin's answer cancelled the automatic one.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(sim.to("/bot/answercallback").len(), 1);
}

#[tokio::test]
async fn an_unanswered_click_is_answered_automatically_once() {
    let (sim, d) = start(&[], 300).await;
    let click = golden("event_callback_query.json");
    assert_eq!(d.post("/hooks/bl", click.clone()).await.0, 200);
    let (status, again) = d.post("/hooks/bl", click).await;
    assert_eq!((status, again["duplicate"].as_bool()), (200, Some(true)));
    let answer = sim.wait_json("/bot/answercallback", WAIT, |_| true).await;
    assert_eq!(
        answer.json(),
        json!({ "callback_id": "cb_user_8c41d2_7e21a9b0", "text": "", "show_alert": false })
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        sim.to("/bot/answercallback").len(),
        1,
        "a duplicate delivery starts no second timer"
    );
}

fn group() -> ChatRef {
    ChatRef {
        platform: "biliao".into(),
        bot: "bl".into(),
        kind: ChatKind::Group,
        id: GROUP.into(),
        guild: None,
    }
}

#[tokio::test]
async fn extra_calls_and_the_opt_in_command_menu() {
    let sim = biliao_sim::start().await;
    let mut config = bot(&sim, 0);
    let commands: toml::Value = toml::from_str::<toml::Table>(
        r#"commands = [{ command = "price", description = "查价" }]"#,
    )
    .unwrap()["commands"]
        .clone();
    config.options.insert("commands".into(), commands);
    let d = TestDaemon::start_config(&[], move |c| c.bots.push(config)).await;
    let set = sim
        .wait_json("/bot/botapisetcommands", WAIT, |_| true)
        .await;
    assert_eq!(
        set.json(),
        json!({ "commands": [{ "command": "price", "description": "查价" }] })
    );
    drop(d);

    let biliao = Biliao::from_config(&bot(&sim, 0), Default::default()).unwrap();
    assert_eq!(biliao.get_me().await.unwrap()["username"], "price_bot");
    assert_eq!(biliao.get_group(GROUP).await.unwrap()["title"], "运维交流");
    assert_eq!(
        sim.to("/bot/getgroup")[0].json(),
        json!({ "group_id": GROUP })
    );
    assert_eq!(
        biliao.get_commands().await.unwrap(),
        vec![("start".to_string(), "开始使用".to_string())]
    );
    biliao
        .delete_messages(&["m1".into(), "m2".into()])
        .await
        .unwrap();
    assert_eq!(
        sim.to("/bot/deletemessage")[0].json(),
        json!({ "message_ids": ["m1", "m2"] })
    );
    let delivered = biliao.send_contact(&group(), "user_42").await.unwrap();
    assert!(delivered.message_id.is_some());
    assert_eq!(
        sim.to("/bot/sendmessage")[0].json(),
        json!({ "group_id": GROUP, "message_type": "contact", "file_id": "user_42" })
    );
    let sticker = Outgoing {
        content: Content::Sticker("sticker_7".into()),
        keyboard: None,
        mentions: vec![],
    };
    biliao
        .deliver(&Action::Send {
            handle: "h".into(),
            chat: group(),
            message: sticker,
            reply_to: Some("msg_9".into()),
        })
        .await
        .unwrap();
    assert_eq!(
        sim.to("/bot/sendmessage")[1].json(),
        json!({ "group_id": GROUP, "message_type": "sticker", "file_id": "sticker_7", "reply_to_id": "msg_9" })
    );

    let mut wrong = bot(&sim, 0);
    wrong.token = Some(Secret::new("nope"));
    let e = Biliao::from_config(&wrong, Default::default())
        .unwrap()
        .get_me()
        .await
        .unwrap_err();
    assert!(matches!(e, AdapterError::Unauthorized(_)), "{e:?}");
    assert!(!format!("{e} {biliao:?}").contains(TOKEN));
}
