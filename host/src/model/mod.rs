//! The platform-neutral model every layer shares: events, actions, messages, members, errors,
//! and what plugins declare (manifests, command help).
//!
//! The model *is* the types generated from `wit/` (in [`wit`], the crate's one `bindgen!`),
//! with serde derived so the journal and outbox store them as they are, and no conversion
//! anywhere. The alternative, plain Rust types converted at the runtime boundary, would write
//! the model twice (WIT and Rust) and copy every event at least once more per plugin call:
//! measured with `cargo bench -p wasmbot --bench dispatch` (`envelope-copy`), that copy alone
//! is 0.17 µs, 8 % of the whole 2.0 µs plugin call. The generated types carry no wasmtime
//! state, so adapters, store and outbox use them without depending on the runtime.

mod action;
mod event;
mod platform;
mod standing;
pub mod wit;

pub use action::{Action, CallbackAnswer};
pub use event::*;
pub use platform::{AdapterError, FanbookExtras, OpSpec};
pub use standing::{rank_by_name, Audience, CommandAudience, Rank, Standing};
pub use wit::wasmbot::bot0_1_0::help::{ArgumentHelp, CommandHelp, PluginHelp};
pub use wit::wasmbot::bot0_1_0::moderation::{Member, Role};
pub use wit::{Manifest, Subscriptions};
