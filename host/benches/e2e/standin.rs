//! A loopback stand-in for Yunhu's send API, `POST {base}/bot/send?token=…`: it answers as Yunhu
//! does (`{code: 1, msg, data: {messageInfo}}`) and records every message sent to it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::daemon::TOKEN;

/// The API root in the bot's `base_url`; the adapter appends `/bot/send`.
const API_ROOT: &str = "/open-apis/v1";

/// One message the daemon sent.
#[derive(Debug, Clone)]
pub struct Sent {
    /// When the request reached the stand-in.
    pub at: Instant,
    pub chat: String,
    /// `group` or `user`.
    pub chat_type: String,
    pub text: String,
}

#[derive(Debug, Default)]
struct Record {
    sent: Mutex<Vec<Sent>>,
    /// Requests that were not a well-formed send with the right token.
    refused: Mutex<Vec<String>>,
    /// Message ids handed out; never reset, so no id is given twice.
    ids: AtomicU64,
}

/// The running stand-in; clones share its record.
#[derive(Debug, Clone)]
pub struct StandIn {
    record: Arc<Record>,
    /// What the bot's `base_url` is set to.
    pub api_base: String,
}

impl StandIn {
    /// Serves on a free loopback port until the process ends.
    pub async fn start() -> Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("the Yunhu stand-in cannot bind a loopback port")?;
        let addr = listener.local_addr()?;
        let record = Arc::new(Record::default());
        let app = Router::new()
            .route(&format!("{API_ROOT}/bot/send"), post(send))
            .fallback(unexpected)
            .with_state(record.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Self {
            record,
            api_base: format!("http://{addr}{API_ROOT}"),
        })
    }

    /// How many messages were sent since the last [`StandIn::take`].
    pub fn count(&self) -> usize {
        lock(&self.record.sent).len()
    }

    /// The messages sent since the last call, in arrival order.
    pub fn take(&self) -> Vec<Sent> {
        std::mem::take(&mut *lock(&self.record.sent))
    }

    /// The refused requests since the last call (method, path and why).
    pub fn take_refused(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.record.refused))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `/bot/send`: records the message and answers with a message id, as Yunhu does.
async fn send(
    State(record): State<Arc<Record>>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Json<Value> {
    let at = Instant::now();
    if query.get("token").map(String::as_str) != Some(TOKEN) {
        lock(&record.refused).push("POST /bot/send: wrong token".into());
        return Json(json!({ "code": 1003, "msg": "非法token" }));
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        lock(&record.refused).push("POST /bot/send: the body is not JSON".into());
        return Json(json!({ "code": 1002, "msg": "参数错误" }));
    };
    let field = |pointer: &str| body.pointer(pointer).and_then(Value::as_str).unwrap_or("");
    let sent = Sent {
        at,
        chat: field("/recvId").to_string(),
        chat_type: field("/recvType").to_string(),
        text: field("/content/text").to_string(),
    };
    let id = record.ids.fetch_add(1, Ordering::Relaxed);
    lock(&record.sent).push(sent.clone());
    let info =
        json!({ "msgId": format!("sent-{id}"), "recvId": sent.chat, "recvType": sent.chat_type });
    Json(json!({ "code": 1, "msg": "success", "data": { "messageInfo": info } }))
}

/// Any other request: recorded as refused, answered 404 as Yunhu's gateway does.
async fn unexpected(State(record): State<Arc<Record>>, uri: Uri) -> StatusCode {
    lock(&record.refused).push(format!("unexpected request {}", uri.path()));
    StatusCode::NOT_FOUND
}
