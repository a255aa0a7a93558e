//! Write [wasmbot] plugins in Rust: implement [`Plugin`], export it with [`export_plugin!`],
//! build for `wasm32-wasip2`.
//!
//! A plugin is a WebAssembly component. The host daemon owns every platform connection and hands
//! the plugin platform-neutral events ([`Message`], [`Command`], [`Callback`], …); the plugin
//! answers through the typed helpers here ([`reply`], [`send`], [`edit`], [`moderation`],
//! [`kv`], …) and never sees a token, a socket or a platform's JSON.
//!
//! # Example
//!
//! A plugin that counts messages per chat, answers `/count`, and greets with a configurable
//! text (`{"greeting": "…"}` in the operator's config):
//!
//! ```
//! use std::collections::HashMap;
//!
//! use serde::Deserialize;
//! use wasmbot_sdk::prelude::*;
//!
//! #[derive(Default)]
//! struct Counter {
//!     config: Config,
//!     seen: HashMap<String, u64>,
//! }
//!
//! #[derive(Default, Deserialize)]
//! #[serde(default)]
//! struct Config {
//!     greeting: Option<String>,
//! }
//!
//! impl Plugin for Counter {
//!     fn manifest(&self) -> Manifest {
//!         // Name, version and description come from Cargo.toml.
//!         Manifest::new()
//!             .kinds([EventKind::Message, EventKind::MemberJoined])
//!             .command(CommandHelp::new("count", "Says how many messages this chat has seen"))
//!             .permissions([Operation::Send, Operation::Reply, Operation::Kv])
//!     }
//!
//!     fn init(&mut self, config: Value) -> Result<(), String> {
//!         self.config = wasmbot_sdk::config::parse(config)?;
//!         Ok(())
//!     }
//!
//!     fn on_message(&mut self, message: Message) -> Result<(), Error> {
//!         *self.seen.entry(message.chat().key()).or_default() += 1;
//!         Ok(())
//!     }
//!
//!     fn on_command(&mut self, command: Command) -> Result<(), Error> {
//!         let seen = self.seen.get(&command.chat().key()).copied().unwrap_or(0);
//!         // Kept in kv, so it survives restarts; the write commits with this event.
//!         let total = kv::get::<u64>("total")?.unwrap_or(0) + seen;
//!         kv::set("total", &total)?;
//!         command.reply(format!("{seen} messages here, {total} counted so far"))?;
//!         Ok(())
//!     }
//!
//!     fn on_member_joined(&mut self, change: MemberChange) -> Result<(), Error> {
//!         let greeting = self.config.greeting.as_deref().unwrap_or("Hello");
//!         let keyboard = Keyboard::new().row([Button::url("Rules", "https://example.com/rules")]);
//!         send(&change, Outgoing::text(format!("{greeting}, {}!", change.user.display_name()))
//!             .with_keyboard(keyboard))?;
//!         log::info!("greeted {}", change.user.id);
//!         Ok(())
//!     }
//! }
//!
//! wasmbot_sdk::export_plugin!(Counter);
//! # fn main() {}
//! ```
//!
//! Build it with `cargo build --target wasm32-wasip2` (crate type `cdylib`); the `.wasm` in
//! `target/wasm32-wasip2/…` is the component to drop into the daemon's plugin folder.
//!
//! # How events arrive
//!
//! * One long-lived instance per plugin lane: state in `self` lasts between events. It is
//!   created with `Default`, then [`Plugin::init`] gets the config. A plugin has one lane unless
//!   the operator sets `instances` (four by default for a plugin granted HTTP); a chat always
//!   maps to the same lane, so keep state shared across chats in [`kv`].
//! * Events of one chat arrive in order; a handler's effects (messages, moderation, kv writes)
//!   are applied only if it returns `Ok`, all together.
//! * A `command` event reaches only the plugins subscribed to that command
//!   ([`Manifest::command`]); plugins subscribed to the `message` kind see other plugins'
//!   commands as plain messages.
//! * An operation the platform lacks fails with [`Error::Unsupported`]; one the operator did not
//!   grant fails with [`Error::Denied`]. Check [`capabilities::supports`] to degrade gracefully.
//!
//! [wasmbot]: https://github.com/wasmbot/wasmbot

#[doc(hidden)]
pub mod bindings;

pub mod capabilities;
mod command;
pub mod config;
pub mod dialogue;
mod error;
mod event;
mod export;
#[cfg(feature = "fanbook")]
pub mod fanbook;
pub mod help;
pub mod http;
mod keyboard;
pub mod kv;
pub mod log;
mod manifest;
pub mod messaging;
mod model;
pub mod moderation;
mod outgoing;
#[cfg(feature = "platform")]
pub mod platform;
mod plugin;
pub mod standing;
#[cfg(test)]
mod test_support;
pub mod timers;

#[doc(hidden)]
pub use export::__private;

pub use error::Error;
pub use messaging::{answer_callback, delete, edit, pin, react, reply, send, unpin};
pub use model::*;
pub use plugin::{dispatch, Plugin};
/// Re-exported so plugins can name the config type (`serde_json::Value`) without the dependency.
pub use serde_json;
pub use standing::{standing, Audience, Rank, Standing, StandingExt};

/// Everything a plugin usually needs: `use wasmbot_sdk::prelude::*;`.
pub mod prelude {
    pub use crate::standing::{standing, Audience, Rank, Standing, StandingExt};
    pub use crate::{
        answer_callback, capabilities, delete, edit, kv, log, moderation, pin, react, reply, send,
        unpin, Button, Callback, CallbackAnswer, ChatRef, Command, CommandHelp, Content, Envelope,
        Error, Event, EventKind, Keyboard, Manifest, Member, MemberChange, Message, MessageDeleted,
        MessageRef, Operation, OtherEvent, Outgoing, Plugin, Reaction, Timer, UserRef,
    };
    pub use serde_json::Value;
}
