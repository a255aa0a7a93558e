//! `wasmbot:bot/fanbook`: the Fanbook methods outside the common contract. Id types follow the
//! seed's tables per method (strings where it says String, integers where it says Integer);
//! replies the seed leaves undocumented are read leniently and handed on as `raw` JSON.

use async_trait::async_trait;
use reqwest::Method;
use serde_json::{json, Map, Value};

use super::outbound::{guild, id};
use super::Fanbook;
use crate::adapter::{AdapterError, FanbookExtras};
use crate::model::wit::wasmbot::bot0_1_0::fanbook::{
    Channel, ChannelEdit, CreditKind, GuildMember, Notice, Page,
};
use crate::model::ChatRef;

impl Fanbook {
    async fn call_with(
        &self,
        verb: Method,
        method: &str,
        body: &Value,
    ) -> Result<Value, AdapterError> {
        Ok(self.shared.client.send_json(verb, method, body).await?)
    }
}

#[async_trait]
impl FanbookExtras for Fanbook {
    async fn list_channels(&self, chat: &ChatRef) -> Result<Vec<Channel>, AdapterError> {
        let body = json!({ "guild_id": guild(chat)?.to_string() });
        let result: Value = self.call("channel/list", &body).await?;
        Ok(items(&result)
            .iter()
            .map(|c| Channel {
                id: text(&c["channel_id"])
                    .or_else(|| text(&c["id"]))
                    .unwrap_or_default(),
                name: text(&c["name"]).unwrap_or_default(),
                kind: c["type"]
                    .as_i64()
                    .or_else(|| text(&c["type"]).and_then(|t| t.parse().ok()))
                    .and_then(|k| i32::try_from(k).ok())
                    .unwrap_or(-1),
                parent_id: text(&c["parent_id"]).filter(|p| !p.is_empty() && p != "0"),
                topic: text(&c["topic"]),
                raw: c.to_string(),
            })
            .collect())
    }

    async fn edit_channel(
        &self,
        chat: &ChatRef,
        channel_id: &str,
        edit: &ChannelEdit,
    ) -> Result<(), AdapterError> {
        let me = self.shared.me().await?;
        let mut body = Map::new();
        body.insert(
            "channel_id".into(),
            json!(id(channel_id, "channel id")?.to_string()),
        );
        body.insert("user_id".into(), json!(me.to_string()));
        if let Some(guild_id) = chat.guild.as_deref() {
            body.insert(
                "guild_id".into(),
                json!(id(guild_id, "guild id")?.to_string()),
            );
        }
        for (key, value) in [
            ("name", &edit.name),
            ("topic", &edit.topic),
            ("parent_id", &edit.parent_id),
            ("icon", &edit.icon),
        ] {
            if let Some(value) = value {
                body.insert(key.into(), json!(value));
            }
        }
        let _: Value = self.call("channel/edit", &Value::Object(body)).await?;
        Ok(())
    }

    async fn search_members(
        &self,
        chat: &ChatRef,
        query: &str,
    ) -> Result<Vec<GuildMember>, AdapterError> {
        if query.trim().is_empty() {
            return Err(AdapterError::Invalid("the search query is empty".into()));
        }
        let body = json!({ "guild_id": guild(chat)?, "query": query });
        let result: Value = self.call("searchGuildMember", &body).await?;
        Ok(items(&result)
            .iter()
            .map(|m| {
                let user = if m["user"].is_object() { &m["user"] } else { m };
                GuildMember {
                    user_id: text(&user["id"])
                        .or_else(|| text(&user["user_id"]))
                        .unwrap_or_default(),
                    nickname: text(&m["nick"])
                        .or_else(|| text(&user["nickname"]))
                        .or_else(|| text(&user["first_name"])),
                    username: text(&user["username"]),
                    avatar: text(&user["avatar"]),
                    raw: m.to_string(),
                }
            })
            .collect())
    }

    async fn send_guild_notice(
        &self,
        chat: &ChatRef,
        user_ids: &[String],
        text_: &str,
    ) -> Result<Notice, AdapterError> {
        if user_ids.is_empty() || text_.is_empty() {
            return Err(AdapterError::Invalid(
                "a guild notice needs at least one user and some text".into(),
            ));
        }
        let users = user_ids
            .iter()
            .map(|u| id(u, "user id").map(|n| n.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        let body = json!({ "users": users, "guild_id": guild(chat)?.to_string(), "text": text_ });
        let sent: Value = self.call("guild/notification/send", &body).await?;
        Ok(Notice {
            chat_id: text(&sent["chat"]["id"]).unwrap_or_default(),
            message_id: text(&sent["message_id"]).unwrap_or_default(),
        })
    }

    async fn recall_guild_notice(
        &self,
        chat: &ChatRef,
        notice: &Notice,
    ) -> Result<(), AdapterError> {
        let body = json!({
            "chat_id": id(&notice.chat_id, "notice chat id")?.to_string(),
            "guild_id": guild(chat)?.to_string(),
            "message_id": id(&notice.message_id, "message id")?.to_string(),
        });
        let _: Value = self.call("guild/notification/recall", &body).await?;
        Ok(())
    }

    async fn get_credits(&self, chat: &ChatRef, user_id: &str) -> Result<String, AdapterError> {
        let body = json!({ "guild_id": guild(chat)?, "user_id": id(user_id, "user id")? });
        let result: Value = self.call("getGuildCredit", &body).await?;
        Ok(result.to_string())
    }

    async fn set_credit(
        &self,
        chat: &ChatRef,
        user_id: &str,
        card_id: &str,
        kind: CreditKind,
        data: &str,
    ) -> Result<(), AdapterError> {
        let data: Value = serde_json::from_str(data)
            .ok()
            .filter(Value::is_object)
            .ok_or_else(|| AdapterError::Invalid("credit data must be a JSON object".into()))?;
        let mut body = credit_body(chat, user_id, card_id)?;
        let field = match kind {
            CreditKind::Guild => "guild_credit",
            CreditKind::Game => "game_credit",
        };
        body[field] = data;
        let _: Value = self
            .call_with(Method::PUT, "v2/guild/credit", &body)
            .await?;
        Ok(())
    }

    async fn remove_credit(
        &self,
        chat: &ChatRef,
        user_id: &str,
        card_id: &str,
    ) -> Result<(), AdapterError> {
        let body = credit_body(chat, user_id, card_id)?;
        let _: Value = self
            .call_with(Method::DELETE, "v2/guild/credit", &body)
            .await?;
        Ok(())
    }

    async fn list_invites(
        &self,
        chat: &ChatRef,
        size: u32,
        cursor: Option<&str>,
    ) -> Result<Page, AdapterError> {
        let mut body =
            json!({ "guild_id": guild(chat)?.to_string(), "size": size.max(1).to_string() });
        if let Some(cursor) = cursor {
            body["list_id"] = json!(cursor);
        }
        let result: Value = self.call("invite/guildList", &body).await?;
        Ok(page(result))
    }

    async fn invite_info(&self, _chat: &ChatRef, code: &str) -> Result<String, AdapterError> {
        if code.trim().is_empty() {
            return Err(AdapterError::Invalid("the invite code is empty".into()));
        }
        let result: Value = self
            .call("invite/codeInfo", &json!({ "c": code.trim() }))
            .await?;
        Ok(result.to_string())
    }

    async fn list_circle_posts(
        &self,
        chat: &ChatRef,
        channel_id: &str,
        size: u32,
        cursor: Option<&str>,
    ) -> Result<Page, AdapterError> {
        let mut body = json!({
            "guild_id": guild(chat)?.to_string(),
            "channel_id": id(channel_id, "channel id")?.to_string(),
            "size": size.max(1).to_string(),
        });
        if let Some(cursor) = cursor {
            body["list_id"] = json!(cursor);
        }
        let result: Value = self.call("circle/postList", &body).await?;
        Ok(page(result))
    }

    async fn get_circle_post(
        &self,
        _chat: &ChatRef,
        post_id: &str,
    ) -> Result<String, AdapterError> {
        let body = json!({ "post_id": id(post_id, "post id")?.to_string() });
        let result: Value = self.call("circle/detail", &body).await?;
        Ok(result.to_string())
    }

    async fn delete_circle_post(
        &self,
        _chat: &ChatRef,
        channel_id: &str,
        post_id: &str,
        topic_id: &str,
        reason: &str,
    ) -> Result<(), AdapterError> {
        let body = json!({
            "post_id": id(post_id, "post id")?.to_string(),
            "channel_id": id(channel_id, "channel id")?.to_string(),
            "topic_id": topic_id,
            "reason": reason,
        });
        let _: Value = self
            .call_with(Method::DELETE, "v2/circle/postDelete", &body)
            .await?;
        Ok(())
    }
}

/// `v2/guild/credit`'s ids: `guild_id` and `user_id` as strings, `card_id` at least 10 bytes.
fn credit_body(chat: &ChatRef, user_id: &str, card_id: &str) -> Result<Value, AdapterError> {
    if card_id.len() < 10 {
        return Err(AdapterError::Invalid(
            "card id must be at least 10 bytes and stable (a UUID, say)".into(),
        ));
    }
    Ok(json!({
        "guild_id": guild(chat)?.to_string(),
        "user_id": id(user_id, "user id")?.to_string(),
        "card_id": card_id,
    }))
}

/// A list, or (leniently) the first list inside an object (`{list:[…]}`, `{records:[…]}`).
fn items(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        Value::Object(map) => map
            .values()
            .find_map(|v| v.as_array().cloned())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// A paged reply: the cursor is its `list_id` (or `next`), if any.
fn page(result: Value) -> Page {
    let next = text(&result["list_id"])
        .or_else(|| text(&result["next"]))
        .filter(|n| !n.is_empty());
    Page {
        next,
        raw: result.to_string(),
    }
}

/// A string or a number as text.
fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
