//! A Yunhu simulator: the open API (`/bot/*`, uploads, `/group/*`, `?token=`, `{code,msg,data}`)
//! and the user-client management API (`/v1/bot/*`, `token` header, JSON and ProtoBuf).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use prost::Message as _;
use serde_json::{json, Value};
use wasmbot::cli::yunhu::proto;

use crate::webhook_sim::{Answer, Recorded, Sim};

pub const TOKEN: &str = "yh-bot-token-5f1e";
pub const USER_TOKEN: &str = "yh-user-token-77aa";

pub async fn start() -> Sim {
    let history = Arc::new(History::default());
    Sim::start(move |r, n| respond(&history, r, n)).await
}

/// Every message the bot sent with `/bot/send`, oldest first, as `/bot/messages` lists them.
#[derive(Default)]
struct History(Mutex<Vec<Value>>);

impl History {
    fn keep(&self, body: &Value, msg_id: &str) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        self.0.lock().unwrap().push(json!({
            "msgId": msg_id, "parentId": body["parentId"].as_str().unwrap_or(""),
            "senderId": "38261437", "senderType": "bot", "senderNickname": "巡检助手",
            "contentType": body["contentType"], "content": body["content"], "sendTime": now,
            "commandName": "", "commandId": 0, "chatId": body["recvId"]
        }));
    }

    /// `before` messages of `chat` (one from before the test, then the bot's), oldest first.
    fn list(&self, chat: Option<&String>, before: usize) -> Answer {
        let golden = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/golden/yunhu/api_response_messages_ok.json"
        ))
        .unwrap();
        let mut answer: Value = serde_json::from_slice(&golden).unwrap();
        let history = self.0.lock().unwrap();
        let mine = history
            .iter()
            .filter(|m| chat.is_some_and(|c| m["chatId"] == c.as_str()));
        let mut list: Vec<Value> = answer["data"]["list"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        list.extend(mine.cloned());
        let list = list.split_off(list.len().saturating_sub(before));
        answer["data"]["total"] = json!(list.len());
        answer["data"]["list"] = Value::Array(list);
        Answer::json(answer)
    }
}

fn ok(data: Value) -> Answer {
    Answer::json(json!({ "code": 1, "msg": "success", "data": data }))
}

fn respond(history: &History, r: &Recorded, n: usize) -> Answer {
    if r.path.starts_with("/v1/bot/") {
        return manage(r);
    }
    if r.query.get("token").map(String::as_str) != Some(TOKEN) {
        return Answer::json(json!({ "code": 1003, "msg": "非法token" }));
    }
    let body = r.json();
    match r.path.as_str() {
        "/bot/send" | "/bot/send-stream" => {
            let (recv_id, recv_type) = match r.path.as_str() {
                "/bot/send" => (body["recvId"].clone(), body["recvType"].clone()),
                _ => (json!(r.query.get("recvId")), json!(r.query.get("recvType"))),
            };
            if r.path == "/bot/send" {
                history.keep(&body, &format!("sent-{n}"));
            }
            ok(
                json!({ "messageInfo": { "msgId": format!("sent-{n}"), "recvId": recv_id, "recvType": recv_type } }),
            )
        }
        "/bot/batch_send" => {
            let list: Vec<Value> = body["recvIds"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .enumerate()
                .map(|(i, id)| json!({ "msgId": format!("batch-{n}-{i}"), "recvId": id, "recvType": body["recvType"] }))
                .collect();
            ok(json!({ "successCount": list.len(), "successList": list }))
        }
        "/image/upload" => ok(json!({ "imageKey": format!("imgkey-{n}") })),
        "/video/upload" => ok(json!({ "videoKey": format!("vidkey-{n}") })),
        "/file/upload" => ok(json!({ "fileKey": format!("filekey-{n}") })),
        "/bot/edit"
        | "/bot/board"
        | "/bot/board-dismiss"
        | "/bot/board-all"
        | "/bot/board-all-dismiss" => ok(json!({ "successCount": 1 })),
        "/group/tag/list" => ok(
            json!({ "list": [ { "id": 11, "tag": "vip", "color": "#f00" }, { "id": 12, "tag": "值班" } ] }),
        ),
        "/bot/messages" => {
            let before = r.query.get("before").and_then(|b| b.parse().ok());
            history.list(r.query.get("chat-id"), before.unwrap_or(0))
        }
        p if p.starts_with("/group/") || p == "/bot/recall" => {
            Answer::json(json!({ "code": 1, "msg": "success" }))
        }
        _ => Answer(404, "text/plain", b"404 page not found".to_vec()),
    }
}

/// The management API: JSON except `bot-info` and `board`, which are ProtoBuf.
fn manage(r: &Recorded) -> Answer {
    if r.header("token") != Some(USER_TOKEN) {
        return Answer::json(json!({ "code": -1, "msg": "请先登录" }));
    }
    let status = Some(proto::Status {
        number: 114514,
        code: 1,
        msg: "success".into(),
    });
    match r.path.as_str() {
        "/v1/bot/bot-info" => {
            let request = proto::BotInfoSend::decode(r.body.as_slice()).unwrap_or_default();
            let data = proto::BotData {
                bot_id: request.id,
                name: "巡检助手".into(),
                name_id: 7,
                avatar_url: "https://chat-img.jwznb.com/a.png".into(),
                introduction: "值班提醒".into(),
                create_by: "5280193".into(),
                headcount: 42,
                private: 1,
                group_limit: 1,
                ..Default::default()
            };
            Answer(
                200,
                "application/x-protobuf",
                proto::BotInfo {
                    status,
                    data: Some(data),
                }
                .encode_to_vec(),
            )
        }
        "/v1/bot/board" => {
            let request = proto::BoardSend::decode(r.body.as_slice()).unwrap_or_default();
            let data = proto::BoardData {
                bot_id: "38261437".into(),
                chat_id: request.id,
                chat_type: i32::try_from(request.chat_type).unwrap(),
                content: "今日值班: 青柠".into(),
                content_type: 2,
                last_update_time: 1_761_905_000,
                bot_name: "巡检助手".into(),
            };
            Answer(
                200,
                "application/x-protobuf",
                proto::Board {
                    status,
                    data: Some(data),
                }
                .encode_to_vec(),
            )
        }
        "/v1/bot/bot-group-list" => Answer::json(
            json!({ "code": 1, "msg": "success", "data": { "botsTotal": 1, "list": { "bots": [
            { "botId": "38261437", "nickname": "巡检助手", "introduction": "值班提醒", "token": "secret-bot-token-of-38261437", "headcount": 42, "private": 0, "isStop": 0 }
        ] } } }),
        ),
        _ => Answer::json(json!({ "code": 1, "msg": "success" })),
    }
}
