//! minapp end to end: golden-shaped callbacks (secret echoed in the body) into a daemon running
//! the `driver` plugin, and assertions on what the minapp simulator received; the formats the
//! adapter can send; `wasmbot minapp conversations`.

use std::time::Duration;

use serde_json::{json, Value};
use wasmbot::adapter::minapp::Minapp;
use wasmbot::adapter::{Adapter, AdapterError};
use wasmbot::config::{BotConfig, Secret};
use wasmbot::model::Action;
use wasmbot::model::{Card, ChatKind, ChatRef, Content, Outgoing};

use crate::common::TestDaemon;
use crate::minapp_sim::{self, SECRET};
use crate::webhook_sim::{Recorded, Sim};

const WAIT: Duration = Duration::from_secs(10);
const ROOM: &str = "R:10696051996154312";

fn bot(sim: &Sim, card_format: Option<&str>) -> BotConfig {
    let mut options = toml::Table::new();
    if let Some(format) = card_format {
        options.insert("card_format".into(), toml::Value::String(format.into()));
    }
    BotConfig {
        name: "mn".into(),
        platform: "minapp".into(),
        token: None,
        secret: Some(Secret::new(SECRET)),
        base_url: Some(sim.base.clone()),
        options,
        register_commands: false,
        rate_limit: None,
        admins: Vec::new(),
    }
}

fn text_event(text: &str) -> Value {
    let path = format!(
        "{}/tests/golden/minapp/event_text.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut body: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    body["secret"] = json!(SECRET);
    body["text"]["content"] = json!(text);
    body
}

fn bodies(requests: &[Recorded]) -> Vec<Value> {
    requests
        .iter()
        .filter(|r| r.path == "/api/send")
        .map(Recorded::json)
        .collect()
}

#[tokio::test]
async fn commands_are_answered_in_the_conversation_and_the_rest_is_unsupported() {
    let sim = minapp_sim::start().await;
    let config = bot(&sim, None);
    let d = TestDaemon::start_config(&["driver"], move |c| c.bots.push(config)).await;
    let commands = [
        "/reply 收到",
        "/send 大家好",
        "/markdown **注意**",
        "/image https://example.com/a.png",
        "/edit x",
        "/delete",
        "/react 👍",
        "/mute 60",
        "/kick",
        "/role vip",
        "/member",
    ];
    for command in commands {
        let (status, body) = d.post("/hooks/mn", text_event(command)).await;
        assert_eq!(status, 200, "{command}: {body}");
    }
    let requests = sim
        .wait_for(WAIT, |rs| {
            bodies(rs).iter().any(|b| {
                b["text"]["content"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("error:get-member"))
            })
        })
        .await;
    let sent = bodies(&requests);
    let first = requests.iter().find(|r| r.path == "/api/send").unwrap();
    assert_eq!(first.method, "POST");
    assert_eq!(first.query.get("secret").map(String::as_str), Some(SECRET));
    assert_eq!(
        first.query.get("conversation_id").map(String::as_str),
        Some(ROOM)
    );
    assert!(first.header("authorization").is_none());
    assert_eq!(
        sent[0],
        json!({ "msgtype": "text", "text": { "content": "收到" } })
    );
    assert_eq!(
        sent[1],
        json!({ "msgtype": "text", "text": { "content": "大家好" } })
    );
    assert_eq!(
        sent[2],
        json!({ "msgtype": "markdown", "markdown": { "content": "**注意**" } })
    );
    assert_eq!(
        sent[3],
        json!({ "msgtype": "image", "image": { "url": "https://example.com/a.png" } })
    );
    // /edit and /delete send their message, then learn the platform cannot change it.
    for op in [
        "edit",
        "delete",
        "react",
        "mute",
        "kick",
        "add-role",
        "get-member",
    ] {
        let found = sent.iter().any(|b| {
            b["text"]["content"].as_str().is_some_and(|t| {
                t.starts_with(&format!("error:{op}:")) && t.contains("unsupported")
            })
        });
        assert!(found, "no unsupported error for {op}: {sent:?}");
    }
}

fn room() -> ChatRef {
    ChatRef {
        platform: "minapp".into(),
        bot: "mn".into(),
        kind: ChatKind::Group,
        id: ROOM.into(),
        guild: None,
    }
}

fn send(content: Content, mentions: Vec<String>) -> Action {
    Action::Send {
        handle: "h".into(),
        chat: room(),
        message: Outgoing {
            content,
            keyboard: None,
            mentions,
        },
        reply_to: None,
    }
}

#[tokio::test]
async fn cards_mentions_and_miniprograms_use_the_wecom_formats() {
    let sim = minapp_sim::start().await;
    let link = Minapp::from_config(&bot(&sim, None)).unwrap();
    let news = Minapp::from_config(&bot(&sim, Some("news"))).unwrap();
    let card = Card {
        title: "季度总结".into(),
        body: "Q3".into(),
        url: Some("https://example.com/q3".into()),
        image: Some("https://example.com/q3.png".into()),
    };
    link.deliver(&send(Content::Card(card.clone()), vec![]))
        .await
        .unwrap();
    news.deliver(&send(Content::Card(card), vec![]))
        .await
        .unwrap();
    link.deliver(&send(Content::Text("开会".into()), vec!["wxid_a".into()]))
        .await
        .unwrap();
    let mut fields = serde_json::Map::new();
    fields.insert("appid".into(), json!("wx1234567890abcdef"));
    fields.insert("title".into(), json!("会议室"));
    link.send_miniprogram(ROOM, fields).await.unwrap();
    let sent = bodies(&sim.requests());
    assert_eq!(
        sent[0],
        json!({ "msgtype": "link", "link": { "title": "季度总结", "url": "https://example.com/q3", "desc": "Q3", "image_url": "https://example.com/q3.png" } })
    );
    assert_eq!(
        sent[1],
        json!({ "msgtype": "news", "news": { "articles": [{ "title": "季度总结", "description": "Q3", "url": "https://example.com/q3", "picurl": "https://example.com/q3.png" }] } })
    );
    assert_eq!(
        sent[2],
        json!({ "msgtype": "text", "text": { "content": "开会", "mentioned_list": ["wxid_a"] } })
    );
    assert_eq!(
        sent[3],
        json!({ "msgtype": "miniprogram", "miniprogram": { "appid": "wx1234567890abcdef", "title": "会议室" } })
    );

    let file = Content::File(wasmbot::model::Media {
        url: "https://example.com/a.pdf".into(),
        name: None,
        size: None,
    });
    // A typed `unsupported` that says why: WeCom sends files by media_id, minapp uploads none.
    let refused = link.deliver(&send(file, vec![])).await;
    assert!(
        matches!(&refused, Err(e @ AdapterError::Unsupported { .. }) if e.to_string().contains("media_id")),
        "{refused:?}"
    );
    let mut wrong = bot(&sim, None);
    wrong.secret = Some(Secret::new("wrong"));
    let e = Minapp::from_config(&wrong)
        .unwrap()
        .deliver(&send(Content::Text("x".into()), vec![]))
        .await
        .unwrap_err();
    assert!(matches!(e, AdapterError::Unauthorized(_)), "{e:?}");
    assert!(!format!("{e} {link:?}").contains(SECRET));
}

#[tokio::test]
async fn the_cli_lists_conversations() {
    let sim = minapp_sim::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("wasmbot.toml");
    let toml = format!("[[bots]]\nname = \"mn\"\nplatform = \"minapp\"\nsecret = \"{SECRET}\"\nbase_url = \"{}\"\n", sim.base);
    std::fs::write(&config, toml).unwrap();
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_wasmbot"))
        .args(["minapp", "--config"])
        .arg(&config)
        .arg("conversations")
        .output()
        .await
        .unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let listed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        listed["users"],
        json!([{ "name": "小周", "conversation_id": "S:wxid_k3m9p2q8r7" }])
    );
    assert_eq!(
        listed["groups"],
        json!([{ "name": "运维群", "conversation_id": ROOM }])
    );
    let users = &sim.to("/api/users")[0];
    assert_eq!(
        (
            users.method.as_str(),
            users.query.get("secret").map(String::as_str)
        ),
        ("GET", Some(SECRET))
    );
    assert!(!out.contains(SECRET));
}
