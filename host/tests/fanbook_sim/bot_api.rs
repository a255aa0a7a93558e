//! `/api/bot/<token>/<method>`: the Bot API methods the adapter uses, with the documented
//! envelope, a long-polling `getUpdates`, and scripted faults.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State as AxState};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::{Fault, Recorded, State, BOT_ID, USER_TOKEN};

/// The DM chat `getPrivateChat` gives for any user.
pub const DM_CHAT: u64 = 469188025514110976;

pub async fn handle(
    AxState(state): AxState<Arc<State>>,
    verb: Method,
    Path((token, method)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body: Value =
        serde_json::from_slice(&body).unwrap_or_else(|_| form_or_query(&body, query.as_deref()));
    let headers = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    state.record(Recorded {
        verb: verb.to_string(),
        path: format!("/api/bot/{token}/{method}"),
        token: token.clone(),
        method: method.clone(),
        query,
        headers,
        body: body.clone(),
        at: Instant::now(),
    });
    if token != *state.token.lock().unwrap() {
        let refusal = json!({ "ok": false, "err_code": 401, "description": "Unauthorized: invalid bot token" });
        return (StatusCode::UNAUTHORIZED, axum::Json(refusal)).into_response();
    }
    if let Some(response) = fault(&state, &method, &token).await {
        return response;
    }
    if method == "message/getList" {
        // The OAuth-style envelope the seed shows for this method alone.
        return axum::Json(json!({ "status": true, "code": 1000, "message": "1000", "desc": "成功", "request_id": "645c84e796b637.09869467",
            "data": listed(&state, &body) }))
            .into_response();
    }
    match answer(&state, &method, &body).await {
        Ok(result) => axum::Json(json!({ "ok": true, "result": result })).into_response(),
        Err((code, description)) => {
            let status = StatusCode::from_u16(code as u16).unwrap_or(StatusCode::BAD_REQUEST);
            (
                status,
                axum::Json(json!({ "ok": false, "err_code": code, "description": description })),
            )
                .into_response()
        }
    }
}

/// Applies the next scripted fault of `method`, if any. A stall answers normally afterwards.
async fn fault(state: &State, method: &str, token: &str) -> Option<Response> {
    match state.take_fault(method)? {
        Fault::Status(code) => {
            Some((StatusCode::from_u16(code).unwrap(), "upstream trouble").into_response())
        }
        Fault::Garbage => Some((StatusCode::OK, "<html>502 Bad Gateway</html>").into_response()),
        Fault::Drop => {
            let broken = futures::stream::once(async {
                Err::<Bytes, std::io::Error>(std::io::Error::other("dropped"))
            });
            Some(
                Response::builder()
                    .status(200)
                    .header("content-type", "application/json")
                    .body(Body::from_stream(broken))
                    .unwrap(),
            )
        }
        Fault::Stall(wait) => {
            tokio::time::sleep(wait).await;
            None
        }
        Fault::RateLimit(seconds) => {
            let body = json!({ "ok": false, "err_code": 429, "description": "Too Many Requests" });
            Some(
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", seconds.to_string())],
                    axum::Json(body),
                )
                    .into_response(),
            )
        }
        Fault::Refuse(code, description) => Some(
            axum::Json(json!({ "ok": false, "err_code": code, "description": description }))
                .into_response(),
        ),
        Fault::EchoPath => {
            let page = format!("<html>no route for /api/bot/{token}/{method}</html>");
            Some((StatusCode::BAD_REQUEST, page).into_response())
        }
    }
}

type Answer = Result<Value, (i64, String)>;

async fn answer(state: &State, method: &str, body: &Value) -> Answer {
    match method {
        "getMe" => Ok(json!({
            "id": BOT_ID, "is_bot": true, "first_name": "bot-sim", "last_name": "388117934290821120",
            "username": "bot-sim", "user_token": USER_TOKEN, "owner_id": 388117934290821120u64,
            "can_join_groups": false, "can_read_all_group_messages": false, "supports_inline_queries": false
        })),
        "getUpdates" => Ok(get_updates(state, body).await),
        "sendMessage" | "sendPhoto" => Ok(sent(state, method, body)),
        "editMessageText" | "editMessageReplyMarkup" => edited(body),
        "deleteMessage" | "pinChatMessage" | "unpinChatMessage" | "sendReaction"
        | "v2/setMemberRoles" | "forbidUserSpeaking" | "kickChatMember" => Ok(json!(true)),
        "getChatMember" => Ok(chat_member(&body["user_id"])),
        "getGuildRoles" if body.get("last_id").is_some() => Ok(json!([])),
        // Permissions as a string and as a number: both occur. Only 管理员 makes an admin.
        "getGuildRoles" => Ok(json!([
            { "id": 412870153900507136u64, "name": "成员", "permissions": "1024" },
            { "id": "412870153900507137", "name": "VIP", "permissions": 2098177 },
            { "id": "412870153900507138", "name": "管理员", "permissions": 8 }
        ])),
        "getPrivateChat" => {
            Ok(json!({ "id": DM_CHAT, "guild_id": 0, "type": "private", "channel_type": 3 }))
        }
        // The `fanbook` interface's methods (`guild/credit` and `circle/postDelete` come as
        // PUT/DELETE; the verb is recorded).
        "channel/list" => Ok(json!([
            { "channel_id": "413582158565736448", "guild_id": body["guild_id"], "name": "语音", "type": 1, "user_limit": 10 },
            { "channel_id": "413613404125659136", "guild_id": body["guild_id"], "name": "闲聊", "type": 0, "topic": "随便聊", "parent_id": "413582158565736000" }
        ])),
        "channel/edit" | "v2/guild/credit" | "v2/circle/postDelete" => Ok(json!(true)),
        "searchGuildMember" => Ok(json!([
            { "user": { "id": 470118822514081792u64, "is_bot": false, "first_name": "阿梨", "username": "10346643", "avatar": "https://example.com/a.png" }, "nick": "梨子", "status": "member" }
        ])),
        "guild/notification/send" => Ok(json!({
            "message_id": 644447100674768896u64, "date": 1718871050048u64,
            "chat": { "id": 99413237384091392u64, "guild_id": 99413237384091392u64, "type": "channel", "channel_type": 24 },
            "from": { "id": BOT_ID, "is_bot": true, "first_name": "bot-sim" },
            "text": body["text"]
        })),
        "guild/notification/recall" => Ok(Value::Null),
        "getGuildCredit" => Ok(
            json!({ "user_id": body["user_id"], "guild_credits": [{ "card_id": "medal-0000001", "title": "MVP" }] }),
        ),
        "invite/guildList" => {
            Ok(json!({ "list_id": "88", "records": [{ "code": "AbCdEf", "uses": 3 }] }))
        }
        "invite/codeInfo" => Ok(json!({ "code": body["c"], "guild_id": "390438216731197440" })),
        "circle/postList" => {
            Ok(json!({ "list_id": "p2", "records": [{ "post_id": "1", "title": "hi" }] }))
        }
        "circle/detail" => Ok(json!({ "post": { "post_id": body["post_id"] } })),
        "getMessage" => Ok(
            json!({ "message_id": body["message_id"], "chat": { "id": body["chat_id"] }, "text": "{\"type\":\"text\",\"text\":\"hi\"}" }),
        ),
        "getMyCommands" => Ok(json!([{ "command": "start", "description": "开始" }])),
        "guild/emoji" => Ok(json!([{ "name": "赞", "id": "1" }])),
        "guild/existsMember" => Ok(json!({ "exists": true })),
        "guild/role" => Ok(json!({ "id": "503100000000000001", "name": body["name"] })),
        "robot/setGuildNick"
        | "v2/guild/role"
        | "sendNotication"
        | "interaction/message_card/click"
        | "interaction/message_card/cancel_click"
        | "interaction/message_card/auto" => Ok(json!(true)),
        "message_card/list_users" => {
            Ok(json!({ "list": [{ "key": body["key"], "user_id": "91142882827837440" }] }))
        }
        "guild"
        | "v2/guild/members"
        | "getRoleMembers"
        | "searchGuildMemberByName"
        | "v2/checkUserGuilds"
        | "v2/quotes"
        | "v2/circle/info"
        | "v2/circle/reactionList"
        | "v2/circle/commentList" => Ok(json!({ "echo": body })),
        other => Err((404, format!("Not Found: method {other}"))),
    }
}

/// A long poll: updates from `offset` on, waiting up to `timeout` seconds for one.
async fn get_updates(state: &State, body: &Value) -> Value {
    let offset = body["offset"].as_u64();
    let limit = match body["limit"].as_u64() {
        Some(0) => 10,
        Some(n) => n.min(100) as usize,
        None => 100,
    };
    let timeout = Duration::from_secs(body["timeout"].as_u64().unwrap_or(60));
    if state.replay.swap(false, Ordering::SeqCst) {
        return Value::Array(state.archive.lock().unwrap().clone());
    }
    if let Some(offset) = offset {
        state
            .updates
            .lock()
            .unwrap()
            .retain(|u| update_id(u) >= offset);
    }
    let deadline = Instant::now() + timeout;
    loop {
        let batch: Vec<Value> = state
            .updates
            .lock()
            .unwrap()
            .iter()
            .filter(|u| offset.is_none_or(|o| update_id(u) >= o))
            .take(limit)
            .cloned()
            .collect();
        if !batch.is_empty() || Instant::now() >= deadline {
            return Value::Array(batch);
        }
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
}

fn update_id(update: &Value) -> u64 {
    let id = &update["update_id"];
    id.as_u64()
        .or_else(|| id.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(0)
}

/// `message/getList`: the channel's messages newest first (the bot's, then one from a person
/// that was there before), before or after `message_id`, at most `size` (default 20, ≤ 100).
fn listed(state: &State, body: &Value) -> Vec<Value> {
    let channel = body["channel_id"].as_str().unwrap_or_default();
    let size = body["size"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20usize)
        .min(100);
    let from: Option<u64> = body["message_id"].as_str().and_then(|s| s.parse().ok());
    let after = body["behavior"] == "after";
    let earlier = json!({ "channel_id": channel, "message_id": "495447611042430976", "content": "{\"type\":\"text\",\"text\":\"hi\"}", "user_id": "463238807253155840", "time": 1683346803445u64, "author": { "bot": false } });
    let history = state.history.lock().unwrap();
    let mut all: Vec<Value> = std::iter::once(earlier)
        .chain(
            history
                .iter()
                .filter(|m| m["channel_id"] == channel)
                .cloned(),
        )
        .filter(|m| {
            let id: u64 = m["message_id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            from.is_none_or(|from| if after { id > from } else { id < from })
        })
        .collect();
    all.reverse();
    all.truncate(size);
    all
}

/// A `Message` for a sent message. `sendPhoto` gives its id as a string, `sendMessage` as a
/// number: both occur on Fanbook. The bot's channel history keeps it.
fn sent(state: &State, method: &str, body: &Value) -> Value {
    let id = state.message_id();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let content = match body.get("text") {
        Some(text) if method == "sendMessage" => json!({ "type": "text", "text": text }),
        _ => json!({ "type": "image" }),
    };
    state.history.lock().unwrap().push(json!({
        "channel_id": wasmbot::adapter::webhook::lenient::text_of(&body["chat_id"]), "message_id": id.to_string(),
        "content": content.to_string(), "user_id": BOT_ID.to_string(), "time": now,
        "author": { "bot": true }
    }));
    let id = if method == "sendPhoto" {
        json!(id.to_string())
    } else {
        json!(id)
    };
    json!({
        "message_id": id,
        "date": 1761905160000u64,
        "chat": { "id": body["chat_id"], "guild_id": 0, "type": "channel", "channel_type": 0 },
        "from": { "id": BOT_ID, "is_bot": true, "first_name": "bot-sim" },
        "reply_to_message": null,
        "text": body.get("text").cloned().unwrap_or(json!("{\"type\":\"image\"}")),
        "entities": []
    })
}

/// Edits only messages this simulator handed out.
fn edited(body: &Value) -> Answer {
    let id = body["message_id"].as_u64().ok_or((
        400,
        "Bad Request: message_id must be an integer".to_string(),
    ))?;
    if id < 469300000000000000 {
        return Err((400, "Bad Request: message can't be edited".into()));
    }
    Ok(
        json!({ "message_id": id, "date": 1761905160000u64, "chat": { "id": body["chat_id"], "type": "channel" }, "text": body["text"] }),
    )
}

/// `getChatMember`'s reply: [`ADMIN`] has the 管理员 role, [`OWNER`] is the guild's creator,
/// anyone else a member with 成员 and VIP.
fn chat_member(user_id: &Value) -> Value {
    let id = user_id.as_u64().unwrap_or_default();
    let (status, roles) = match id {
        super::payloads::ADMIN => (
            "member",
            json!([{ "id": "412870153900507136", "name": "成员" }, "412870153900507138"]),
        ),
        super::payloads::OWNER => ("creator", json!([])),
        _ => (
            "member",
            json!([{ "id": "412870153900507136", "name": "成员" }, { "id": 412870153900507137u64, "name": "VIP" }]),
        ),
    };
    json!({
        "user": { "id": user_id, "is_bot": false, "first_name": "阿梨" },
        "status": status,
        "roles": roles
    })
}

/// A body that is not JSON: a form (`message/getList`) or, for a GET, the query, as an object of
/// strings.
fn form_or_query(body: &[u8], query: Option<&str>) -> Value {
    let text = if body.is_empty() {
        query.unwrap_or_default().as_bytes()
    } else {
        body
    };
    if text.is_empty() {
        return Value::Null;
    }
    let text = String::from_utf8_lossy(text);
    let pairs: serde_json::Map<String, Value> = text
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), Value::String(decode(v)))
        })
        .collect();
    Value::Object(pairs)
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
