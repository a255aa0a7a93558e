//! The [`Plugin`] trait: one method per event kind, every method with a default.

use serde_json::Value;

use crate::model::{
    Callback, Command, Envelope, Event, Manifest, MemberChange, Message, MessageDeleted,
    OtherEvent, Reaction,
};
use crate::Error;

/// A wasmbot plugin. Implement the methods you need and export the type with
/// [`export_plugin!`](crate::export_plugin).
///
/// The host keeps one long-lived instance per plugin, so state kept in `self` lasts from event
/// to event (until the plugin is reloaded or its instance is recycled after a trap: keep what
/// must survive in [`kv`](crate::kv), or hand it over with [`save_state`](Plugin::save_state)).
/// The instance is created with [`Default`] the first time the host calls in.
///
/// Handlers return `Result<(), Error>`: `?` works on every SDK call. An `Err` fails the event:
/// none of the messages, moderation actions or kv writes made while handling it take effect, and
/// the host logs the error.
#[allow(unused_variables)]
pub trait Plugin: Default {
    /// Who the plugin is and which events it wants. Empty name, version or description are
    /// filled from the crate's `Cargo.toml`; an empty subscription list means "every".
    fn manifest(&self) -> Manifest {
        Manifest::new()
    }

    /// Called once per instance before any event, with the operator's JSON config (`{}` when
    /// there is none). An `Err` keeps the plugin (or the new version of it) from starting.
    fn init(&mut self, config: Value) -> Result<(), String> {
        Ok(())
    }

    /// Called for every event. The default dispatches to the `on_*` method of its kind; override
    /// it to see the envelope (its `id` is stable across replays) or to handle all kinds in one place.
    fn on_event(&mut self, envelope: Envelope) -> Result<(), Error> {
        dispatch(self, envelope.event)
    }

    /// A message, including other plugins' commands when subscribed to the `message` kind.
    fn on_message(&mut self, message: Message) -> Result<(), Error> {
        Ok(())
    }

    /// A command this plugin subscribed to with [`Manifest::command`].
    fn on_command(&mut self, command: Command) -> Result<(), Error> {
        Ok(())
    }

    /// A click on a callback button (answer it with [`Callback::answer`]).
    fn on_callback(&mut self, callback: Callback) -> Result<(), Error> {
        Ok(())
    }

    /// Someone joined a chat.
    fn on_member_joined(&mut self, change: MemberChange) -> Result<(), Error> {
        Ok(())
    }

    /// Someone left (or was removed from) a chat.
    fn on_member_left(&mut self, change: MemberChange) -> Result<(), Error> {
        Ok(())
    }

    /// A reaction was added to or taken from a message.
    fn on_reaction(&mut self, reaction: Reaction) -> Result<(), Error> {
        Ok(())
    }

    /// A message was edited; it carries the new content.
    fn on_message_edited(&mut self, message: Message) -> Result<(), Error> {
        Ok(())
    }

    /// A message was deleted.
    fn on_message_deleted(&mut self, deleted: MessageDeleted) -> Result<(), Error> {
        Ok(())
    }

    /// A user followed (added, subscribed to) the bot.
    fn on_bot_followed(&mut self, change: MemberChange) -> Result<(), Error> {
        Ok(())
    }

    /// A user unfollowed the bot.
    fn on_bot_unfollowed(&mut self, change: MemberChange) -> Result<(), Error> {
        Ok(())
    }

    /// A platform event the model does not cover: its own kind and raw JSON.
    fn on_other(&mut self, event: OtherEvent) -> Result<(), Error> {
        Ok(())
    }

    /// Called on the old version during a hot reload; the bytes go to the new version's
    /// [`restore_state`](Plugin::restore_state). `None` (the default) hands nothing over.
    fn save_state(&self) -> Option<Vec<u8>> {
        None
    }

    /// Receives what the previous version's [`save_state`](Plugin::save_state) returned.
    /// Bytes from an older, incompatible version should be ignored, not panicked on.
    fn restore_state(&mut self, state: Vec<u8>) {}
}

/// Calls the `on_*` method of `plugin` that matches the event's kind: the default
/// [`Plugin::on_event`], for overrides that still want the per-kind methods.
pub fn dispatch<P: Plugin>(plugin: &mut P, event: Event) -> Result<(), Error> {
    match event {
        Event::Message(message) => plugin.on_message(message),
        Event::Command(command) => plugin.on_command(command),
        Event::Callback(callback) => plugin.on_callback(callback),
        Event::MemberJoined(change) => plugin.on_member_joined(change),
        Event::MemberLeft(change) => plugin.on_member_left(change),
        Event::Reaction(reaction) => plugin.on_reaction(reaction),
        Event::MessageEdited(message) => plugin.on_message_edited(message),
        Event::MessageDeleted(deleted) => plugin.on_message_deleted(deleted),
        Event::BotFollowed(change) => plugin.on_bot_followed(change),
        Event::BotUnfollowed(change) => plugin.on_bot_unfollowed(change),
        Event::Other(other) => plugin.on_other(other),
    }
}
