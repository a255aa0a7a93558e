//! The names the nodes of a cluster agree on: streams, subjects, buckets, consumers, and which
//! partition a chat falls in.

use sha2::{Digest, Sha256};

use crate::model::Inbound;

/// Accepted events, one subject per partition: `wasmbot.events.<p>`.
pub const EVENTS: &str = "WASMBOT_EVENTS";
/// Completion records, one per event and plugin: `wasmbot.done.<p>.<event>.<plugin>`.
pub const DONE: &str = "WASMBOT_DONE";
/// Actions waiting for delivery: `wasmbot.out.<bot>.<p>.<event>.<plugin>.<n>`.
pub const OUTBOX: &str = "WASMBOT_OUTBOX";
/// The plugins' kv data, one key per plugin and key: `<plugin>.<hex of the key>`.
pub const KV_BUCKET: &str = "wasmbot_kv";
/// The plugins' timers and schedules, one row per plugin and slot: `<plugin>.<hex of slot>`.
pub const TIMER_BUCKET: &str = "wasmbot_timers";
/// Dead letters, one row per bot and action: `<bot>.<hex of the id>`.
pub const DEAD_BUCKET: &str = "wasmbot_dead";
/// The lease of the node that fires the cluster's timers.
pub const TIMERS_LEASE: &str = "timers";
/// Leases on singletons (a bot's outbox and connection) and the nodes' presence.
pub const LEASE_BUCKET: &str = "wasmbot_leases";
/// The plugin files every node runs, one object per file name (`tally.wasm`).
pub const PLUGINS_BUCKET: &str = "wasmbot_plugins";
/// Where the stream keeps the partition count every node must agree on.
pub const PARTITIONS_KEY: &str = "wasmbot_partitions";

/// The partition of `inbound`'s chat (events without a chat: their bot's), stable across
/// nodes and versions (a hash of the ordering key, not `std`'s randomised one).
pub fn partition_of(inbound: &Inbound, partitions: u32) -> u32 {
    let key = inbound
        .event
        .chat()
        .map_or_else(|| inbound.bot.clone(), |chat| chat.lane_key());
    partition_of_key(&key, partitions)
}

/// The partition of an ordering key (`bot/chat`).
pub fn partition_of_key(key: &str, partitions: u32) -> u32 {
    let digest = Sha256::digest(key.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(first) % u64::from(partitions.max(1))) as u32
}

pub fn event_subject(partition: u32) -> String {
    format!("wasmbot.events.{partition}")
}

/// The durable consumer every node pulls partition `p` through.
pub fn partition_consumer(partition: u32) -> String {
    format!("events-{partition}")
}

/// An event's identity across the cluster: the bot and the platform's id (or the stream
/// position for events the platform gives no id), as a subject token.
pub fn event_token(bot: &str, dedupe_key: &str) -> String {
    let digest = Sha256::digest(format!("{bot}\u{0}{dedupe_key}").as_bytes());
    hex::encode(&digest[..12])
}

/// The publish-dedupe id of an accepted event.
pub fn event_msg_id(bot: &str, dedupe_key: &str) -> String {
    format!("{bot}:{dedupe_key}")
}

pub fn done_subject(partition: u32, event: &str, plugin: &str) -> String {
    format!("wasmbot.done.{partition}.{event}.{plugin}")
}

pub fn outbox_subject(bot: &str, partition: u32, event: &str, plugin: &str, n: usize) -> String {
    format!("wasmbot.out.{bot}.{partition}.{event}.{plugin}.{n}")
}

/// The filter of one bot's partition of the outbox.
pub fn outbox_filter(bot: &str, partition: u32) -> String {
    format!("wasmbot.out.{bot}.{partition}.>")
}

/// The durable consumer of one bot's partition of the outbox.
pub fn outbox_consumer(bot: &str, partition: u32) -> String {
    format!("out-{bot}-{partition}")
}

/// A plugin's kv key in the shared bucket: hex keeps any key valid and keeps prefixes.
pub fn kv_key(plugin: &str, key: &str) -> String {
    format!("{plugin}.{}", hex::encode(key.as_bytes()))
}

/// The plugin and key of a shared bucket key (`None`: not one of ours).
pub fn parse_kv_key(stored: &str) -> Option<(String, String)> {
    let (plugin, hexed) = stored.split_once('.')?;
    let key = String::from_utf8(hex::decode(hexed).ok()?).ok()?;
    Some((plugin.to_string(), key))
}

/// The lease on a bot: its outbox deliveries and its platform connection.
pub fn bot_lease(bot: &str) -> String {
    format!("bot.{bot}")
}

/// A node's presence entry, refreshed while it runs.
pub fn node_key(node: &str) -> String {
    format!("node.{node}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chat_falls_in_the_same_partition_every_time_and_partitions_spread() {
        let first = partition_of_key("yh/group-1", 64);
        assert_eq!(first, partition_of_key("yh/group-1", 64));
        let used: std::collections::BTreeSet<u32> = (0..200)
            .map(|i| partition_of_key(&format!("yh/chat-{i}"), 8))
            .collect();
        assert_eq!(used.len(), 8, "200 chats use every one of 8 partitions");
        assert!(used.iter().all(|p| *p < 8));
    }

    #[test]
    fn kv_keys_round_trip_and_keep_prefixes() {
        let stored = kv_key("notes", "user:42/π");
        assert_eq!(
            parse_kv_key(&stored),
            Some(("notes".into(), "user:42/π".into()))
        );
        assert!(stored.starts_with(&kv_key("notes", "user:4")));
        assert_eq!(parse_kv_key("junk"), None);
    }
}
