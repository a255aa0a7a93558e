//! The `getUpdates` long poll. One poller per token (the platform refuses concurrent ones).
//! The offset moves past an update only once every event of it was accepted by the journal,
//! so a crash or a full journal means redelivery (dropped by dedupe), never loss.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::client::ApiError;
use super::inbound::Decoder;
use super::intake::{accept, ranked};
use super::Task;
use crate::adapter::redact;
use crate::pace::Backoff;

/// How much of a malformed update a warning quotes (credentials masked).
const LOG_PAYLOAD_CHARS: usize = 500;

/// Tokens being polled in this process, by a hash of base URL and token.
static POLLING: LazyLock<Mutex<HashSet<[u8; 32]>>> = LazyLock::new(Mutex::default);

/// The right to poll one token; released when dropped.
#[derive(Debug)]
pub(super) struct Claim {
    key: [u8; 32],
}

impl Claim {
    /// `None` when another bot of this process already polls the token.
    pub fn take(base: &str, token: &str) -> Option<Self> {
        let key: [u8; 32] = Sha256::new()
            .chain_update(base.trim_end_matches('/'))
            .chain_update([0])
            .chain_update(token)
            .finalize()
            .into();
        let mut polling = POLLING.lock().unwrap_or_else(|p| p.into_inner());
        polling.insert(key).then_some(Claim { key })
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        POLLING
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.key);
    }
}

/// Polls until `stop` fires or the token is refused.
pub(super) async fn run(task: Task, _claim: Arc<Claim>) {
    let Some(me) = super::intake::whoami(&task).await else {
        return;
    };
    let decoder = Decoder {
        bot: task.shared.bot.clone(),
        self_id: Some(me),
    };
    let mut backoff = Backoff::new(task.options.backoff_min_ms, task.options.backoff_max_ms);
    let mut offset: Option<u64> = None;
    let wait = Duration::from_secs(task.options.poll_timeout_secs);
    loop {
        let mut body =
            json!({ "limit": task.options.poll_limit, "timeout": task.options.poll_timeout_secs });
        if let Some(offset) = offset {
            body["offset"] = json!(offset);
        }
        let call = task.shared.client.post_with_timeout::<Vec<Value>>(
            "getUpdates",
            &body,
            wait + task.options.request_timeout(),
        );
        let reply = tokio::select! {
            reply = call => reply,
            () = task.stop.cancelled() => return,
        };
        match reply {
            Ok(updates) => {
                let (next, complete) = accept_all(&task, &decoder, &updates).await;
                offset = next.or(offset);
                if complete {
                    backoff.reset();
                    continue;
                }
            }
            Err(ApiError::Unauthorized { reason, .. }) => {
                tracing::error!(bot = %task.shared.bot, %reason, "fanbook refused the bot token; inbound for this bot stopped (fix the token and restart)");
                return;
            }
            Err(e) => {
                tracing::warn!(bot = %task.shared.bot, error = %e, "getUpdates failed; retrying")
            }
        }
        if !backoff.sleep(&task.stop).await {
            return;
        }
    }
}

/// Accepts the updates in order. Returns the offset past the last update that is done
/// (accepted, or skipped as malformed) and whether all of them are.
async fn accept_all(task: &Task, decoder: &Decoder, updates: &[Value]) -> (Option<u64>, bool) {
    let mut next = None;
    for raw in updates {
        let update_id = raw
            .get("update_id")
            .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()));
        match decoder.update(raw) {
            Ok(events) => {
                for event in events {
                    if !accept(task, ranked(task, event).await).await {
                        return (next, false);
                    }
                }
            }
            Err(e) => {
                let payload = redact::payload(&raw.to_string(), &[], LOG_PAYLOAD_CHARS);
                tracing::warn!(bot = %task.shared.bot, error = %e, %payload, "skipping a malformed fanbook update");
            }
        }
        if let Some(id) = update_id {
            let after = id.saturating_add(1);
            next = Some(next.map_or(after, |n: u64| n.max(after)));
        }
    }
    (next, true)
}
