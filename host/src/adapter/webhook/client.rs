//! A small HTTP client for JSON platform APIs: where the credential goes, the per-path rate
//! limit, and the mapping of transport failures and HTTP statuses onto `AdapterError`.
//! Platform envelopes (`{code,msg,data}`, `{errcode,errmsg}`) are read by each platform's own
//! client on top of this one, with the reply's `Retry-After` at hand for the rate-limit codes
//! some platforms send inside a 200.
//!
//! Secrets: the credential is added to each request here and nowhere else; errors are built from
//! `reqwest::Error::without_url()` and from status codes, never from the URL.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::{RequestBuilder, StatusCode};
use serde::Serialize;

use crate::adapter::{retry_after, AdapterError};
use crate::config::Secret;
use crate::pace::RateLimiter;

/// How long a 429 without `Retry-After` waits.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);
/// How much of an error body is kept in an error message.
const ERROR_BODY_CHARS: usize = 300;

/// Where a platform wants the bot's credential.
#[derive(Debug, Clone)]
pub enum Auth {
    /// A query parameter: `?token=` (Yunhu), `?secret=` (minapp).
    Query(&'static str, Secret),
    /// `Authorization: Bearer` (Biliao).
    Bearer(Secret),
    /// A named header (Yunhu's management API: `token`).
    Header(&'static str, Secret),
}

/// A successful reply: its body, and the wait its `Retry-After` asks for (a platform that
/// answers a rate limit with a 200 and a code of its own may still send the header).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiReply {
    pub body: Vec<u8>,
    pub retry_after: Option<Duration>,
}

/// A JSON API at one base URL with one credential.
#[derive(Debug, Clone)]
pub struct JsonClient {
    http: reqwest::Client,
    base: String,
    auth: Auth,
    limiter: Option<Arc<RateLimiter>>,
}

impl JsonClient {
    /// `base` is the API root without a trailing slash (one is removed if present).
    pub fn new(
        base: &str,
        auth: Auth,
        timeout: Duration,
        limiter: Option<Arc<RateLimiter>>,
    ) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| e.without_url().to_string())?;
        let base = base.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(format!(
                "base_url `{base}` must start with http:// or https://"
            ));
        }
        Ok(Self {
            http,
            base,
            auth,
            limiter,
        })
    }

    /// The plain HTTP client (no credential), for fetching media to upload.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// `POST {base}{path}` with a JSON body.
    pub async fn post_json(
        &self,
        path: &str,
        query: &[(&str, &str)],
        body: &impl Serialize,
    ) -> Result<ApiReply, AdapterError> {
        let request = self.request(reqwest::Method::POST, path, query).json(body);
        self.execute(path, request).await
    }

    /// `GET {base}{path}`.
    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<ApiReply, AdapterError> {
        let request = self.request(reqwest::Method::GET, path, query);
        self.execute(path, request).await
    }

    /// `POST {base}{path}` with any body and content type (multipart forms, raw text, protobuf).
    pub async fn post_body(
        &self,
        path: &str,
        query: &[(&str, &str)],
        build: impl FnOnce(RequestBuilder) -> RequestBuilder,
    ) -> Result<ApiReply, AdapterError> {
        let request = build(self.request(reqwest::Method::POST, path, query));
        self.execute(path, request).await
    }

    fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, &str)],
    ) -> RequestBuilder {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        match &self.auth {
            Auth::Query(name, secret) => request = request.query(&[(*name, secret.expose())]),
            Auth::Bearer(secret) => request = request.bearer_auth(secret.expose()),
            Auth::Header(name, secret) => request = request.header(*name, secret.expose()),
        }
        if !query.is_empty() {
            request = request.query(query);
        }
        request
    }

    async fn execute(&self, path: &str, request: RequestBuilder) -> Result<ApiReply, AdapterError> {
        if let Some(limiter) = &self.limiter {
            limiter.acquire(path).await;
        }
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let retry_after = retry_after::from_headers(response.headers(), SystemTime::now());
        let body = response.bytes().await.map_err(transport)?;
        check_status(status, retry_after, &body).map_err(|e| at_host(&self.base, e))?;
        Ok(ApiReply {
            body: body.to_vec(),
            retry_after,
        })
    }
}

/// A transport failure (connect, timeout, broken body): the host it was for, then each cause
/// once (reqwest's own message says only "error sending request"); never the URL's path or
/// query, which may hold a secret.
pub fn transport(e: reqwest::Error) -> AdapterError {
    let host = e.url().map(host_of);
    let e = e.without_url();
    let cause = causes(&e);
    AdapterError::Transient(match host {
        Some(host) => format!("{host}: {cause}"),
        None => cause,
    })
}

/// `host[:port]` of a URL: what an error may name of it.
fn host_of(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or("?");
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// An error and its sources, `: `-joined, leaving out a cause whose text is already said
/// (hyper and the OS often repeat one another).
pub fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.contains(&said) {
            text = format!("{text}: {said}");
        }
        source = cause.source();
    }
    text
}

/// `e` with the host of `base` in front of its message, for errors built from a status.
fn at_host(base: &str, e: AdapterError) -> AdapterError {
    let Some(host) = reqwest::Url::parse(base).ok().map(|u| host_of(&u)) else {
        return e;
    };
    match e {
        AdapterError::Transient(m) => AdapterError::Transient(format!("{host}: {m}")),
        AdapterError::Unauthorized(m) => AdapterError::Unauthorized(format!("{host}: {m}")),
        other => other,
    }
}

/// Maps a non-success HTTP status onto the adapter's errors.
pub fn check_status(
    status: StatusCode,
    retry_after: Option<Duration>,
    body: &[u8],
) -> Result<(), AdapterError> {
    if status.is_success() {
        return Ok(());
    }
    let text = snippet(body);
    Err(match status {
        StatusCode::TOO_MANY_REQUESTS => {
            AdapterError::RateLimited(retry_after.unwrap_or(DEFAULT_RETRY_AFTER))
        }
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            AdapterError::Unauthorized(format!("HTTP {status}: {text}"))
        }
        StatusCode::REQUEST_TIMEOUT => AdapterError::Transient(format!("HTTP {status}")),
        StatusCode::PAYLOAD_TOO_LARGE => AdapterError::Invalid(format!(
            "the platform says the request is too large: {text}"
        )),
        s if s.is_server_error() => AdapterError::Transient(format!("HTTP {status}: {text}")),
        _ => AdapterError::Platform {
            code: format!("http-{}", status.as_u16()),
            message: text,
        },
    })
}

/// The start of a body as text, for error messages.
pub fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text.chars().take(ERROR_BODY_CHARS).collect();
    if text.chars().count() > ERROR_BODY_CHARS {
        out.push('…');
    }
    out
}

/// A success status whose body is not the platform's JSON: an error page of something in
/// between, or a reply cut short. Whether the platform carried the request out is unknown, so
/// it is worth trying again (a send may then arrive twice, as after a lost answer: delivery is
/// at least once).
pub fn malformed(what: &str, body: &[u8]) -> AdapterError {
    AdapterError::Transient(format!(
        "malformed reply: {what} expected, got: {}",
        snippet(body)
    ))
}

/// A reply of a platform whose success reply is not documented (Biliao's sends, minapp). JSON
/// is read as it is. A body that is plainly not the platform's (a page: it starts with `<`) or
/// JSON cut short (it starts with `{` or `[` but does not parse) is [`malformed`]. Anything else
/// (empty, or a bare `OK`) is `Null`, a plain "done": the reply is undocumented, and retrying
/// what may be the platform's normal answer would send every message up to six times.
pub fn lenient_reply(body: &[u8], what: &str) -> Result<serde_json::Value, AdapterError> {
    if let Ok(value) = serde_json::from_slice(body) {
        return Ok(value);
    }
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'<' | b'{' | b'[') => Err(malformed(what, body)),
        _ => Ok(serde_json::Value::Null),
    }
}

/// Parses a JSON reply into `T`, naming what was expected when it does not fit.
pub fn parse_json<T: serde::de::DeserializeOwned>(
    body: &[u8],
    what: &str,
) -> Result<T, AdapterError> {
    serde_json::from_slice(body).map_err(|e| AdapterError::Platform {
        code: "bad-reply".into(),
        message: format!("{what}: {e}: {}", snippet(body)),
    })
}

/// Media fetched from a URL so it can be uploaded to a platform that only sends uploaded files.
#[derive(Debug)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    /// A file name with an extension (platforms guess the type from it).
    pub file_name: String,
    pub mime: String,
}

/// Downloads `media` (at most `limit` bytes) as a multipart part, ready to upload.
pub async fn media_part(
    http: &reqwest::Client,
    media: &crate::model::Media,
    limit: usize,
) -> Result<reqwest::multipart::Part, AdapterError> {
    let fetched = fetch_media(http, &media.url, media.name.as_deref(), limit).await?;
    reqwest::multipart::Part::bytes(fetched.bytes)
        .file_name(fetched.file_name)
        .mime_str(&fetched.mime)
        .map_err(|e| AdapterError::Invalid(format!("media type: {}", e.without_url())))
}

/// Downloads `url` (at most `limit` bytes) for an upload. `name` overrides the file name.
pub async fn fetch_media(
    http: &reqwest::Client,
    url: &str,
    name: Option<&str>,
    limit: usize,
) -> Result<Fetched, AdapterError> {
    let parsed =
        reqwest::Url::parse(url).map_err(|e| AdapterError::Invalid(format!("media url: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(AdapterError::Invalid(
            "media url must be http or https".into(),
        ));
    }
    let response = http.get(parsed.clone()).send().await.map_err(transport)?;
    let status = response.status();
    if !status.is_success() {
        let retryable = status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS;
        let message = format!("fetching the media failed: HTTP {status}");
        return Err(if retryable {
            AdapterError::Transient(message)
        } else {
            AdapterError::Invalid(message)
        });
    }
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(AdapterError::Invalid(format!(
            "the media is larger than {limit} bytes"
        )));
    }
    let mime = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_string();
    let bytes = read_limited(response, limit).await?;
    let file_name = name
        .filter(|n| !n.trim().is_empty())
        .map(str::to_string)
        .or_else(|| {
            parsed
                .path_segments()
                .and_then(|mut s| s.next_back())
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "upload".into());
    Ok(Fetched {
        bytes,
        file_name,
        mime,
    })
}

async fn read_limited(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, AdapterError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if bytes.len() + chunk.len() > limit {
            return Err(AdapterError::Invalid(format!(
                "the media is larger than {limit} bytes"
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A refused connection names the host and port and each cause once, never the query.
    #[tokio::test]
    async fn a_transport_failure_names_its_host_and_cause_once() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let url = format!("http://127.0.0.1:{port}/api/send?secret=hunter2");
        let e = reqwest::get(&url).await.unwrap_err();
        let AdapterError::Transient(text) = transport(e) else {
            panic!("not transient");
        };
        assert!(text.starts_with(&format!("127.0.0.1:{port}: ")), "{text}");
        assert!(text.to_lowercase().contains("refused"), "{text}");
        assert!(
            !text.contains("hunter2") && !text.contains("/api/send"),
            "{text}"
        );
        let parts: Vec<&str> = text.split(": ").collect();
        for (i, part) in parts.iter().enumerate() {
            assert!(
                !parts[i + 1..].contains(part),
                "`{part}` said twice: {text}"
            );
        }
    }

    #[test]
    fn a_status_failure_names_its_host() {
        let e = check_status(StatusCode::BAD_GATEWAY, None, b"upstream down").unwrap_err();
        let e = at_host("https://api.example.com/v1", e);
        assert_eq!(
            e.to_string(),
            "transient failure: api.example.com: HTTP 502 Bad Gateway: upstream down"
        );
    }

    #[test]
    fn statuses_map() {
        let e = |s: u16| check_status(StatusCode::from_u16(s).unwrap(), None, b"x").unwrap_err();
        assert!(matches!(e(429), AdapterError::RateLimited(d) if d == DEFAULT_RETRY_AFTER));
        assert!(matches!(e(401), AdapterError::Unauthorized(_)));
        assert!(matches!(e(502), AdapterError::Transient(_)));
        assert!(matches!(e(404), AdapterError::Platform { .. }));
        assert!(check_status(StatusCode::OK, None, b"").is_ok());
    }

    #[test]
    fn lenient_replies_take_empty_and_json_but_not_pages() {
        assert_eq!(lenient_reply(b" \n", "x"), Ok(serde_json::Value::Null));
        assert_eq!(lenient_reply(b"OK", "x"), Ok(serde_json::Value::Null));
        assert_eq!(lenient_reply(b"[1]", "x"), Ok(serde_json::json!([1])));
        for body in [&b" <html>200 OK</html>"[..], b"{\"code\":20", b"[1,"] {
            let e = lenient_reply(body, "a reply").unwrap_err();
            assert!(
                e.is_retryable() && e.to_string().contains("malformed reply"),
                "{e}"
            );
        }
    }
}
