//! The Bot API over HTTP: `{base}/api/bot/{token}/{method}`, the `{ok, result}` envelope, and
//! errors sorted into what the outbox and the poller can act on.
//!
//! The token is a path segment, so every error text here is built without the URL
//! (`reqwest::Error::without_url`) and scrubbed of the token as a second guard.
//!
//! A success status whose body is not the envelope is [`ApiError::Unreadable`] and tried again:
//! the call's outcome is unknown. An `ok:true` envelope whose `result` has the wrong shape is
//! [`ApiError::Malformed`] and is not: the platform said the call was carried out, and a second
//! `sendMessage` would be a second message.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::wire::Envelope;
use crate::adapter::{retry_after, AdapterError};
use crate::config::Secret;

/// How much of a reply body goes into an error text.
const BODY_SNIPPET: usize = 200;
/// The wait a 429 without `Retry-After` asks for.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

/// Why a call failed, sorted by what can be done about it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(super) enum ApiError {
    /// No reply: connection refused or dropped, or a timeout.
    #[error("{method}: {reason}")]
    Transport { method: String, reason: String },
    /// A 5xx reply.
    #[error("{method}: HTTP {status}")]
    Server { method: String, status: u16 },
    #[error("{method}: rate limited, retry after {after:?}")]
    RateLimited { method: String, after: Duration },
    /// The token was refused (HTTP 401/403, or an envelope code of 401/403).
    #[error("{method}: the token was refused ({reason})")]
    Unauthorized { method: String, reason: String },
    /// `{ok:false, err_code, description}`.
    #[error("{method}: Fanbook refused ({code}): {description}")]
    Refused {
        method: String,
        code: String,
        description: String,
    },
    /// A success status whose body is not the envelope (a page of something in between, a
    /// reply cut short): whether the call was carried out is unknown.
    #[error("{method}: unreadable reply: {reason}")]
    Unreadable { method: String, reason: String },
    /// An `ok:true` envelope whose `result` has the wrong shape, or an error status whose body
    /// is not the envelope.
    #[error("{method}: malformed reply: {reason}")]
    Malformed { method: String, reason: String },
}

impl From<ApiError> for AdapterError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Transport { .. } | ApiError::Server { .. } | ApiError::Unreadable { .. } => {
                AdapterError::Transient(e.to_string())
            }
            ApiError::RateLimited { after, .. } => AdapterError::RateLimited(after),
            ApiError::Unauthorized { .. } => AdapterError::Unauthorized(e.to_string()),
            ApiError::Refused {
                code, description, ..
            } => AdapterError::Platform {
                code,
                message: description,
            },
            ApiError::Malformed { .. } => AdapterError::Platform {
                code: "malformed-reply".into(),
                message: e.to_string(),
            },
        }
    }
}

/// A Bot API client for one token. `Debug` shows the base URL only.
#[derive(Clone)]
pub(super) struct Client {
    http: reqwest::Client,
    base: String,
    token: Secret,
    timeout: Duration,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("token", &self.token)
            .finish()
    }
}

impl Client {
    /// `base` is the scheme and host (`https://a1.fanbook.mobi`), without a trailing slash.
    pub fn new(http: reqwest::Client, base: &str, token: Secret, timeout: Duration) -> Self {
        Self {
            http,
            base: base.trim_end_matches('/').to_string(),
            token,
            timeout,
        }
    }

    fn url(&self, method: &str) -> String {
        format!("{}/api/bot/{}/{method}", self.base, self.token.expose())
    }

    /// POSTs a JSON body and returns the envelope's `result`.
    pub async fn post<T: DeserializeOwned>(
        &self,
        method: &str,
        body: &impl Serialize,
    ) -> Result<T, ApiError> {
        self.post_with_timeout(method, body, self.timeout).await
    }

    /// Like `post`, with a longer timeout for the long poll.
    pub async fn post_with_timeout<T: DeserializeOwned>(
        &self,
        method: &str,
        body: &impl Serialize,
        timeout: Duration,
    ) -> Result<T, ApiError> {
        let request = self.http.post(self.url(method)).json(body).timeout(timeout);
        self.send(method, request).await
    }

    /// Sends a JSON body with another verb (`PUT`/`DELETE` methods such as `v2/guild/credit`).
    pub async fn send_json<T: DeserializeOwned>(
        &self,
        verb: reqwest::Method,
        method: &str,
        body: &impl Serialize,
    ) -> Result<T, ApiError> {
        let request = self
            .http
            .request(verb, self.url(method))
            .json(body)
            .timeout(self.timeout);
        self.send(method, request).await
    }

    /// GETs a method with its parameters in the query (`guild/emoji`, `getMyCommands`).
    pub async fn get_query<T: DeserializeOwned>(
        &self,
        method: &str,
        query: &[(String, String)],
    ) -> Result<T, ApiError> {
        let request = self
            .http
            .get(self.url(method))
            .query(query)
            .timeout(self.timeout);
        self.send(method, request).await
    }

    /// POSTs an `application/x-www-form-urlencoded` body (`message/getList`).
    pub async fn post_form<T: DeserializeOwned>(
        &self,
        method: &str,
        form: &[(String, String)],
    ) -> Result<T, ApiError> {
        let request = self
            .http
            .post(self.url(method))
            .form(form)
            .timeout(self.timeout);
        self.send(method, request).await
    }

    /// GETs a method without parameters (`getMe`).
    pub async fn get<T: DeserializeOwned>(&self, method: &str) -> Result<T, ApiError> {
        let request = self.http.get(self.url(method)).timeout(self.timeout);
        self.send(method, request).await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<T, ApiError> {
        let transport = |e: reqwest::Error| ApiError::Transport {
            method: method.to_string(),
            reason: self.describe(e),
        };
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let retry_after = retry_after::from_headers(response.headers(), SystemTime::now());
        let bytes = response.bytes().await.map_err(transport)?;
        self.interpret(method, status, retry_after, &bytes)
    }

    /// Sorts a reply into a result or an `ApiError`.
    fn interpret<T: DeserializeOwned>(
        &self,
        method: &str,
        status: StatusCode,
        retry_after: Option<Duration>,
        body: &[u8],
    ) -> Result<T, ApiError> {
        let method = method.to_string();
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(ApiError::RateLimited {
                method,
                after: retry_after.unwrap_or(DEFAULT_RETRY_AFTER),
            });
        }
        if status.is_server_error() {
            return Err(ApiError::Server {
                method,
                status: status.as_u16(),
            });
        }
        let envelope = read_envelope(body);
        if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
            let reason = envelope
                .and_then(|e| e.description)
                .unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
            return Err(ApiError::Unauthorized {
                method,
                reason: self.scrub(&reason),
            });
        }
        let Some(envelope) = envelope else {
            let reason = format!("HTTP {}: {}", status.as_u16(), self.snippet(body));
            return Err(if status.is_success() {
                ApiError::Unreadable { method, reason }
            } else {
                ApiError::Malformed { method, reason }
            });
        };
        if !envelope.ok {
            return Err(self.refusal(method, envelope, retry_after));
        }
        let result = envelope.result.unwrap_or(serde_json::Value::Null);
        serde_json::from_value(result).map_err(|e| ApiError::Malformed {
            method,
            reason: e.to_string(),
        })
    }

    /// An `ok:false` envelope as an error; codes 401/403 and 429 keep their HTTP meaning.
    fn refusal(
        &self,
        method: String,
        envelope: Envelope,
        retry_after: Option<Duration>,
    ) -> ApiError {
        let code = match &envelope.err_code {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            _ => "unknown".to_string(),
        };
        let description = self.scrub(envelope.description.as_deref().unwrap_or("no description"));
        match code.as_str() {
            "401" | "403" => ApiError::Unauthorized {
                method,
                reason: description,
            },
            "429" => ApiError::RateLimited {
                method,
                after: retry_after.unwrap_or(DEFAULT_RETRY_AFTER),
            },
            _ => ApiError::Refused {
                method,
                code,
                description,
            },
        }
    }

    /// A transport error's text without the URL (which holds the token).
    fn describe(&self, e: reqwest::Error) -> String {
        let kind = if e.is_timeout() {
            "timed out"
        } else if e.is_connect() {
            "cannot connect"
        } else {
            "connection failed"
        };
        let host = e.url().and_then(|u| u.host_str()).map(str::to_string);
        let e = e.without_url();
        let causes = crate::adapter::webhook::client::causes(&e);
        let text = match host {
            Some(host) => format!("{host}: {kind}: {causes}"),
            None => format!("{kind}: {causes}"),
        };
        self.scrub(&text)
    }

    fn snippet(&self, body: &[u8]) -> String {
        let text = String::from_utf8_lossy(body);
        let cut: String = text.chars().take(BODY_SNIPPET).collect();
        self.scrub(&cut)
    }

    /// Removes the token from text that came from elsewhere (a reply body, a library error).
    pub fn scrub(&self, text: &str) -> String {
        let token = self.token.expose();
        if token.is_empty() {
            text.to_string()
        } else {
            text.replace(token, "***")
        }
    }
}

/// The `{ok, …}` envelope, when the body is one: a JSON object with a boolean `ok`.
fn read_envelope(body: &[u8]) -> Option<Envelope> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    if let Some(status) = value.get("status").and_then(serde_json::Value::as_bool) {
        if value.get("ok").is_none() {
            // `message/getList` answers in the OAuth-style `{status, code, desc, data}`.
            return Some(Envelope {
                ok: status,
                result: value.get("data").cloned(),
                err_code: value.get("code").cloned(),
                description: value
                    .get("desc")
                    .and_then(|d| d.as_str())
                    .map(str::to_owned),
            });
        }
    }
    if !value.get("ok").is_some_and(serde_json::Value::is_boolean) {
        return None;
    }
    serde_json::from_value(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Client {
        Client::new(
            reqwest::Client::new(),
            "http://127.0.0.1:9/",
            Secret::new("SEKRIT-TOKEN"),
            Duration::from_secs(1),
        )
    }

    #[test]
    fn envelopes_sort_into_errors() {
        let c = client();
        let ok: Result<u64, _> =
            c.interpret("m", StatusCode::OK, None, br#"{"ok":true,"result":7}"#);
        assert_eq!(ok, Ok(7));
        let refused: Result<u64, _> = c.interpret(
            "m",
            StatusCode::OK,
            None,
            br#"{"ok":false,"err_code":400,"description":"Bad Request: message not found"}"#,
        );
        assert_eq!(
            AdapterError::from(refused.unwrap_err()),
            AdapterError::Platform {
                code: "400".into(),
                message: "Bad Request: message not found".into()
            }
        );
        let auth: Result<u64, _> = c.interpret("m", StatusCode::UNAUTHORIZED, None, b"no");
        assert!(matches!(
            AdapterError::from(auth.unwrap_err()),
            AdapterError::Unauthorized(_)
        ));
        let busy: Result<u64, _> = c.interpret(
            "m",
            StatusCode::TOO_MANY_REQUESTS,
            Some(Duration::from_secs(3)),
            b"",
        );
        assert_eq!(
            AdapterError::from(busy.unwrap_err()),
            AdapterError::RateLimited(Duration::from_secs(3))
        );
        let down: Result<u64, _> = c.interpret("m", StatusCode::BAD_GATEWAY, None, b"");
        assert!(AdapterError::from(down.unwrap_err()).is_retryable());
    }

    #[test]
    fn golden_replies_parse() {
        let c = client();
        let error = include_str!("../../../tests/golden/fanbook/api_response_error.json");
        let refused: Result<u64, _> =
            c.interpret("deleteMessage", StatusCode::OK, None, error.as_bytes());
        assert_eq!(
            AdapterError::from(refused.unwrap_err()),
            AdapterError::Platform {
                code: "400".into(),
                message: "Bad Request: message not found".into()
            }
        );
        let me = include_str!("../../../tests/golden/fanbook/api_response_getMe.json");
        let me: super::super::wire::Me = c
            .interpret("getMe", StatusCode::OK, None, me.as_bytes())
            .unwrap();
        assert_eq!(
            (me.id.0, me.user_token.as_deref()),
            (455902781326258176, Some("{{USER_TOKEN}}"))
        );
        let sent = include_str!("../../../tests/golden/fanbook/api_response_sendMessage.json");
        let sent: super::super::wire::MessageRef = c
            .interpret("sendMessage", StatusCode::OK, None, sent.as_bytes())
            .unwrap();
        assert_eq!(sent.message_id.to_string(), "469232190631010304");
    }

    /// A page, JSON cut short or JSON without `ok` in a 200 is not Fanbook's answer: the call's
    /// outcome is unknown, so it is tried again. An `ok:true` whose result does not fit is not.
    #[test]
    fn a_malformed_success_is_retried_but_a_done_call_is_not() {
        let c = client();
        for body in [
            &b"<html>502 Bad Gateway</html>"[..],
            b"{\"ok\":true,\"result\":{\"mess",
            b"{\"message_id\":1}",
        ] {
            let e: Result<u64, _> = c.interpret("sendMessage", StatusCode::OK, None, body);
            assert!(
                AdapterError::from(e.unwrap_err()).is_retryable(),
                "{body:?}"
            );
        }
        let odd: Result<u64, _> = c.interpret(
            "sendMessage",
            StatusCode::OK,
            None,
            br#"{"ok":true,"result":"x"}"#,
        );
        assert!(!AdapterError::from(odd.unwrap_err()).is_retryable());
        let page: Result<u64, _> = c.interpret(
            "sendMessage",
            StatusCode::BAD_REQUEST,
            None,
            b"<html>no</html>",
        );
        assert!(!AdapterError::from(page.unwrap_err()).is_retryable());
    }

    #[test]
    fn err_code_429_waits_as_long_as_retry_after_says() {
        let c = client();
        let limited = br#"{"ok":false,"err_code":429,"description":"Too Many Requests"}"#;
        let e: Result<u64, _> =
            c.interpret("m", StatusCode::OK, Some(Duration::from_secs(4)), limited);
        assert_eq!(
            AdapterError::from(e.unwrap_err()),
            AdapterError::RateLimited(Duration::from_secs(4))
        );
    }

    #[test]
    fn the_token_never_shows() {
        let c = client();
        assert!(!format!("{c:?}").contains("SEKRIT"));
        let echoed: Result<u64, _> = c.interpret(
            "m",
            StatusCode::OK,
            None,
            b"<html>/api/bot/SEKRIT-TOKEN/m</html>",
        );
        let text = AdapterError::from(echoed.unwrap_err()).to_string();
        assert!(text.contains("***") && !text.contains("SEKRIT"), "{text}");
    }
}
