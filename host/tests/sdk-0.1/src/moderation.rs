//! Roles, mutes and kicks, plus the member and role queries.
//!
//! Changes are buffered like messaging effects; the queries ask the platform at once. A
//! platform without the operation answers [`Error::Unsupported`]: check it with
//! [`Error::is_unsupported`] to fall back (e.g. keep track in [`kv`](crate::kv)).

use crate::bindings::wasmbot::bot::moderation as wit;
use crate::model::{ChatRef, Member, Role};
use crate::Error;

/// Gives a member a role.
pub fn add_role(chat: impl AsRef<ChatRef>, user_id: &str, role_id: &str) -> Result<(), Error> {
    Ok(wit::add_role(chat.as_ref(), user_id, role_id)?)
}

/// Takes a role from a member.
pub fn remove_role(chat: impl AsRef<ChatRef>, user_id: &str, role_id: &str) -> Result<(), Error> {
    Ok(wit::remove_role(chat.as_ref(), user_id, role_id)?)
}

/// Stops a member from speaking for `seconds`.
pub fn mute(chat: impl AsRef<ChatRef>, user_id: &str, seconds: u32) -> Result<(), Error> {
    Ok(wit::mute(chat.as_ref(), user_id, seconds)?)
}

/// Lifts a mute.
pub fn unmute(chat: impl AsRef<ChatRef>, user_id: &str) -> Result<(), Error> {
    Ok(wit::unmute(chat.as_ref(), user_id)?)
}

/// Removes a member from the chat.
pub fn kick(chat: impl AsRef<ChatRef>, user_id: &str) -> Result<(), Error> {
    Ok(wit::kick(chat.as_ref(), user_id)?)
}

/// Looks a member up on the platform: nickname, role ids, remaining mute.
pub fn get_member(chat: impl AsRef<ChatRef>, user_id: &str) -> Result<Member, Error> {
    Ok(wit::get_member(chat.as_ref(), user_id)?)
}

/// The roles that exist in the chat (or its guild).
pub fn list_roles(chat: impl AsRef<ChatRef>) -> Result<Vec<Role>, Error> {
    Ok(wit::list_roles(chat.as_ref())?)
}
