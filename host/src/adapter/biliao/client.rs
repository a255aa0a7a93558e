//! Biliao's REST API: `Authorization: Bearer`, every call a POST under `/bot/`, replies
//! `{code, msg, data}` with `code == 200` for success. Only the upload reply is documented, so
//! an empty or plain-text 2xx reply counts as success; a page or JSON cut short does not (see
//! [`lenient_reply`]). `code: 429` waits as long as the reply's `Retry-After` says.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::wire::Reply;
use crate::adapter::webhook::client::{lenient_reply, media_part, ApiReply, Auth, JsonClient};
use crate::adapter::AdapterError;
use crate::config::Secret;
use crate::model::Media;

/// What a `code: 429` without `Retry-After` waits.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub struct BiliaoClient {
    api: JsonClient,
    media_limit: usize,
}

impl BiliaoClient {
    pub fn new(
        base_url: &str,
        token: Secret,
        timeout: Duration,
        media_limit: usize,
    ) -> Result<Self, String> {
        Ok(Self {
            api: JsonClient::new(base_url, Auth::Bearer(token), timeout, None)?,
            media_limit,
        })
    }

    /// `POST /bot/{method}` with a JSON body; returns `data`.
    pub async fn call(&self, method: &str, body: &impl Serialize) -> Result<Value, AdapterError> {
        envelope(
            &self
                .api
                .post_json(&format!("/bot/{method}"), &[], body)
                .await?,
        )
    }

    /// Downloads `media` and uploads it (`/bot/uploadfile`, part `file`); returns its `file_id`.
    pub async fn upload(&self, media: &Media) -> Result<String, AdapterError> {
        let part = media_part(self.api.http(), media, self.media_limit).await?;
        let form = reqwest::multipart::Form::new().part("file", part);
        let data = envelope(
            &self
                .api
                .post_body("/bot/uploadfile", &[], |r| r.multipart(form))
                .await?,
        )?;
        data.get("file_id")
            .map(crate::adapter::webhook::lenient::text_of)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| AdapterError::Platform {
                code: "bad-reply".into(),
                message: "the upload reply has no file_id".into(),
            })
    }
}

/// Reads `{code, msg, data}`: `data` on success, else the fitting error.
pub fn envelope(answer: &ApiReply) -> Result<Value, AdapterError> {
    let value = lenient_reply(&answer.body, "a Biliao reply")?;
    if value.get("code").is_none() {
        return Ok(value);
    }
    let reply: Reply = serde_json::from_value(value).unwrap_or(Reply {
        code: 0,
        msg: String::new(),
        data: Value::Null,
    });
    match reply.code {
        200 => Ok(reply.data),
        401 | 403 => Err(AdapterError::Unauthorized(format!(
            "{} ({})",
            reply.msg, reply.code
        ))),
        404 => Err(AdapterError::NotFound(reply.msg)),
        429 => Err(AdapterError::RateLimited(
            answer.retry_after.unwrap_or(DEFAULT_RETRY_AFTER),
        )),
        code if code >= 500 => Err(AdapterError::Transient(format!("{} ({code})", reply.msg))),
        code => Err(AdapterError::Platform {
            code: code.to_string(),
            message: reply.msg,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(body: &[u8]) -> ApiReply {
        ApiReply {
            body: body.to_vec(),
            retry_after: None,
        }
    }

    #[test]
    fn envelopes_map() {
        let ok = std::fs::read(format!(
            "{}/tests/golden/biliao/api_response_upload_ok.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        assert_eq!(envelope(&reply(&ok)).unwrap()["file_id"], "file_7712093");
        assert!(matches!(
            envelope(&reply(br#"{"code":401,"msg":"bad token"}"#)),
            Err(AdapterError::Unauthorized(_))
        ));
        assert!(
            matches!(envelope(&reply(br#"{"code":400,"msg":"no"}"#)), Err(AdapterError::Platform { code, .. }) if code == "400")
        );
        assert!(matches!(
            envelope(&reply(br#"{"code":503,"msg":"busy"}"#)),
            Err(AdapterError::Transient(_))
        ));
        assert_eq!(envelope(&reply(b"OK")).unwrap(), Value::Null);
        assert_eq!(envelope(&reply(b"")).unwrap(), Value::Null);
    }

    /// A page or JSON cut short in a 200 is not Biliao's answer: the send's outcome is unknown,
    /// so it is tried again rather than counted as done.
    #[test]
    fn a_malformed_success_is_retried() {
        for body in [
            &b"<html><body>Bad Gateway</body></html>"[..],
            b"{\"code\":2",
        ] {
            let e = envelope(&reply(body)).unwrap_err();
            assert!(e.is_retryable(), "{e}");
        }
    }

    #[test]
    fn code_429_waits_as_long_as_retry_after_says() {
        let limited = br#"{"code":429,"msg":"too many requests"}"#;
        assert_eq!(
            envelope(&reply(limited)),
            Err(AdapterError::RateLimited(DEFAULT_RETRY_AFTER))
        );
        let with_header = ApiReply {
            body: limited.to_vec(),
            retry_after: Some(Duration::from_secs(7)),
        };
        assert_eq!(
            envelope(&with_header),
            Err(AdapterError::RateLimited(Duration::from_secs(7)))
        );
    }
}
