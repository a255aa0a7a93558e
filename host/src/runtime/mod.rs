//! The Wasm side of the host: the engine, the generated bindings, the host functions plugins
//! import, and plugin instances with their limits.

pub mod bindings;
mod deadline;
mod directory;
mod engine;
mod host;
mod instance;
mod pending;
mod rate;
mod state;
mod threads;

pub use directory::PluginDirectory;
pub use engine::{CompileError, Engine};
pub use host::message_key;
pub use instance::{CallError, PluginInstance};
pub use pending::PendingWrites;
pub use state::{CallScope, HostServices, HostState};
pub use threads::PluginThreads;
