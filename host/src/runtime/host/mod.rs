//! Host functions, one file per WIT interface. They validate, check the platform supports the
//! operation, and buffer effects in the call scope; nothing reaches a platform from here except
//! live queries.

mod capabilities;
mod kv;
mod log;
mod messaging;
mod moderation;

use super::bindings::types;
use super::state::HostState;
use crate::action::Action;
use crate::event::{ChatRef, Error, MessageRef};
use crate::store::MessageKey;

impl types::Host for HostState {}

/// Host calls answer `Ok(Err(e))` for the plugin's mistakes; a trap is only for host failures.
type HostResult<T> = wasmtime::Result<Result<T, Error>>;

impl HostState {
    /// Checks the platform supports the action's operation, then buffers it.
    fn buffer(&mut self, action: Action) -> Result<(), Error> {
        self.services.adapters.check_supported(action.chat(), action.operation())?;
        self.scope.push(action)
    }

    /// A message ref must name a message this host has seen or sent in that chat.
    fn check_known(&self, target: &MessageRef) -> Result<(), Error> {
        self.services.adapters.for_chat(&target.chat)?;
        if self.scope.sent(&target.chat, &target.id) {
            return Ok(());
        }
        let known = self
            .services
            .store
            .lookup_message(&message_key(&target.chat, &target.id))
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

/// The index key of a message of `chat`.
pub fn message_key(chat: &ChatRef, id: &str) -> MessageKey {
    MessageKey { bot: chat.bot.clone(), chat: chat.id.clone(), id: id.to_string() }
}

/// A storage failure as the plugin sees it.
pub(crate) fn store_failure(e: crate::store::StoreError) -> Error {
    Error::Platform(crate::event::PlatformError { code: "store".into(), message: e.to_string() })
}
