//! Long-poll updates and gateway frames become neutral `Inbound` events.
//!
//! Dedupe keys: a chat message, reaction or join notice is keyed by its message id
//! (`msg:<id>`), the same whether it came by long poll or gateway; an edit by its update id;
//! a button click by its callback id; a circle post by its post id. Events without any id
//! (a member quitting a guild, a circle like) cannot be deduplicated.
//!
//! Ids are 64-bit integers read exactly (`wire::Id`); a payload holding an id that is no such
//! integer (`1e3`, `1000.0`, beyond 2^64 − 1), in its fields or in its content document, is an
//! error naming the field (`ids`), never rounded into another id or read as plain text.

use serde::Deserialize;
use serde_json::Value;

use super::ids::{describe_bad_id, name_bad_id};
use super::markup::{self, percent_decode};
use super::wire::{self, CallbackQuery, Document, Frame, Id, Notice, Push, User};
use super::PLATFORM;
use crate::model::{
    message_or_command, Callback, ChatKind, ChatRef, Content, Event, Inbound, Media, MemberChange,
    Message, MessageRef, OtherEvent, Rank, Reaction, UserRef,
};

/// The channel type of a private (DM) chat.
const PRIVATE_CHANNEL_TYPE: u64 = 3;
/// Keys of a Bot API `Message` that carry a non-chat event; they become `Event::Other`.
const OTHER_MESSAGE_KINDS: &[&str] = &[
    "pinned_message",
    "rich_text",
    "circle_post",
    "circle_comment",
    "circle_like",
    "topic_share",
    "circle_share_entity",
    "interaction_message_card_operation",
    "chat_members_online",
    "chat_members_offline",
    "question",
    "answer",
    "question_reaction",
    "answer_like",
];

/// Turns payloads of one bot into events.
#[derive(Debug, Clone)]
pub(super) struct Decoder {
    pub bot: String,
    /// The bot's own user id: its own messages are not handed to plugins.
    pub self_id: Option<u64>,
}

/// The parts of a chat message both transports share.
struct Posted {
    chat: ChatRef,
    message_id: Id,
    sender: UserRef,
    /// The content document (JSON text) or plain text.
    content: String,
    mentions: Vec<String>,
    reply_to: Option<String>,
    sent_at: u64,
}

impl Decoder {
    /// One update of a `getUpdates` reply. `Err` when it does not have the documented shape.
    pub fn update(&self, raw: &Value) -> Result<Vec<Inbound>, String> {
        self.read_update(raw).map_err(|e| name_bad_id(e, raw))
    }

    fn read_update(&self, raw: &Value) -> Result<Vec<Inbound>, String> {
        let update_id: Id = field(raw, "update_id")?;
        for (key, edited) in [
            ("message", false),
            ("channel_post", false),
            ("edited_message", true),
            ("edited_channel_post", true),
        ] {
            if let Some(message) = raw.get(key).filter(|v| !v.is_null()) {
                return self.message_update(update_id, message, edited);
            }
        }
        if let Some(query) = raw.get("callback_query").filter(|v| !v.is_null()) {
            let query: CallbackQuery = serde_json::from_value(query.clone())
                .map_err(|e| format!("callback_query: {e}"))?;
            return Ok(vec![self.callback(query)]);
        }
        let kind = raw
            .as_object()
            .and_then(|o| {
                o.iter()
                    .find(|(k, v)| *k != "update_id" && !v.is_null())
                    .map(|(k, _)| k.clone())
            })
            .unwrap_or_else(|| "update".into());
        let event = Event::Other(OtherEvent {
            chat: None,
            kind,
            raw: raw.to_string(),
        });
        Ok(vec![
            self.inbound(Some(format!("update:{update_id}")), event)
        ])
    }

    fn message_update(
        &self,
        update_id: Id,
        raw: &Value,
        edited: bool,
    ) -> Result<Vec<Inbound>, String> {
        let m: wire::Message =
            serde_json::from_value(raw.clone()).map_err(|e| format!("message: {e}"))?;
        if self.is_self(m.from.as_ref().map(|u| u.id)) {
            return Ok(Vec::new());
        }
        let chat = self.chat_of(&m.chat);
        let key = format!("msg:{}", m.message_id);
        let joined = m
            .new_join_members
            .as_ref()
            .or(m.new_chat_members.as_ref())
            .filter(|v| !v.is_empty());
        if let Some(users) = joined {
            let one = users.len() == 1;
            return Ok(users
                .iter()
                .map(|u| {
                    let key = if one {
                        key.clone()
                    } else {
                        format!("{key}:{}", u.id)
                    };
                    self.inbound(
                        Some(key),
                        Event::MemberJoined(MemberChange {
                            chat: chat.clone(),
                            user: user_ref(u),
                        }),
                    )
                })
                .collect());
        }
        if let Some(user) = &m.left_chat_member {
            let event = Event::MemberLeft(MemberChange {
                chat,
                user: user_ref(user),
            });
            return Ok(vec![self.inbound(Some(key), event)]);
        }
        let sender = m
            .from
            .as_ref()
            .map(user_ref)
            .unwrap_or_else(|| unknown_user(None));
        if let Some(r) = &m.reaction {
            let target_chat = r
                .reaction_to_message
                .chat
                .as_ref()
                .map(|c| self.chat_of(c))
                .unwrap_or_else(|| chat.clone());
            let event = Event::Reaction(Reaction {
                message: MessageRef {
                    chat: target_chat,
                    id: r.reaction_to_message.message_id.to_string(),
                },
                user: sender,
                emoji: percent_decode(r.emoji.as_deref().unwrap_or_default()),
                added: r.action.as_deref().is_none_or(|a| a == "add"),
            });
            return Ok(vec![self.inbound(Some(key), event)]);
        }
        let Some(text) = m.text.clone() else {
            let kind = OTHER_MESSAGE_KINDS
                .iter()
                .find(|k| raw.get(**k).is_some_and(|v| !v.is_null()))
                .map_or("message", |k| *k);
            let event = Event::Other(OtherEvent {
                chat: Some(chat),
                kind: kind.into(),
                raw: raw.to_string(),
            });
            return Ok(vec![self.inbound(Some(key), event)]);
        };
        let posted = Posted {
            chat,
            message_id: m.message_id,
            sender,
            content: text,
            mentions: Vec::new(),
            reply_to: m
                .reply_to_message
                .as_ref()
                .map(|r| r.message_id.to_string()),
            sent_at: m.date.unwrap_or_default(),
        };
        let key = if edited {
            format!("update:{update_id}")
        } else {
            key
        };
        Ok(vec![self.inbound(Some(key), self.posted(posted, edited)?)])
    }

    fn callback(&self, q: CallbackQuery) -> Inbound {
        let message = q.message.as_ref().map(|m| MessageRef {
            chat: self.chat_of(&m.chat),
            id: m.message_id.to_string(),
        });
        let chat = message.as_ref().map(|m| m.chat.clone()).unwrap_or_else(|| {
            let id = q.chat_instance.clone().unwrap_or_default();
            self.chat_ref(ChatKind::Group, id, None)
        });
        let key = format!("callback:{}", q.id);
        let event = Event::Callback(Callback {
            id: q.id,
            chat,
            user: user_ref(&q.from),
            message,
            data: q.data.unwrap_or_default(),
        });
        self.inbound(Some(key), event)
    }

    /// One gateway text frame. `Ok(None)` for frames that carry no event (heartbeat replies).
    pub fn frame(&self, text: &str) -> Result<Option<Inbound>, String> {
        let frame: Frame = serde_json::from_str(text).map_err(|e| format!("not a frame: {e}"))?;
        let Some(action) = frame.action else {
            return match frame.kind {
                Some(_) => Ok(None),
                None => Err("a frame without `action`".into()),
            };
        };
        let data = &frame.data;
        let named = |e: String| name_bad_id(e, data);
        match action.as_str() {
            "pong" | "ping" | "connect" | "ack" => Ok(None),
            "push" => self.push(data).map_err(named),
            "guildNotice" => self.guild_notice(data).map(Some).map_err(named),
            "circle" | "circleEnter" => self.circle(data).map(Some).map_err(named),
            other => {
                let event = Event::Other(OtherEvent {
                    chat: None,
                    kind: other.to_string(),
                    raw: frame.data.to_string(),
                });
                Ok(Some(self.inbound(None, event)))
            }
        }
    }

    fn push(&self, data: &Value) -> Result<Option<Inbound>, String> {
        let p: Push = serde_json::from_value(data.clone()).map_err(|e| format!("push: {e}"))?;
        if self.is_self(Some(p.user_id)) {
            return Ok(None);
        }
        let kind = if p.channel_type == Some(PRIVATE_CHANNEL_TYPE) {
            ChatKind::Private
        } else {
            ChatKind::Group
        };
        let chat = self.chat_ref(kind, p.channel_id.to_string(), guild(p.guild_id));
        let sender = UserRef {
            id: p.user_id.to_string(),
            name: p.author.as_ref().and_then(|a| a.nickname.clone()),
            is_bot: p.author.as_ref().and_then(|a| a.bot).unwrap_or(false),
        };
        let posted = Posted {
            chat,
            message_id: p.message_id,
            sender,
            content: p.content,
            mentions: p
                .mentions
                .unwrap_or_default()
                .into_iter()
                .map(|m| m.user_id.to_string())
                .collect(),
            reply_to: p.quote_l2.or(p.quote_l1).map(|id| id.to_string()),
            sent_at: p.time.unwrap_or_default(),
        };
        let key = format!("msg:{}", posted.message_id);
        Ok(Some(self.inbound(Some(key), self.posted(posted, false)?)))
    }

    fn guild_notice(&self, data: &Value) -> Result<Inbound, String> {
        let n: Notice =
            serde_json::from_value(data.clone()).map_err(|e| format!("guildNotice: {e}"))?;
        let method = n.method.clone().unwrap_or_default();
        match (method.as_str(), n.guild_id, n.user_id) {
            ("userQuit", Some(guild_id), Some(user_id)) => {
                // A guild notice names no channel: the chat is the guild itself.
                let chat = self.chat_ref(
                    ChatKind::Group,
                    guild_id.to_string(),
                    Some(guild_id.to_string()),
                );
                let event = Event::MemberLeft(MemberChange {
                    chat,
                    user: unknown_user(Some(user_id)),
                });
                Ok(self.inbound(None, event))
            }
            ("userQuit", _, _) => Err("guildNotice userQuit without guild_id or user_id".into()),
            _ => {
                let chat = n
                    .guild_id
                    .map(|g| self.chat_ref(ChatKind::Group, g.to_string(), Some(g.to_string())));
                let kind = format!("guildNotice.{method}");
                Ok(self.inbound(
                    None,
                    Event::Other(OtherEvent {
                        chat,
                        kind,
                        raw: data.to_string(),
                    }),
                ))
            }
        }
    }

    /// Circle (forum) events have no neutral form: `Event::Other` with kind `circle.<what>`.
    fn circle(&self, data: &Value) -> Result<Inbound, String> {
        let n: Notice = serde_json::from_value(data.clone()).map_err(|e| format!("circle: {e}"))?;
        let records: Option<Notice> = n
            .records
            .clone()
            .and_then(|r| serde_json::from_value(r).ok());
        let channel = n.channel_id.or(records.as_ref().and_then(|r| r.channel_id));
        let guild_id = n.guild_id.or(records.as_ref().and_then(|r| r.guild_id));
        let post = n.post_id.or(records.as_ref().and_then(|r| r.post_id));
        let what = n
            .circle_type
            .clone()
            .or(n.method.clone())
            .unwrap_or_else(|| "event".into());
        let chat = channel.map(|c| self.chat_ref(ChatKind::Group, c.to_string(), guild(guild_id)));
        let key = (what == "post_add")
            .then_some(post)
            .flatten()
            .map(|p| format!("circle-post:{p}"));
        let event = Event::Other(OtherEvent {
            chat,
            kind: format!("circle.{what}"),
            raw: data.to_string(),
        });
        Ok(self.inbound(key, event))
    }

    /// A chat message's content document becomes a message, command, reaction or join.
    fn posted(&self, p: Posted, edited: bool) -> Result<Event, String> {
        let doc = document(&p.content)?;
        let kind = doc
            .as_ref()
            .and_then(|d| d.kind.clone())
            .unwrap_or_default();
        Ok(match (kind.as_str(), doc) {
            ("reaction", Some(d)) if d.id.is_some() => Event::Reaction(Reaction {
                message: MessageRef {
                    chat: p.chat,
                    id: d.id.map(|i| i.to_string()).unwrap_or_default(),
                },
                user: p.sender,
                emoji: percent_decode(d.emoji.and_then(|e| e.name).as_deref().unwrap_or_default()),
                added: d.action.as_deref().is_none_or(|a| a == "add"),
            }),
            ("newJoin", Some(d)) => {
                let mut user = p.sender;
                if let Some(id) = d.user_id {
                    user.id = id.to_string();
                }
                Event::MemberJoined(MemberChange { chat: p.chat, user })
            }
            (_, doc) => {
                let (content, mut mentions) = content_of(&p.content, doc);
                for m in p.mentions {
                    if !mentions.contains(&m) {
                        mentions.push(m);
                    }
                }
                let message = Message {
                    id: MessageRef {
                        chat: p.chat,
                        id: p.message_id.to_string(),
                    },
                    sender: p.sender,
                    content,
                    mentions,
                    reply_to: p.reply_to,
                    sent_at: p.sent_at,
                };
                if edited {
                    Event::MessageEdited(message)
                } else {
                    message_or_command(message)
                }
            }
        })
    }

    fn is_self(&self, id: Option<Id>) -> bool {
        matches!((self.self_id, id), (Some(me), Some(id)) if me == id.0)
    }

    fn chat_of(&self, chat: &wire::Chat) -> ChatRef {
        let private = chat.kind.as_deref() == Some("private")
            || chat.channel_type == Some(PRIVATE_CHANNEL_TYPE);
        let kind = if private {
            ChatKind::Private
        } else {
            ChatKind::Group
        };
        self.chat_ref(kind, chat.id.to_string(), guild(chat.guild_id))
    }

    fn chat_ref(&self, kind: ChatKind, id: String, guild: Option<String>) -> ChatRef {
        ChatRef {
            platform: PLATFORM.into(),
            bot: self.bot.clone(),
            kind,
            id,
            guild,
        }
    }

    /// The sender's rank is looked up afterwards (`standing`): updates do not carry it.
    fn inbound(&self, dedupe_key: Option<String>, event: Event) -> Inbound {
        Inbound::received(self.bot.clone(), dedupe_key, event, Rank::Unknown)
    }
}

/// A message's content document; `None` for plain text. A document that does not read because
/// an id in it is no 64-bit id is an error, not plain text (a reaction would become a message).
fn document(content: &str) -> Result<Option<Document>, String> {
    let Ok(value @ Value::Object(_)) = serde_json::from_str::<Value>(content) else {
        return Ok(None);
    };
    match Document::deserialize(&value) {
        Ok(doc) => Ok(Some(doc)),
        Err(e) => match describe_bad_id(&value) {
            Some(culprit) => Err(format!("content document: {culprit}: {e}")),
            None => Ok(None),
        },
    }
}

/// The neutral content of a content document, and the users its text mentions.
fn content_of(raw: &str, doc: Option<Document>) -> (Content, Vec<String>) {
    let Some(doc) = doc else {
        let n = markup::normalise(raw);
        return (Content::Text(n.text), n.mentions);
    };
    let media = |url: Option<String>, name: Option<String>| Media {
        url: url.unwrap_or_default(),
        name,
        size: None,
    };
    match doc.kind.as_deref().unwrap_or_default() {
        "text" => {
            let n = markup::normalise(doc.text.as_deref().unwrap_or_default());
            (Content::Text(n.text), n.mentions)
        }
        "image" => (Content::Image(media(doc.url, None)), Vec::new()),
        "video" => (Content::Video(media(doc.url, doc.video_name)), Vec::new()),
        "voice" => (Content::Audio(media(doc.url, None)), Vec::new()),
        "richText" => {
            let body = markup::delta_text(doc.document.as_deref().unwrap_or_default());
            let n = markup::normalise(&body);
            let text = match doc.title.as_deref().filter(|t| !t.is_empty()) {
                Some(title) => format!("**{title}**\n\n{}", n.text),
                None => n.text,
            };
            (Content::Markdown(text), n.mentions)
        }
        other => (
            Content::Other((other.to_string(), raw.to_string())),
            Vec::new(),
        ),
    }
}

fn guild(id: Option<Id>) -> Option<String> {
    id.filter(|g| g.0 != 0).map(|g| g.to_string())
}

fn user_ref(u: &User) -> UserRef {
    UserRef {
        id: u.id.to_string(),
        name: u.first_name.clone().or(u.username.clone()),
        is_bot: u.is_bot,
    }
}

fn unknown_user(id: Option<Id>) -> UserRef {
    UserRef {
        id: id.map(|i| i.to_string()).unwrap_or_default(),
        name: None,
        is_bot: false,
    }
}

fn field<T: serde::de::DeserializeOwned>(raw: &Value, name: &str) -> Result<T, String> {
    let value = raw.get(name).ok_or_else(|| format!("no `{name}`"))?;
    serde_json::from_value(value.clone()).map_err(|e| format!("`{name}`: {e}"))
}

#[cfg(test)]
mod hostile;
