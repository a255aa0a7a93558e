//! The listen address: an IP and port, or a host name and port (`localhost:8700`), resolved
//! once at start.

use std::net::{SocketAddr, ToSocketAddrs};

use serde::{Deserialize, Deserializer};

/// `text` as an address to listen on: `127.0.0.1:8700`, `[::1]:8700`, `localhost:8700`. A
/// name is resolved now; an IPv4 answer is preferred (`localhost` is `127.0.0.1`).
pub fn resolve(text: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    if !text.contains(':') {
        return Err(format!("`{text}` has no port (write it as HOST:PORT)"));
    }
    let addrs: Vec<SocketAddr> = text
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve `{text}`: {e}"))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())
        .copied()
        .ok_or_else(|| format!("`{text}` resolves to no address"))
}

/// Reads `listen` with [`resolve`].
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<SocketAddr, D::Error> {
    let text = String::deserialize(deserializer)?;
    resolve(&text).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localhost_and_addresses_are_accepted() {
        assert_eq!(
            resolve("localhost:8700").unwrap(),
            "127.0.0.1:8700".parse().unwrap()
        );
        assert_eq!(resolve("[::1]:9").unwrap(), "[::1]:9".parse().unwrap());
        assert!(resolve("localhost").unwrap_err().contains("no port"));
    }
}
