//! Biliao wants every button click answered within about 30 s. When a click is accepted a timer
//! starts; an `answer-callback` from a plugin cancels it, and if none comes in time the adapter
//! answers with an empty notice so the user's client stops waiting.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::client::BiliaoClient;
use super::wire::AnswerCallback;

/// Timers beyond this many are not started (each is a small task; the cap bounds memory).
const MAX_PENDING: usize = 10_000;

#[derive(Debug)]
pub struct AutoAnswer {
    /// How long to wait for a plugin's answer; zero turns automatic answers off.
    after: Duration,
    client: BiliaoClient,
    pending: Mutex<HashMap<String, CancellationToken>>,
    stop: CancellationToken,
}

impl AutoAnswer {
    pub fn new(after: Duration, client: BiliaoClient, stop: CancellationToken) -> Self {
        Self {
            after,
            client,
            pending: Mutex::default(),
            stop,
        }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<String, CancellationToken>> {
        // Never held across an await; a poisoned map is still a consistent map.
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts the timer of a newly accepted click.
    pub fn schedule(self: &Arc<Self>, callback_id: &str) {
        if self.after.is_zero() || callback_id.is_empty() {
            return;
        }
        let token = self.stop.child_token();
        {
            let mut pending = self.pending();
            if pending.len() >= MAX_PENDING {
                tracing::warn!(
                    callback_id,
                    "too many unanswered callbacks; this one will not be answered automatically"
                );
                return;
            }
            pending.insert(callback_id.to_string(), token.clone());
        }
        let this = Arc::clone(self);
        let id = callback_id.to_string();
        tokio::spawn(async move {
            tokio::select! {
                () = token.cancelled() => {}
                () = tokio::time::sleep(this.after) => this.answer_now(&id).await,
            }
        });
    }

    /// Stops the timer of `callback_id` (a plugin answers it); false when none was running.
    pub fn cancel(&self, callback_id: &str) -> bool {
        match self.pending().remove(callback_id) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    async fn answer_now(&self, callback_id: &str) {
        if self.pending().remove(callback_id).is_none() {
            return;
        }
        let body = AnswerCallback {
            callback_id,
            text: "",
            show_alert: false,
            url: None,
        };
        match self.client.call("answercallback", &body).await {
            Ok(_) => tracing::debug!(callback_id, "answered a callback no plugin answered"),
            Err(e) => {
                tracing::warn!(callback_id, error = %e, "cannot answer a callback automatically")
            }
        }
    }
}
