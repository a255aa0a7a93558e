//! Yunhu's open API: `?token=` on every call, `{code, msg, data}` replies with `code == 1` for
//! success, 10 requests per second per API, and uploads before media sends. A 2xx reply that
//! is not that envelope is malformed and tried again (see [`malformed`]). Yunhu documents no
//! rate-limit code inside a 200, so only an HTTP 429 waits for `Retry-After`.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::wire::Reply;
use crate::adapter::webhook::client::{malformed, media_part, Auth, JsonClient};
use crate::adapter::AdapterError;
use crate::config::Secret;
use crate::model::Media;
use crate::pace::RateLimiter;

/// The kinds of upload, each with its path, multipart part name and reply key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upload {
    Image,
    Video,
    File,
}

impl Upload {
    fn path(self) -> &'static str {
        match self {
            Upload::Image => "/image/upload",
            Upload::Video => "/video/upload",
            Upload::File => "/file/upload",
        }
    }
    fn part(self) -> &'static str {
        match self {
            Upload::Image => "image",
            Upload::Video => "video",
            Upload::File => "file",
        }
    }
    fn key(self) -> &'static str {
        match self {
            Upload::Image => "imageKey",
            Upload::Video => "videoKey",
            Upload::File => "fileKey",
        }
    }
}

/// Settings of the client, from the bot's config.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    pub base_url: String,
    pub token: Secret,
    pub timeout: Duration,
    /// Requests per second per API path.
    pub per_second: usize,
    /// The largest media the adapter downloads to upload.
    pub media_limit: usize,
}

#[derive(Debug, Clone)]
pub struct YunhuClient {
    api: JsonClient,
    media_limit: usize,
}

impl YunhuClient {
    pub fn new(settings: ClientSettings) -> Result<Self, String> {
        let limiter = Arc::new(RateLimiter::new(
            settings.per_second,
            Duration::from_secs(1),
        ));
        let auth = Auth::Query("token", settings.token);
        let api = JsonClient::new(&settings.base_url, auth, settings.timeout, Some(limiter))?;
        Ok(Self {
            api,
            media_limit: settings.media_limit,
        })
    }

    /// `POST path` with a JSON body; returns `data`.
    pub async fn call(&self, path: &str, body: &impl Serialize) -> Result<Value, AdapterError> {
        envelope(&self.api.post_json(path, &[], body).await?.body)
    }

    /// `GET path?query`; returns `data`.
    pub async fn call_get(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Value, AdapterError> {
        envelope(&self.api.get(path, query).await?.body)
    }

    /// `POST /bot/send-stream?…` with the text as a chunked body, one chunk per item.
    pub async fn stream(
        &self,
        query: &[(&str, &str)],
        chunks: Vec<String>,
    ) -> Result<Value, AdapterError> {
        let stream = futures::stream::iter(chunks.into_iter().map(Ok::<_, std::io::Error>));
        let body = reqwest::Body::wrap_stream(stream);
        let reply = self
            .api
            .post_body("/bot/send-stream", query, |r| {
                r.header(reqwest::header::CONTENT_TYPE, "text/plain; charset=utf-8")
                    .body(body)
            })
            .await?;
        envelope(&reply.body)
    }

    /// Downloads `media` and uploads it; returns the platform's key for it.
    pub async fn upload(&self, kind: Upload, media: &Media) -> Result<String, AdapterError> {
        let part = media_part(self.api.http(), media, self.media_limit).await?;
        let form = reqwest::multipart::Form::new().part(kind.part(), part);
        let data = envelope(
            &self
                .api
                .post_body(kind.path(), &[], |r| r.multipart(form))
                .await?
                .body,
        )?;
        data.get(kind.key())
            .and_then(Value::as_str)
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .ok_or_else(|| AdapterError::Platform {
                code: "bad-reply".into(),
                message: format!("the upload reply has no {}", kind.key()),
            })
    }
}

/// Reads `{code, msg, data}`: `data` on `code == 1`, else the fitting error; a reply without a
/// `code` is not Yunhu's and is [`malformed`].
pub fn envelope(body: &[u8]) -> Result<Value, AdapterError> {
    const WHAT: &str = "a Yunhu reply `{code, msg, data}`";
    let value: Value = serde_json::from_slice(body).map_err(|_| malformed(WHAT, body))?;
    if value.get("code").is_none() {
        return Err(malformed(WHAT, body));
    }
    let reply: Reply = serde_json::from_value(value).map_err(|_| malformed(WHAT, body))?;
    if reply.code == 1 {
        return Ok(reply.data);
    }
    // 1003 "非法token"; 1002 also covers "token不存在".
    if (reply.code == 1003 && reply.msg.contains("token")) || reply.msg.contains("token不存在") {
        return Err(AdapterError::Unauthorized(format!(
            "{} ({})",
            reply.msg, reply.code
        )));
    }
    if reply.code == -1 && reply.msg.contains("消息不存在") {
        return Err(AdapterError::NotFound(reply.msg));
    }
    Err(AdapterError::Platform {
        code: reply.code.to_string(),
        message: reply.msg,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn golden(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/golden/yunhu/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn envelopes_map() {
        assert!(
            envelope(&golden("api_response_send_ok.json")).unwrap()["messageInfo"]["msgId"]
                .is_string()
        );
        assert!(matches!(
            envelope(&golden("api_response_error_bad_token.json")),
            Err(AdapterError::Unauthorized(_))
        ));
        assert!(matches!(
            envelope(&golden("api_response_error_bad_param.json")),
            Err(AdapterError::Platform { code, .. }) if code == "1002"
        ));
        assert!(matches!(
            envelope(&golden("api_response_error_bot_not_in_group.json")),
            Err(AdapterError::Platform { code, .. }) if code == "-1"
        ));
    }

    /// A page, JSON cut short or JSON of another shape in a 200 is not Yunhu's answer: the
    /// outcome is unknown, so it is tried again rather than counted as done or refused.
    #[test]
    fn a_malformed_success_is_retried() {
        for body in [
            &b"<html><body>Bad Gateway</body></html>"[..],
            b"{\"code\":1,\"msg\":\"succ",
            b"{\"status\":\"ok\"}",
            b"",
        ] {
            let e = envelope(body).unwrap_err();
            assert!(e.is_retryable(), "{e}");
        }
    }
}
