//! Which events a plugin receives: its own subscriptions, narrowed by the operator's config.

use std::collections::{HashMap, HashSet};

use crate::config::PluginConfig;
use crate::model::Subscriptions;
use crate::model::{Audience, ChatRef, CommandAudience, Event, EventKind};

#[derive(Debug, Clone, Default)]
pub struct Filter {
    kinds: Vec<EventKind>,
    commands: HashSet<String>,
    platforms: HashSet<String>,
    allow_chats: HashSet<String>,
    deny_chats: HashSet<String>,
    /// Commands not for anyone: the plugin's declarations, overridden by the operator's.
    audiences: HashMap<String, Audience>,
}

impl Filter {
    pub fn new(
        subscriptions: &Subscriptions,
        audiences: &[CommandAudience],
        operator: Option<&PluginConfig>,
    ) -> Self {
        let mut platforms: HashSet<String> = subscriptions.platforms.iter().cloned().collect();
        if let Some(op) = operator.filter(|op| !op.platforms.is_empty()) {
            let allowed: HashSet<String> = op.platforms.iter().cloned().collect();
            platforms = if platforms.is_empty() {
                allowed
            } else {
                &platforms & &allowed
            };
            if platforms.is_empty() {
                platforms.insert(String::from("\0none"));
            }
        }
        Self {
            kinds: subscriptions.kinds.clone(),
            commands: subscriptions
                .commands
                .iter()
                .map(|c| super::command_name(c).to_string())
                .collect(),
            platforms,
            allow_chats: operator
                .map(|o| o.allow_chats.iter().cloned().collect())
                .unwrap_or_default(),
            deny_chats: operator
                .map(|o| o.deny_chats.iter().cloned().collect())
                .unwrap_or_default(),
            audiences: audiences_of(audiences, operator),
        }
    }

    /// Who may use the command `/name`.
    pub fn audience(&self, name: &str) -> Audience {
        self.audiences
            .get(name)
            .copied()
            .unwrap_or(Audience::Anyone)
    }

    /// The event as this plugin should see it, or `None` if it does not subscribe.
    /// A command the plugin did not subscribe to reaches a `message` subscriber as a message.
    pub fn route(&self, event: &Event) -> Option<Event> {
        let reached = match event.chat() {
            Some(chat) => self.reaches(chat),
            None => self.allow_chats.is_empty(),
        };
        if !reached {
            return None;
        }
        match event {
            Event::Command(command) => {
                if self.takes_command(&command.name) {
                    Some(event.clone())
                } else if self.wants(EventKind::Message) {
                    Some(Event::Message(command.message.clone()))
                } else {
                    None
                }
            }
            _ => self.wants(event.kind()).then(|| event.clone()),
        }
    }

    /// Whether events of `chat` reach this plugin at all: its platforms and the operator's chats.
    pub fn reaches(&self, chat: &ChatRef) -> bool {
        let platform = self.platforms.is_empty() || self.platforms.contains(&chat.platform);
        let denied = self.deny_chats.contains(&chat.id)
            || (!self.allow_chats.is_empty() && !self.allow_chats.contains(&chat.id));
        platform && !denied
    }

    /// Whether the command `/name` is delivered to this plugin as a command.
    pub fn takes_command(&self, name: &str) -> bool {
        let wants_all_commands = self.commands.is_empty() && self.wants(EventKind::Command);
        self.commands.contains(name) || wants_all_commands
    }

    fn wants(&self, kind: EventKind) -> bool {
        self.kinds.is_empty() || self.kinds.contains(&kind)
    }
}

/// The declared audiences by command name, the operator's overrides over them.
fn audiences_of(
    declared: &[CommandAudience],
    operator: Option<&PluginConfig>,
) -> HashMap<String, Audience> {
    let declared = declared
        .iter()
        .map(|a| (super::command_name(&a.command).to_owned(), a.audience));
    let overridden = operator.into_iter().flat_map(|op| {
        op.audience
            .iter()
            .map(|(name, setting)| (super::command_name(name).to_owned(), setting.0))
    });
    declared.chain(overridden).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{message_or_command, ChatKind, Content, Message, MessageRef, UserRef};

    fn text(chat: &str, text: &str) -> Event {
        let chat = ChatRef {
            platform: "sim".into(),
            bot: "sim".into(),
            kind: ChatKind::Group,
            id: chat.into(),
            guild: None,
        };
        message_or_command(Message {
            id: MessageRef {
                chat,
                id: "m1".into(),
            },
            sender: UserRef {
                id: "u".into(),
                name: None,
                is_bot: false,
            },
            content: Content::Text(text.into()),
            mentions: vec![],
            reply_to: None,
            sent_at: 0,
        })
    }

    fn subs(kinds: &[EventKind], commands: &[&str]) -> Subscriptions {
        Subscriptions {
            kinds: kinds.to_vec(),
            commands: commands.iter().map(|c| c.to_string()).collect(),
            platforms: vec![],
        }
    }

    #[test]
    fn commands_go_to_their_subscribers_and_as_messages_to_others() {
        let echo = Filter::new(
            &subs(&[EventKind::Command, EventKind::Message], &["echo"]),
            &[],
            None,
        );
        let counter = Filter::new(&subs(&[EventKind::Message], &[]), &[], None);
        let joins = Filter::new(&subs(&[EventKind::MemberJoined], &[]), &[], None);
        assert!(matches!(
            echo.route(&text("g", "/echo hi")),
            Some(Event::Command(_))
        ));
        assert!(matches!(
            echo.route(&text("g", "/roles")),
            Some(Event::Message(_))
        ));
        assert!(matches!(
            counter.route(&text("g", "/echo hi")),
            Some(Event::Message(_))
        ));
        assert!(joins.route(&text("g", "hello")).is_none());
    }

    #[test]
    fn operator_narrows_chats_and_platforms() {
        let mut op = operator();
        op.deny_chats = vec!["secret".into()];
        let filter = Filter::new(&subs(&[], &[]), &[], Some(&op));
        assert!(filter.route(&text("secret", "hi")).is_none());
        assert!(filter.route(&text("open", "hi")).is_some());
        op.platforms = vec!["fanbook".into()];
        let filter = Filter::new(&subs(&[], &[]), &[], Some(&op));
        assert!(filter.route(&text("open", "hi")).is_none());
    }

    #[test]
    fn the_operator_overrides_a_declared_audience() {
        let declared = [
            CommandAudience {
                command: "/setwelcome".into(),
                audience: Audience::Admins,
            },
            CommandAudience {
                command: "ban".into(),
                audience: Audience::Admins,
            },
        ];
        let mut op = operator();
        op.audience.insert(
            "ban".into(),
            crate::config::AudienceSetting(Audience::Owners),
        );
        let filter = Filter::new(&subs(&[], &[]), &declared, Some(&op));
        assert_eq!(filter.audience("setwelcome"), Audience::Admins);
        assert_eq!(filter.audience("ban"), Audience::Owners);
        assert_eq!(filter.audience("echo"), Audience::Anyone);
    }

    fn operator() -> PluginConfig {
        PluginConfig {
            name: "p".into(),
            enabled: true,
            platforms: vec![],
            allow_chats: vec![],
            deny_chats: vec![],
            timeout_ms: None,
            memory_mib: None,
            instances: None,
            grants: Default::default(),
            http: Default::default(),
            config: Default::default(),
            secrets: Default::default(),
            max_pending_timers: None,
            schedules: Vec::new(),
            audience: Default::default(),
        }
    }
}
