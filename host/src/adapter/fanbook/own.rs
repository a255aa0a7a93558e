//! Fanbook's own operations (seed 003's method tables, fact sheet §4), by their method path:
//! each body field for field with the seed's type (a string where it says String, a number
//! where it says Integer), sent with the seed's verb (GET in the query, `message/getList` as a
//! form). Where one path takes two verbs the name carries the verb (`v2/guild/role#delete`).
//! The typed `wasmbot:bot/fanbook` interface covers some of the same methods for plugins.

use reqwest::Method;
use serde_json::{json, Value};

use super::{Fanbook, PLATFORM};
use crate::adapter::own_args::{checked, Field, Type};
use crate::adapter::webhook::lenient;
use crate::adapter::{AdapterError, OpSpec};

use Type::{Bool, Int, IntList, List, Object, Str, StrList};

/// How an operation's fields travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verb {
    Post,
    Get,
    Put,
    Patch,
    Delete,
    /// POST `application/x-www-form-urlencoded`.
    Form,
}

struct Op {
    spec: OpSpec,
    verb: Verb,
    path: &'static str,
    fields: &'static [Field],
}

macro_rules! op {
    ($name:literal, $verb:ident $http:literal $path:literal, $desc:literal, $args:literal, [$($f:expr),* $(,)?]) => {
        Op {
            spec: OpSpec { name: $name, description: $desc, args: $args, method: concat!($http, " /api/bot/{token}/", $path) },
            verb: Verb::$verb,
            path: $path,
            fields: &[$($f),*],
        }
    };
}

const fn f(name: &'static str, kind: Type) -> Field {
    Field(name, kind, true)
}
const fn opt(name: &'static str, kind: Type) -> Field {
    Field(name, kind, false)
}

static OPS: &[Op] = &[
    op!("getMyCommands", Get "GET" "getMyCommands", "The bot's commands (BotCommand array).", "{}", []),
    op!("robot/setGuildNick", Post "POST" "robot/setGuildNick", "Sets the bot's nickname in a guild (bot_id defaults to the bot).", r#"{"guild_Id": "string", "bot_id"?: "string", "nickname": "string"}"#, [f("guild_Id", Str), opt("bot_id", Str), f("nickname", Str)]),
    op!("guild", Post "POST" "guild", "A guild's details (user_id defaults to the bot).", r#"{"user_id"?: "string", "guild_id": "string"}"#, [opt("user_id", Str), f("guild_id", Str)]),
    op!("guild/emoji", Get "GET" "guild/emoji", "The guild's emoji (GuildEmoji array).", r#"{"guild_id": "string"}"#, [f("guild_id", Str)]),
    op!("getMessage", Post "POST" "getMessage", "One message of a channel.", r#"{"chat_id": int (channel id), "message_id": int}"#, [f("chat_id", Int), f("message_id", Int)]),
    op!("message/getList", Form "POST" "message/getList", "A channel's messages, newest first, before or after message_id (≤ 100).", r#"{"channel_id": "string", "size"?: "string", "message_id"?: "string", "behavior"?: "before" | "after"}"#, [f("channel_id", Str), opt("size", Str), opt("message_id", Str), opt("behavior", Str)]),
    op!("v2/quotes", Post "POST" "v2/quotes", "A thread's messages (100 a page; message_id is the previous page's last).", r#"{"channel_id": "string", "quote_id": "string", "message_id"?: "string"}"#, [f("channel_id", Str), f("quote_id", Str), opt("message_id", Str)]),
    op!("sendNotication", Post "POST" "sendNotication", "A task notice to a user (channel_type \"1\" open tasks, \"2\" done); nonce defaults to a fresh snowflake-like id.", r#"{"channel_type": "1" | "2", "to_user_id": "string", "content": "string", "nonce"?: "string"}"#, [f("channel_type", Str), f("to_user_id", Str), f("content", Str), opt("nonce", Str)]),
    op!("guild/notification/send", Post "POST" "guild/notification/send", "Sends text to users' guild notification inbox.", r#"{"users": ["string", …], "guild_id": "string", "text": "string"}"#, [f("users", StrList), f("guild_id", Str), f("text", Str)]),
    op!("guild/notification/recall", Post "POST" "guild/notification/recall", "Recalls a guild notice.", r#"{"chat_id": "string", "guild_id": "string", "message_id": "string"}"#, [f("chat_id", Str), f("guild_id", Str), f("message_id", Str)]),
    op!("interaction/message_card/click", Post "POST" "interaction/message_card/click", "Clicks a message-card slot.", r#"{"key": "string", "channel_id": "string", "message_id": "string", "user_id"?: "string"}"#, [f("key", Str), f("channel_id", Str), f("message_id", Str), opt("user_id", Str)]),
    op!("interaction/message_card/cancel_click", Post "POST" "interaction/message_card/cancel_click", "Cancels a message-card slot click.", r#"{"key": "string", "channel_id": "string", "message_id": "string", "user_id"?: "string"}"#, [f("key", Str), f("channel_id", Str), f("message_id", Str), opt("user_id", Str)]),
    op!("interaction/message_card/auto", Post "POST" "interaction/message_card/auto", "Takes a free message-card slot (max ≤ 50).", r#"{"channel_id": "string", "message_id": "string", "max": int, "user_id"?: "string"}"#, [f("channel_id", Str), f("message_id", Str), f("max", Int), opt("user_id", Str)]),
    op!("message_card/list_users", Post "POST" "message_card/list_users", "The users on a message-card slot.", r#"{"key": "string", "channel_id": "string", "message_id": "string", "user_id"?: "string"}"#, [f("key", Str), f("channel_id", Str), f("message_id", Str), opt("user_id", Str)]),
    op!("v2/guild/members", Post "POST" "v2/guild/members", "A page of the guild's member list, by ranges.", r#"{"guild_id": "string", "channel_id": "string", "user_id": "string", "ranges": [{"start": 0, "end": 99}], "transaction"?: "string"}"#, [f("guild_id", Str), f("channel_id", Str), f("user_id", Str), f("ranges", List), opt("transaction", Str)]),
    op!("getRoleMembers", Post "POST" "getRoleMembers", "Members with a role (size ≤ 500; last_id pages).", r#"{"guild_id": int, "role_id": int, "size": int, "last_id"?: int}"#, [f("guild_id", Int), f("role_id", Int), f("size", Int), opt("last_id", Int)]),
    op!("searchGuildMember", Post "POST" "searchGuildMember", "Members by nickname, fuzzily (≤ 50).", r#"{"guild_id": int, "query": "string"}"#, [f("guild_id", Int), f("query", Str)]),
    op!("searchGuildMemberByName", Post "POST" "searchGuildMemberByName", "Members by their short ids.", r#"{"guild_id": int, "username": ["string", …]}"#, [f("guild_id", Int), f("username", StrList)]),
    op!("guild/existsMember", Post "POST" "guild/existsMember", "Whether a user (default: the bot) is in the guild.", r#"{"guild_id": "string", "member_id"?: "string"}"#, [f("guild_id", Str), opt("member_id", Str)]),
    op!("v2/checkUserGuilds", Post "POST" "v2/checkUserGuilds", "Which of the guilds the user is in.", r#"{"user_id": int, "guilds": [int, …]}"#, [f("user_id", Int), f("guilds", IntList)]),
    op!("v2/guild/addUser", Post "POST" "v2/guild/addUser", "Adds a user to a guild with an invite code (needs approval).", r#"{"member_id": "string", "guild_id": "string", "c": "string"}"#, [f("member_id", Str), f("guild_id", Str), f("c", Str)]),
    op!("user/human_authentication", Get "GET" "user/human_authentication", "Whether a user passed identity verification.", r#"{"user_id": "string"}"#, [f("user_id", Str)]),
    op!("getGuildRoles", Post "POST" "getGuildRoles", "The guild's roles.", r#"{"guild_id": int, "last_id"?: int}"#, [f("guild_id", Int), opt("last_id", Int)]),
    op!("guild/role", Put "PUT" "guild/role", "Creates a role (GuildRole).", r#"{"guild_id": "string", "name": "string", "mentionable"?: bool, "hoist"?: bool, "color"?: int}"#, [f("guild_id", Str), f("name", Str), opt("mentionable", Bool), opt("hoist", Bool), opt("color", Int)]),
    op!("v2/guild/role#patch", Patch "PATCH" "v2/guild/role", "Edits a role (id = the guild id edits @everyone).", r#"{"guild_id": "string", "id": "string", "name"?: "string", "permissions": int, "mentionable"?: bool, "hoist"?: bool, "color"?: int}"#, [f("guild_id", Str), f("id", Str), opt("name", Str), f("permissions", Int), opt("mentionable", Bool), opt("hoist", Bool), opt("color", Int)]),
    op!("v2/guild/role#delete", Delete "DELETE" "v2/guild/role", "Deletes a role.", r#"{"guild_id": "string", "id": "string"}"#, [f("guild_id", Str), f("id", Str)]),
    op!("channel/list", Post "POST" "channel/list", "The guild's channels.", r#"{"guild_id": "string"}"#, [f("guild_id", Str)]),
    op!("getGuildCredit", Post "POST" "getGuildCredit", "A user's medals in the guild.", r#"{"guild_id": int, "user_id": int}"#, [f("guild_id", Int), f("user_id", Int)]),
    op!("v2/guild/credit#put", Put "PUT" "v2/guild/credit", "Creates or replaces a medal or game-record card.", r#"{"guild_id"?: int, "chat_id"?: int, "user_id": int, "card_id": "string (≥ 10 bytes)", "guild_credit"?: {…}, "game_credit"?: {…}}"#, [opt("guild_id", Int), opt("chat_id", Int), f("user_id", Int), f("card_id", Str), opt("guild_credit", Object), opt("game_credit", Object)]),
    op!("v2/guild/credit#delete", Delete "DELETE" "v2/guild/credit", "Removes a medal card.", r#"{"guild_id"?: int, "chat_id"?: int, "user_id": int, "card_id": "string"}"#, [opt("guild_id", Int), opt("chat_id", Int), f("user_id", Int), f("card_id", Str)]),
    op!("invite/guildList", Post "POST" "invite/guildList", "The guild's invite codes.", r#"{"guild_id": "string", "size": "string", "list_id"?: "string"}"#, [f("guild_id", Str), f("size", Str), opt("list_id", Str)]),
    op!("invite/codeInfo", Post "POST" "invite/codeInfo", "An invite code's details.", r#"{"c": "string"}"#, [f("c", Str)]),
    op!("v2/circle/info", Post "POST" "v2/circle/info", "The guild's circle home page.", r#"{"guild_id": int}"#, [f("guild_id", Int)]),
    op!("v2/circle/reactionList", Post "POST" "v2/circle/reactionList", "A circle post's reactions (list_id: the previous page's last reaction_id).", r#"{"post_id": "string", "list_id"?: "string", "size": int}"#, [f("post_id", Str), opt("list_id", Str), f("size", Int)]),
    op!("v2/circle/commentList", Post "POST" "v2/circle/commentList", "A circle post's comments.", r#"{"post_id": "string", "list_id"?: "string", "size": "string", "channel_id": "string", "since_id"?: int}"#, [f("post_id", Str), opt("list_id", Str), f("size", Str), f("channel_id", Str), opt("since_id", Int)]),
    op!("v2/circle/commentReplyList", Post "POST" "v2/circle/commentReplyList", "Replies to a circle comment.", r#"{"post_id": "string", "list_id"?: "string", "size": "string", "comment_id": "string"}"#, [f("post_id", Str), opt("list_id", Str), f("size", Str), f("comment_id", Str)]),
];

/// The specs of [`OPS`], for `own_operations`.
pub static OPERATIONS: std::sync::LazyLock<Vec<OpSpec>> =
    std::sync::LazyLock::new(|| OPS.iter().map(|o| o.spec).collect());

impl Fanbook {
    pub(super) async fn call_named(&self, name: &str, args: &Value) -> Result<Value, AdapterError> {
        let Some(op) = OPS.iter().find(|o| o.spec.name == name) else {
            OpSpec::find(&OPERATIONS, PLATFORM, "operation", name)?;
            return Err(AdapterError::unsupported(PLATFORM, "call-own"));
        };
        let mut body = checked(name, args, op.fields)?;
        self.fill_defaults(name, &mut body).await?;
        let client = &self.shared.client;
        let pairs = || -> Vec<(String, String)> {
            body.as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), lenient::text_of(v)))
                .collect()
        };
        let result: Value = match op.verb {
            Verb::Get => client.get_query(op.path, &pairs()).await?,
            Verb::Form => client.post_form(op.path, &pairs()).await?,
            Verb::Post => client.post(op.path, &body).await?,
            Verb::Put => client.send_json(Method::PUT, op.path, &body).await?,
            Verb::Patch => client.send_json(Method::PATCH, op.path, &body).await?,
            Verb::Delete => client.send_json(Method::DELETE, op.path, &body).await?,
        };
        Ok(result)
    }

    /// The values the seed leaves to the caller that the bot knows: its own id, a nonce.
    async fn fill_defaults(&self, name: &str, body: &mut Value) -> Result<(), AdapterError> {
        let own_id = match name {
            "robot/setGuildNick" => Some("bot_id"),
            "guild" => Some("user_id"),
            _ => None,
        };
        if let Some(field) = own_id {
            if body.get(field).is_none() {
                body[field] = json!(self.shared.me().await?.to_string());
            }
        }
        if name == "sendNotication" && body.get("nonce").is_none() {
            body["nonce"] = json!(nonce());
        }
        if name == "message/getList" {
            if let Some(b) = body.get("behavior").and_then(Value::as_str) {
                if b != "before" && b != "after" {
                    return Err(AdapterError::Invalid(format!(
                        "`message/getList`: `behavior` must be before or after, not `{b}`"
                    )));
                }
            }
        }
        if name == "sendNotication" {
            let kind = body
                .get("channel_type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if kind != "1" && kind != "2" {
                return Err(AdapterError::Invalid(format!(
                    "`sendNotication`: `channel_type` must be \"1\" or \"2\", not `{kind}`"
                )));
            }
        }
        Ok(())
    }
}

/// A local id in the shape of a snowflake: milliseconds since Fanbook's epoch-free Unix time,
/// shifted, with a process counter, so two notices never share one.
fn nonce() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(0));
    ((millis << 22) | (COUNTER.fetch_add(1, Ordering::Relaxed) & 0x3f_ffff)).to_string()
}
