//! `[admin]`: who may use the admin API, the console and `/metrics`.

use serde::Deserialize;

use super::Secret;

/// The admin API's credentials and the names it answers to.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    /// The admin token. Without it the daemon generates one into `data_dir/admin-token`
    /// (mode 0600) on its first start and prints it once.
    pub token: Option<Secret>,
    /// Host names (as in the `Host` header, with or without a port) the admin API answers to
    /// besides loopback ones (`127.0.0.1`, `[::1]`, `localhost`): the names a reverse proxy or
    /// an operator's browser uses. Anything else is refused, which defeats DNS rebinding.
    pub hosts: Vec<String>,
    /// Ask for the token on every admin, console and metrics request, reads too, even on a
    /// loopback listener: for a daemon behind a reverse proxy on the same host, where every
    /// request comes from loopback. A listener that is not loopback always asks for it.
    pub require_token: bool,
}

impl AdminConfig {
    /// What is wrong with these settings, each naming its key.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(token) = &self.token {
            if token.expose().trim().len() < 16 {
                problems.push("admin.token: must be at least 16 characters".to_string());
            }
        }
        for host in &self.hosts {
            if host.is_empty() || host.contains(['/', ' ', '@']) {
                problems.push(format!(
                    "admin.hosts: `{host}` is not a host name (a name or name:port, no scheme or path)"
                ));
            }
        }
        problems
    }
}
