//! The built-in `sim` platform: a local web chat where one person can be many users in many
//! chats. Its JSON API is what the tests drive; its outbound side applies actions to the sim's
//! world and records them. The world is kept in a log under the daemon's data dir, so it
//! survives a restart as a real platform's would (see `persist`).

mod api;
mod live;
mod outbound;
mod persist;
mod world;

use std::path::Path;
use std::sync::{Arc, Mutex};

pub use api::routes;
use world::World;

use crate::journal::Ingress;

/// The platform name of the sim.
pub const PLATFORM: &str = "sim";

/// One sim bot: its world is shared by its HTTP API and its adapter.
#[derive(Clone)]
pub struct Sim {
    bot: String,
    world: Arc<Mutex<World>>,
    ingress: Ingress,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim").field("bot", &self.bot).finish()
    }
}

impl Sim {
    /// The sim bot `bot`, with the world it had when the daemon last ran on `data_dir`.
    pub fn new(bot: &str, ingress: Ingress, data_dir: &Path) -> std::io::Result<Self> {
        let world = World::open(&log_path(data_dir, bot))?;
        Ok(Self {
            bot: bot.to_string(),
            world: Arc::new(Mutex::new(world)),
            ingress,
        })
    }

    fn world(&self) -> std::sync::MutexGuard<'_, World> {
        // A panic while holding the lock cannot leave the world half-changed in a way that
        // matters more than stopping the sim would, so a poisoned lock is used as it is.
        self.world
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// `data_dir/sim-<bot>.jsonl`, with anything but letters, digits, `-`, `_` and `.` in the bot's
/// name replaced, so a name can never point outside the data dir.
fn log_path(data_dir: &Path, bot: &str) -> std::path::PathBuf {
    let safe: String = bot
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    data_dir.join(format!("sim-{safe}.jsonl"))
}

/// Milliseconds since the Unix epoch.
fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
