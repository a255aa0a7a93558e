//! `/websocket`: the bot gateway. Records the connect query and every text frame a client
//! sends (heartbeats), and plays the queued `WsCommand`s to the connected client.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, RawQuery, State as AxState};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::{Recorded, State, WsCommand, USER_TOKEN};

pub async fn handle(
    AxState(state): AxState<Arc<State>>,
    Query(params): Query<HashMap<String, String>>,
    RawQuery(query): RawQuery,
    upgrade: WebSocketUpgrade,
) -> Response {
    state.record(Recorded {
        verb: "GET".into(),
        path: "/websocket".into(),
        token: params.get("id").cloned().unwrap_or_default(),
        method: "websocket".into(),
        query,
        headers: HashMap::new(),
        body: serde_json::to_value(&params).unwrap_or(Value::Null),
        at: Instant::now(),
    });
    if params.get("id").map(String::as_str) != Some(USER_TOKEN) {
        return (axum::http::StatusCode::UNAUTHORIZED, "bad user token").into_response();
    }
    upgrade.on_upgrade(move |socket| serve(state, socket))
}

async fn serve(state: Arc<State>, mut socket: WebSocket) {
    loop {
        let command = state.ws_commands.lock().unwrap().pop_front();
        match command {
            Some(WsCommand::Frame(text)) => {
                if socket.send(Message::Text(text.into())).await.is_err() {
                    return;
                }
                continue;
            }
            Some(WsCommand::Drop) => return,
            Some(WsCommand::Stall) => {
                // Neither read (so no automatic pongs) nor write until the client leaves.
                tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                return;
            }
            None => {}
        }
        let wake = state.ws_wake.notified();
        tokio::select! {
            () = wake => {}
            () = tokio::time::sleep(std::time::Duration::from_millis(25)) => {}
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => state.ws_received.lock().unwrap().push(text.as_str().to_string()),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return,
            },
        }
    }
}
