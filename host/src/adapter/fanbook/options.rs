//! The `options` table of a Fanbook bot. Unknown keys are an error that names the key.

use std::time::Duration;

use serde::Deserialize;

/// The WebSocket gateway of the fact sheet (§3b).
pub const DEFAULT_GATEWAY_URL: &str = "wss://gateway-bot.fanbook.mobi/websocket";
/// The client version the official demo and SDKs announce to the gateway.
const DEFAULT_CLIENT_VERSION: &str = "1.6.60";

/// How events reach the bot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InboundMode {
    /// `getUpdates` long poll (the default).
    #[default]
    Poll,
    /// The WebSocket gateway (credential from `getMe`).
    Gateway,
}

/// Settings of one Fanbook bot, all with defaults.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    #[serde(default)]
    pub inbound: InboundMode,
    #[serde(default = "default_gateway_url")]
    pub gateway_url: String,
    /// Seconds a `getUpdates` call may wait for updates (the platform's default is 60).
    #[serde(default = "default_poll_timeout_secs")]
    pub poll_timeout_secs: u64,
    /// Updates per `getUpdates` call, 1–100.
    #[serde(default = "default_poll_limit")]
    pub poll_limit: u32,
    /// The timeout of every other request, and of connecting to the gateway.
    #[serde(default = "default_request_timeout_ms")]
    pub request_timeout_ms: u64,
    /// How often the gateway is sent `{"type":"ping"}` (the sources use 20–25 s).
    #[serde(default = "default_heartbeat_ms")]
    pub heartbeat_ms: u64,
    /// A gateway connection that sends nothing (not even a pong) for this long is replaced.
    #[serde(default = "default_gateway_idle_ms")]
    pub gateway_idle_ms: u64,
    /// The first wait after a failure; it doubles up to `backoff_max_ms`.
    #[serde(default = "default_backoff_min_ms")]
    pub backoff_min_ms: u64,
    #[serde(default = "default_backoff_max_ms")]
    pub backoff_max_ms: u64,
    /// The gateway's `dId`; default `bot<bot id>` as in the official demo.
    #[serde(default)]
    pub device_id: Option<String>,
    #[serde(default = "default_client_version")]
    pub client_version: String,
    /// A developer-console user token. Only the console can set a bot's commands (the bot
    /// token can only read them), so `register_commands = true` on a Fanbook bot needs it.
    #[serde(default)]
    pub console_user_token: Option<crate::config::Secret>,
}

impl Options {
    /// Reads and checks the table; the error text is for the operator.
    pub fn parse(table: &toml::Table) -> Result<Self, String> {
        let options: Options = toml::Value::Table(table.clone())
            .try_into()
            .map_err(|e: toml::de::Error| format!("options: {}", e.message()))?;
        options.validate()?;
        Ok(options)
    }

    fn validate(&self) -> Result<(), String> {
        if !(1..=100).contains(&self.poll_limit) {
            return Err(format!(
                "options.poll_limit: must be 1 to 100, not {}",
                self.poll_limit
            ));
        }
        if self.heartbeat_ms == 0 || self.request_timeout_ms == 0 || self.backoff_min_ms == 0 {
            return Err(
                "options: heartbeat_ms, request_timeout_ms and backoff_min_ms must be more than 0"
                    .into(),
            );
        }
        if self.backoff_max_ms < self.backoff_min_ms {
            return Err("options.backoff_max_ms: must not be less than backoff_min_ms".into());
        }
        if self.gateway_idle_ms != 0 && self.gateway_idle_ms <= self.heartbeat_ms {
            return Err(
                "options.gateway_idle_ms: must be more than heartbeat_ms (or 0 to never time out)"
                    .into(),
            );
        }
        match self.gateway_url.split_once("://") {
            Some(("ws" | "wss", _)) => Ok(()),
            _ => Err(format!(
                "options.gateway_url: `{}` is not a ws:// or wss:// URL",
                self.gateway_url
            )),
        }
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }
}

fn default_gateway_url() -> String {
    DEFAULT_GATEWAY_URL.into()
}
fn default_poll_timeout_secs() -> u64 {
    30
}
fn default_poll_limit() -> u32 {
    100
}
fn default_request_timeout_ms() -> u64 {
    10_000
}
fn default_heartbeat_ms() -> u64 {
    20_000
}
fn default_gateway_idle_ms() -> u64 {
    90_000
}
fn default_backoff_min_ms() -> u64 {
    500
}
fn default_backoff_max_ms() -> u64 {
    30_000
}
fn default_client_version() -> String {
    DEFAULT_CLIENT_VERSION.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_unknown_keys() {
        let o = Options::parse(&toml::Table::new()).unwrap();
        assert_eq!(o.inbound, InboundMode::Poll);
        assert_eq!(o.gateway_url, DEFAULT_GATEWAY_URL);
        let table: toml::Table = toml::from_str("inbound = \"gateway\"\npoll_limt = 5").unwrap();
        let e = Options::parse(&table).unwrap_err();
        assert!(e.contains("poll_limt"), "{e}");
        let table: toml::Table = toml::from_str("inbound = \"webhook\"").unwrap();
        assert!(Options::parse(&table).is_err());
        let table: toml::Table = toml::from_str("register_commands = true").unwrap();
        assert!(Options::parse(&table)
            .unwrap_err()
            .contains("register_commands"));
    }
}
