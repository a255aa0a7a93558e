//! Host functions, one file per WIT interface. They validate, check the platform supports the
//! operation, and buffer effects in the call scope; nothing reaches a platform from here except
//! live queries.

mod capabilities;
mod fanbook;
mod help;
mod kv;
mod log;
mod messaging;
mod moderation;
mod platform;
#[cfg(test)]
mod tests;
mod timers;

use super::state::is_own_handle;
use super::state::HostState;
use crate::model::wit::types;
use crate::model::Action;
use crate::model::{ChatRef, Error, MessageRef, Operation};
use crate::store::MessageKey;

impl types::Host for HostState {}
impl crate::model::wit::wasmbot::bot0_2_0::types::Host for HostState {}

/// Host calls answer `Ok(Err(e))` for the plugin's mistakes; a trap is only for host failures.
type HostResult<T> = wasmtime::Result<Result<T, Error>>;

impl HostState {
    /// Checks the grants, the platform's support and the plugin's rate, then buffers the action.
    fn buffer(&mut self, action: Action) -> Result<(), Error> {
        self.check_granted(action.operation(), action.chat())?;
        if let Action::Edit { target, .. } | Action::Delete { target } = &action {
            self.check_own(action.operation(), target)?;
        }
        self.services
            .platforms
            .check(action.chat(), Some(action.operation()))?;
        if let Some(per_minute) = self.grants.actions_per_minute {
            if let Err(wait) = self.services.rates.take(&self.plugin, per_minute) {
                return Err(Error::RateLimited(
                    u32::try_from(wait.as_millis()).unwrap_or(u32::MAX),
                ));
            }
        }
        self.scope.push(action)
    }

    /// The operator's grants: the operation, the platform, and the chat (the current event's
    /// chat is always allowed; any other must be granted).
    fn check_granted(&self, operation: Operation, chat: &ChatRef) -> Result<(), Error> {
        let plugin = &self.plugin;
        if !self.grants.allows(operation) {
            return Err(Error::Denied(format!(
                "plugin `{plugin}` has no grant for `{}`: add it to [plugins.grants] operations",
                operation.name()
            )));
        }
        self.check_scope(chat)
    }

    /// The platform and the chat: the current event's chat is always allowed; any other must be
    /// granted.
    fn check_scope(&self, chat: &ChatRef) -> Result<(), Error> {
        let plugin = &self.plugin;
        if !self.grants.allows_platform(&chat.platform) {
            return Err(Error::Denied(format!(
                "plugin `{plugin}` has no grant for platform `{}`",
                chat.platform
            )));
        }
        let current = self
            .scope
            .chat
            .as_ref()
            .is_some_and(|c| c.bot == chat.bot && c.id == chat.id);
        if !current && !self.grants.allows_chat(&chat.id) {
            return Err(Error::Denied(format!(
                "plugin `{plugin}` may act only in the chat of the event it handles; grant chats = [\"{}\"] to act in `{}`",
                chat.id, chat.id
            )));
        }
        Ok(())
    }

    /// Editing or deleting a message the plugin did not send needs that operation granted.
    fn check_own(&self, operation: Operation, target: &MessageRef) -> Result<(), Error> {
        if is_own_handle(&self.plugin, &target.id) || self.grants.explicitly_allows(operation) {
            return Ok(());
        }
        let indexed = self
            .services
            .store
            .lookup_message(&MessageKey::of(&target.chat, &target.id))
            .map_err(store_failure)?;
        if indexed
            .and_then(|i| i.owner)
            .is_some_and(|owner| *owner == *self.plugin)
        {
            return Ok(());
        }
        Err(Error::Denied(format!(
            "plugin `{}` may {} only its own messages; grant `{}` to touch others'",
            self.plugin,
            operation.name(),
            operation.name()
        )))
    }

    /// A message ref must name a message this host has seen or sent in that chat: one the current
    /// event carries, one this call or an uncommitted earlier one sent, or one in the index.
    fn check_known(&self, target: &MessageRef) -> Result<(), Error> {
        self.services.platforms.check(&target.chat, None)?;
        if self.event_refs.contains(target) || self.scope.sent(&target.chat, &target.id) {
            return Ok(());
        }
        let key = MessageKey::of(&target.chat, &target.id);
        if self.scope.pending.as_ref().is_some_and(|p| p.sent(&key)) {
            return Ok(());
        }
        let known = self
            .services
            .store
            .lookup_message(&key)
            .map_err(store_failure)?;
        match known {
            Some(_) => Ok(()),
            None => Err(Error::Invalid(format!(
                "unknown message-ref `{}` in chat `{}` of bot `{}`",
                target.id, target.chat.id, target.chat.bot
            ))),
        }
    }
}

/// A storage failure as the plugin sees it.
pub(crate) fn store_failure(e: crate::store::StoreError) -> Error {
    Error::Platform(crate::model::PlatformError {
        code: "store".into(),
        message: e.to_string(),
    })
}
