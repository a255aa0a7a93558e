//! `mode` and `[cluster]`: one process with its local store (the default), or a daemon among
//! several that share the bots' work through NATS JetStream.

use serde::Deserialize;

/// How the daemon runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// One process: the local store holds the journal, the outbox and the plugins' kv.
    #[default]
    Embedded,
    /// A node of a cluster: events, plugin kv, the outbox, leases and plugin files live in
    /// NATS JetStream (`[cluster]` says where).
    Cluster,
}

/// `[cluster]`: where the NATS server is, this node's name and the partition count. Its Debug
/// output masks credentials in the URL.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// `nats://host:port` (several, comma-separated, for a NATS cluster).
    pub nats_url: String,
    /// This daemon's name in the cluster: unique, letters, digits, `-` or `_`.
    pub node: String,
    /// How many partitions the events of all chats are spread over; a chat always falls in the
    /// same one, and each partition is handled one event at a time. Fixed for the life of the
    /// stream: every node must say the same.
    #[serde(default = "default_partitions")]
    pub partitions: u32,
}

impl std::fmt::Debug for ClusterConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterConfig")
            .field("nats_url", &self.shown_url())
            .field("node", &self.node)
            .field("partitions", &self.partitions)
            .finish()
    }
}

/// The most partitions a stream may have: each is a consumer on every node.
pub const MAX_PARTITIONS: u32 = 1024;

fn default_partitions() -> u32 {
    64
}

impl ClusterConfig {
    /// `nats_url` as logs and errors may show it: a `user:password@` or `token@` part masked.
    pub fn shown_url(&self) -> String {
        self.nats_url
            .split(',')
            .map(|url| match url.trim().rsplit_once('@') {
                Some((before, host)) => match before.split_once("://") {
                    Some((scheme, _)) => format!("{scheme}://***@{host}"),
                    None => format!("***@{host}"),
                },
                None => url.trim().to_string(),
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// What is wrong with these settings, each naming its key.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !self.nats_url.split(',').all(|u| is_nats_url(u.trim())) {
            problems.push(format!(
                "cluster.nats_url: `{}` is not a NATS address (nats://host:port)",
                self.shown_url()
            ));
        }
        if self.node.is_empty()
            || !self
                .node
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            problems.push("cluster.node: must be letters, digits, `-` or `_`".into());
        }
        if !(1..=MAX_PARTITIONS).contains(&self.partitions) {
            problems.push(format!(
                "cluster.partitions: must be from 1 to {MAX_PARTITIONS}, not {}",
                self.partitions
            ));
        }
        problems
    }
}

fn is_nats_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("nats://")
        .or_else(|| url.strip_prefix("tls://"))
        .unwrap_or(url);
    !rest.is_empty() && !rest.contains(['/', ' ']) && rest.contains(':')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_url(url: &str) -> ClusterConfig {
        ClusterConfig {
            nats_url: url.into(),
            node: "n1".into(),
            partitions: 8,
        }
    }

    #[test]
    fn credentials_in_the_url_never_show() {
        let config = with_url("nats://bot:hunter2@10.0.0.1:4222, tls://s3cr3ttoken@10.0.0.2:4222");
        let shown = config.shown_url();
        assert_eq!(shown, "nats://***@10.0.0.1:4222,tls://***@10.0.0.2:4222");
        let debug = format!("{config:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("s3cr3t"),
            "{debug}"
        );
        assert!(config.problems().is_empty(), "{:?}", config.problems());
        assert_eq!(
            with_url("nats://127.0.0.1:4222").shown_url(),
            "nats://127.0.0.1:4222"
        );
    }

    #[test]
    fn bad_settings_are_named() {
        let mut config = with_url("http://x/y");
        config.node = "a b".into();
        config.partitions = 0;
        let problems = config.problems().join("\n");
        assert!(problems.contains("cluster.nats_url"), "{problems}");
        assert!(problems.contains("cluster.node"), "{problems}");
        assert!(
            problems.contains("cluster.partitions: must be from 1 to 1024, not 0"),
            "{problems}"
        );
    }
}
