//! The scenario's HTTP stubs as a real server on loopback: the daemon under test sends every
//! plugin request here (`RuntimeConfig::http_stub`), its absolute URL in a header; the first
//! stub that matches answers, and every request is recorded for the step's checks. A request
//! no stub matches is answered `501` and recorded as unmatched (the step fails on it).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio_util::sync::CancellationToken;

use super::format::Stub;
use crate::runtime::STUB_URL_HEADER;

/// A request the plugin made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCall {
    pub method: String,
    pub url: String,
    /// Its body as text (lossy).
    pub body: String,
    /// Whether a stub answered it.
    pub matched: bool,
}

impl HttpCall {
    /// `METHOD URL`, as `expect.http` lists calls.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.url)
    }
}

#[derive(Clone)]
struct Shared {
    stubs: Arc<[Stub]>,
    calls: Arc<Mutex<Vec<HttpCall>>>,
}

/// The running stub server; stops when dropped.
pub struct StubServer {
    pub addr: SocketAddr,
    calls: Arc<Mutex<Vec<HttpCall>>>,
    stop: CancellationToken,
}

impl StubServer {
    /// Serves `stubs` on a free loopback port.
    pub async fn start(stubs: &[Stub]) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Shared {
            stubs: stubs.to_vec().into(),
            calls: Arc::default(),
        };
        let calls = shared.calls.clone();
        let app = axum::Router::new().fallback(answer).with_state(shared);
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        tokio::spawn(async move {
            let serve =
                axum::serve(listener, app).with_graceful_shutdown(stopped.cancelled_owned());
            if let Err(e) = serve.await {
                tracing::warn!(error = %e, "the scenario's HTTP stub server stopped");
            }
        });
        Ok(Self { addr, calls, stop })
    }

    /// The calls recorded from the `from`-th on.
    pub fn calls_since(&self, from: usize) -> Vec<HttpCall> {
        let calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        calls.iter().skip(from).cloned().collect()
    }

    /// How many calls were recorded so far.
    pub fn count(&self) -> usize {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

impl Drop for StubServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn answer(
    State(shared): State<Shared>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let url = headers
        .get(STUB_URL_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let stub = shared
        .stubs
        .iter()
        .find(|s| s.matches(method.as_str(), &url));
    let call = HttpCall {
        method: method.to_string(),
        url: url.clone(),
        body: String::from_utf8_lossy(&body).into_owned(),
        matched: stub.is_some(),
    };
    shared
        .calls
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(call);
    match stub {
        Some(stub) => respond(stub),
        None => (
            StatusCode::NOT_IMPLEMENTED,
            format!("no stub in the scenario matches {method} {url}"),
        )
            .into_response(),
    }
}

/// The stub's answer: its status, headers and body (JSON with its content type).
fn respond(stub: &Stub) -> Response {
    let status = StatusCode::from_u16(stub.status).unwrap_or(StatusCode::OK);
    let mut response = match (&stub.json, &stub.body) {
        (Some(json), _) => (status, axum::Json(json.clone())).into_response(),
        (None, Some(body)) => (status, body.clone()).into_response(),
        (None, None) => status.into_response(),
    };
    for (name, value) in &stub.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::from_str(value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}
