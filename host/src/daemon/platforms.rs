//! The runtime's `Platforms`, answered by the configured adapters.

use std::sync::Arc;

use async_trait::async_trait;

use crate::adapter::{Adapter, Adapters};
use crate::model::{AdapterError, ChatRef, Error, FanbookExtras, Member, OpSpec, Operation, Role};
use crate::runtime::Platforms;

#[async_trait]
impl Platforms for Adapters {
    fn capabilities(&self, platform: &str) -> Vec<Operation> {
        self.capabilities_of(platform)
    }

    fn platform_of(&self, bot: &str) -> Option<String> {
        self.get(bot).map(|adapter| adapter.platform().to_owned())
    }

    fn check(&self, chat: &ChatRef, operation: Option<Operation>) -> Result<(), Error> {
        match operation {
            Some(operation) => self.check_supported(chat, operation).map(drop),
            None => self.for_chat(chat).map(drop),
        }
    }

    async fn get_member(&self, chat: &ChatRef, user_id: &str) -> Result<Member, AdapterError> {
        self.adapter_of(chat)?.get_member(chat, user_id).await
    }

    async fn list_roles(&self, chat: &ChatRef) -> Result<Vec<Role>, AdapterError> {
        self.adapter_of(chat)?.list_roles(chat).await
    }

    fn fanbook(&self, chat: &ChatRef) -> Result<Option<Arc<dyn FanbookExtras>>, Error> {
        self.for_chat(chat)?;
        Ok(self.fanbook_of(&chat.bot))
    }

    fn own_operations(&self, bot: &str) -> &'static [OpSpec] {
        self.get(bot)
            .map_or(&[], |adapter| adapter.own_operations())
    }

    fn message_kinds(&self, bot: &str) -> &'static [OpSpec] {
        self.get(bot).map_or(&[], |adapter| adapter.message_kinds())
    }

    async fn call_own(
        &self,
        chat: &ChatRef,
        operation: &str,
        args: &serde_json::Value,
    ) -> Result<serde_json::Value, AdapterError> {
        self.adapter_of(chat)?.call_own(operation, args).await
    }
}

impl Adapters {
    /// The chat's adapter, for a live query already checked with `Platforms::check`.
    fn adapter_of(&self, chat: &ChatRef) -> Result<Arc<dyn Adapter>, AdapterError> {
        self.get(&chat.bot)
            .cloned()
            .ok_or_else(|| AdapterError::NotFound(format!("bot `{}`", chat.bot)))
    }
}
