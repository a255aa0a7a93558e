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

/// `[cluster]`: where the NATS server is, this node's name and the partition count.
#[derive(Debug, Clone, Deserialize)]
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

/// The most partitions a stream may have: each is a consumer on every node.
pub const MAX_PARTITIONS: u32 = 1024;

fn default_partitions() -> u32 {
    64
}

impl ClusterConfig {
    /// What is wrong with these settings, each naming its key.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !self.nats_url.split(',').all(|u| is_nats_url(u.trim())) {
            problems.push(format!(
                "cluster.nats_url: `{}` is not a NATS address (nats://host:port)",
                self.nats_url
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
