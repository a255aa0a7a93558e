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
