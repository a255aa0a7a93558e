//! Who may use which command, checked before a plugin is called: a refused command never
//! reaches the plugin; it gets a short reply (or none) and an audit line instead.

use std::collections::{HashMap, HashSet};

use crate::config::{refusal_text, Config};
use crate::model::{Audience, Event, Inbound, Standing};

/// The bots' admins and the refusal reply, from the operator's config.
#[derive(Debug, Default)]
pub struct Gate {
    /// Bot name → the user ids of its admins.
    admins: HashMap<String, HashSet<String>>,
    /// See `runtime.refusal_reply`.
    refusal_reply: String,
}

/// A command the sender may not use.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub audience: Audience,
    /// The reply to send; `None` when refusals are silent.
    pub reply: Option<String>,
}

impl Gate {
    pub fn new(config: &Config) -> Self {
        Gate {
            admins: config
                .bots
                .iter()
                .map(|bot| (bot.name.clone(), bot.admins.iter().cloned().collect()))
                .collect(),
            refusal_reply: config.runtime.refusal_reply.clone(),
        }
    }

    /// The standing of the event's sender: the rank the platform told, and whether the
    /// operator named them one of the bot's admins.
    pub fn standing(&self, inbound: &Inbound) -> Standing {
        let bot_admin = inbound.event.sender().is_some_and(|sender| {
            self.admins
                .get(&inbound.bot)
                .is_some_and(|ids| ids.contains(&sender.id))
        });
        Standing {
            rank: inbound.rank,
            bot_admin,
        }
    }

    /// Why the routed `event` must not reach the plugin, if it must not: a command whose
    /// audience (`audience_of` its name) does not admit the sender.
    pub fn check(
        &self,
        event: &Event,
        standing: Standing,
        audience_of: impl FnOnce(&str) -> Audience,
    ) -> Option<Refusal> {
        let Event::Command(command) = event else {
            return None;
        };
        let audience = audience_of(&command.name);
        if audience.admits(standing) {
            return None;
        }
        Some(Refusal {
            audience,
            reply: refusal_text(&self.refusal_reply, &command.name, audience),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_REFUSAL_REPLY;
    use crate::model::{message_or_command, ChatKind, ChatRef, Content, Message, MessageRef};
    use crate::model::{Rank, UserRef};

    fn said(user: &str, text: &str, rank: Rank) -> Inbound {
        let chat = ChatRef {
            platform: "sim".into(),
            bot: "sim".into(),
            kind: ChatKind::Group,
            id: "g".into(),
            guild: None,
        };
        let message = Message {
            id: MessageRef {
                chat,
                id: "m1".into(),
            },
            sender: UserRef {
                id: user.into(),
                name: None,
                is_bot: false,
            },
            content: Content::Text(text.into()),
            mentions: Vec::new(),
            reply_to: None,
            sent_at: 0,
        };
        Inbound::received("sim".into(), None, message_or_command(message), rank)
    }

    fn gate(admins: &[&str], reply: &str) -> Gate {
        Gate {
            admins: [(
                "sim".to_owned(),
                admins.iter().map(|a| a.to_string()).collect(),
            )]
            .into(),
            refusal_reply: reply.into(),
        }
    }

    #[test]
    fn bot_admins_are_named_per_bot_and_pass_every_audience() {
        let gate = gate(&["root"], DEFAULT_REFUSAL_REPLY);
        let root = said("root", "/ban x", Rank::Unknown);
        let standing = gate.standing(&root);
        assert!(standing.bot_admin);
        assert_eq!(
            gate.check(&root.event, standing, |_| Audience::BotAdmins),
            None
        );
        let mut elsewhere = said("root", "/ban x", Rank::Unknown);
        elsewhere.bot = "other".into();
        assert!(!gate.standing(&elsewhere).bot_admin);
    }

    #[test]
    fn a_refusal_names_who_may_and_plain_messages_are_never_refused() {
        let gate = gate(&[], DEFAULT_REFUSAL_REPLY);
        let member = said("bob", "/ban x", Rank::Member);
        let refusal = gate.check(&member.event, gate.standing(&member), |name| {
            assert_eq!(name, "ban");
            Audience::Owners
        });
        assert_eq!(
            refusal,
            Some(Refusal {
                audience: Audience::Owners,
                reply: Some("Only this chat's owner may use /ban.".into()),
            })
        );
        let chat = said("bob", "hello", Rank::Unknown);
        assert_eq!(
            gate.check(&chat.event, gate.standing(&chat), |_| Audience::Owners),
            None
        );
        let silent = Gate {
            refusal_reply: String::new(),
            ..gate
        };
        let refusal = silent.check(&member.event, silent.standing(&member), |_| {
            Audience::Admins
        });
        assert_eq!(refusal.and_then(|r| r.reply), None);
    }
}
