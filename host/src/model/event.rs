//! Events: the types generated from `wit/types.wit`, and what the host needs on top.

use super::standing::Rank;
pub use super::wit::types::{
    Button, ButtonAction, Callback, Card, ChatKind, ChatRef, Command, Content, Envelope, Error,
    Event, EventKind, Keyboard, Media, MemberChange, Message, MessageDeleted, MessageRef,
    Operation, OtherEvent, Outgoing, PlatformError, Reaction, UserRef,
};

/// An event an adapter hands to the daemon.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Inbound {
    /// The configured bot that received it.
    pub bot: String,
    /// The platform's own event id, used to drop duplicate deliveries. `None` when the platform
    /// gives none; such events cannot be deduplicated.
    pub dedupe_key: Option<String>,
    pub event: Event,
    /// The sender's rank in the chat, as the platform told it (`unknown` where it did not).
    #[serde(default, skip_serializing_if = "Rank::is_unknown")]
    pub rank: Rank,
    /// Set only for a timer or schedule that came due (never by an adapter): the event goes to
    /// `plugin` alone, and a 0.2 plugin gets it as a `timer` event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timer: Option<TimerFired>,
}

impl Inbound {
    /// An event an adapter received, from a sender of the given rank.
    pub fn received(bot: String, dedupe_key: Option<String>, event: Event, rank: Rank) -> Self {
        Inbound {
            bot,
            dedupe_key,
            event,
            rank,
            timer: None,
        }
    }
}

/// A timer or schedule that came due, as the journal records it. Its `Inbound::event` is an
/// `other` event of kind [`TIMER_KIND`] in the timer's chat, so it is routed and laned like
/// that chat's other events.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TimerFired {
    /// The plugin that set it (or declared the schedule): the only one that gets it.
    pub plugin: String,
    /// The timer's key, or the schedule's name.
    pub key: String,
    pub payload: String,
    /// Unix milliseconds.
    pub due_at: u64,
    /// Unix milliseconds.
    pub fired_at: u64,
    /// A schedule's firing rather than a timer's.
    pub scheduled: bool,
}

/// The `other` kind a fired timer's event carries.
pub const TIMER_KIND: &str = "timer";

impl Inbound {
    /// The journal's record of a fired timer, in `chat` when it has one. A chat-less timer
    /// names no bot.
    pub fn timer(fired: TimerFired, chat: Option<ChatRef>, dedupe_key: Option<String>) -> Self {
        Inbound {
            bot: chat.as_ref().map(|c| c.bot.clone()).unwrap_or_default(),
            dedupe_key,
            event: Event::Other(OtherEvent {
                chat,
                kind: TIMER_KIND.into(),
                raw: "{}".into(),
            }),
            rank: Rank::Unknown,
            timer: Some(fired),
        }
    }
}

impl Event {
    pub fn kind(&self) -> EventKind {
        match self {
            Event::Message(_) => EventKind::Message,
            Event::Command(_) => EventKind::Command,
            Event::Callback(_) => EventKind::Callback,
            Event::MemberJoined(_) => EventKind::MemberJoined,
            Event::MemberLeft(_) => EventKind::MemberLeft,
            Event::Reaction(_) => EventKind::Reaction,
            Event::MessageEdited(_) => EventKind::MessageEdited,
            Event::MessageDeleted(_) => EventKind::MessageDeleted,
            Event::BotFollowed(_) => EventKind::BotFollowed,
            Event::BotUnfollowed(_) => EventKind::BotUnfollowed,
            Event::Other(_) => EventKind::Other,
        }
    }

    /// The user the event comes from (whose standing it carries): a message's sender, a
    /// button's clicker, a reacting, joining or leaving user, a deleter when known.
    pub fn sender(&self) -> Option<&UserRef> {
        match self {
            Event::Message(m) | Event::MessageEdited(m) => Some(&m.sender),
            Event::Command(c) => Some(&c.message.sender),
            Event::Callback(c) => Some(&c.user),
            Event::MemberJoined(m)
            | Event::MemberLeft(m)
            | Event::BotFollowed(m)
            | Event::BotUnfollowed(m) => Some(&m.user),
            Event::Reaction(r) => Some(&r.user),
            Event::MessageDeleted(d) => d.by.as_ref(),
            Event::Other(_) => None,
        }
    }

    /// The chat the event happened in, if it has one.
    pub fn chat(&self) -> Option<&ChatRef> {
        match self {
            Event::Message(m) | Event::MessageEdited(m) => Some(&m.id.chat),
            Event::Command(c) => Some(&c.message.id.chat),
            Event::Callback(c) => Some(&c.chat),
            Event::MemberJoined(m)
            | Event::MemberLeft(m)
            | Event::BotFollowed(m)
            | Event::BotUnfollowed(m) => Some(&m.chat),
            Event::Reaction(r) => Some(&r.message.chat),
            Event::MessageDeleted(d) => Some(&d.message.chat),
            Event::Other(o) => o.chat.as_ref(),
        }
    }
}

impl EventKind {
    /// The WIT name of the kind (`member-joined`), for logs and the sim's records.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Message => "message",
            EventKind::Command => "command",
            EventKind::Callback => "callback",
            EventKind::MemberJoined => "member-joined",
            EventKind::MemberLeft => "member-left",
            EventKind::Reaction => "reaction",
            EventKind::MessageEdited => "message-edited",
            EventKind::MessageDeleted => "message-deleted",
            EventKind::BotFollowed => "bot-followed",
            EventKind::BotUnfollowed => "bot-unfollowed",
            EventKind::Other => "other",
        }
    }
}

impl Operation {
    /// The WIT name of the operation (`answer-callback`), used in errors, grants and records.
    pub fn name(self) -> &'static str {
        match self {
            Operation::Send => "send",
            Operation::Reply => "reply",
            Operation::Edit => "edit",
            Operation::Delete => "delete",
            Operation::React => "react",
            Operation::AnswerCallback => "answer-callback",
            Operation::Pin => "pin",
            Operation::Unpin => "unpin",
            Operation::AddRole => "add-role",
            Operation::RemoveRole => "remove-role",
            Operation::Mute => "mute",
            Operation::Unmute => "unmute",
            Operation::Kick => "kick",
            Operation::GetMember => "get-member",
            Operation::ListRoles => "list-roles",
            Operation::Kv => "kv",
        }
    }
}

impl ChatRef {
    /// A key that is the same for every event of one chat of one bot: the ordering key.
    pub fn lane_key(&self) -> String {
        format!("{}/{}", self.bot, self.id)
    }
}

/// Splits `/name args` (or `/name@bot args`) into a command name and its arguments.
/// Returns `None` when the text is not a command.
pub fn parse_command(text: &str) -> Option<(String, String)> {
    let rest = text.trim_start().strip_prefix('/')?;
    let (head, args) = match rest.find(char::is_whitespace) {
        Some(at) => (&rest[..at], rest[at..].trim()),
        None => (rest, ""),
    };
    let name = head.split('@').next().unwrap_or(head);
    if name.is_empty() {
        return None;
    }
    Some((name.to_string(), args.to_string()))
}

/// A message event, or a command event when its text is a command.
pub fn message_or_command(message: Message) -> Event {
    let command = match &message.content {
        Content::Text(text) => parse_command(text),
        _ => None,
    };
    match command {
        Some((name, args)) => Event::Command(Command {
            name,
            args,
            message,
        }),
        None => Event::Message(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse() {
        assert_eq!(
            parse_command("/echo hi  there "),
            Some(("echo".into(), "hi  there".into()))
        );
        assert_eq!(
            parse_command("/roles@mybot"),
            Some(("roles".into(), String::new()))
        );
        assert_eq!(parse_command("hello /echo"), None);
        assert_eq!(parse_command("/ nothing"), None);
    }
}
