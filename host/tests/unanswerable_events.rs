//! Webhook events that could not be answered, or whose text would be lost, are refused with a
//! 422 naming the field and logged with their body (credentials masked), and nothing of them is
//! journaled; events without a platform id are never merged into one another.

use std::sync::Arc;

use serde_json::{json, Value};
use wasmbot::config::{BotConfig, Secret};
use wasmbot::model::Event;
use wasmbot::store::Store;

use crate::common;

const MINAPP_SECRET: &str = "mn-secret-unanswerable-5d1c";

fn bot(name: &str, platform: &str, secret: Option<&str>) -> BotConfig {
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

async fn post(url: &str, body: &Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(url)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Asserts a 422 whose error names `field`.
async fn assert_refused(url: &str, body: &Value, field: &str) {
    let (status, answer) = post(url, body).await;
    let error = answer["error"].as_str().unwrap_or_default();
    assert_eq!(status, 422, "{body} → {answer}");
    assert!(error.contains(&format!("`{field}`")), "{body} → {error}");
}

/// Asserts a 200 for a new event (not a duplicate).
async fn assert_new(url: &str, body: &Value) {
    let (status, answer) = post(url, body).await;
    assert_eq!(
        (status, &answer["duplicate"]),
        (200, &json!(false)),
        "{body} → {answer}"
    );
}

fn logged() -> String {
    String::from_utf8_lossy(&common::logs().everything.lock().unwrap()).into_owned()
}

#[tokio::test]
async fn biliao_events_that_cannot_be_answered_are_refused_by_field_and_logged() {
    common::logs();
    let (url, store) = common::serve_webhook(bot("bl", "biliao", None)).await;
    let private = json!({ "event_type": "private_message", "message_id": "msg_unanswerable_1",
                          "sender_id": "user_1", "group_id": "", "message_type": "text",
                          "content": "hi", "timestamp": 1732636800 });
    let mut no_sender = private.clone();
    no_sender.as_object_mut().unwrap().remove("sender_id");
    assert_refused(&url, &no_sender, "sender_id").await;
    let mut no_group = private.clone();
    no_group["event_type"] = json!("group_message");
    assert_refused(&url, &no_group, "group_id").await;
    let mut object_content = private.clone();
    object_content["content"] = json!({ "text": "hi" });
    assert_refused(&url, &object_content, "content").await;
    let mut no_callback_id = private.clone();
    no_callback_id["event_type"] = json!("callback_query");
    assert_refused(&url, &no_callback_id, "callback_id").await;
    assert!(events(&store).is_empty(), "nothing refused was journaled");

    let logs = logged();
    let line = logs
        .lines()
        .find(|l| l.contains("webhook request refused") && l.contains("`content` must be"))
        .unwrap_or_else(|| panic!("no refusal logged: {logs}"));
    assert!(
        line.contains("msg_unanswerable_1"),
        "the body is quoted: {line}"
    );

    assert_new(&url, &private).await;
}

#[tokio::test]
async fn biliao_joins_without_a_time_are_never_merged() {
    let (url, store) = common::serve_webhook(bot("bl", "biliao", None)).await;
    let join = json!({ "event_type": "member_joined", "sender_id": "user_9", "group_id": "g1" });
    assert_new(&url, &join).await;
    assert_new(&url, &join).await;
    let mut timed = join.clone();
    timed["timestamp"] = json!(1732636800);
    assert_new(&url, &timed).await;
    let (status, answer) = post(&url, &timed).await;
    assert_eq!(
        (status, &answer["duplicate"]),
        (200, &json!(true)),
        "a redelivery"
    );
    timed["timestamp"] = json!(1732636900);
    assert_new(&url, &timed).await;
    let joins = events(&store);
    assert_eq!(joins.len(), 4, "{joins:?}");
    assert!(joins.iter().all(|e| matches!(e, Event::MemberJoined(_))));
}

#[tokio::test]
async fn biliao_message_ids_are_only_merged_within_their_chat() {
    let (url, store) = common::serve_webhook(bot("bl", "biliao", None)).await;
    let message = |group: &str| {
        json!({ "event_type": "group_message", "message_id": 5, "sender_id": "u1",
                "group_id": group, "content": "hi" })
    };
    assert_new(&url, &message("g1")).await;
    assert_new(&url, &message("g2")).await;
    let (_, again) = post(&url, &message("g1")).await;
    assert_eq!(again["duplicate"], json!(true));
    assert_eq!(events(&store).len(), 2);
}

#[tokio::test]
async fn yunhu_events_without_a_chat_or_with_lost_text_are_refused_by_field() {
    let (url, store) = common::serve_webhook(bot("yh", "yunhu", None)).await;
    let group = json!({ "header": { "eventId": "e1", "eventType": "message.receive.normal" },
        "event": { "sender": { "senderId": "1" }, "chat": { "chatType": "group" },
                   "message": { "msgId": "m", "contentType": "text", "content": { "text": "hi" } } } });
    assert_refused(&url, &group, "event.chat.chatId").await;
    let mut private = group.clone();
    private["event"]["chat"] = json!({ "chatId": "38261437", "chatType": "bot" });
    private["event"]["sender"] = json!({});
    assert_refused(&url, &private, "event.sender.senderId").await;
    let mut lost = group.clone();
    lost["event"]["chat"]["chatId"] = json!("604715283");
    lost["event"]["message"]["content"] = json!({ "text": { "a": "hi" } });
    assert_refused(&url, &lost, "event.message.content.text").await;
    let join = json!({ "header": { "eventId": "e2", "eventType": "group.join" },
                       "event": { "chatId": "604715283" } });
    assert_refused(&url, &join, "event.userId").await;
    assert!(events(&store).is_empty());
}

#[tokio::test]
async fn minapp_texts_that_would_be_lost_are_refused_and_logged_without_the_secret() {
    common::logs();
    let (url, store) = common::serve_webhook(bot("mn", "minapp", Some(MINAPP_SECRET))).await;
    let text = json!({ "secret": MINAPP_SECRET, "msgtype": "text", "conversation_id": "R:unanswerable-3",
                       "sender": "wxid_1", "text": "hi" });
    assert_refused(&url, &text, "text").await;
    let mut nested = text.clone();
    nested["text"] = json!({ "content": { "t": "hi" } });
    assert_refused(&url, &nested, "text.content").await;
    assert!(events(&store).is_empty());

    let logs = logged();
    let line = logs
        .lines()
        .find(|l| l.contains("webhook request refused") && l.contains("R:unanswerable-3"))
        .unwrap_or_else(|| panic!("the body is not quoted: {logs}"));
    assert!(!line.contains(MINAPP_SECRET), "{line}");
    assert!(line.contains("***"), "{line}");
}

/// The events in `store`'s journal, in order.
fn events(store: &Arc<dyn Store>) -> Vec<Event> {
    common::journaled(store)
        .into_iter()
        .map(|i| i.event)
        .collect()
}
