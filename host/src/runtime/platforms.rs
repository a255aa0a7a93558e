//! What host functions ask of the platforms, behind a trait the runtime owns: the daemon wires
//! it to the adapters, so the runtime never imports them.

use std::sync::Arc;

use async_trait::async_trait;

use crate::model::{AdapterError, ChatRef, Error, FanbookExtras, Member, OpSpec, Operation, Role};

/// The configured bots, as host functions see them.
#[async_trait]
pub trait Platforms: Send + Sync {
    /// The operations of the first bot on `platform`; none when no bot uses it.
    fn capabilities(&self, platform: &str) -> Vec<Operation>;
    /// The platform of the configured bot `bot`.
    fn platform_of(&self, bot: &str) -> Option<String>;
    /// Checks that the chat's bot is configured and on the chat's platform, and that the
    /// platform supports `operation` (when given). The error says which.
    fn check(&self, chat: &ChatRef, operation: Option<Operation>) -> Result<(), Error>;
    /// A member of the chat, asked live.
    async fn get_member(&self, chat: &ChatRef, user_id: &str) -> Result<Member, AdapterError>;
    /// The roles of the chat's guild or group, asked live.
    async fn list_roles(&self, chat: &ChatRef) -> Result<Vec<Role>, AdapterError>;
    /// The Fanbook operations of the chat's bot; `None` when the bot is not on Fanbook.
    fn fanbook(&self, chat: &ChatRef) -> Result<Option<Arc<dyn FanbookExtras>>, Error>;
    /// The platform's own operations of the configured bot `bot`; none when there is no such bot.
    fn own_operations(&self, bot: &str) -> &'static [OpSpec];
    /// The message kinds the bot's platform sends as `content::other`.
    fn message_kinds(&self, bot: &str) -> &'static [OpSpec];
    /// One of the platform's own operations, through the chat's bot, at once.
    async fn call_own(
        &self,
        chat: &ChatRef,
        operation: &str,
        args: &serde_json::Value,
    ) -> Result<serde_json::Value, AdapterError>;
}

/// No platform at all: for tools that load plugins without running them (`check`, `inspect`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoPlatforms;

#[async_trait]
impl Platforms for NoPlatforms {
    fn capabilities(&self, _platform: &str) -> Vec<Operation> {
        Vec::new()
    }

    fn platform_of(&self, _bot: &str) -> Option<String> {
        None
    }

    fn check(&self, chat: &ChatRef, _operation: Option<Operation>) -> Result<(), Error> {
        Err(Error::Invalid(format!(
            "no bot named `{}` is configured",
            chat.bot
        )))
    }

    async fn get_member(&self, chat: &ChatRef, _user_id: &str) -> Result<Member, AdapterError> {
        Err(AdapterError::NotFound(format!("bot `{}`", chat.bot)))
    }

    async fn list_roles(&self, chat: &ChatRef) -> Result<Vec<Role>, AdapterError> {
        Err(AdapterError::NotFound(format!("bot `{}`", chat.bot)))
    }

    fn fanbook(&self, chat: &ChatRef) -> Result<Option<Arc<dyn FanbookExtras>>, Error> {
        self.check(chat, None).map(|()| None)
    }

    fn own_operations(&self, _bot: &str) -> &'static [OpSpec] {
        &[]
    }

    fn message_kinds(&self, _bot: &str) -> &'static [OpSpec] {
        &[]
    }

    async fn call_own(
        &self,
        chat: &ChatRef,
        _operation: &str,
        _args: &serde_json::Value,
    ) -> Result<serde_json::Value, AdapterError> {
        Err(AdapterError::NotFound(format!("bot `{}`", chat.bot)))
    }
}
