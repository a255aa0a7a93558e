//! Events as a plugin sees them. The host hands a 0.2 plugin a lean envelope (the bot named
//! once, chats without it); the SDK makes each chat whole again, so a chat taken from an event
//! can be replied to, stored or compared as it is.

use serde::{Deserialize, Serialize};

use crate::bindings::wasmbot::bot0_2_0::types as lean;
use crate::model::{
    Callback, ChatRef, Command, MemberChange, Message, MessageDeleted, MessageRef, OtherEvent,
    Reaction,
};

use lean::Standing;
pub use lean::{Bot, EventKind};

/// A timer the plugin set (see [`timers`](crate::timers)), or one of its schedules, come due.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Timer {
    /// The key it was set under; the schedule's name for a schedule.
    pub key: String,
    /// What was stored with it.
    pub payload: String,
    /// When it was due, Unix milliseconds (well before `fired_at` if the daemon was down then).
    pub due_at: u64,
    /// When it fired, Unix milliseconds.
    pub fired_at: u64,
    /// The chat it was set for: replies go there. `None` for a schedule or a chat-less timer.
    pub chat: Option<ChatRef>,
    /// True when a schedule fired, false for a timer.
    pub scheduled: bool,
}

/// Something that happened, as delivered to the plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// A message (commands for other plugins included).
    Message(Message),
    /// A slash command the plugin subscribed to.
    Command(Command),
    /// A click on a callback button.
    Callback(Callback),
    /// Someone joined a chat.
    MemberJoined(MemberChange),
    /// Someone left (or was removed from) a chat.
    MemberLeft(MemberChange),
    /// A reaction was added to or taken from a message.
    Reaction(Reaction),
    /// A message was edited; it carries the new content.
    MessageEdited(Message),
    /// A message was deleted.
    MessageDeleted(MessageDeleted),
    /// A user followed the bot.
    BotFollowed(MemberChange),
    /// A user unfollowed the bot.
    BotUnfollowed(MemberChange),
    /// A platform event the model does not cover.
    Other(OtherEvent),
    /// One of the plugin's timers or schedules came due.
    Timer(Timer),
}

/// An event as the host delivers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// The host's id for this event, stable across replays.
    pub id: u64,
    /// What happened.
    pub event: Event,
    /// Who sent it, in its chat (see [`standing`](crate::standing)).
    pub standing: Standing,
    /// The bot of an event without a chat (its chats name it otherwise): see [`Envelope::bot`].
    chatless_bot: Option<Bot>,
}

impl Envelope {
    /// An envelope as the host would deliver it (for tests).
    pub fn new(id: u64, event: Event, bot: Option<Bot>) -> Self {
        let chatless_bot = if event.chat().is_some() { None } else { bot };
        Envelope {
            id,
            event,
            standing: Standing::default(),
            chatless_bot,
        }
    }

    /// The bot the event came through, as `(platform, name)`; `None` for a schedule or a
    /// chat-less timer.
    pub fn bot(&self) -> Option<(&str, &str)> {
        match (self.event.chat(), &self.chatless_bot) {
            (Some(chat), _) => Some((&chat.platform, &chat.bot)),
            (None, Some(bot)) => Some((&bot.platform, &bot.name)),
            (None, None) => None,
        }
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
            Event::Timer(_) => EventKind::Timer,
        }
    }

    /// The chat the event happened in; `None` for an `other` event or a timer without one.
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
            Event::Timer(timer) => timer.chat.as_ref(),
        }
    }
}

impl From<lean::Envelope> for Envelope {
    fn from(envelope: lean::Envelope) -> Self {
        let mut whole = Whole {
            chats_left: chats(&envelope.event),
            bot: envelope.bot,
        };
        let event = whole.event(envelope.event);
        Envelope {
            id: envelope.id,
            event,
            standing: envelope.standing,
            chatless_bot: whole.bot,
        }
    }
}

/// How many chats an event names.
fn chats(event: &lean::Event) -> usize {
    match event {
        lean::Event::Callback(c) => 1 + usize::from(c.message.is_some()),
        lean::Event::Other(o) => usize::from(o.chat.is_some()),
        lean::Event::Timer(t) => usize::from(t.chat.is_some()),
        _ => 1,
    }
}

/// Makes lean chats whole with the envelope's bot: copies of its names for every chat but the
/// last, which takes them (most events name one chat, so nothing is copied).
struct Whole {
    bot: Option<Bot>,
    chats_left: usize,
}

impl Whole {
    fn chat(&mut self, chat: lean::Chat) -> ChatRef {
        self.chats_left = self.chats_left.saturating_sub(1);
        let bot = if self.chats_left == 0 {
            self.bot.take()
        } else {
            self.bot.clone()
        };
        let (platform, bot) = bot.map_or_else(Default::default, |bot| (bot.platform, bot.name));
        ChatRef {
            platform,
            bot,
            kind: chat.kind,
            id: chat.id,
            guild: chat.guild,
        }
    }

    fn message_ref(&mut self, message: lean::MessageRef) -> MessageRef {
        MessageRef {
            chat: self.chat(message.chat),
            id: message.id,
        }
    }

    fn message(&mut self, m: lean::Message) -> Message {
        Message {
            id: self.message_ref(m.id),
            sender: m.sender,
            content: m.content,
            mentions: m.mentions,
            reply_to: m.reply_to,
            sent_at: m.sent_at,
        }
    }

    fn change(&mut self, change: lean::MemberChange) -> MemberChange {
        MemberChange {
            chat: self.chat(change.chat),
            user: change.user,
        }
    }

    fn event(&mut self, event: lean::Event) -> Event {
        match event {
            lean::Event::Message(m) => Event::Message(self.message(m)),
            lean::Event::Command(c) => Event::Command(Command {
                name: c.name,
                args: c.args,
                message: self.message(c.message),
            }),
            lean::Event::Callback(c) => Event::Callback(Callback {
                id: c.id,
                chat: self.chat(c.chat),
                user: c.user,
                message: c.message.map(|m| self.message_ref(m)),
                data: c.data,
            }),
            lean::Event::MemberJoined(c) => Event::MemberJoined(self.change(c)),
            lean::Event::MemberLeft(c) => Event::MemberLeft(self.change(c)),
            lean::Event::Reaction(r) => Event::Reaction(Reaction {
                message: self.message_ref(r.message),
                user: r.user,
                emoji: r.emoji,
                added: r.added,
            }),
            lean::Event::MessageEdited(m) => Event::MessageEdited(self.message(m)),
            lean::Event::MessageDeleted(d) => Event::MessageDeleted(MessageDeleted {
                message: self.message_ref(d.message),
                by: d.by,
            }),
            lean::Event::BotFollowed(c) => Event::BotFollowed(self.change(c)),
            lean::Event::BotUnfollowed(c) => Event::BotUnfollowed(self.change(c)),
            lean::Event::Other(o) => Event::Other(OtherEvent {
                chat: o.chat.map(|c| self.chat(c)),
                kind: o.kind,
                raw: o.raw,
            }),
            lean::Event::Timer(t) => Event::Timer(Timer {
                key: t.key,
                payload: t.payload,
                due_at: t.due_at,
                fired_at: t.fired_at,
                chat: t.chat.map(|c| self.chat(c)),
                scheduled: t.scheduled,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ChatKind, UserRef};
    use crate::Rank;

    fn bot() -> Option<Bot> {
        Some(Bot {
            platform: "sim".into(),
            name: "main".into(),
        })
    }

    fn chat(id: &str) -> lean::Chat {
        lean::Chat {
            kind: ChatKind::Group,
            id: id.into(),
            guild: None,
        }
    }

    #[test]
    fn every_chat_of_an_event_is_made_whole() {
        let callback = lean::Event::Callback(lean::Callback {
            id: "cb".into(),
            chat: chat("c1"),
            user: UserRef {
                id: "u1".into(),
                name: None,
                is_bot: false,
            },
            message: Some(lean::MessageRef {
                chat: chat("c1"),
                id: "m1".into(),
            }),
            data: "d".into(),
        });
        let envelope = Envelope::from(lean::Envelope {
            id: 3,
            bot: bot(),
            standing: Standing {
                rank: Rank::Admin,
                bot_admin: false,
            },
            event: callback,
        });
        let Event::Callback(callback) = &envelope.event else {
            panic!("a callback stays a callback");
        };
        assert_eq!(callback.chat.key(), "sim:main:c1");
        let message = callback.message.as_ref().map(|m| m.chat.key());
        assert_eq!(message.as_deref(), Some("sim:main:c1"));
        assert_eq!(envelope.bot(), Some(("sim", "main")));
        assert_eq!(envelope.standing.rank, Rank::Admin, "the standing is kept");
    }

    #[test]
    fn a_chatless_event_keeps_its_bot_in_the_envelope() {
        let schedule = lean::Event::Timer(lean::Timer {
            key: "daily".into(),
            payload: String::new(),
            due_at: 1,
            fired_at: 2,
            chat: None,
            scheduled: true,
        });
        let with = Envelope::from(lean::Envelope {
            id: 4,
            bot: bot(),
            standing: Standing::default(),
            event: schedule.clone(),
        });
        assert_eq!(with.bot(), Some(("sim", "main")));
        let without = Envelope::from(lean::Envelope {
            id: 5,
            bot: None,
            standing: Standing::default(),
            event: schedule,
        });
        assert_eq!(without.bot(), None);
    }
}
