//! Which daemon the admin commands talk to, and the token they show it: `--daemon` and
//! `--token`, else what `--config` (its `listen`, `data_dir` and `[admin] token`) or `--data`
//! say, else the defaults (`http://127.0.0.1:8700`, `data/admin-token`).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::config::{Config, Secret};
use crate::daemon::TOKEN_FILE;

/// Where the daemon is and how to prove the caller is its operator. Every flag is global:
/// it may come before or after the subcommand.
#[derive(Debug, Args)]
pub(in crate::cli) struct DaemonArgs {
    /// The daemon's base URL (default: from `--config`'s `listen`, else http://127.0.0.1:8700).
    #[arg(long, global = true, env = "WASMBOT_DAEMON")]
    daemon: Option<String>,
    /// The admin token (default: `[admin] token`, else the data dir's admin-token file).
    #[arg(long, global = true, env = "WASMBOT_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The daemon's config file, for its address, data dir and token.
    #[arg(long, global = true, env = "WASMBOT_CONFIG")]
    config: Option<PathBuf>,
    /// The daemon's data dir, where its admin-token file is (default: `data`).
    #[arg(long, global = true)]
    data: Option<PathBuf>,
    /// Print the API's JSON instead of tables, for scripts.
    #[arg(long, global = true)]
    pub(super) json: bool,
}

/// The resolved daemon: its base URL and the token, if one was found.
pub(super) struct Target {
    pub(super) base: String,
    pub(super) token: Option<Secret>,
}

impl Target {
    pub(super) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.trim_end_matches('/'))
    }
}

impl DaemonArgs {
    pub(super) fn resolve(&self) -> anyhow::Result<Target> {
        let config = match &self.config {
            Some(path) => Some(Config::load(path)?),
            None => None,
        };
        let base = match (&self.daemon, &config) {
            (Some(url), _) => url.clone(),
            (None, Some(config)) => format!("http://{}", connectable(config.listen)),
            (None, None) => "http://127.0.0.1:8700".to_string(),
        };
        let token = match (
            &self.token,
            config.as_ref().and_then(|c| c.admin.token.clone()),
        ) {
            (Some(token), _) => Some(Secret::new(token.trim())),
            (None, Some(token)) => Some(token),
            (None, None) => {
                let data = self
                    .data
                    .clone()
                    .or_else(|| config.map(|c| c.data_dir))
                    .unwrap_or_else(|| PathBuf::from("data"));
                let path = data.join(TOKEN_FILE);
                crate::daemon::read_token(&path)
                    .with_context(|| format!("cannot read the admin token {}", path.display()))?
            }
        };
        Ok(Target { base, token })
    }
}

/// The address to connect to for a listener on `listen` (an unspecified address: loopback).
fn connectable(listen: std::net::SocketAddr) -> std::net::SocketAddr {
    let mut addr = listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    addr
}
