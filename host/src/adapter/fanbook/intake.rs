//! What both inbound paths (long poll and gateway) share: learning who the bot is, and handing
//! events to the journal.

use super::client::ApiError;
use super::{wire, Task};
use crate::model::{ChatKind, Inbound};
use crate::pace::Backoff;

/// The bot's id, asking `getMe` until it answers (what the long poller needs first).
/// `None` when stopped or when the token is refused.
pub(super) async fn whoami(task: &Task) -> Option<u64> {
    get_me(task).await.map(|me| me.id.0)
}

/// `getMe`, retried with backoff on transient failures; a refused token is logged once.
pub(super) async fn get_me(task: &Task) -> Option<wire::Me> {
    let mut backoff = Backoff::new(task.options.backoff_min_ms, task.options.backoff_max_ms);
    loop {
        let reply = tokio::select! {
            reply = task.shared.client.get::<wire::Me>("getMe") => reply,
            () = task.stop.cancelled() => return None,
        };
        match reply {
            Ok(me) => {
                let _ = task.shared.me.set(me.id.0);
                return Some(me);
            }
            Err(ApiError::Unauthorized { reason, .. }) => {
                tracing::error!(bot = %task.shared.bot, %reason, "fanbook refused the bot token; inbound for this bot stopped (fix the token and restart)");
                return None;
            }
            Err(e) => tracing::warn!(bot = %task.shared.bot, error = %e, "getMe failed; retrying"),
        }
        if !backoff.sleep(&task.stop).await {
            return None;
        }
    }
}

/// The event with its sender's rank in the chat, looked up (see `standing`).
pub(super) async fn ranked(task: &Task, mut event: Inbound) -> Inbound {
    if let (Some(chat), Some(sender)) = (event.event.chat(), event.event.sender()) {
        event.rank = task
            .shared
            .ranks
            .rank(&task.shared.client, chat, &sender.id)
            .await;
    }
    event
}

/// Hands one event to the journal; `false` when it was not accepted (it will come again).
pub(super) async fn accept(task: &Task, event: Inbound) -> bool {
    if let Some(chat) = event.event.chat().filter(|c| c.kind == ChatKind::Private) {
        if let Ok(id) = chat.id.parse() {
            task.shared.chats.note_chat(id);
        }
    }
    match task.ingress.accept(event).await {
        Ok(_) => true,
        Err(e) => {
            tracing::warn!(bot = %task.shared.bot, error = %e, "the journal did not accept a fanbook event; it will be fetched again");
            false
        }
    }
}
