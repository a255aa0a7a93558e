//! The operator's config: how many messages in how long, and how long the mute lasts.

use serde::Deserialize;

/// `{"max_messages": 5, "window_seconds": 10, "mute_seconds": 60}`; every key is optional.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Config {
    /// More messages than this within the window is flooding.
    pub max_messages: u32,
    /// The sliding window's length.
    pub window_seconds: u32,
    /// How long a flooder is muted.
    pub mute_seconds: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_messages: 5,
            window_seconds: 10,
            mute_seconds: 60,
        }
    }
}

impl Config {
    /// Rejects limits that would mute on every message or never expire.
    pub fn validated(self) -> Result<Self, String> {
        if self.max_messages == 0 {
            return Err("max_messages must be at least 1".to_owned());
        }
        if self.window_seconds == 0 {
            return Err("window_seconds must be at least 1".to_owned());
        }
        if self.mute_seconds == 0 {
            return Err("mute_seconds must be at least 1".to_owned());
        }
        Ok(self)
    }

    pub fn window_ms(&self) -> u64 {
        u64::from(self.window_seconds) * 1000
    }

    pub fn mute_ms(&self) -> u64 {
        u64::from(self.mute_seconds) * 1000
    }
}
