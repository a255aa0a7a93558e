//! The platform-neutral model every layer shares: events, actions, messages, members, errors,
//! and what plugins declare (manifests, command help).
//!
//! The model *is* the types generated from `wit/` (in [`wit`], the crate's one `bindgen!`),
//! with serde derived so the journal and outbox store them as they are. The alternative, plain
//! Rust types converted at the runtime boundary, would copy every event once more per plugin
//! call and write the model twice (WIT and Rust) for no gain in what the other layers can
//! express; the generated types carry no wasmtime state, so adapters, store and outbox use them
//! without depending on the runtime.

mod action;
mod event;
mod platform;
pub mod wit;

pub use action::{Action, CallbackAnswer};
pub use event::*;
pub use platform::{AdapterError, FanbookExtras};
pub use wit::wasmbot::bot::help::{ArgumentHelp, CommandHelp, PluginHelp};
pub use wit::wasmbot::bot::moderation::{Member, Role};
pub use wit::{Manifest, Subscriptions};
