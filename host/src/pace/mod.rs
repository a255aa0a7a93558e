//! Pacing: how fast the daemon may go and how long it waits after a failure. Rate limits for
//! the platforms' APIs and a bot's outbox (`window`), for a plugin's actions (`bucket`), and
//! the backoff of every retry (`backoff`).

pub mod backoff;
pub mod bucket;
pub mod window;

pub use backoff::Backoff;
pub use bucket::RateLimits;
pub use window::{RateLimiter, SharedLimit};
