//! The platform-neutral model, re-exported from the bindings under clean names, plus small
//! accessors that every plugin would otherwise write itself.

use std::fmt;

pub use crate::bindings::exports::wasmbot::bot::guest::Subscriptions;
pub use crate::bindings::wasmbot::bot::messaging::CallbackAnswer;
pub use crate::bindings::wasmbot::bot::moderation::{Member, Role};
pub use crate::bindings::wasmbot::bot::types::{
    Button, ButtonAction, Callback, Card, ChatKind, ChatRef, Command, Content, Envelope, Event,
    EventKind, Keyboard, Media, MemberChange, Message, MessageDeleted, MessageRef, Operation,
    OtherEvent, Outgoing, PlatformError, Reaction, UserRef,
};
pub use crate::help::{ArgumentHelp, CommandHelp, PluginHelp};
pub use crate::manifest::Manifest;

impl ChatRef {
    /// A stable text key for this chat (`platform:bot:id`), for kv keys and maps.
    ///
    /// Two chats with the same id on different platforms or bots get different keys.
    pub fn key(&self) -> String {
        format!("{}:{}:{}", self.platform, self.bot, self.id)
    }

    /// True for a one-to-one chat with the bot.
    pub fn is_private(&self) -> bool {
        self.kind == ChatKind::Private
    }
}

impl UserRef {
    /// The display name when the platform sent one, else the user id.
    pub fn display_name(&self) -> &str {
        self.name
            .as_deref()
            .filter(|name| !name.is_empty())
            .unwrap_or(&self.id)
    }
}

impl Content {
    /// The text of a text, markdown or HTML message; `None` for media, stickers, cards, ….
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Content::Text(text) | Content::Markdown(text) | Content::Html(text) => Some(text),
            _ => None,
        }
    }
}

impl Message {
    /// The chat the message was sent in.
    pub fn chat(&self) -> &ChatRef {
        &self.id.chat
    }

    /// The message's text (see [`Content::as_text`]).
    pub fn text(&self) -> Option<&str> {
        self.content.as_text()
    }
}

impl Event {
    /// Which kind of event this is, as used in subscriptions.
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

    /// The chat the event happened in; `None` only for an `other` event without one.
    pub fn chat(&self) -> Option<&ChatRef> {
        match self {
            Event::Message(message) | Event::MessageEdited(message) => Some(message.chat()),
            Event::Command(command) => Some(command.message.chat()),
            Event::Callback(callback) => Some(&callback.chat),
            Event::MemberJoined(change)
            | Event::MemberLeft(change)
            | Event::BotFollowed(change)
            | Event::BotUnfollowed(change) => Some(&change.chat),
            Event::Reaction(reaction) => Some(&reaction.message.chat),
            Event::MessageDeleted(deleted) => Some(&deleted.message.chat),
            Event::Other(other) => other.chat.as_ref(),
        }
    }
}

impl EventKind {
    /// Every kind, in WIT order: subscribe to all of them with `Manifest::new().kinds(EventKind::ALL)`.
    pub const ALL: [EventKind; 11] = [
        EventKind::Message,
        EventKind::Command,
        EventKind::Callback,
        EventKind::MemberJoined,
        EventKind::MemberLeft,
        EventKind::Reaction,
        EventKind::MessageEdited,
        EventKind::MessageDeleted,
        EventKind::BotFollowed,
        EventKind::BotUnfollowed,
        EventKind::Other,
    ];

    /// The WIT name, e.g. `member-joined`.
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

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Operation {
    /// Every operation, in WIT order.
    pub const ALL: [Operation; 16] = [
        Operation::Send,
        Operation::Reply,
        Operation::Edit,
        Operation::Delete,
        Operation::React,
        Operation::AnswerCallback,
        Operation::Pin,
        Operation::Unpin,
        Operation::AddRole,
        Operation::RemoveRole,
        Operation::Mute,
        Operation::Unmute,
        Operation::Kick,
        Operation::GetMember,
        Operation::ListRoles,
        Operation::Kv,
    ];

    /// The WIT name, e.g. `answer-callback`.
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

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Member {
    /// True when the member has the role with this id.
    pub fn has_role(&self, role_id: &str) -> bool {
        self.roles.iter().any(|role| role == role_id)
    }
}

// `AsRef` lets the helpers take "anything that names a message / chat": a `Message`, a
// `Command`, a `MessageRef`, a `Callback`, … by value or by reference.

impl AsRef<MessageRef> for MessageRef {
    fn as_ref(&self) -> &MessageRef {
        self
    }
}

impl AsRef<MessageRef> for Message {
    fn as_ref(&self) -> &MessageRef {
        &self.id
    }
}

impl AsRef<MessageRef> for Command {
    fn as_ref(&self) -> &MessageRef {
        &self.message.id
    }
}

impl AsRef<ChatRef> for ChatRef {
    fn as_ref(&self) -> &ChatRef {
        self
    }
}

impl AsRef<ChatRef> for MessageRef {
    fn as_ref(&self) -> &ChatRef {
        &self.chat
    }
}

impl AsRef<ChatRef> for Message {
    fn as_ref(&self) -> &ChatRef {
        &self.id.chat
    }
}

impl AsRef<ChatRef> for Command {
    fn as_ref(&self) -> &ChatRef {
        &self.message.id.chat
    }
}

impl AsRef<ChatRef> for Callback {
    fn as_ref(&self) -> &ChatRef {
        &self.chat
    }
}

impl AsRef<ChatRef> for MemberChange {
    fn as_ref(&self) -> &ChatRef {
        &self.chat
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_wit() {
        assert_eq!(EventKind::MemberJoined.to_string(), "member-joined");
        assert_eq!(Operation::AnswerCallback.to_string(), "answer-callback");
        assert_eq!(EventKind::ALL.len(), 11);
        assert_eq!(
            Operation::ALL.iter().filter(|op| op.name() == "kv").count(),
            1
        );
    }

    #[test]
    fn display_name_falls_back_to_id() {
        let mut user = UserRef {
            id: "42".into(),
            name: None,
            is_bot: false,
        };
        assert_eq!(user.display_name(), "42");
        user.name = Some(String::new());
        assert_eq!(user.display_name(), "42");
        user.name = Some("Ada".into());
        assert_eq!(user.display_name(), "Ada");
    }

    #[test]
    fn text_of_content() {
        assert_eq!(Content::Markdown("*hi*".into()).as_text(), Some("*hi*"));
        assert_eq!(Content::Sticker("s1".into()).as_text(), None);
    }
}
