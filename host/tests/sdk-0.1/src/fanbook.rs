//! Fanbook's own operations: channels, member search, guild notices, medals (guild credits),
//! invite codes and circles.
//!
//! These are outside the common contract: enable the SDK's `fanbook` feature to have this
//! module (the plugin then targets the WIT world `fanbook-plugin`). The operator must grant them
//! (`[plugins.grants] interfaces = ["fanbook"]`), or every call fails with [`Error::Denied`];
//! on a bot that is not on Fanbook every call fails with [`Error::Unsupported`], so a plugin
//! using this module still loads and runs everywhere. The guild is the chat's
//! [`guild`](ChatRef::guild), the bot the chat's bot: pass the chat of the event you handle.
//!
//! Where Fanbook documents a reply loosely, the result carries the fields that can be relied on
//! and `raw`, the platform's JSON as received (parse it with [`serde_json`]).
//!
//! ```ignore
//! use wasmbot_sdk::fanbook;
//! let channels = fanbook::list_channels(&msg.chat)?;
//! ```

use crate::bindings::wasmbot::bot::fanbook as wit;
use crate::model::ChatRef;
use crate::Error;

pub use wit::{Channel, ChannelEdit, CreditKind, GuildMember, Notice, Page};

/// The channels of the chat's guild (`channel/list`).
pub fn list_channels(chat: impl AsRef<ChatRef>) -> Result<Vec<Channel>, Error> {
    Ok(wit::list_channels(chat.as_ref())?)
}

/// Changes a channel's name, topic, parent or icon as the bot (`channel/edit`); `None` fields
/// stay as they are.
pub fn edit_channel(
    chat: impl AsRef<ChatRef>,
    channel_id: &str,
    edit: &ChannelEdit,
) -> Result<(), Error> {
    Ok(wit::edit_channel(chat.as_ref(), channel_id, edit)?)
}

/// Guild members whose nickname matches `query`, fuzzily; at most 50 (`searchGuildMember`).
pub fn search_members(chat: impl AsRef<ChatRef>, query: &str) -> Result<Vec<GuildMember>, Error> {
    Ok(wit::search_members(chat.as_ref(), query)?)
}

/// Sends `text` to the users' guild notification inbox (`guild/notification/send`); keep the
/// [`Notice`] to recall it.
pub fn send_guild_notice(
    chat: impl AsRef<ChatRef>,
    user_ids: &[String],
    text: &str,
) -> Result<Notice, Error> {
    Ok(wit::send_guild_notice(chat.as_ref(), user_ids, text)?)
}

/// Recalls a guild notice (`guild/notification/recall`).
pub fn recall_guild_notice(chat: impl AsRef<ChatRef>, notice: &Notice) -> Result<(), Error> {
    Ok(wit::recall_guild_notice(chat.as_ref(), notice)?)
}

/// A user's medals in the guild, as Fanbook's JSON (`getGuildCredit`).
pub fn get_credits(chat: impl AsRef<ChatRef>, user_id: &str) -> Result<String, Error> {
    Ok(wit::get_credits(chat.as_ref(), user_id)?)
}

/// Creates or replaces a user's medal or game-record card (`PUT v2/guild/credit`). `card_id`
/// must be at least 10 bytes and stable (a UUID); `data` is the `GuildCredit` or `GameCredit`
/// JSON object.
pub fn set_credit(
    chat: impl AsRef<ChatRef>,
    user_id: &str,
    card_id: &str,
    kind: CreditKind,
    data: &serde_json::Value,
) -> Result<(), Error> {
    Ok(wit::set_credit(
        chat.as_ref(),
        user_id,
        card_id,
        kind,
        &data.to_string(),
    )?)
}

/// Removes a user's card `card_id` (`DELETE v2/guild/credit`).
pub fn remove_credit(chat: impl AsRef<ChatRef>, user_id: &str, card_id: &str) -> Result<(), Error> {
    Ok(wit::remove_credit(chat.as_ref(), user_id, card_id)?)
}

/// A page of the guild's invite codes (`invite/guildList`); pass the previous page's
/// [`Page::next`] as `cursor` for the next one.
pub fn list_invites(
    chat: impl AsRef<ChatRef>,
    size: u32,
    cursor: Option<&str>,
) -> Result<Page, Error> {
    Ok(wit::list_invites(chat.as_ref(), size, cursor)?)
}

/// An invite code's details, as Fanbook's JSON (`invite/codeInfo`).
pub fn invite_info(chat: impl AsRef<ChatRef>, code: &str) -> Result<String, Error> {
    Ok(wit::invite_info(chat.as_ref(), code)?)
}

/// A page of a circle channel's posts (`circle/postList`).
pub fn list_circle_posts(
    chat: impl AsRef<ChatRef>,
    channel_id: &str,
    size: u32,
    cursor: Option<&str>,
) -> Result<Page, Error> {
    Ok(wit::list_circle_posts(
        chat.as_ref(),
        channel_id,
        size,
        cursor,
    )?)
}

/// One circle post, as Fanbook's JSON (`circle/detail`).
pub fn get_circle_post(chat: impl AsRef<ChatRef>, post_id: &str) -> Result<String, Error> {
    Ok(wit::get_circle_post(chat.as_ref(), post_id)?)
}

/// Deletes a circle post, giving `reason` (`v2/circle/postDelete`).
pub fn delete_circle_post(
    chat: impl AsRef<ChatRef>,
    channel_id: &str,
    post_id: &str,
    topic_id: &str,
    reason: &str,
) -> Result<(), Error> {
    Ok(wit::delete_circle_post(
        chat.as_ref(),
        channel_id,
        post_id,
        topic_id,
        reason,
    )?)
}
