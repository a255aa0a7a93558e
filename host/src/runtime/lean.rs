//! The lean envelope a `wasmbot:bot@0.2.0` plugin gets, made from the model's event at the call:
//! chats without their platform and bot (the envelope names the bot once) and the event id as
//! the journal's sequence number. Made straight from the borrowed event, in one copy.

use super::instance::Described;
use crate::model::wit::exports::wasmbot::bot0_2_0::guest as guest02;
use crate::model::wit::wasmbot::bot0_2_0::types as lean;
use crate::model::{
    self as full, ChatRef, Event, EventKind, Manifest, Standing, Subscriptions, TimerFired,
};
use crate::store::Seq;

/// A 0.2 manifest as the model's (the host filters on 0.1 kinds: a plugin always gets its own
/// timers, so `timer` needs no subscription), with its schedules beside it.
pub fn described(manifest: guest02::Manifest) -> Described {
    let subscriptions = manifest.subscriptions;
    Described {
        manifest: Manifest {
            name: manifest.name,
            version: manifest.version,
            description: manifest.description,
            subscriptions: Subscriptions {
                kinds: subscriptions.kinds.into_iter().filter_map(kind).collect(),
                commands: subscriptions.commands,
                platforms: subscriptions.platforms,
            },
            permissions: manifest.permissions,
        },
        http_hosts: manifest.http_hosts,
        schedules: manifest.schedules,
        audiences: manifest.audiences,
    }
}

fn kind(kind: lean::EventKind) -> Option<EventKind> {
    Some(match kind {
        lean::EventKind::Message => EventKind::Message,
        lean::EventKind::Command => EventKind::Command,
        lean::EventKind::Callback => EventKind::Callback,
        lean::EventKind::MemberJoined => EventKind::MemberJoined,
        lean::EventKind::MemberLeft => EventKind::MemberLeft,
        lean::EventKind::Reaction => EventKind::Reaction,
        lean::EventKind::MessageEdited => EventKind::MessageEdited,
        lean::EventKind::MessageDeleted => EventKind::MessageDeleted,
        lean::EventKind::BotFollowed => EventKind::BotFollowed,
        lean::EventKind::BotUnfollowed => EventKind::BotUnfollowed,
        lean::EventKind::Other => EventKind::Other,
        lean::EventKind::Timer => return None,
    })
}

/// The 0.2 envelope of event `seq`, made of the event's own parts (no string is copied: the
/// chats' platform and bot names go, but for the first chat's, which become the envelope's
/// bot). `bot`: the receiving bot as `(platform, name)`, for an event without a chat. `timer`:
/// set when the event is a fired timer (its `event` is then the `other` event that carries its
/// chat).
pub fn envelope(
    seq: Seq,
    event: Event,
    bot: Option<(&str, &str)>,
    timer: Option<&TimerFired>,
    standing: Standing,
) -> lean::Envelope {
    let mut lean = Lean { bot: None };
    let event = match timer {
        Some(fired) => lean.timer(fired, event),
        None => lean.event(event),
    };
    let bot = lean.bot.or_else(|| {
        bot.map(|(platform, name)| lean::Bot {
            platform: platform.to_owned(),
            name: name.to_owned(),
        })
    });
    lean::Envelope {
        id: seq,
        bot,
        standing,
        event,
    }
}

/// Takes the chats' bot apart: the first one met is kept for the envelope.
struct Lean {
    bot: Option<lean::Bot>,
}

impl Lean {
    fn event(&mut self, event: Event) -> lean::Event {
        match event {
            Event::Message(m) => lean::Event::Message(self.message(m)),
            Event::Command(c) => lean::Event::Command(lean::Command {
                name: c.name,
                args: c.args,
                message: self.message(c.message),
            }),
            Event::Callback(c) => lean::Event::Callback(lean::Callback {
                id: c.id,
                chat: self.chat(c.chat),
                user: c.user,
                message: c.message.map(|m| self.message_ref(m)),
                data: c.data,
            }),
            Event::MemberJoined(m) => lean::Event::MemberJoined(self.member_change(m)),
            Event::MemberLeft(m) => lean::Event::MemberLeft(self.member_change(m)),
            Event::Reaction(r) => lean::Event::Reaction(lean::Reaction {
                message: self.message_ref(r.message),
                user: r.user,
                emoji: r.emoji,
                added: r.added,
            }),
            Event::MessageEdited(m) => lean::Event::MessageEdited(self.message(m)),
            Event::MessageDeleted(d) => lean::Event::MessageDeleted(lean::MessageDeleted {
                message: self.message_ref(d.message),
                by: d.by,
            }),
            Event::BotFollowed(m) => lean::Event::BotFollowed(self.member_change(m)),
            Event::BotUnfollowed(m) => lean::Event::BotUnfollowed(self.member_change(m)),
            Event::Other(o) => lean::Event::Other(lean::OtherEvent {
                chat: o.chat.map(|c| self.chat(c)),
                kind: o.kind,
                raw: o.raw,
            }),
        }
    }

    /// A fired timer, with the chat of the event that carries it.
    fn timer(&mut self, fired: &TimerFired, carrier: Event) -> lean::Event {
        let chat = match carrier {
            Event::Other(other) => other.chat,
            other => other.chat().cloned(),
        };
        lean::Event::Timer(lean::Timer {
            key: fired.key.clone(),
            payload: fired.payload.clone(),
            due_at: fired.due_at,
            fired_at: fired.fired_at,
            chat: chat.map(|c| self.chat(c)),
            scheduled: fired.scheduled,
        })
    }

    fn chat(&mut self, chat: ChatRef) -> lean::Chat {
        if self.bot.is_none() {
            self.bot = Some(lean::Bot {
                platform: chat.platform,
                name: chat.bot,
            });
        }
        lean::Chat {
            kind: chat.kind,
            id: chat.id,
            guild: chat.guild,
        }
    }

    fn message_ref(&mut self, message: full::MessageRef) -> lean::MessageRef {
        lean::MessageRef {
            chat: self.chat(message.chat),
            id: message.id,
        }
    }

    fn message(&mut self, m: full::Message) -> lean::Message {
        lean::Message {
            id: self.message_ref(m.id),
            sender: m.sender,
            content: m.content,
            mentions: m.mentions,
            reply_to: m.reply_to,
            sent_at: m.sent_at,
        }
    }

    fn member_change(&mut self, m: full::MemberChange) -> lean::MemberChange {
        lean::MemberChange {
            chat: self.chat(m.chat),
            user: m.user,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ChatKind, Content, MessageRef, UserRef};

    fn sim_chat() -> ChatRef {
        ChatRef {
            platform: "sim".into(),
            bot: "main".into(),
            kind: ChatKind::Group,
            id: "lobby".into(),
            guild: None,
        }
    }

    #[test]
    fn the_bot_comes_once_and_chats_lose_it() {
        let event = Event::Message(full::Message {
            id: MessageRef {
                chat: sim_chat(),
                id: "m1".into(),
            },
            sender: UserRef {
                id: "ann".into(),
                name: None,
                is_bot: false,
            },
            content: Content::Text("hi".into()),
            mentions: vec![],
            reply_to: None,
            sent_at: 7,
        });
        let lean = envelope(42, event, None, None, Standing::UNKNOWN);
        assert_eq!(lean.id, 42);
        let bot = lean.bot.expect("a chat names its bot");
        assert_eq!((bot.platform.as_str(), bot.name.as_str()), ("sim", "main"));
        let lean::Event::Message(message) = lean.event else {
            panic!("a message stays a message");
        };
        assert_eq!(message.id.chat.id, "lobby");
        assert_eq!(message.id.id, "m1");
        assert_eq!(message.sent_at, 7);
    }

    #[test]
    fn a_chatless_event_takes_the_bot_it_is_given() {
        let event = Event::Other(full::OtherEvent {
            chat: None,
            kind: "ping".into(),
            raw: "{}".into(),
        });
        let lean = envelope(
            1,
            event.clone(),
            Some(("yunhu", "yh")),
            None,
            Standing::UNKNOWN,
        );
        let bot = lean.bot.expect("given");
        assert_eq!(bot.name, "yh");
        assert!(envelope(1, event, None, None, Standing::UNKNOWN)
            .bot
            .is_none());
    }

    #[test]
    fn a_fired_timer_becomes_a_timer_event_in_its_chat() {
        let fired = TimerFired {
            plugin: "remind".into(),
            key: "k".into(),
            payload: "stretch".into(),
            due_at: 10,
            fired_at: 12,
            scheduled: false,
        };
        let inbound = full::Inbound::timer(fired.clone(), Some(sim_chat()), None);
        let lean = envelope(
            3,
            inbound.event.clone(),
            None,
            inbound.timer.as_ref(),
            Standing::UNKNOWN,
        );
        assert_eq!(lean.bot.expect("the chat's bot").name, "main");
        let lean::Event::Timer(timer) = lean.event else {
            panic!("a fired timer is a timer event");
        };
        assert_eq!(
            (timer.key.as_str(), timer.payload.as_str()),
            ("k", "stretch")
        );
        assert_eq!(
            (timer.due_at, timer.fired_at, timer.scheduled),
            (10, 12, false)
        );
        assert_eq!(timer.chat.expect("its chat").id, "lobby");
        // The same `other` event without the journal's timer record stays an `other` event.
        let spoofed = envelope(4, inbound.event, None, None, Standing::UNKNOWN);
        assert!(matches!(spoofed.event, lean::Event::Other(_)));
    }
}
