//! Biliao's REST API: `Authorization: Bearer`, every call a POST under `/bot/`, replies
//! `{code, msg, data}` with `code == 200` for success (only the upload reply is documented, so
//! an empty or non-JSON 2xx reply counts as success).

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::wire::Reply;
use crate::adapter::webhook::client::{media_part, Auth, JsonClient};
use crate::adapter::AdapterError;
use crate::config::Secret;
use crate::event::Media;

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
pub fn envelope(body: &[u8]) -> Result<Value, AdapterError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return Ok(Value::Null);
    };
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
        429 => Err(AdapterError::RateLimited(Duration::from_secs(1))),
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

    #[test]
    fn envelopes_map() {
        let ok = std::fs::read(format!(
            "{}/tests/golden/biliao/api_response_upload_ok.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        assert_eq!(envelope(&ok).unwrap()["file_id"], "file_7712093");
        assert!(matches!(
            envelope(br#"{"code":401,"msg":"bad token"}"#),
            Err(AdapterError::Unauthorized(_))
        ));
        assert!(
            matches!(envelope(br#"{"code":400,"msg":"no"}"#), Err(AdapterError::Platform { code, .. }) if code == "400")
        );
        assert!(matches!(
            envelope(br#"{"code":503,"msg":"busy"}"#),
            Err(AdapterError::Transient(_))
        ));
        assert_eq!(envelope(b"OK").unwrap(), Value::Null);
    }
}
