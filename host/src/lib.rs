//! wasmbot: a chat-bot host. It owns every connection to the chat platforms a bot lives on and
//! runs the bot's logic as sandboxed WebAssembly components (plugins).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod adapter;
pub mod admin;
#[cfg(test)]
mod architecture;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod daemon;
pub mod journal;
pub mod logs;
pub mod metrics;
pub mod model;
pub mod outbox;
pub mod pace;
pub mod plugin;
pub mod router;
pub mod runtime;
pub mod scenario;
pub mod store;
#[cfg(test)]
mod test_fixtures;
pub mod timer;
