//! A recording HTTP server for the platform simulators: it answers every request through a
//! platform's responder and keeps what it received (method, path, query, headers, body, when),
//! so tests assert on the wire, not on the adapter's intentions. The fault layer
//! ([`faults`]) sits in front: a request it turns away is in [`Sim::attempts`], not in
//! [`Sim::requests`].
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod faults;

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::time::Instant;

/// A tiny PNG, served at `/media/pic.png` for adapters that must upload what they send.
pub const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Recorded {
    /// A request as it arrived at `at`, from its head and its whole body.
    pub fn read(parts: &axum::http::request::Parts, body: Vec<u8>, at: Instant) -> Self {
        let query = parts.uri.query().map(url_pairs).unwrap_or_default();
        let headers = parts
            .headers
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        Self {
            method: parts.method.to_string(),
            path: parts.uri.path().to_string(),
            query,
            headers,
            body,
            at,
        }
    }

    /// The body as JSON (`Value::Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    /// The body as text (multipart bodies are mostly text around the file bytes).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// What a responder answers: status, content type, body.
pub struct Answer(pub u16, pub &'static str, pub Vec<u8>);

impl Answer {
    pub fn json(value: Value) -> Self {
        Answer(200, "application/json", value.to_string().into_bytes())
    }
}

type Responder = Arc<dyn Fn(&Recorded, usize) -> Answer + Send + Sync>;

#[derive(Clone)]
struct Shared {
    records: Arc<Mutex<Vec<Recorded>>>,
    /// Answers to give instead of the responder's, first in first out.
    scripted: Arc<Mutex<VecDeque<Answer>>>,
    responder: Responder,
    /// Faults to inject (none unless a plan is set).
    faults: faults::Faults,
}

/// A running simulator.
#[derive(Clone)]
pub struct Sim {
    pub base: String,
    shared: Shared,
}

impl Sim {
    /// Starts on 127.0.0.1:0; `responder` gets each request and its number (from 0). Faults
    /// can be injected at any time with [`Sim::inject`].
    pub async fn start(
        responder: impl Fn(&Recorded, usize) -> Answer + Send + Sync + 'static,
    ) -> Self {
        let shared = Shared::new(responder);
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        let (addr, _server) = faults::serve(app, &shared.faults).await;
        let base = format!("http://{addr}");
        Self { base, shared }
    }

    /// The fault layer in front of this simulator.
    pub fn faults(&self) -> &faults::Faults {
        &self.shared.faults
    }

    /// Makes the next requests get these answers (to script errors).
    pub fn script(&self, answers: impl IntoIterator<Item = Answer>) {
        self.shared.scripted.lock().unwrap().extend(answers);
    }

    /// Every request so far, except media downloads.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared
            .records
            .lock()
            .unwrap()
            .iter()
            .filter(|r| !r.path.starts_with("/media/"))
            .cloned()
            .collect()
    }

    /// The requests to `path`.
    pub fn to(&self, path: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// Waits until `done` holds for the requests so far; panics with them after `timeout`.
    pub async fn wait_for(
        &self,
        timeout: Duration,
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
                    .map(|r| format!("{} {} {}", r.method, r.path, r.text()))
                    .collect();
                panic!("timed out; the simulator saw:\n{}", seen.join("\n"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits for a request to `path` whose JSON body satisfies `matches`, and returns it.
    pub async fn wait_json(
        &self,
        path: &str,
        timeout: Duration,
        matches: impl Fn(&Value) -> bool,
    ) -> Recorded {
        let found = |rs: &[Recorded]| {
            rs.iter()
                .find(|r| r.path == path && matches(&r.json()))
                .cloned()
        };
        let requests = self.wait_for(timeout, |rs| found(rs).is_some()).await;
        found(&requests).unwrap()
    }
}

impl Shared {
    fn new(responder: impl Fn(&Recorded, usize) -> Answer + Send + Sync + 'static) -> Self {
        Self {
            records: Arc::default(),
            scripted: Arc::default(),
            responder: Arc::new(responder),
            faults: faults::Faults::default(),
        }
    }
}

async fn handle(State(shared): State<Shared>, request: Request) -> Response {
    let at = Instant::now();
    let (parts, body) = request.into_parts();
    let body: Bytes = axum::body::to_bytes(body, 64 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let recorded = Recorded::read(&parts, body.to_vec(), at);
    if recorded.path.starts_with("/media/") {
        shared.records.lock().unwrap().push(recorded);
        return ([("content-type", "image/png")], PNG.to_vec()).into_response();
    }
    let n = {
        let mut records = shared.records.lock().unwrap();
        records.push(recorded.clone());
        records
            .iter()
            .filter(|r| !r.path.starts_with("/media/"))
            .count()
            - 1
    };
    let scripted = shared.scripted.lock().unwrap().pop_front();
    let Answer(status, content_type, body) =
        scripted.unwrap_or_else(|| (shared.responder)(&recorded, n));
    (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", content_type)],
        body,
    )
        .into_response()
}

/// Decodes `a=1&b=%20x` (enough for the ids and tokens the tests use).
fn url_pairs(query: &str) -> BTreeMap<String, String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.replace('+', " ").into_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(
                std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                16,
            ) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
