//! A Fanbook simulator for the adapter's tests: an axum server on 127.0.0.1:0 speaking the
//! documented wire formats (the Bot API under `/api/bot/<token>/<method>` with its long poll,
//! the WebSocket gateway at `/websocket`, the console's GraphQL at `/api/bot/console`), and
//! recording every request it receives. Faults are scripted per method, or injected by the
//! seeded fault layer all the simulators share (`webhook_sim::faults`, see
//! [`FanbookSim::faults`]): a test that declares `mod fanbook_sim` also declares
//! `mod webhook_sim`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

mod bot_api;
mod console;
mod gateway;
pub mod payloads;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::routing::{any, get, post};
use serde_json::Value;
use tokio::sync::Notify;

use crate::webhook_sim::faults::{self, Faults};

/// The bot's user id (`getMe`).
pub const BOT_ID: u64 = 455902781326258176;
/// The gateway credential `getMe` hands out.
pub const USER_TOKEN: &str = "usertoken-a169e07d91846a31602db66a30c6b1ab";
/// The console's accepted `usertoken`.
pub const CONSOLE_TOKEN: &str = "console-user-token-7f3e";

/// One request as the simulator saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// GET, POST, …
    pub verb: String,
    /// The full path, token included.
    pub path: String,
    /// The path segment where the token sits.
    pub token: String,
    /// The Bot API method (`sendMessage`, `v2/setMemberRoles`), or `console` / `websocket`.
    pub method: String,
    pub query: Option<String>,
    pub headers: HashMap<String, String>,
    /// The body as JSON (`Null` when empty or not JSON).
    pub body: Value,
    pub at: Instant,
}

/// A scripted misbehaviour for the next call of a method.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this HTTP status and a non-JSON body.
    Status(u16),
    /// Answer 200 with a body that is not JSON.
    Garbage,
    /// Send headers, then break the connection mid-body.
    Drop,
    /// Wait this long before answering normally.
    Stall(Duration),
    /// 429 with `Retry-After` in seconds.
    RateLimit(f64),
    /// `{ok:false, err_code, description}`.
    Refuse(i64, String),
    /// A 400 whose HTML body echoes the request path (token included).
    EchoPath,
}

/// A command for the gateway connection.
#[derive(Debug, Clone)]
pub enum WsCommand {
    Frame(String),
    /// Close the TCP connection without a close frame.
    Drop,
    /// Stop reading and writing (no pongs) until the client gives up.
    Stall,
}

#[derive(Debug, Default)]
pub struct State {
    pub token: Mutex<String>,
    pub requests: Mutex<Vec<Recorded>>,
    /// Updates not yet confirmed by an offset past them.
    pub updates: Mutex<VecDeque<Value>>,
    pub update_arrived: Notify,
    next_update_id: AtomicU64,
    next_message_id: AtomicU64,
    pub faults: Mutex<HashMap<String, VecDeque<Fault>>>,
    pub ws_commands: Mutex<VecDeque<WsCommand>>,
    pub ws_wake: Notify,
    /// Text frames the clients sent, in order.
    pub ws_received: Mutex<Vec<String>>,
    /// Every update ever queued, for `replay`.
    pub archive: Mutex<Vec<Value>>,
    /// Every message the bot sent, oldest first, as `message/getList` lists them.
    pub history: Mutex<Vec<Value>>,
    /// When set, the next `getUpdates` answers every update ever queued, whatever its offset
    /// (a platform that lost its confirmations and redelivers).
    pub replay: std::sync::atomic::AtomicBool,
}

/// A running simulator; stops when dropped.
pub struct FanbookSim {
    pub addr: SocketAddr,
    pub base: String,
    pub state: Arc<State>,
    faults: Faults,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FanbookSim {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FanbookSim {
    /// Starts a simulator that accepts `token`.
    pub async fn start(token: &str) -> Self {
        let state = Arc::new(State::default());
        *state.token.lock().unwrap() = token.to_string();
        state.next_update_id.store(1288300, Ordering::SeqCst);
        state
            .next_message_id
            .store(469300000000000000, Ordering::SeqCst);
        let app = axum::Router::new()
            .route("/api/bot/console", post(console::handle))
            .route("/api/bot/{token}/{*method}", any(bot_api::handle))
            .route("/websocket", get(gateway::handle))
            .with_state(state.clone());
        let faults = Faults::default();
        let (addr, server) = faults::serve(app, &faults).await;
        Self {
            addr,
            base: format!("http://{addr}"),
            state,
            faults,
            server,
        }
    }

    /// The seeded fault layer in front of this simulator (paths are `/api/bot/<token>/<method>`).
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// The gateway URL for the adapter's `gateway_url` option.
    pub fn gateway_url(&self) -> String {
        format!("ws://{}/websocket", self.addr)
    }

    /// Queues an update (its `update_id` is assigned here) and returns the id.
    pub fn push_update(&self, mut update: Value) -> u64 {
        let id = self.state.next_update_id.fetch_add(1, Ordering::SeqCst);
        update["update_id"] = Value::from(id);
        self.state.archive.lock().unwrap().push(update.clone());
        self.state.updates.lock().unwrap().push_back(update);
        self.state.update_arrived.notify_waiters();
        id
    }

    /// Queues an update exactly as given (for malformed ones).
    pub fn push_raw_update(&self, update: Value) {
        self.state.updates.lock().unwrap().push_back(update);
        self.state.update_arrived.notify_waiters();
    }

    /// A fresh update id, for updates built by hand.
    pub fn next_update_id(&self) -> u64 {
        self.state.next_update_id.fetch_add(1, Ordering::SeqCst)
    }

    /// Makes the next `getUpdates` redeliver everything already delivered.
    pub fn replay(&self) {
        self.state.replay.store(true, Ordering::SeqCst);
    }

    pub fn fault(&self, method: &str, fault: Fault) {
        self.state
            .faults
            .lock()
            .unwrap()
            .entry(method.to_string())
            .or_default()
            .push_back(fault);
    }

    pub fn ws(&self, command: WsCommand) {
        self.state.ws_commands.lock().unwrap().push_back(command);
        self.state.ws_wake.notify_waiters();
    }

    pub fn set_token(&self, token: &str) {
        *self.state.token.lock().unwrap() = token.to_string();
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }

    /// Requests of one Bot API method.
    pub fn calls(&self, method: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == method)
            .collect()
    }

    /// `sendMessage` texts, in order.
    pub fn sent_texts(&self) -> Vec<String> {
        self.calls("sendMessage")
            .iter()
            .filter_map(|r| r.body["text"].as_str().map(str::to_string))
            .collect()
    }

    /// Waits until `done` holds for the recorded requests, or panics after `timeout`.
    pub async fn wait_for(
        &self,
        timeout: Duration,
        what: &str,
        done: impl Fn(&[Recorded]) -> bool,
    ) -> Vec<Recorded> {
        let start = Instant::now();
        loop {
            let requests = self.requests();
            if done(&requests) {
                return requests;
            }
            if start.elapsed() > timeout {
                let seen: Vec<String> = requests
                    .iter()
                    .map(|r| format!("{} {} {}", r.verb, r.method, r.body))
                    .collect();
                panic!(
                    "timed out waiting for {what}; requests so far:\n{}",
                    seen.join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until a `sendMessage` with exactly `text` arrived; returns its request.
    pub async fn wait_for_text(&self, text: &str, timeout: Duration) -> Recorded {
        let requests = self
            .wait_for(timeout, &format!("sendMessage `{text}`"), |r| {
                r.iter()
                    .any(|r| r.method == "sendMessage" && r.body["text"] == text)
            })
            .await;
        requests
            .into_iter()
            .find(|r| r.method == "sendMessage" && r.body["text"] == text)
            .unwrap()
    }

    fn next_message_id(&self) -> u64 {
        self.state.next_message_id.fetch_add(1, Ordering::SeqCst)
    }
}

impl State {
    fn record(&self, r: Recorded) {
        self.requests.lock().unwrap().push(r);
    }

    fn take_fault(&self, method: &str) -> Option<Fault> {
        self.faults
            .lock()
            .unwrap()
            .get_mut(method)
            .and_then(VecDeque::pop_front)
    }

    fn message_id(&self) -> u64 {
        self.next_message_id.fetch_add(1, Ordering::SeqCst)
    }
}
