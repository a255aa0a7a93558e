//! Whether a member has a role, and toggling it: from the platform when it can tell
//! (`get-member`), else from the plugin's own record in kv.

use wasmbot_sdk::prelude::*;

/// What a toggle did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Added,
    Removed,
}

impl Change {
    pub fn verb(self) -> &'static str {
        match self {
            Change::Added => "Added",
            Change::Removed => "Removed",
        }
    }
}

/// Gives the member the role if they lack it, takes it if they have it.
pub fn toggle(chat: &ChatRef, user_id: &str, role_id: &str) -> Result<Change, Error> {
    match moderation::get_member(chat, user_id) {
        Ok(member) => apply(chat, user_id, role_id, member.has_role(role_id)),
        // The platform cannot list a member's roles: rely on what this plugin gave out.
        Err(e) if e.is_unsupported() => toggle_tracked(chat, user_id, role_id),
        Err(e) => Err(e),
    }
}

/// The kv fallback: the roles this plugin gave the member, kept as a JSON list.
fn toggle_tracked(chat: &ChatRef, user_id: &str, role_id: &str) -> Result<Change, Error> {
    let key = tracking_key(chat, user_id);
    let mut roles: Vec<String> = kv::get(&key)?.unwrap_or_default();
    let had = roles.iter().any(|role| role == role_id);
    let change = apply(chat, user_id, role_id, had)?;
    match change {
        Change::Added => roles.push(role_id.to_owned()),
        Change::Removed => roles.retain(|role| role != role_id),
    }
    if roles.is_empty() {
        kv::delete(&key)?;
    } else {
        kv::set(&key, &roles)?;
    }
    Ok(change)
}

fn apply(chat: &ChatRef, user_id: &str, role_id: &str, has: bool) -> Result<Change, Error> {
    if has {
        moderation::remove_role(chat, user_id, role_id)?;
        Ok(Change::Removed)
    } else {
        moderation::add_role(chat, user_id, role_id)?;
        Ok(Change::Added)
    }
}

/// `roles:<platform>:<bot>:<chat>:<user>`.
fn tracking_key(chat: &ChatRef, user_id: &str) -> String {
    format!("roles:{}:{user_id}", chat.key())
}
