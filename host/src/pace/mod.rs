//! Pacing: how fast the daemon may go and how long it waits after a failure. Rate limits for
//! the platforms' APIs and a bot's outbox (`window`), for a plugin's actions (`bucket`), the
//! backoff of every retry (`backoff`), and a bot's circuit breaker for outages (`breaker`).

pub mod backoff;
pub mod breaker;
pub mod bucket;
pub mod window;

pub use backoff::Backoff;
pub use breaker::{Admission, Breaker, Circuit};
pub use bucket::RateLimits;
pub use window::{RateLimiter, SharedLimit};
