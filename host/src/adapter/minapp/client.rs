//! minapp's API: `?secret=` on every call, `POST /api/send?conversation_id=`, `GET /api/users`
//! and `/api/groups`. Replies are undocumented; WeCom's `{errcode, errmsg}` is read when present,
//! a page or JSON cut short is malformed and tried again (see [`lenient_reply`]), and the
//! rate-limit code `45009` waits as long as the reply's `Retry-After` says.

use std::time::Duration;

use serde_json::Value;

use super::wire::{Reply, SendBody};
use crate::adapter::webhook::client::{lenient_reply, parse_json, ApiReply, Auth, JsonClient};
use crate::adapter::webhook::lenient;
use crate::adapter::AdapterError;
use crate::config::Secret;

/// WeCom's "too many messages" code.
const RATE_LIMITED: i64 = 45009;
/// How long to wait after a rate-limit reply without `Retry-After` (WeCom counts 20 messages
/// per minute).
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
        parse_json(&reply.body, "a minapp list")
    }
}

/// Success unless the reply is a WeCom error (`errcode` other than 0) or malformed.
fn check_reply(answer: &ApiReply) -> Result<(), AdapterError> {
    let value = lenient_reply(&answer.body, "a minapp reply")?;
    let Ok(reply) = serde_json::from_value::<Reply>(value) else {
        return Ok(());
    };
    let code = reply
        .errcode
        .as_ref()
        .map(lenient::int_of)
        .unwrap_or_default();
    match code {
        0 => Ok(()),
        RATE_LIMITED => Err(AdapterError::RateLimited(
            answer.retry_after.unwrap_or(RATE_LIMIT_WAIT),
        )),
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

    fn check(body: &[u8]) -> Result<(), AdapterError> {
        check_reply(&ApiReply {
            body: body.to_vec(),
            retry_after: None,
        })
    }

    #[test]
    fn replies_map() {
        assert!(check(br#"{"errcode":0,"errmsg":"ok"}"#).is_ok());
        assert!(check(b"").is_ok());
        assert!(check(br#"[{"name":"x"}]"#).is_ok());
        assert!(matches!(
            check(br#"{"errcode":45009,"errmsg":"limit"}"#),
            Err(AdapterError::RateLimited(RATE_LIMIT_WAIT))
        ));
        assert!(matches!(
            check(br#"{"errcode":"93000","errmsg":"bad"}"#),
            Err(AdapterError::Unauthorized(_))
        ));
        assert!(matches!(
            check(br#"{"errcode":40008,"errmsg":"x"}"#),
            Err(AdapterError::Platform { .. })
        ));
    }

    /// A page or JSON cut short in a 200 is not minapp's answer: the send's outcome is unknown,
    /// so it is tried again rather than counted as done.
    #[test]
    fn a_malformed_success_is_retried() {
        for body in [&b"<html>502 Bad Gateway</html>"[..], b"{\"errcode\":0,"] {
            let e = check(body).unwrap_err();
            assert!(e.is_retryable(), "{e}");
        }
    }

    #[test]
    fn the_rate_limit_code_waits_as_long_as_retry_after_says() {
        let limited = ApiReply {
            body: br#"{"errcode":45009,"errmsg":"api freq out of limit"}"#.to_vec(),
            retry_after: Some(Duration::from_secs(2)),
        };
        assert_eq!(
            check_reply(&limited),
            Err(AdapterError::RateLimited(Duration::from_secs(2)))
        );
    }
}
