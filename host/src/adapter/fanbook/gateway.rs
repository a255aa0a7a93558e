//! The WebSocket gateway: `getMe` gives the credential (`user_token`), the connection is kept
//! alive with `{"type":"ping"}` every `heartbeat_ms`, and a lost, refused or silent connection
//! is replaced after a backoff. `getMe` is asked again before every connection, so a revoked
//! token stops this bot's inbound with one error line.
//!
//! The gateway cannot replay: a frame is accepted by the journal (retrying while it is full)
//! before the next one is read.

use std::time::Duration;

use base64::Engine as _;
use futures::{SinkExt, StreamExt};
use serde_json::json;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use super::inbound::Decoder;
use super::intake::{accept, get_me, ranked};
use super::markup::percent_encode;
use super::Task;
use crate::adapter::redact;
use crate::pace::Backoff;

/// The heartbeat frame of the official demo and SDKs.
const PING: &str = r#"{"type":"ping"}"#;
const LOG_PAYLOAD_CHARS: usize = 500;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Why a connection ended.
enum End {
    Stopped,
    Lost(String),
}

/// Keeps a gateway connection until `stop` fires or the token is refused.
pub(super) async fn run(task: Task) {
    let mut backoff = Backoff::new(task.options.backoff_min_ms, task.options.backoff_max_ms);
    loop {
        let Some(me) = get_me(&task).await else {
            return;
        };
        match me.user_token.filter(|t| !t.is_empty()) {
            None => {
                tracing::warn!(bot = %task.shared.bot, "getMe gave no user_token for the gateway; retrying")
            }
            Some(user_token) => {
                let decoder = Decoder {
                    bot: task.shared.bot.clone(),
                    self_id: Some(me.id.0),
                };
                let scrub =
                    |text: String| task.shared.client.scrub(&text).replace(&user_token, "***");
                match connect(&task, &user_token, me.id.0).await {
                    Ok(Some(socket)) => {
                        match session(&task, &decoder, socket, &mut backoff).await {
                            End::Stopped => return,
                            End::Lost(why) => {
                                tracing::warn!(bot = %task.shared.bot, reason = %scrub(why), "fanbook gateway connection lost; reconnecting")
                            }
                        }
                    }
                    Ok(None) => return,
                    Err(why) => {
                        tracing::warn!(bot = %task.shared.bot, reason = %scrub(why), "cannot connect to the fanbook gateway; retrying")
                    }
                }
            }
        }
        if !backoff.sleep(&task.stop).await {
            return;
        }
    }
}

/// Opens a connection; `Ok(None)` when stopped first.
async fn connect(task: &Task, user_token: &str, bot_id: u64) -> Result<Option<Socket>, String> {
    let url = gateway_url(task, user_token, bot_id);
    let timeout = task.options.request_timeout();
    let attempt = tokio::time::timeout(timeout, tokio_tungstenite::connect_async(url));
    tokio::select! {
        result = attempt => match result {
            Ok(Ok((socket, _))) => Ok(Some(socket)),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no handshake within {timeout:?}")),
        },
        () = task.stop.cancelled() => Ok(None),
    }
}

/// `…/websocket?id=<user_token>&dId=<device>&v=<version>&x-super-properties=<base64 JSON>`.
fn gateway_url(task: &Task, user_token: &str, bot_id: u64) -> String {
    let o = &task.options;
    let device = o
        .device_id
        .clone()
        .unwrap_or_else(|| format!("bot{bot_id}"));
    let properties = json!({
        "platform": "bot",
        "version": o.client_version,
        "channel": "office",
        "device_id": device,
        "build_number": "1",
    });
    let properties = base64::engine::general_purpose::STANDARD.encode(properties.to_string());
    let separator = if o.gateway_url.contains('?') {
        '&'
    } else {
        '?'
    };
    format!(
        "{}{separator}id={}&dId={}&v={}&x-super-properties={}",
        o.gateway_url,
        percent_encode(user_token),
        percent_encode(&device),
        percent_encode(&o.client_version),
        percent_encode(&properties)
    )
}

/// Reads frames and sends heartbeats until the connection ends.
async fn session(task: &Task, decoder: &Decoder, mut socket: Socket, backoff: &mut Backoff) -> End {
    let heartbeat = Duration::from_millis(task.options.heartbeat_ms);
    let idle = Duration::from_millis(task.options.gateway_idle_ms);
    if let Err(e) = socket.send(Message::Text(PING.into())).await {
        return End::Lost(e.to_string());
    }
    let mut ticks = tokio::time::interval_at(Instant::now() + heartbeat, heartbeat);
    let mut last_seen = Instant::now();
    loop {
        // With idle detection off, the deadline is a day away and re-armed every frame.
        let deadline = last_seen
            + if idle.is_zero() {
                Duration::from_secs(86_400)
            } else {
                idle
            };
        tokio::select! {
            () = task.stop.cancelled() => {
                let _ = socket.close(None).await;
                return End::Stopped;
            }
            _ = ticks.tick() => {
                // The platform's text ping, and a protocol ping whose pong proves liveness.
                let sent = socket.send(Message::Text(PING.into())).await;
                if let Err(e) = sent.and(socket.send(Message::Ping(Vec::new().into())).await) {
                    return End::Lost(e.to_string());
                }
            }
            () = tokio::time::sleep_until(deadline) => return End::Lost(format!("nothing received for {idle:?}")),
            frame = socket.next() => {
                last_seen = Instant::now();
                let text = match frame {
                    None => return End::Lost("closed".into()),
                    Some(Err(e)) => return End::Lost(e.to_string()),
                    Some(Ok(Message::Close(_))) => return End::Lost("closed by the gateway".into()),
                    Some(Ok(Message::Text(text))) => text.as_str().to_string(),
                    Some(Ok(Message::Binary(bytes))) => String::from_utf8_lossy(&bytes).into_owned(),
                    Some(Ok(_)) => continue,
                };
                if !handle(task, decoder, &text, backoff).await {
                    return End::Stopped;
                }
            }
        }
    }
}

/// Decodes and accepts one frame, retrying while the journal refuses it. `false` when stopped.
async fn handle(task: &Task, decoder: &Decoder, text: &str, backoff: &mut Backoff) -> bool {
    match decoder.frame(text) {
        Ok(Some(event)) => {
            let event = ranked(task, event).await;
            while !accept(task, event.clone()).await {
                if !backoff.sleep(&task.stop).await {
                    return false;
                }
            }
            backoff.reset();
        }
        Ok(None) => {}
        Err(e) => {
            let payload = redact::payload(text, &[], LOG_PAYLOAD_CHARS);
            tracing::warn!(bot = %task.shared.bot, error = %e, %payload, "skipping a malformed fanbook gateway frame");
        }
    }
    true
}
