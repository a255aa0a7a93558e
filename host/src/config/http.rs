//! Outbound HTTP for plugins, as the operator configures it: which hosts a plugin may reach
//! (`[plugins.grants] http = [...]`) and how much (`[runtime.http]`, `[plugins.http]`).
//!
//! A host pattern is `HOST`, `HOST:PORT`, `*.DOMAIN` or `*.DOMAIN:PORT` (an IPv6 address in
//! brackets, `[::1]:8080`). Without a port it allows the default ports, 80 and 443; `*.DOMAIN`
//! allows every subdomain of DOMAIN, not DOMAIN itself. Only a pattern naming one exact host
//! *and* its port lets a request reach a loopback, private or otherwise special address.

use std::time::Duration;

use serde::Deserialize;

/// One parsed host pattern of `grants.http`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    /// Lower case, without brackets or a trailing dot; for a wildcard, the domain after `*.`.
    host: String,
    wildcard: bool,
    /// `None`: the default ports, 80 and 443.
    port: Option<u16>,
}

/// How a request's host and port matched a grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostMatch {
    /// No pattern allows it.
    None,
    /// A wildcard or a pattern without a port allows it: public addresses only.
    Public,
    /// A pattern naming this exact host and port allows it: any address it resolves to.
    Exact,
}

/// Ports a pattern without a port allows.
pub const DEFAULT_PORTS: [u16; 2] = [80, 443];

impl HostPattern {
    /// Parses a pattern; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.contains("://") || text.contains('/') || text.contains('?') || text.contains('@') {
            return Err("give a host (`api.example.com:8443`), not a URL".into());
        }
        let (wildcard, rest) = match text.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (host, port) = split_port(rest)?;
        let host = normalize_host(host);
        if host.parse::<std::net::IpAddr>().is_ok() {
            if wildcard {
                return Err("a wildcard cannot precede an IP address".into());
            }
        } else if !is_host_name(&host) {
            return Err(
                "not a host name (letters, digits, `-` and dots; `*.` only in front)".into(),
            );
        }
        Ok(Self {
            host,
            wildcard,
            port,
        })
    }

    /// Whether this pattern allows `host` (normalized) on `port`, and how.
    pub fn matches(&self, host: &str, port: u16) -> HostMatch {
        let port_ok = match self.port {
            Some(p) => p == port,
            None => DEFAULT_PORTS.contains(&port),
        };
        let host_ok = if self.wildcard {
            // A wildcard names DNS subdomains, never an IP address.
            host.parse::<std::net::IpAddr>().is_err()
                && host
                    .strip_suffix(self.host.as_str())
                    .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.'))
        } else {
            host == self.host
        };
        match (host_ok && port_ok, self.wildcard, self.port) {
            (false, _, _) => HostMatch::None,
            (true, false, Some(_)) => HostMatch::Exact,
            (true, _, _) => HostMatch::Public,
        }
    }
}

/// The best match of `host:port` among `patterns`.
pub fn best_match(patterns: &[HostPattern], host: &str, port: u16) -> HostMatch {
    let mut best = HostMatch::None;
    for pattern in patterns {
        match pattern.matches(host, port) {
            HostMatch::Exact => return HostMatch::Exact,
            HostMatch::Public => best = HostMatch::Public,
            HostMatch::None => {}
        }
    }
    best
}

/// A host as requests and patterns are compared: lower case, no brackets, no trailing dot.
pub fn normalize_host(host: &str) -> String {
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// `host[:port]`, with `[v6]:port` for IPv6.
fn split_port(text: &str) -> Result<(&str, Option<u16>), String> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (v6, after) = rest
            .split_once(']')
            .ok_or_else(|| "an unclosed `[`".to_string())?;
        match after.strip_prefix(':') {
            Some(port) => (v6, Some(port)),
            None if after.is_empty() => (v6, None),
            None => return Err("junk after `]`".into()),
        }
    } else {
        match text.rsplit_once(':') {
            Some((host, port)) if !host.contains(':') => (host, Some(port)),
            Some(_) => return Err("write an IPv6 address in brackets: `[::1]:8080`".into()),
            None => (text, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(0) | Err(_) => return Err(format!("`{p}` is not a port (1 to 65535)")),
            Ok(port) => Some(port),
        },
    };
    Ok((host, port))
}

fn is_host_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// `[runtime.http]` (every plugin's defaults) and `[plugins.http]` (one plugin's): unset keys
/// fall back to the runtime's, then to the built-in defaults.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpLimitsConfig {
    /// The whole request, from resolving the host to the last byte of the answer.
    pub timeout_ms: Option<u64>,
    /// Bytes of one response body.
    pub max_response_bytes: Option<u64>,
    /// Requests of the plugin (all its instances) waiting for their answer at once.
    pub max_in_flight: Option<u32>,
    /// Requests of the plugin (all its instances) per minute.
    pub requests_per_minute: Option<u32>,
}

/// The effective HTTP limits of one plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    pub timeout: Duration,
    pub max_response_bytes: u64,
    pub max_in_flight: u32,
    pub requests_per_minute: u32,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            max_response_bytes: 4 * 1024 * 1024,
            max_in_flight: 8,
            requests_per_minute: 600,
        }
    }
}

impl HttpLimits {
    /// `plugin`'s settings over `runtime`'s over the defaults.
    pub fn resolve(runtime: &HttpLimitsConfig, plugin: Option<&HttpLimitsConfig>) -> Self {
        let default = Self::default();
        let pick = |get: fn(&HttpLimitsConfig) -> Option<u64>, fallback: u64| {
            plugin.and_then(get).or(get(runtime)).unwrap_or(fallback)
        };
        let pick32 = |get: fn(&HttpLimitsConfig) -> Option<u32>, fallback: u32| {
            plugin.and_then(get).or(get(runtime)).unwrap_or(fallback)
        };
        Self {
            timeout: Duration::from_millis(pick(
                |c| c.timeout_ms,
                u64::try_from(default.timeout.as_millis()).unwrap_or(u64::MAX),
            )),
            max_response_bytes: pick(|c| c.max_response_bytes, default.max_response_bytes),
            max_in_flight: pick32(|c| c.max_in_flight, default.max_in_flight),
            requests_per_minute: pick32(|c| c.requests_per_minute, default.requests_per_minute),
        }
    }

    /// The problems of a `[… .http]` table, each prefixed with `at`.
    pub fn problems(config: &HttpLimitsConfig, at: &str) -> Vec<String> {
        let zero = [
            ("timeout_ms", config.timeout_ms == Some(0)),
            ("max_in_flight", config.max_in_flight == Some(0)),
            ("requests_per_minute", config.requests_per_minute == Some(0)),
        ];
        zero.iter()
            .filter(|(_, is_zero)| *is_zero)
            .map(|(key, _)| format!("{at}.{key}: must be more than 0"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(text: &str) -> HostPattern {
        HostPattern::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn hosts_without_a_port_allow_80_and_443_for_public_addresses() {
        let p = pattern("API.example.com");
        assert_eq!(p.matches("api.example.com", 443), HostMatch::Public);
        assert_eq!(p.matches("api.example.com", 80), HostMatch::Public);
        assert_eq!(p.matches("api.example.com", 8080), HostMatch::None);
        assert_eq!(p.matches("x.api.example.com", 443), HostMatch::None);
    }

    #[test]
    fn an_exact_host_and_port_is_exact() {
        let p = pattern("127.0.0.1:8080");
        assert_eq!(p.matches("127.0.0.1", 8080), HostMatch::Exact);
        assert_eq!(p.matches("127.0.0.1", 8081), HostMatch::None);
        assert_eq!(
            pattern("[::1]:9000").matches(&normalize_host("[::1]"), 9000),
            HostMatch::Exact
        );
        assert_eq!(
            pattern("127.0.0.1").matches("127.0.0.1", 80),
            HostMatch::Public
        );
    }

    #[test]
    fn wildcards_match_subdomains_only_and_never_exactly() {
        let p = pattern("*.example.org:8443");
        assert_eq!(p.matches("a.example.org", 8443), HostMatch::Public);
        assert_eq!(p.matches("a.b.example.org", 8443), HostMatch::Public);
        assert_eq!(p.matches("example.org", 8443), HostMatch::None);
        assert_eq!(p.matches("badexample.org", 8443), HostMatch::None);
        assert_eq!(p.matches("a.example.org", 443), HostMatch::None);
        assert_eq!(
            pattern("*.0.0.1:80").matches("127.0.0.1", 80),
            HostMatch::None
        );
        let both = [pattern("*.example.org:8443"), pattern("a.example.org:8443")];
        assert_eq!(best_match(&both, "a.example.org", 8443), HostMatch::Exact);
    }

    #[test]
    fn bad_patterns_say_why() {
        for bad in [
            "https://api.example.com",
            "api.example.com/path",
            "",
            "*",
            "*.",
            "a..b",
            "host:0",
            "host:99999",
            "host:x",
            "::1",
            "[::1",
            "*.127.0.0.1",
            "a b",
            "user@host",
        ] {
            assert!(HostPattern::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn limits_resolve_plugin_then_runtime_then_defaults() {
        let runtime = HttpLimitsConfig {
            timeout_ms: Some(2000),
            max_in_flight: Some(3),
            ..Default::default()
        };
        let plugin = HttpLimitsConfig {
            max_in_flight: Some(1),
            ..Default::default()
        };
        let limits = HttpLimits::resolve(&runtime, Some(&plugin));
        assert_eq!(limits.timeout, Duration::from_secs(2));
        assert_eq!(limits.max_in_flight, 1);
        assert_eq!(limits.max_response_bytes, 4 * 1024 * 1024);
        assert_eq!(
            HttpLimits::resolve(&Default::default(), None),
            HttpLimits::default()
        );
        let zero = HttpLimitsConfig {
            max_in_flight: Some(0),
            ..Default::default()
        };
        assert_eq!(
            HttpLimits::problems(&zero, "plugins.x.http"),
            vec!["plugins.x.http.max_in_flight: must be more than 0"]
        );
    }
}
