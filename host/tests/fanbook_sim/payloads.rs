//! Builders of inbound payloads in the shapes of `tests/golden/fanbook`.

use serde_json::{json, Value};

pub const GUILD: u64 = 412870153862758400;
pub const CHANNEL: u64 = 412870154013753345;
pub const USER: u64 = 388117934290821120;
/// A member whose role has the administrator permission (see `bot_api`).
pub const ADMIN: u64 = 388117934290821121;
/// The guild's creator (see `bot_api`).
pub const OWNER: u64 = 388117934290821122;
/// A DM chat between `USER` and the bot.
pub const DM: u64 = 469188025514110976;

/// The content document of a text message, as a JSON string.
pub fn text_doc(text: &str) -> String {
    json!({ "type": "text", "text": text, "contentType": 0 }).to_string()
}

fn user(id: u64) -> Value {
    json!({ "id": id, "is_bot": false, "first_name": "阿梨", "username": "8823415" })
}

fn channel_chat() -> Value {
    // The guild id as a string and the chat id as a number: both occur.
    json!({ "id": CHANNEL, "guild_id": GUILD.to_string(), "type": "channel", "channel_type": 0 })
}

/// A `channel_post` text update (no `update_id`: the simulator assigns it).
pub fn channel_text(message_id: u64, text: &str) -> Value {
    channel_text_from(message_id, USER, text)
}

/// A `channel_post` text update from `sender`.
pub fn channel_text_from(message_id: u64, sender: u64, text: &str) -> Value {
    json!({ "channel_post": {
        "message_id": message_id, "date": 1761905100000u64, "chat": channel_chat(), "from": user(sender),
        "text": text_doc(text), "entities": [], "reply_to_message": null
    } })
}

/// A private `message` text update.
pub fn private_text(message_id: u64, text: &str) -> Value {
    json!({ "message": {
        "message_id": message_id.to_string(), "date": 1761905150000u64,
        "chat": { "id": DM, "guild_id": 0, "type": "private", "channel_type": 3 },
        "from": user(USER), "text": text_doc(text), "entities": []
    } })
}

pub fn new_join(message_id: u64, member: u64) -> Value {
    json!({ "channel_post": {
        "message_id": message_id, "date": 1761905135000u64, "chat": channel_chat(), "from": user(member),
        "new_join_members": [user(member)]
    } })
}

pub fn reaction(message_id: u64, target: u64, emoji: &str) -> Value {
    json!({ "channel_post": {
        "message_id": message_id, "date": 1761905130000u64, "chat": channel_chat(), "from": user(USER),
        "reaction": { "action": "add", "emoji": emoji, "reaction_to_message": { "message_id": target, "chat": channel_chat() } }
    } })
}

pub fn callback(id: &str, message_id: u64, data: &str) -> Value {
    json!({ "callback_query": {
        "id": id, "from": user(USER), "chat_instance": CHANNEL.to_string(), "data": data,
        "message": { "message_id": message_id, "date": 1761905155000u64, "chat": channel_chat(),
                     "from": { "id": super::BOT_ID, "is_bot": true, "first_name": "bot-sim" }, "text": text_doc("pick") }
    } })
}

/// A message kind the neutral model has no event for.
pub fn pinned(message_id: u64, target: u64) -> Value {
    json!({ "channel_post": {
        "message_id": message_id, "date": 1761905140000u64, "chat": channel_chat(), "from": user(USER),
        "pinned_message": { "message_id": target, "chat": channel_chat() }
    } })
}

/// A gateway `push` frame carrying a text message.
pub fn push_text(message_id: u64, text: &str) -> String {
    json!({ "action": "push", "data": {
        "content": text_doc(text), "time": 1761905100000u64, "user_id": USER.to_string(),
        "channel_id": CHANNEL.to_string(), "message_id": message_id.to_string(), "quote_l1": null, "quote_l2": null,
        "guild_id": GUILD.to_string(), "channel_type": 0, "status": 0, "nonce": "469231468519243777", "ctype": null,
        "member": { "nick": null, "roles": [], "guild_card": [] },
        "author": { "nickname": "阿梨", "username": "8823415", "avatar": null, "avatar_nft": null, "bot": false },
        "desc": ""
    }, "ack": -1, "seq": null })
    .to_string()
}

pub fn push_reaction(message_id: u64, target: u64, emoji: &str) -> String {
    let content = json!({ "type": "reaction", "action": "add", "id": target.to_string(),
                          "emoji": { "name": emoji, "avatar": null, "count": 1 }, "text": "" });
    json!({ "action": "push", "data": {
        "content": content.to_string(), "time": 1761905130000u64, "user_id": USER.to_string(),
        "channel_id": CHANNEL.to_string(), "message_id": message_id.to_string(), "guild_id": GUILD.to_string(), "channel_type": 0
    } })
    .to_string()
}

pub fn push_new_join(message_id: u64, member: u64) -> String {
    let content = json!({ "user_id": member.to_string(), "type": "newJoin", "message_id": message_id.to_string(), "code": "Xk3P9qLm", "index": 87 });
    json!({ "action": "push", "data": {
        "guild_id": GUILD.to_string(), "channel_id": CHANNEL.to_string(), "time": 1761905135000u64,
        "content": content.to_string(), "user_id": member.to_string(), "message_id": message_id.to_string(),
        "channel_type": 0, "msg_type": 6,
        "author": { "nickname": "新来的", "username": "9932101", "avatar": null, "avatar_nft": null, "bot": false }
    } })
    .to_string()
}

pub fn user_quit(member: u64) -> String {
    json!({ "action": "guildNotice", "data": { "method": "userQuit", "guild_id": GUILD.to_string(), "user_id": member.to_string() } })
        .to_string()
}

pub fn circle_like() -> String {
    json!({ "action": "circle", "data": {
        "method": "reaction", "channel_id": CHANNEL.to_string(), "post_id": "468990127731703808", "comment_id": "",
        "guild_id": GUILD.to_string(), "user_id": USER.to_string(), "circle_type": "post_like",
        "topic_id": "412870154202497024", "receive_id": "401223355667788990", "is_push": false, "send_id": USER.to_string()
    } })
    .to_string()
}
