//! minapp's API: `?secret=` on every call, `POST /api/send?conversation_id=`, `GET /api/users`
//! and `/api/groups`. Replies are undocumented; WeCom's `{errcode, errmsg}` is read when present.

use std::time::Duration;

use serde_json::Value;

use super::wire::{Reply, SendBody};
use crate::adapter::webhook::client::{parse_json, Auth, JsonClient};
use crate::adapter::webhook::lenient;
use crate::adapter::AdapterError;
use crate::config::Secret;

/// WeCom's "too many messages" code.
const RATE_LIMITED: i64 = 45009;
/// How long to wait after a rate-limit reply (WeCom counts 20 messages per minute).
const RATE_LIMIT_WAIT: Duration = Duration::from_secs(3);

#[derive(Debug, Clone)]
pub struct MinappClient {
    api: JsonClient,
}

impl MinappClient {
    pub fn new(base_url: &str, secret: Secret, timeout: Duration) -> Result<Self, String> {
        Ok(Self {
            api: JsonClient::new(base_url, Auth::Query("secret", secret), timeout, None)?,
        })
    }

    pub async fn send(&self, conversation_id: &str, body: &SendBody) -> Result<(), AdapterError> {
        let reply = self
            .api
            .post_json("/api/send", &[("conversation_id", conversation_id)], body)
            .await?;
        check_reply(&reply)
    }

    /// `GET /api/users` or `/api/groups`, as JSON.
    pub async fn list(&self, path: &str) -> Result<Value, AdapterError> {
        let reply = self.api.get(path, &[]).await?;
        check_reply(&reply)?;
        parse_json(&reply, "a minapp list")
    }
}

/// Success unless the reply is a WeCom error (`errcode` other than 0).
fn check_reply(body: &[u8]) -> Result<(), AdapterError> {
    let Ok(reply) = serde_json::from_slice::<Reply>(body) else {
        return Ok(());
    };
    let code = reply
        .errcode
        .as_ref()
        .map(lenient::int_of)
        .unwrap_or_default();
    match code {
        0 => Ok(()),
        RATE_LIMITED => Err(AdapterError::RateLimited(RATE_LIMIT_WAIT)),
        40001 | 40014 | 93000 => Err(AdapterError::Unauthorized(format!(
            "{} ({code})",
            reply.errmsg
        ))),
        _ => Err(AdapterError::Platform {
            code: code.to_string(),
            message: reply.errmsg,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_map() {
        assert!(check_reply(br#"{"errcode":0,"errmsg":"ok"}"#).is_ok());
        assert!(check_reply(b"").is_ok());
        assert!(matches!(
            check_reply(br#"{"errcode":45009,"errmsg":"limit"}"#),
            Err(AdapterError::RateLimited(_))
        ));
        assert!(matches!(
            check_reply(br#"{"errcode":"93000","errmsg":"bad"}"#),
            Err(AdapterError::Unauthorized(_))
        ));
        assert!(matches!(
            check_reply(br#"{"errcode":40008,"errmsg":"x"}"#),
            Err(AdapterError::Platform { .. })
        ));
    }
}
