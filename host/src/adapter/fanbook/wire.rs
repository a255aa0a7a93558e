//! Fanbook's JSON shapes, read leniently: ids arrive as numbers or strings (even within one
//! reply), optional fields go missing, and message content is a JSON document inside a string.
//! Nothing here leaves the `fanbook` module.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use serde_json::Value;

/// A 64-bit Fanbook id (a snowflake), read from a JSON number or a decimal string, never
/// through `f64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct Id(pub u64);

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(IdVisitor)
            .and_then(|id| id.ok_or_else(|| de::Error::custom("an empty id")))
    }
}

/// Reads an id that may be missing, `null`, `""` or `"0"`-like placeholders are kept as ids;
/// only absence, `null` and the empty string become `None`.
pub(super) fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Id>, D::Error> {
    d.deserialize_any(IdVisitor)
}

struct IdVisitor;

impl<'de> Visitor<'de> for IdVisitor {
    type Value = Option<Id>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a 64-bit id as a number or a decimal string")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(Id(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        u64::try_from(v)
            .map(|v| Some(Id(v)))
            .map_err(|_| E::custom(format!("a negative id {v}")))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let v = v.trim();
        if v.is_empty() {
            return Ok(None);
        }
        v.parse::<u64>()
            .map(|v| Some(Id(v)))
            .map_err(|_| E::custom(format!("`{v}` is not an id")))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// A number that may arrive as a string (`"67"`), as some fields of the gateway do.
pub(super) fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(opt_id(d)?.map(|id| id.0))
}

/// `{ok, result}` / `{ok:false, err_code, description}`.
#[derive(Debug, Deserialize)]
pub(super) struct Envelope {
    #[serde(default)]
    pub ok: bool,
    #[serde(default)]
    pub result: Option<Value>,
    #[serde(default)]
    pub err_code: Option<Value>,
    #[serde(default)]
    pub description: Option<String>,
}

/// A user as the Bot API describes one (`from`, `getMe`, `new_join_members`).
#[derive(Debug, Clone, Deserialize)]
pub(super) struct User {
    pub id: Id,
    #[serde(default)]
    pub is_bot: bool,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
}

/// `getMe`'s reply: the bot, and the credential of the WebSocket gateway.
#[derive(Debug, Deserialize)]
pub(super) struct Me {
    pub id: Id,
    #[serde(default)]
    pub user_token: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Chat {
    pub id: Id,
    #[serde(default, deserialize_with = "opt_id")]
    pub guild_id: Option<Id>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "opt_u64")]
    pub channel_type: Option<u64>,
}

/// A Bot API message (`message`, `channel_post`, `callback_query.message`, …).
#[derive(Debug, Clone, Deserialize)]
pub(super) struct Message {
    pub message_id: Id,
    #[serde(default, deserialize_with = "opt_u64")]
    pub date: Option<u64>,
    pub chat: Chat,
    #[serde(default)]
    pub from: Option<User>,
    /// The content document as a JSON string (or, rarely, plain text).
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub reply_to_message: Option<Box<MessageRef>>,
    #[serde(default)]
    pub new_join_members: Option<Vec<User>>,
    #[serde(default)]
    pub new_chat_members: Option<Vec<User>>,
    #[serde(default)]
    pub left_chat_member: Option<User>,
    #[serde(default)]
    pub reaction: Option<Reaction>,
}

/// Only the id of a referenced message is needed.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct MessageRef {
    pub message_id: Id,
    #[serde(default)]
    pub chat: Option<Chat>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Reaction {
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub emoji: Option<String>,
    pub reaction_to_message: MessageRef,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct CallbackQuery {
    pub id: String,
    pub from: User,
    #[serde(default)]
    pub message: Option<Message>,
    #[serde(default)]
    pub chat_instance: Option<String>,
    #[serde(default)]
    pub data: Option<String>,
}

/// A gateway frame: `{action, data, ack?, seq?}`.
#[derive(Debug, Deserialize)]
pub(super) struct Frame {
    #[serde(default)]
    pub action: Option<String>,
    /// Heartbeat frames are `{"type": "ping" | "pong"}` instead.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub data: Value,
}

/// `data` of a `push` frame: a chat message, a reaction or a join notice.
#[derive(Debug, Deserialize)]
pub(super) struct Push {
    /// The content document, a JSON string.
    pub content: String,
    #[serde(default, deserialize_with = "opt_u64")]
    pub time: Option<u64>,
    pub user_id: Id,
    pub channel_id: Id,
    pub message_id: Id,
    #[serde(default, deserialize_with = "opt_id")]
    pub guild_id: Option<Id>,
    #[serde(default, deserialize_with = "opt_u64")]
    pub channel_type: Option<u64>,
    #[serde(default, deserialize_with = "opt_id")]
    pub quote_l1: Option<Id>,
    #[serde(default, deserialize_with = "opt_id")]
    pub quote_l2: Option<Id>,
    #[serde(default)]
    pub mentions: Option<Vec<Mention>>,
    #[serde(default)]
    pub author: Option<Author>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Mention {
    pub user_id: Id,
}

#[derive(Debug, Deserialize)]
pub(super) struct Author {
    #[serde(default)]
    pub nickname: Option<String>,
    #[serde(default)]
    pub bot: Option<bool>,
}

/// `data` of `guildNotice`, `circle` and `circleEnter` frames: only the fields the model uses.
#[derive(Debug, Deserialize)]
pub(super) struct Notice {
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub circle_type: Option<String>,
    #[serde(default, deserialize_with = "opt_id")]
    pub guild_id: Option<Id>,
    #[serde(default, deserialize_with = "opt_id")]
    pub channel_id: Option<Id>,
    #[serde(default, deserialize_with = "opt_id")]
    pub user_id: Option<Id>,
    #[serde(default, deserialize_with = "opt_id")]
    pub post_id: Option<Id>,
    #[serde(default)]
    pub records: Option<Value>,
}

/// The content document carried in `text` / `content`: `{type, …}`.
#[derive(Debug, Deserialize)]
pub(super) struct Document {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default, rename = "videoName")]
    pub video_name: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    /// A rich text's body: a Quill delta as a JSON string.
    #[serde(default)]
    pub document: Option<String>,
    /// A reaction's target message.
    #[serde(default, deserialize_with = "opt_id")]
    pub id: Option<Id>,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub emoji: Option<ReactionEmoji>,
    /// A new-join notice's user.
    #[serde(default, deserialize_with = "opt_id")]
    pub user_id: Option<Id>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ReactionEmoji {
    #[serde(default)]
    pub name: Option<String>,
}

/// One operation of a Quill delta (rich text body).
#[derive(Debug, Deserialize)]
pub(super) struct DeltaOp {
    #[serde(default)]
    pub insert: Value,
}

/// `getChatMember`'s reply ([JAVA] `ChatMember`).
#[derive(Debug, Deserialize)]
pub(super) struct ChatMember {
    pub user: User,
    #[serde(default)]
    pub roles: Vec<RoleOrId>,
    /// Telegram-style `creator`, `administrator`, `member`… where the reply has it.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub nick: Option<String>,
}

/// A role given as a `GuildRole` object or as a bare id.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum RoleOrId {
    Role(GuildRole),
    Id(Id),
}

/// [JAVA] `GuildRole`.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct GuildRole {
    pub id: Id,
    #[serde(default)]
    pub name: Option<String>,
    /// The role's permission bits (Discord's layout; see `standing`).
    #[serde(default, deserialize_with = "opt_u64")]
    pub permissions: Option<u64>,
}

/// `getGuildRoles`' reply: a list, or (leniently) an object holding one.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum RoleList {
    List(Vec<GuildRole>),
    Wrapped { roles: Vec<GuildRole> },
}

impl RoleList {
    pub fn into_vec(self) -> Vec<GuildRole> {
        match self {
            RoleList::List(roles) | RoleList::Wrapped { roles } => roles,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_from_numbers_and_strings_without_loss() {
        let chat: Chat =
            serde_json::from_str(r#"{"id": 412870154013753345, "guild_id": "412870153862758401"}"#)
                .unwrap();
        assert_eq!(chat.id.to_string(), "412870154013753345");
        assert_eq!(
            chat.guild_id.map(|g| g.to_string()).as_deref(),
            Some("412870153862758401")
        );
        let chat: Chat =
            serde_json::from_str(r#"{"id": "18446744073709551615", "guild_id": ""}"#).unwrap();
        assert_eq!(chat.id.0, u64::MAX);
        assert_eq!(chat.guild_id, None);
        assert!(serde_json::from_str::<Chat>(r#"{"id": "12x"}"#).is_err());
        assert!(serde_json::from_str::<Chat>(r#"{"id": -5}"#).is_err());
        assert!(serde_json::from_str::<Chat>(r#"{"id": 1.5}"#).is_err());
    }
}
