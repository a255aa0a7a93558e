//! `/api/bot/console`: the developer console's GraphQL API, enough to answer the operations
//! `wasmbot fanbook bots` sends. Only bot `309985355212259328` exists.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::State as AxState;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::{Recorded, State, CONSOLE_TOKEN};

pub const KNOWN_BOT: &str = "309985355212259328";

pub async fn handle(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let headers: HashMap<String, String> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    let user_token = headers.get("usertoken").cloned().unwrap_or_default();
    state.record(Recorded {
        verb: "POST".into(),
        path: "/api/bot/console".into(),
        token: user_token.clone(),
        method: "console".into(),
        query: None,
        headers,
        body: body.clone(),
        at: Instant::now(),
    });
    if user_token != CONSOLE_TOKEN {
        return (
            StatusCode::UNAUTHORIZED,
            Json(error("usertoken is invalid or expired", None)),
        )
            .into_response();
    }
    let query = body["query"].as_str().unwrap_or_default();
    let vars = &body["variables"];
    let reply = match operation(query) {
        Some("bots") => json!({ "data": { "bots": [
            { "bot_id": KNOWN_BOT, "owner_id": "86655584392323072", "bot_name": "123", "bot_token": "5bb8b8eb9b15" },
            { "bot_id": 309881574235570176u64, "owner_id": 86655584392323072u64, "bot_name": "测试", "bot_token": "6a84719ab243" }
        ] } }),
        Some(op @ ("bot" | "reset_token" | "delete_bot")) if vars["bot_id"] != KNOWN_BOT => {
            error("Record Not Found", Some(op))
        }
        Some("bot") => {
            json!({ "data": { "bot": { "bot_id": KNOWN_BOT, "owner_id": "86655584392323072", "bot_name": "123", "commands": null } } })
        }
        Some("reset_token") => {
            json!({ "data": { "reset_token": "new-token-5bb8b8eb9b1528145f1d" } })
        }
        Some("delete_bot") => json!({ "data": { "delete_bot": true } }),
        Some("new_bot") => json!({ "data": { "new_bot": {
            "bot_token": "a9e0d33c44d6eda7", "bot_id": "312142813057777664",
            "bot_name": vars["newBot"]["bot_name"], "bot_permissions": 1024
        } } }),
        Some("update_bot") if vars["updateBot"]["bot_id"] != KNOWN_BOT => {
            error("Record Not Found", Some("update_bot"))
        }
        Some("update_bot") => json!({ "data": { "update_bot": true } }),
        _ => error("unknown operation", None),
    };
    Json(reply).into_response()
}

/// The top-level field an operation selects.
fn operation(query: &str) -> Option<&'static str> {
    [
        "new_bot(",
        "update_bot(",
        "reset_token(",
        "delete_bot(",
        "bots(",
        "bot(",
    ]
    .into_iter()
    .find(|op| query.contains(op))
    .map(|op| op.trim_end_matches('('))
}

fn error(message: &str, path: Option<&str>) -> Value {
    json!({ "data": null, "errors": [{
        "message": message,
        "locations": [{ "line": 2, "column": 5 }],
        "path": path.map(|p| vec![p]).unwrap_or_default()
    }] })
}
