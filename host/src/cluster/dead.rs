//! Dead letters in cluster mode: an action its bot's holder gave up on is kept in a shared kv
//! bucket (mirrored on every node), so `wasmbot deadletters` and the console on any node list,
//! retry and drop the same letters. A retry puts the action back into the outbox stream.

use std::sync::Arc;

use async_nats::jetstream::{message::PublishMessage, Context};

use super::kv::KvMirror;
use super::names;
use super::outbox::Queued;
use super::publish::unavailable;
use crate::store::{ActionId, DeadLetter, StoreError};

/// The cluster's dead letters, by bot and id (the action's outbox stream position).
pub struct DeadLetters {
    rows: Arc<KvMirror>,
    js: Context,
    partitions: u32,
}

impl std::fmt::Debug for DeadLetters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeadLetters").finish_non_exhaustive()
    }
}

impl DeadLetters {
    pub fn new(rows: Arc<KvMirror>, js: Context, partitions: u32) -> Self {
        Self {
            rows,
            js,
            partitions,
        }
    }

    /// Keeps a letter.
    pub async fn keep(&self, letter: &DeadLetter) -> Result<(), StoreError> {
        let row = serde_json::to_vec(letter)
            .map_err(|e| StoreError::Backend(format!("cannot encode a dead letter: {e}")))?;
        let bot = letter.action.chat().bot.clone();
        self.rows
            .write(&bot, &[(letter.id.to_string(), Some(row))])
            .await
    }

    /// Up to `max` letters, oldest first.
    pub fn list(&self, max: usize) -> Vec<DeadLetter> {
        let mut letters = Vec::new();
        self.rows.each(|_, _, row| {
            if let Ok(letter) = serde_json::from_slice::<DeadLetter>(row) {
                letters.push(letter);
            }
        });
        letters.sort_by_key(|l| l.id);
        letters.truncate(max);
        letters
    }

    fn find(&self, id: ActionId) -> Option<DeadLetter> {
        self.list(usize::MAX).into_iter().find(|l| l.id == id)
    }

    /// Puts a letter's action back into the outbox stream, then forgets the letter.
    pub async fn retry(&self, id: ActionId) -> Result<bool, StoreError> {
        let Some(letter) = self.find(id) else {
            return Ok(false);
        };
        let chat = letter.action.chat();
        let partition = names::partition_of_key(&chat.lane_key(), self.partitions);
        let subject = names::outbox_subject(
            &chat.bot,
            partition,
            &format!("retry{id}"),
            &letter.plugin,
            0,
        );
        let queued = Queued {
            plugin: letter.plugin.clone(),
            action: letter.action.clone(),
        };
        let payload = serde_json::to_vec(&queued)
            .map_err(|e| StoreError::Backend(format!("cannot encode an action: {e}")))?;
        let message = PublishMessage::build()
            .payload(payload.into())
            .message_id(&subject);
        self.js
            .send_publish(subject, message)
            .await
            .map_err(|e| unavailable("cannot queue the action again", e))?
            .await
            .map_err(|e| unavailable("the outbox did not acknowledge the action", e))?;
        self.forget(&letter).await?;
        Ok(true)
    }

    /// Forgets a letter; `false` if there is none.
    pub async fn drop_letter(&self, id: ActionId) -> Result<bool, StoreError> {
        let Some(letter) = self.find(id) else {
            return Ok(false);
        };
        self.forget(&letter).await?;
        Ok(true)
    }

    async fn forget(&self, letter: &DeadLetter) -> Result<(), StoreError> {
        let bot = letter.action.chat().bot.clone();
        self.rows
            .write(&bot, &[(letter.id.to_string(), None)])
            .await
    }
}

/// Runs `work` to its end from a blocking facet method (the admin API's), on the daemon's
/// multi-thread runtime.
pub fn wait_for<T>(
    work: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    let handle = tokio::runtime::Handle::try_current()
        .ok()
        .filter(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread)
        .ok_or_else(|| StoreError::Backend("cluster mode needs a multi-thread runtime".into()))?;
    tokio::task::block_in_place(|| handle.block_on(work))
}
