//! Yunhu end to end: golden-shaped webhooks into a daemon running the `driver` plugin, and
//! assertions on what the Yunhu simulator received. Also the rate limit under a burst, boards,
//! batch and stream sends, history, error mapping and the management CLI (ProtoBuf).

use std::time::Duration;

use prost::Message as _;
use serde_json::{json, Value};
use wasmbot::adapter::yunhu::{BoardFormat, HistoryQuery, Yunhu};
use wasmbot::adapter::{Adapter, AdapterError};
use wasmbot::cli::yunhu::proto;
use wasmbot::config::{BotConfig, Secret};
use wasmbot::model::Action;
use wasmbot::model::{ChatKind, ChatRef, Content, Outgoing};

use crate::common::TestDaemon;
use crate::webhook_sim::{Answer, Recorded, Sim};
use crate::yunhu_sim::{self, TOKEN, USER_TOKEN};

const WAIT: Duration = Duration::from_secs(10);
const GROUP: &str = "604715283";
const USER: &str = "5280193";
const BOT_ID: &str = "38261437";

fn bot(sim: &Sim) -> BotConfig {
    BotConfig {
        name: "yh".into(),
        platform: "yunhu".into(),
        token: Some(Secret::new(TOKEN)),
        secret: None,
        base_url: Some(sim.base.clone()),
        options: toml::Table::new(),
        register_commands: false,
        rate_limit: None,
        admins: Vec::new(),
    }
}

fn golden(name: &str) -> Value {
    let path = format!("{}/tests/golden/yunhu/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The golden text message, re-addressed: `group` true for the group, else the private chat.
fn text_event(n: u32, group: bool, text: &str) -> Value {
    let mut body = golden(if group {
        "event_message_receive_normal.json"
    } else {
        "event_message_receive_normal_private_text.json"
    });
    body["header"]["eventId"] = json!(format!("evt{n:029}"));
    body["event"]["message"]["msgId"] = json!(format!("msg{n:029}"));
    body["event"]["message"]["content"] = json!({ "text": text });
    body
}

async fn start() -> (Sim, TestDaemon) {
    let sim = yunhu_sim::start().await;
    let config = bot(&sim);
    let d = TestDaemon::start_config(&["driver"], move |c| c.bots.push(config)).await;
    (sim, d)
}

async fn hook(d: &TestDaemon, body: &Value) -> (u16, Value) {
    d.post("/hooks/yh", body.clone()).await
}

/// The `/bot/send` requests whose text is `text`.
fn sends_with(requests: &[Recorded], text: &str) -> Vec<Value> {
    requests
        .iter()
        .filter(|r| r.path == "/bot/send")
        .map(Recorded::json)
        .filter(|b| b["content"]["text"] == text)
        .collect()
}

#[tokio::test]
async fn a_private_reply_goes_to_the_sender_with_the_token_in_the_query() {
    let (sim, d) = start().await;
    let (status, body) = hook(&d, &text_event(1, false, "/reply 你好")).await;
    assert_eq!(status, 200, "{body}");
    let sent = sim
        .wait_json("/bot/send", WAIT, |b| b["content"]["text"] == "你好")
        .await;
    let body = sent.json();
    assert_eq!(sent.method, "POST");
    assert_eq!(body["recvType"], "user");
    assert_eq!(
        body["recvId"], USER,
        "a private reply goes to the sender, not to the bot's chat id {BOT_ID}"
    );
    assert_eq!(body["contentType"], "text");
    assert_eq!(body["parentId"], format!("msg{:029}", 1));
    assert_eq!(sent.query.get("token").map(String::as_str), Some(TOKEN));
    assert!(sent.header("authorization").is_none());
    assert!(sent
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
}

#[tokio::test]
async fn group_commands_reach_yunhu_as_documented() {
    let (sim, d) = start().await;
    let image = format!("{}/media/pic.png", sim.base);
    let commands = [
        "/send 大家好".to_string(),
        "/edit 已完成".into(),
        "/delete".into(),
        "/keyboard".into(),
        "/markdown **粗体**".into(),
        format!("/image {image}"),
        "/mute 60".into(),
        "/unmute".into(),
        "/kick".into(),
        "/role vip".into(),
        "/unrole vip".into(),
        "/roles".into(),
        "/react 👍".into(),
        "/pin".into(),
        "/member".into(),
    ];
    for (i, command) in commands.iter().enumerate() {
        let (status, body) = hook(&d, &text_event(100 + i as u32, true, command)).await;
        assert_eq!(status, 200, "{command}: {body}");
    }
    let requests = sim
        .wait_for(WAIT, |rs| {
            !sends_with(rs, "error:member").is_empty()
                || rs.iter().any(|r| {
                    r.json()["content"]["text"]
                        .as_str()
                        .is_some_and(|t| t.starts_with("error:get-member"))
                })
        })
        .await;

    let hello = &sends_with(&requests, "大家好")[0];
    assert_eq!(
        (hello["recvId"].as_str(), hello["recvType"].as_str()),
        (Some(GROUP), Some("group"))
    );
    assert!(
        hello.get("parentId").is_none(),
        "a send is not a reply: {hello}"
    );

    // /edit: "draft" is sent, then edited by the id Yunhu returned, with the chat it went to.
    let draft = requests
        .iter()
        .position(|r| r.path == "/bot/send" && r.json()["content"]["text"] == "draft")
        .unwrap();
    let edit = requests
        .iter()
        .find(|r| r.path == "/bot/edit")
        .unwrap()
        .json();
    assert_eq!(edit["msgId"], format!("sent-{draft}"));
    assert_eq!(
        (edit["recvId"].as_str(), edit["recvType"].as_str()),
        (Some(GROUP), Some("group"))
    );
    assert_eq!(
        (
            edit["contentType"].as_str(),
            edit["content"]["text"].as_str()
        ),
        (Some("text"), Some("已完成"))
    );

    let temp = requests
        .iter()
        .position(|r| r.path == "/bot/send" && r.json()["content"]["text"] == "temp")
        .unwrap();
    let recall = requests
        .iter()
        .find(|r| r.path == "/bot/recall")
        .unwrap()
        .json();
    assert_eq!(
        recall,
        json!({ "msgId": format!("sent-{temp}"), "chatId": GROUP, "chatType": "group" })
    );

    let pick = &sends_with(&requests, "pick")[0];
    assert_eq!(
        pick["content"]["buttons"],
        json!([[{ "text": "A", "actionType": 3, "value": "a" }, { "text": "B", "actionType": 3, "value": "b" }],
               [{ "text": "Docs", "actionType": 1, "url": "https://example.com/docs" }]])
    );
    let markdown = requests
        .iter()
        .find(|r| r.json()["contentType"] == "markdown")
        .unwrap()
        .json();
    assert_eq!(markdown["content"]["text"], "**粗体**");

    // /image: uploaded first (multipart part `image`), then sent by key.
    let upload = requests
        .iter()
        .position(|r| r.path == "/image/upload")
        .unwrap();
    let up = &requests[upload];
    assert!(up
        .header("content-type")
        .unwrap()
        .starts_with("multipart/form-data"));
    assert!(
        up.text().contains("name=\"image\"; filename=\"pic.png\""),
        "{}",
        up.text()
    );
    assert_eq!(up.query.get("token").map(String::as_str), Some(TOKEN));
    let image_send = requests
        .iter()
        .find(|r| r.json()["contentType"] == "image")
        .unwrap()
        .json();
    assert_eq!(
        image_send["content"]["imageKey"],
        format!("imgkey-{upload}")
    );

    let gags: Vec<Value> = requests
        .iter()
        .filter(|r| r.path == "/group/gag-member")
        .map(Recorded::json)
        .collect();
    assert_eq!(
        gags,
        vec![
            json!({ "groupId": GROUP, "userId": USER, "gag": 60 }),
            json!({ "groupId": GROUP, "userId": USER, "gag": 0 })
        ]
    );
    assert_eq!(
        sim.to("/group/remove-member")[0].json(),
        json!({ "groupId": GROUP, "userId": USER })
    );
    assert_eq!(
        sim.to("/group/tag/user-relate")[0].json(),
        json!({ "groupId": GROUP, "userId": USER, "tag": "vip" })
    );
    assert_eq!(
        sim.to("/group/tag/user-relate-cancel")[0].json(),
        json!({ "groupId": GROUP, "userId": USER, "tag": "vip" })
    );
    assert_eq!(sends_with(&requests, "roles:vip,值班").len(), 1);

    // What Yunhu lacks is `unsupported` at call time, and never reaches the platform.
    for op in ["react", "pin", "get-member"] {
        let found = requests.iter().any(|r| {
            r.json()["content"]["text"].as_str().is_some_and(|t| {
                t.starts_with(&format!("error:{op}:")) && t.contains("unsupported")
            })
        });
        assert!(found, "no unsupported error for {op}");
    }
}

#[tokio::test]
async fn member_follow_button_and_other_events_reach_the_plugin_once() {
    let (sim, d) = start().await;
    let join = golden("event_group_join.json");
    assert_eq!(hook(&d, &join).await.0, 200);
    let (status, again) = hook(&d, &join).await;
    assert_eq!(
        (status, again["duplicate"].as_bool()),
        (200, Some(true)),
        "a redelivery is accepted and not handled twice"
    );
    for name in [
        "event_group_leave.json",
        "event_bot_followed.json",
        "event_button_report_inline.json",
        "event_bot_shortcut_menu.json",
    ] {
        assert_eq!(hook(&d, &golden(name)).await.0, 200, "{name}");
    }
    let requests = sim
        .wait_for(WAIT, |rs| {
            !sends_with(rs, "other:bot.shortcut.menu").is_empty()
                && !sends_with(rs, "callback:approve:ticket-881").is_empty()
        })
        .await;
    assert_eq!(sends_with(&requests, "joined:7731046").len(), 1);
    assert_eq!(sends_with(&requests, "left:7731046")[0]["recvId"], GROUP);
    let followed = &sends_with(&requests, "followed:7731046")[0];
    assert_eq!(
        (followed["recvId"].as_str(), followed["recvType"].as_str()),
        (Some("7731046"), Some("user"))
    );
    assert_eq!(
        sends_with(&requests, "callback:approve:ticket-881")[0]["recvId"],
        GROUP
    );
    let answer_error = requests.iter().any(|r| {
        r.json()["content"]["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("error:answer-callback:"))
    });
    assert!(
        answer_error,
        "Yunhu has no callback answer: the plugin must be told"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sends_with(&sim.requests(), "joined:7731046").len(), 1);
}

fn adapter(sim: &Sim) -> Yunhu {
    Yunhu::from_config(&bot(sim)).unwrap()
}

fn group_chat() -> ChatRef {
    ChatRef {
        platform: "yunhu".into(),
        bot: "yh".into(),
        kind: ChatKind::Group,
        id: GROUP.into(),
        guild: None,
    }
}

fn text(t: &str) -> Outgoing {
    Outgoing {
        content: Content::Text(t.into()),
        keyboard: None,
        mentions: vec![],
    }
}

fn send(t: &str) -> Action {
    Action::Send {
        handle: "h".into(),
        chat: group_chat(),
        message: text(t),
        reply_to: None,
    }
}

#[tokio::test]
async fn a_burst_never_exceeds_ten_requests_per_second_per_api() {
    let sim = yunhu_sim::start().await;
    let yunhu = adapter(&sim);
    let burst = (0..25).map(|i| {
        let yunhu = yunhu.clone();
        async move { yunhu.deliver(&send(&format!("burst {i}"))).await }
    });
    let edits = async {
        let target = wasmbot::model::MessageRef {
            chat: group_chat(),
            id: "m".into(),
        };
        yunhu
            .deliver(&Action::Edit {
                target,
                message: text("x"),
            })
            .await
    };
    let (results, edit) = tokio::join!(futures::future::join_all(burst), edits);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert!(edit.is_ok());
    let sends: Vec<_> = sim.to("/bot/send").iter().map(|r| r.at).collect();
    assert_eq!(sends.len(), 25);
    for (i, w) in sends.windows(11).enumerate() {
        let span = w[10] - w[0];
        assert!(
            span >= Duration::from_millis(980),
            "requests {i}..{} went out within {span:?}",
            i + 10
        );
    }
    // Another API has its own budget: the edit did not wait behind the burst.
    let edit_at = sim.to("/bot/edit")[0].at;
    assert!(
        edit_at < sends[10],
        "the edit waited for /bot/send's budget"
    );
}

#[tokio::test]
async fn boards_batch_stream_and_history() {
    let sim = yunhu_sim::start().await;
    let yunhu = adapter(&sim);
    yunhu
        .set_board(
            GROUP,
            ChatKind::Group,
            Some(USER),
            BoardFormat::Markdown,
            "**值班**",
            1_900_000_000,
        )
        .await
        .unwrap();
    yunhu
        .dismiss_board(GROUP, ChatKind::Group, None)
        .await
        .unwrap();
    yunhu
        .set_board_all(BoardFormat::Text, "维护通知", 0)
        .await
        .unwrap();
    yunhu.dismiss_board_all().await.unwrap();
    assert_eq!(
        sim.to("/bot/board")[0].json(),
        json!({ "chatId": GROUP, "chatType": "group", "memberId": USER, "contentType": "markdown", "content": "**值班**", "expireTime": 1_900_000_000 })
    );
    assert_eq!(
        sim.to("/bot/board-dismiss")[0].json(),
        json!({ "chatId": GROUP, "chatType": "group", "memberId": "" }),
        "memberId is always sent, \"\" for the whole chat, as the official SDK sends it"
    );
    assert_eq!(
        sim.to("/bot/board-all")[0].json(),
        json!({ "contentType": "text", "content": "维护通知", "expireTime": 0 })
    );
    assert_eq!(sim.to("/bot/board-all-dismiss").len(), 1);

    let mut ids: Vec<String> = (0..450).map(|i| format!("u{i}")).collect();
    ids.push("u0".into());
    let sent = yunhu
        .batch_send(ChatKind::Private, &ids, &text("通知"))
        .await
        .unwrap();
    assert_eq!(sent.len(), 450);
    let batches = sim.to("/bot/batch_send");
    let sizes: Vec<usize> = batches
        .iter()
        .map(|r| r.json()["recvIds"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, vec![200, 200, 50]);
    assert_eq!(batches[0].json()["recvType"], "user");

    let chunks = vec!["第一段".to_string(), "，第二段".into()];
    let id = yunhu
        .send_stream(USER, ChatKind::Private, true, Some("p1"), chunks)
        .await
        .unwrap();
    assert!(id.is_some());
    let stream = &sim.to("/bot/send-stream")[0];
    assert_eq!(stream.text(), "第一段，第二段");
    assert_eq!(stream.query.get("recvId").map(String::as_str), Some(USER));
    assert_eq!(
        stream.query.get("recvType").map(String::as_str),
        Some("user")
    );
    assert_eq!(
        stream.query.get("contentType").map(String::as_str),
        Some("markdown")
    );
    assert_eq!(stream.query.get("parentId").map(String::as_str), Some("p1"));

    let history = yunhu
        .messages(
            GROUP,
            ChatKind::Group,
            &HistoryQuery {
                before: 5,
                ..HistoryQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].text.as_deref(), Some("值班表已更新"));
    assert!(history[0].sender_is_bot);
    let get = &sim.to("/bot/messages")[0];
    assert_eq!(get.method, "GET");
    assert_eq!(get.query.get("chat-id").map(String::as_str), Some(GROUP));
    assert_eq!(
        get.query.get("chat-type").map(String::as_str),
        Some("group")
    );
    assert_eq!(get.query.get("before").map(String::as_str), Some("5"));
}

#[tokio::test]
async fn errors_map_and_never_show_the_token() {
    let sim = yunhu_sim::start().await;
    let yunhu = adapter(&sim);
    sim.script([
        Answer(502, "text/plain", b"bad gateway".to_vec()),
        Answer(429, "application/json", b"{}".to_vec()),
        Answer::json(json!({ "code": 1002, "msg": "contentType取值错误，请翻看文档" })),
    ]);
    let e1 = yunhu.deliver(&send("a")).await.unwrap_err();
    assert!(matches!(e1, AdapterError::Transient(_)), "{e1:?}");
    let e2 = yunhu.deliver(&send("b")).await.unwrap_err();
    assert!(matches!(e2, AdapterError::RateLimited(_)), "{e2:?}");
    let e3 = yunhu.deliver(&send("c")).await.unwrap_err();
    assert!(
        matches!(&e3, AdapterError::Platform { code, .. } if code == "1002"),
        "{e3:?}"
    );

    let mut wrong = bot(&sim);
    wrong.token = Some(Secret::new("not-the-token"));
    let e4 = Yunhu::from_config(&wrong)
        .unwrap()
        .deliver(&send("d"))
        .await
        .unwrap_err();
    assert!(matches!(e4, AdapterError::Unauthorized(_)), "{e4:?}");

    // Nothing listens on port 9 of loopback: a connection error, without the URL and its token.
    let mut closed = bot(&sim);
    closed.base_url = Some("http://127.0.0.1:9/open-apis/v1".into());
    let down = Yunhu::from_config(&closed).unwrap();
    let e5 = down.deliver(&send("e")).await.unwrap_err();
    assert!(matches!(e5, AdapterError::Transient(_)), "{e5:?}");
    for shown in [
        format!("{e1} {e2} {e3} {e4} {e5}"),
        format!("{e5:?}"),
        format!("{down:?}"),
        format!("{:?}", bot(&sim)),
    ] {
        assert!(!shown.contains(TOKEN), "the token leaked: {shown}");
    }
}

async fn cli(sim: &Sim, args: &[&str]) -> (bool, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_wasmbot"))
        .args(["yunhu", "bots", "--api-base", &sim.base])
        .args(args)
        .env("YUNHU_USER_TOKEN", USER_TOKEN)
        .output()
        .await
        .unwrap();
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

#[tokio::test]
async fn the_management_cli_speaks_json_and_protobuf() {
    let sim = yunhu_sim::start().await;
    let (ok, out) = cli(&sim, &["list"]).await;
    assert!(ok, "{out}");
    assert!(out.contains(BOT_ID) && out.contains("巡检助手"), "{out}");
    assert!(
        !out.contains("secret-bot-token-of-38261437"),
        "a bot token was printed without --show-tokens: {out}"
    );

    let (ok, out) = cli(&sim, &["info", BOT_ID]).await;
    assert!(ok, "{out}");
    let profile: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (profile["bot_id"].as_str(), profile["name"].as_str()),
        (Some(BOT_ID), Some("巡检助手"))
    );
    assert_eq!(
        (profile["private"].as_bool(), profile["headcount"].as_i64()),
        (Some(true), Some(42))
    );
    let info = &sim.to("/v1/bot/bot-info")[0];
    assert_eq!(info.header("token"), Some(USER_TOKEN));
    assert_eq!(info.header("content-type"), Some("application/x-protobuf"));
    assert_eq!(
        proto::BotInfoSend::decode(info.body.as_slice()).unwrap().id,
        BOT_ID
    );

    let (ok, out) = cli(&sim, &["board", GROUP, "--chat-type", "2"]).await;
    assert!(ok, "{out}");
    let board: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (board["content"].as_str(), board["format"].as_str()),
        (Some("今日值班: 青柠"), Some("markdown"))
    );
    let sent = proto::BoardSend::decode(sim.to("/v1/bot/board")[0].body.as_slice()).unwrap();
    assert_eq!((sent.id.as_str(), sent.chat_type), (GROUP, 2));

    assert!(cli(&sim, &["remove-follower", BOT_ID, USER]).await.0);
    assert_eq!(
        sim.to("/v1/bot/remove-follower")[0].json(),
        json!({ "botId": BOT_ID, "userId": USER })
    );
    assert!(cli(&sim, &["remove-group", BOT_ID, GROUP]).await.0);
    assert_eq!(
        sim.to("/v1/bot/remove-group")[0].json(),
        json!({ "botId": BOT_ID, "groupId": GROUP })
    );
    assert!(cli(&sim, &["settings", BOT_ID, "[]"]).await.0);
    assert_eq!(
        sim.to("/v1/bot/edit-setting-json")[0].json(),
        json!({ "id": BOT_ID, "settingJson": "[]" })
    );
    assert!(cli(&sim, &["edit", BOT_ID, "--nickname", "新名字"]).await.0);
    let edit = sim.to("/v1/bot/web-edit-bot")[0].json();
    assert_eq!(
        edit,
        json!({ "botId": BOT_ID, "nickname": "新名字", "introduction": "值班提醒", "avatarUrl": "https://chat-img.jwznb.com/a.png", "private": 1 })
    );
}
