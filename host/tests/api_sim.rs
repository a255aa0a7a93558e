//! A small HTTP API on loopback for the outbound HTTP tests: it answers by path, and records
//! every request it gets (path, query, `Idempotency-Key`).
//!
//! - `/ok` → 200 `hello`
//! - `/slow?ms=N` → 200 `slow` after N ms
//! - `/big?bytes=N` → 200 with an N-byte body, streamed (no `content-length`)
//! - `/redirect?to=URL` → 302 to URL
//! - `/weather?city=C` → `{"summary": "Sunny in C"}`; `Nowhere` → 404, `Broken` → 500,
//!   `Slow` → the same after 2 s
//! - `/hang-once` → the first request waits a minute; later ones answer `done` at once
//! - anything else → 404

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// One request as the API saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub query: Option<String>,
    pub idempotency_key: Option<String>,
    pub authorization: Option<String>,
}

#[derive(Default)]
struct Inner {
    seen: Mutex<Vec<Seen>>,
    hung: AtomicBool,
}

/// The running API.
pub struct Api {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub port: u16,
    inner: Arc<Inner>,
}

impl Api {
    pub async fn start() -> Self {
        let inner = Arc::new(Inner::default());
        let app = axum::Router::new()
            .fallback(serve)
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            base: format!("http://127.0.0.1:{port}"),
            port,
            inner,
        }
    }

    /// `127.0.0.1:PORT`: the exact grant for this API.
    pub fn grant(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.inner.seen.lock().unwrap().clone()
    }
}

async fn serve(
    State(inner): State<Arc<Inner>>,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    inner.seen.lock().unwrap().push(Seen {
        path: uri.path().to_string(),
        query: uri.query().map(str::to_string),
        idempotency_key: header(&headers, "idempotency-key"),
        authorization: header(&headers, "authorization"),
    });
    let number = |key: &str| {
        query
            .get(key)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    match uri.path() {
        "/ok" => "hello".into_response(),
        "/slow" => {
            tokio::time::sleep(Duration::from_millis(number("ms"))).await;
            "slow".into_response()
        }
        "/big" => big(number("bytes")),
        "/redirect" => {
            let to = query.get("to").cloned().unwrap_or_default();
            (StatusCode::FOUND, [("location", to)]).into_response()
        }
        "/weather" => weather(query.get("city").map_or("", String::as_str)).await,
        "/hang-once" => {
            if !inner.hung.swap(true, Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_secs(60)).await;
            }
            "done".into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// `bytes` bytes in 8 KiB chunks, with no `content-length`.
fn big(bytes: u64) -> Response {
    let chunk = vec![b'x'; 8192];
    let chunks = bytes.div_ceil(8192) as usize;
    let stream = futures::stream::iter(
        (0..chunks).map(move |_| Ok::<_, std::io::Error>(bytes::Bytes::from(chunk.clone()))),
    );
    Body::from_stream(stream).into_response()
}

async fn weather(city: &str) -> Response {
    match city {
        "Nowhere" => StatusCode::NOT_FOUND.into_response(),
        "Broken" => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        _ => {
            if city == "Slow" {
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            axum::Json(serde_json::json!({ "summary": format!("Sunny in {city}") })).into_response()
        }
    }
}
