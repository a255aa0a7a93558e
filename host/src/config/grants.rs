//! What the operator allows a plugin to do. Grants live in the operator's config, never in the
//! plugin: a plugin's `permissions` only say what it would like.

use serde::Deserialize;

use crate::model::Operation;

/// Operations every plugin may use without a grant: answering where the event came from.
pub const DEFAULT_OPERATIONS: &[Operation] = &[
    Operation::Send,
    Operation::Reply,
    Operation::Edit,
    Operation::Delete,
    Operation::React,
    Operation::AnswerCallback,
    Operation::GetMember,
    Operation::ListRoles,
    Operation::Kv,
];

/// `[plugins.grants]`. Without it a plugin may reply, send, react, answer callbacks, and edit or
/// delete its own messages, in the chat of the event it is handling, and use 1 MiB of kv.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grants {
    /// Operations beyond the defaults, by WIT name (`kick`, `add-role`, …), or `all`. Naming
    /// `edit` or `delete` here also allows editing or deleting messages the plugin did not send.
    #[serde(default)]
    pub operations: Vec<String>,
    /// Chat ids the plugin may act in besides the chat of the current event; `*` for any.
    #[serde(default)]
    pub chats: Vec<String>,
    /// Platforms the plugin may act on (empty: any).
    #[serde(default)]
    pub platforms: Vec<String>,
    /// Platform-specific WIT interfaces the plugin may call (`fanbook`); none by default.
    #[serde(default)]
    pub interfaces: Vec<String>,
    /// Bytes of kv data (keys and values); default 1 MiB.
    #[serde(default)]
    pub kv_quota_bytes: Option<u64>,
    /// Actions per minute across all chats; default unlimited (the per-event cap still applies).
    #[serde(default)]
    pub actions_per_minute: Option<u32>,
    /// Hosts the plugin may reach over HTTP (`api.example.com`, `*.example.org:8443`; see
    /// [`HostPattern`](super::HostPattern)); none by default.
    #[serde(default)]
    pub http: Vec<String>,
}

/// Default kv quota.
pub const DEFAULT_KV_QUOTA: u64 = 1024 * 1024;

impl Grants {
    /// Checks the operation names; returns the unknown ones.
    pub fn unknown_operations(&self) -> Vec<String> {
        self.operations
            .iter()
            .filter(|name| *name != "all" && parse_operation(name).is_none())
            .cloned()
            .collect()
    }

    /// Whether `operation` is allowed at all.
    pub fn allows(&self, operation: Operation) -> bool {
        DEFAULT_OPERATIONS.contains(&operation) || self.explicitly_allows(operation)
    }

    /// Whether the operator named `operation` (or `all`): needed to touch others' messages.
    pub fn explicitly_allows(&self, operation: Operation) -> bool {
        self.operations
            .iter()
            .any(|name| name == "all" || parse_operation(name) == Some(operation))
    }

    /// Whether the plugin may act in a chat other than the current event's.
    pub fn allows_chat(&self, chat: &str) -> bool {
        self.chats.iter().any(|c| c == "*" || c == chat)
    }

    pub fn allows_platform(&self, platform: &str) -> bool {
        self.platforms.is_empty() || self.platforms.iter().any(|p| p == platform)
    }

    /// Whether the operator granted the platform-specific interface `name`.
    pub fn allows_interface(&self, name: &str) -> bool {
        self.interfaces.iter().any(|i| i == name)
    }

    /// The `http` patterns that parse (validation reports the others).
    pub fn http_patterns(&self) -> Vec<super::HostPattern> {
        self.http
            .iter()
            .filter_map(|p| super::HostPattern::parse(p).ok())
            .collect()
    }

    /// Each `http` pattern that does not parse, with why.
    pub fn bad_http_patterns(&self) -> Vec<(String, String)> {
        self.http
            .iter()
            .filter_map(|p| {
                super::HostPattern::parse(p)
                    .err()
                    .map(|why| (p.clone(), why))
            })
            .collect()
    }

    pub fn kv_quota(&self) -> u64 {
        self.kv_quota_bytes.unwrap_or(DEFAULT_KV_QUOTA)
    }
}

/// An operation by its WIT name.
pub fn parse_operation(name: &str) -> Option<Operation> {
    ALL_OPERATIONS.iter().copied().find(|op| op.name() == name)
}

/// Every operation, in WIT order.
pub const ALL_OPERATIONS: &[Operation] = &[
    Operation::Send,
    Operation::Reply,
    Operation::Edit,
    Operation::Delete,
    Operation::React,
    Operation::AnswerCallback,
    Operation::Pin,
    Operation::Unpin,
    Operation::AddRole,
    Operation::RemoveRole,
    Operation::Mute,
    Operation::Unmute,
    Operation::Kick,
    Operation::GetMember,
    Operation::ListRoles,
    Operation::Kv,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_exclude_moderation_and_all_includes_it() {
        let none = Grants::default();
        assert!(none.allows(Operation::Reply));
        assert!(!none.allows(Operation::Kick));
        assert!(!none.explicitly_allows(Operation::Delete));
        let all = Grants {
            operations: vec!["all".into()],
            ..Grants::default()
        };
        assert!(ALL_OPERATIONS.iter().all(|op| all.allows(*op)));
        let some = Grants {
            operations: vec!["mute".into(), "frobnicate".into()],
            ..Grants::default()
        };
        assert!(some.allows(Operation::Mute) && !some.allows(Operation::Kick));
        assert_eq!(some.unknown_operations(), vec!["frobnicate"]);
    }

    #[test]
    fn interfaces_need_naming() {
        let grants: Grants = toml::from_str("interfaces = [\"fanbook\"]").unwrap();
        assert!(grants.allows_interface("fanbook"));
        assert!(!Grants::default().allows_interface("fanbook"));
    }
}
