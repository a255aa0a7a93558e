//! The sim's outbound side: actions change the world and leave a record, each in one commit
//! of the sim's log, and a repeated delivery changes nothing twice.

use async_trait::async_trait;

use super::world::{Change, Record, SimButton, SimMessage, WorldError, BOT_USER, DEFAULT_ROLES};
use super::{now_ms, Sim, PLATFORM};
use crate::adapter::{Adapter, AdapterError, InDoubt, Receipt};
use crate::model::Action;
use crate::model::{ButtonAction, ChatRef, Content, Keyboard, Operation, UserRef};
use crate::model::{Member, Role};

/// The sim supports every operation.
const CAPABILITIES: &[Operation] = crate::config::ALL_OPERATIONS;

#[async_trait]
impl Adapter for Sim {
    fn platform(&self) -> &str {
        PLATFORM
    }

    fn capabilities(&self) -> &[Operation] {
        CAPABILITIES
    }

    /// A repeated send changes nothing (see `deliver`).
    fn in_doubt(&self) -> InDoubt {
        InDoubt::Deduplicated
    }

    /// Applies an action to the world, recording it, in one commit of the sim's log.
    ///
    /// Delivery is at least once, so every action must be safe to repeat. A send is deduplicated
    /// by its host handle: a repeat returns the message the first delivery made. The others set
    /// a state (edited text, deleted, reaction present, pinned, role present or absent, kicked,
    /// unmuted), which a repeat leaves as it is; a repeated mute sets the same length again from
    /// the time of the repeat, never twice the length. A repeat of those is recorded again.
    async fn deliver(&self, action: &Action) -> Result<Receipt, AdapterError> {
        let chat = action.chat().id.clone();
        let op = action.operation().name().to_string();
        let mut record = Record {
            op,
            chat: chat.clone(),
            ..Record::default()
        };
        let mut world = self.world();
        let mut delivered = Receipt::default();
        let mut changes = Vec::new();
        match action {
            Action::Send {
                handle,
                message,
                reply_to,
                ..
            } => {
                if let Some(id) = world.sent_message(handle) {
                    tracing::debug!(
                        handle,
                        message_id = id,
                        "sim: a send delivered before; not posted again"
                    );
                    return Ok(Receipt {
                        message_id: Some(id.to_string()),
                    });
                }
                let text = render(&message.content);
                let mut new = SimMessage::new(&chat, BOT_USER, text.clone());
                new.from_bot = true;
                new.keyboard = message.keyboard.as_ref().map(buttons);
                new.reply_to = reply_to.clone();
                let new = world.new_message(new)?;
                record.text = Some(text);
                record.message_id = Some(new.id.clone());
                delivered.message_id = Some(new.id.clone());
                changes.push(Change::Sent {
                    handle: handle.clone(),
                    message_id: new.id.clone(),
                });
                changes.push(Change::Message(new));
            }
            Action::Edit { target, message } => {
                let own = world.message(&chat, &target.id).map(|m| m.from_bot);
                if own != Some(true) {
                    return Err(AdapterError::Invalid(format!(
                        "the bot can only edit its own messages; `{}` is not one",
                        target.id
                    )));
                }
                let text = render(&message.content);
                let keyboard = message.keyboard.as_ref().map(buttons);
                changes.push(Change::Message(world.changed(&chat, &target.id, |m| {
                    m.text = text.clone();
                    m.keyboard = keyboard;
                    m.edited = true;
                })?));
                record.text = Some(text);
                record.message_id = Some(target.id.clone());
            }
            Action::Delete { target } => {
                changes.push(Change::Message(
                    world.changed(&chat, &target.id, |m| m.deleted = true)?,
                ));
                record.message_id = Some(target.id.clone());
            }
            Action::React { target, emoji } => {
                changes.push(Change::Message(world.changed(&chat, &target.id, |m| {
                    m.reactions
                        .entry(emoji.clone())
                        .or_default()
                        .insert(BOT_USER.into());
                })?));
                record.message_id = Some(target.id.clone());
                record.emoji = Some(emoji.clone());
            }
            Action::Pin { target } | Action::Unpin { target } => {
                let pinned = matches!(action, Action::Pin { .. });
                changes.push(Change::Message(
                    world.changed(&chat, &target.id, |m| m.pinned = pinned)?,
                ));
                record.message_id = Some(target.id.clone());
            }
            Action::AnswerCallback { answer, .. } => record.text = answer.text.clone(),
            Action::AddRole {
                user_id, role_id, ..
            }
            | Action::RemoveRole {
                user_id, role_id, ..
            } => {
                let mut member = world.member(&chat, user_id)?;
                if matches!(action, Action::AddRole { .. }) {
                    member.roles.insert(role_id.clone());
                } else {
                    member.roles.remove(role_id);
                }
                changes.push(Change::Member {
                    chat: chat.clone(),
                    member,
                });
                record.user = Some(user_id.clone());
                record.role = Some(role_id.clone());
            }
            Action::Mute {
                user_id, seconds, ..
            } => {
                let mut member = world.member(&chat, user_id)?;
                member.muted_until_ms = Some(now_ms() + u64::from(*seconds) * 1000);
                changes.push(Change::Member {
                    chat: chat.clone(),
                    member,
                });
                record.user = Some(user_id.clone());
                record.seconds = Some(*seconds);
            }
            Action::Unmute { user_id, .. } | Action::Kick { user_id, .. } => {
                let mut member = world.member(&chat, user_id)?;
                if matches!(action, Action::Kick { .. }) {
                    member.kicked = true;
                } else {
                    member.muted_until_ms = None;
                }
                changes.push(Change::Member {
                    chat: chat.clone(),
                    member,
                });
                record.user = Some(user_id.clone());
            }
        }
        let record = world.new_record(record);
        changes.push(Change::Record(record));
        world.commit(changes)?;
        Ok(delivered)
    }

    async fn get_member(&self, chat: &ChatRef, user_id: &str) -> Result<Member, AdapterError> {
        let world = self.world();
        let member = world
            .chats
            .get(&chat.id)
            .and_then(|c| c.members.get(user_id))
            .filter(|m| !m.kicked)
            .ok_or_else(|| {
                AdapterError::NotFound(format!("`{user_id}` is not a member of `{}`", chat.id))
            })?;
        let muted_for = member
            .muted_until_ms
            .and_then(|until| until.checked_sub(now_ms()))
            .map(|ms| u32::try_from(ms.div_ceil(1000)).unwrap_or(u32::MAX));
        Ok(Member {
            user: UserRef {
                id: user_id.to_string(),
                name: Some(user_id.to_string()),
                is_bot: false,
            },
            nickname: None,
            roles: member.roles.iter().cloned().collect(),
            muted_for,
        })
    }

    async fn list_roles(&self, chat: &ChatRef) -> Result<Vec<Role>, AdapterError> {
        let world = self.world();
        let mut roles: std::collections::BTreeSet<String> =
            DEFAULT_ROLES.iter().map(|r| r.to_string()).collect();
        if let Some(c) = world.chats.get(&chat.id) {
            roles.extend(c.members.values().flat_map(|m| m.roles.iter().cloned()));
        }
        Ok(roles
            .into_iter()
            .map(|r| Role {
                id: r.clone(),
                name: r,
            })
            .collect())
    }
}

impl From<WorldError> for AdapterError {
    fn from(e: WorldError) -> Self {
        match e {
            WorldError::NotFound(why) => AdapterError::NotFound(why),
            WorldError::Full(why) => AdapterError::Invalid(why),
            // The log could not be written, so nothing changed: trying again may work.
            WorldError::Storage(_) => AdapterError::Transient(e.to_string()),
        }
    }
}

/// How the sim shows content: as text, with a marker for media.
fn render(content: &Content) -> String {
    match content {
        Content::Text(t) | Content::Markdown(t) | Content::Html(t) => t.clone(),
        Content::Image(m) => format!("[image] {}", m.url),
        Content::File(m) => format!("[file] {}", m.name.as_deref().unwrap_or(&m.url)),
        Content::Video(m) => format!("[video] {}", m.url),
        Content::Audio(m) => format!("[audio] {}", m.url),
        Content::Sticker(s) => format!("[sticker] {s}"),
        Content::Card(c) => format!("{}\n{}", c.title, c.body),
        Content::Other((kind, _)) => format!("[{kind}]"),
    }
}

fn buttons(keyboard: &Keyboard) -> Vec<Vec<SimButton>> {
    keyboard
        .rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|b| {
                    let mut button = SimButton {
                        label: b.label.clone(),
                        callback: None,
                        url: None,
                        copy: None,
                    };
                    match &b.action {
                        ButtonAction::Callback(data) => button.callback = Some(data.clone()),
                        ButtonAction::Url(url) => button.url = Some(url.clone()),
                        ButtonAction::Copy(text) => button.copy = Some(text.clone()),
                    }
                    button
                })
                .collect()
        })
        .collect()
}
