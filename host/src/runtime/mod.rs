//! The Wasm side of the host: the engine, the generated bindings, the host functions plugins
//! import, and plugin instances with their limits.

mod deadline;
mod directory;
mod engine;
mod exports;
mod host;
mod http;
mod instance;
mod lean;
mod link;
mod pending;
mod platforms;
mod state;
mod threads;

pub use directory::PluginDirectory;
pub use engine::{trim_heap, CompileError, Engine, Tier};
pub use exports::PluginPre;
pub use exports::World;
pub use http::STUB_URL_HEADER;
pub use instance::{CallError, Described, PluginInstance, Schedule};
pub use pending::PendingWrites;
pub use platforms::{NoPlatforms, Platforms};
pub use state::{CallScope, HostServices, HostState};
pub use threads::PluginThreads;
