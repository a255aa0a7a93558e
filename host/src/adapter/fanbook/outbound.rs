//! Actions become Bot API calls. Id types follow the seed's tables per method: integers where
//! it says Integer (`chat_id`, `message_id`, `guild_id`, `user_id`), strings where it says
//! String (`sendReaction`, `forbidUserSpeaking`, `mentions`).

use async_trait::async_trait;
use serde_json::{json, Map, Value};

use super::compose::{self, unsupported, Body};
use super::markup::percent_encode;
use super::wire::{self, ChatMember, RoleOrId};
use super::{Fanbook, PLATFORM};
use crate::adapter::{Adapter, AdapterError, InDoubt, Receipt};
use crate::model::Action;
use crate::model::{ChatKind, ChatRef, Content, MessageRef, Operation, Outgoing, UserRef};
use crate::model::{Member, Role};

/// What works on Fanbook. Not here: `answer-callback` (no method exists) and `unmute`
/// (`forbidUserSpeaking` has no documented way back).
const CAPABILITIES: &[Operation] = &[
    Operation::Send,
    Operation::Reply,
    Operation::Edit,
    Operation::Delete,
    Operation::React,
    Operation::Pin,
    Operation::Unpin,
    Operation::AddRole,
    Operation::RemoveRole,
    Operation::Mute,
    Operation::Kick,
    Operation::GetMember,
    Operation::ListRoles,
];

#[async_trait]
impl Adapter for Fanbook {
    fn platform(&self) -> &str {
        PLATFORM
    }

    fn capabilities(&self) -> &[Operation] {
        CAPABILITIES
    }

    fn own_operations(&self) -> &'static [crate::adapter::OpSpec] {
        super::own::OPERATIONS.as_slice()
    }

    async fn call_own(
        &self,
        operation: &str,
        args: &serde_json::Value,
    ) -> Result<serde_json::Value, AdapterError> {
        self.call_named(operation, args).await
    }

    fn message_kinds(&self) -> &'static [crate::adapter::OpSpec] {
        super::kinds::KINDS
    }

    async fn deliver(&self, action: &Action) -> Result<Receipt, AdapterError> {
        match action {
            Action::Send {
                chat,
                message,
                reply_to,
                ..
            } => self.send(chat, message, reply_to.as_deref()).await,
            Action::Edit { target, message } => self.edit(target, message).await,
            Action::Delete { target } => self.target_call("deleteMessage", target, false).await,
            Action::React { target, emoji } => self.react(target, emoji).await,
            Action::Pin { target } => self.target_call("pinChatMessage", target, true).await,
            Action::Unpin { target } => self.target_call("unpinChatMessage", target, false).await,
            Action::AddRole {
                chat,
                user_id,
                role_id,
            } => self.set_role(chat, user_id, role_id, "add").await,
            Action::RemoveRole {
                chat,
                user_id,
                role_id,
            } => self.set_role(chat, user_id, role_id, "del").await,
            Action::Mute {
                chat,
                user_id,
                seconds,
            } => self.mute(chat, user_id, *seconds).await,
            Action::Kick { chat, user_id } => self.kick(chat, user_id).await,
            Action::Unmute { .. } => Err(unsupported("unmute")),
            Action::AnswerCallback { .. } => Err(unsupported("answer-callback")),
        }
    }

    async fn get_member(&self, chat: &ChatRef, user_id: &str) -> Result<Member, AdapterError> {
        let body = json!({ "chat_id": id(&chat.id, "chat id")?, "guild_id": guild(chat)?, "user_id": id(user_id, "user id")? });
        let member: ChatMember = self.call("getChatMember", &body).await?;
        let roles = member
            .roles
            .into_iter()
            .map(|r| match r {
                RoleOrId::Role(role) => role.id.to_string(),
                RoleOrId::Id(id) => id.to_string(),
            })
            .collect();
        let user = UserRef {
            id: member.user.id.to_string(),
            name: member
                .user
                .first_name
                .clone()
                .or(member.user.username.clone()),
            is_bot: member.user.is_bot,
        };
        Ok(Member {
            user,
            nickname: member.nick,
            roles,
            muted_for: None,
        })
    }

    /// Only the developer console can set commands, with the operator's user token.
    async fn register_commands(&self, commands: &[(String, String)]) -> Result<(), AdapterError> {
        let console = self.shared.console.as_ref().ok_or_else(|| {
            AdapterError::Invalid(
                "Fanbook sets a bot's commands only through the developer console: \
                 add options.console_user_token"
                    .into(),
            )
        })?;
        let bot_id = self.shared.me().await?;
        let commands: Vec<serde_json::Value> = commands
            .iter()
            .map(|(name, about)| {
                serde_json::json!({ "command": name, "description": about, "visible_level": "0" })
            })
            .collect();
        let update = serde_json::json!({ "bot_id": bot_id.to_string(), "commands": commands });
        console
            .update(update)
            .await
            .map(drop)
            .map_err(|e| AdapterError::Platform {
                code: "console".into(),
                message: e.to_string(),
            })
    }

    /// The channel's messages tell (`message/getList`).
    fn in_doubt(&self) -> InDoubt {
        InDoubt::Reconciled
    }

    async fn find_sent(&self, send: &Action) -> Result<Option<Vec<String>>, AdapterError> {
        self.find_sent_message(send).await
    }

    async fn list_roles(&self, chat: &ChatRef) -> Result<Vec<Role>, AdapterError> {
        let roles = super::standing::guild_roles(&self.shared.client, guild(chat)?).await?;
        Ok(roles
            .into_iter()
            .map(|r| Role {
                id: r.id.to_string(),
                name: r.name.unwrap_or_default(),
            })
            .collect())
    }
}

impl Fanbook {
    pub(super) async fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        body: &Value,
    ) -> Result<T, AdapterError> {
        Ok(self.shared.client.post(method, body).await?)
    }

    /// `sendMessage`, or `sendPhoto` for an image.
    async fn send(
        &self,
        chat: &ChatRef,
        message: &Outgoing,
        reply_to: Option<&str>,
    ) -> Result<Receipt, AdapterError> {
        let (method, mut fields) = match compose::body(message)? {
            Body::Text(fields) => ("sendMessage", fields),
            Body::Photo(fields) => ("sendPhoto", fields),
        };
        fields.insert("chat_id".into(), json!(self.chat_id(chat).await?));
        if let Some(reply_to) = reply_to {
            fields.insert(
                "reply_to_message_id".into(),
                json!(id(reply_to, "reply-to message id")?),
            );
        }
        let sent: wire::MessageRef = self.call(method, &Value::Object(fields)).await?;
        Ok(Receipt {
            message_id: Some(sent.message_id.to_string()),
        })
    }

    /// `editMessageText`; a picture cannot be replaced, so an image edit may change only its
    /// keyboard (`editMessageReplyMarkup`).
    async fn edit(&self, target: &MessageRef, message: &Outgoing) -> Result<Receipt, AdapterError> {
        let mut fields = Map::new();
        fields.insert("chat_id".into(), json!(self.chat_id(&target.chat).await?));
        fields.insert("message_id".into(), json!(id(&target.id, "message id")?));
        let method = match (compose::body(message)?, &message.content, &message.keyboard) {
            (Body::Text(body), _, _) => {
                fields.extend(body);
                "editMessageText"
            }
            (Body::Photo(_), Content::Image(_), Some(keyboard)) => {
                fields.insert("reply_markup".into(), compose::reply_markup(keyboard)?);
                "editMessageReplyMarkup"
            }
            (Body::Photo(_), _, _) => {
                return Err(unsupported(
                    "editing a picture (only its keyboard can change)",
                ))
            }
        };
        let _: Value = self.call(method, &Value::Object(fields)).await?;
        Ok(Receipt::default())
    }

    /// `deleteMessage`, `pinChatMessage` (which also takes `channel_id`) and `unpinChatMessage`.
    async fn target_call(
        &self,
        method: &str,
        target: &MessageRef,
        with_channel: bool,
    ) -> Result<Receipt, AdapterError> {
        let chat_id = self.chat_id(&target.chat).await?;
        let mut body = json!({ "chat_id": chat_id, "message_id": id(&target.id, "message id")? });
        if with_channel {
            body["channel_id"] = json!(chat_id);
        }
        let _: Value = self.call(method, &body).await?;
        Ok(Receipt::default())
    }

    /// `sendReaction`: the reacting user is the bot; the emoji name is URL-encoded.
    async fn react(&self, target: &MessageRef, emoji: &str) -> Result<Receipt, AdapterError> {
        let me = self.shared.me().await?;
        let body = json!({
            "user_id": me.to_string(),
            "message_id": id(&target.id, "message id")?.to_string(),
            "channel_id": self.chat_id(&target.chat).await?.to_string(),
            "emoji": percent_encode(emoji_name(emoji)),
        });
        let _: Value = self.call("sendReaction", &body).await?;
        Ok(Receipt::default())
    }

    /// `v2/setMemberRoles` with `operation` `add` or `del` (the v1 method overwrites all roles).
    async fn set_role(
        &self,
        chat: &ChatRef,
        user: &str,
        role: &str,
        operation: &str,
    ) -> Result<Receipt, AdapterError> {
        let body = json!({
            "guild_id": guild(chat)?,
            "user_id": id(user, "user id")?,
            "roles": [id(role, "role id")?],
            "operation": operation,
        });
        let _: Value = self.call("v2/setMemberRoles", &body).await?;
        Ok(Receipt::default())
    }

    /// `forbidUserSpeaking`, whose ids are strings.
    async fn mute(
        &self,
        chat: &ChatRef,
        user: &str,
        seconds: u32,
    ) -> Result<Receipt, AdapterError> {
        let body = json!({
            "target_uid": id(user, "user id")?.to_string(),
            "target_guild_id": guild(chat)?.to_string(),
            "duration_in_second": seconds,
        });
        let _: Value = self.call("forbidUserSpeaking", &body).await?;
        Ok(Receipt::default())
    }

    /// `kickChatMember` from the chat's guild.
    async fn kick(&self, chat: &ChatRef, user: &str) -> Result<Receipt, AdapterError> {
        let body = json!({ "guild_id": guild(chat)?, "user_id": id(user, "user id")? });
        let _: Value = self.call("kickChatMember", &body).await?;
        Ok(Receipt::default())
    }

    /// The chat id to send to. A private chat ref that is not a known DM chat holds a user
    /// id: `getPrivateChat` gives that user's DM chat.
    pub(super) async fn chat_id(&self, chat: &ChatRef) -> Result<u64, AdapterError> {
        let chat_id = id(&chat.id, "chat id")?;
        if chat.kind != ChatKind::Private {
            return Ok(chat_id);
        }
        if let Some(known) = self.shared.chats.resolve(chat_id) {
            return Ok(known);
        }
        let dm: wire::Chat = self
            .call("getPrivateChat", &json!({ "user_id": chat_id }))
            .await?;
        self.shared.chats.note_user(chat_id, dm.id.0);
        Ok(dm.id.0)
    }
}

/// Parses a decimal id; anything else is the caller's mistake.
pub(super) fn id(text: &str, what: &str) -> Result<u64, AdapterError> {
    text.trim()
        .parse()
        .map_err(|_| AdapterError::Invalid(format!("`{text}` is not a Fanbook {what}")))
}

/// The chat's guild id; DMs have none, so guild operations are invalid there.
pub(super) fn guild(chat: &ChatRef) -> Result<u64, AdapterError> {
    let guild = chat.guild.as_deref().ok_or_else(|| {
        AdapterError::Invalid(format!(
            "chat `{}` belongs to no guild; this needs a guild chat",
            chat.id
        ))
    })?;
    id(guild, "guild id")
}

/// Fanbook reacts with named emoji (`赞`, `爱心`, …); a few common Unicode emoji map to
/// their names, anything else is sent as given.
fn emoji_name(emoji: &str) -> &str {
    match emoji.trim() {
        "👍" => "赞",
        "👏" => "鼓掌",
        "❤️" | "❤" => "爱心",
        "🎉" => "庆祝",
        "🙂" | "😊" => "微笑",
        "👌" => "好的",
        other => other,
    }
}
