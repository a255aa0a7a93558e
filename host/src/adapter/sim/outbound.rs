//! The sim's outbound side: actions change the world and leave a record.

use async_trait::async_trait;

use super::world::{Record, SimButton, SimMessage, BOT_USER, DEFAULT_ROLES};
use super::{now_ms, Sim, PLATFORM};
use crate::action::Action;
use crate::adapter::{Adapter, AdapterError, Delivered};
use crate::event::{ButtonAction, ChatRef, Content, Keyboard, Operation, UserRef};
use crate::runtime::bindings::wasmbot::bot::moderation::{Member, Role};

/// The sim supports every operation.
const CAPABILITIES: &[Operation] = &[
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
];

#[async_trait]
impl Adapter for Sim {
    fn platform(&self) -> &str {
        PLATFORM
    }

    fn capabilities(&self) -> &[Operation] {
        CAPABILITIES
    }

    async fn deliver(&self, action: &Action) -> Result<Delivered, AdapterError> {
        let chat = action.chat().id.clone();
        let op = action.operation().name().to_string();
        let mut record = Record { op, chat: chat.clone(), ..Record::default() };
        let mut world = self.world();
        let mut delivered = Delivered::default();
        match action {
            Action::Send { message, reply_to, .. } => {
                let text = render(&message.content);
                let id = world
                    .post(SimMessage {
                        id: String::new(),
                        version: 0,
                        chat: chat.clone(),
                        from: BOT_USER.into(),
                        from_bot: true,
                        text: text.clone(),
                        keyboard: message.keyboard.as_ref().map(buttons),
                        reactions: Default::default(),
                        edited: false,
                        deleted: false,
                        pinned: false,
                        reply_to: reply_to.clone(),
                    })
                    .map_err(|e| AdapterError::Invalid(e.to_string()))?;
                record.text = Some(text);
                record.message_id = Some(id.clone());
                delivered.message_id = Some(id);
            }
            Action::Edit { target, message } => {
                let own = world.message(&chat, &target.id).map(|m| m.from_bot);
                if own != Some(true) {
                    return Err(AdapterError::Invalid(format!("the bot can only edit its own messages; `{}` is not one", target.id)));
                }
                let text = render(&message.content);
                let keyboard = message.keyboard.as_ref().map(buttons);
                world.update(&chat, &target.id, |m| {
                    m.text = text.clone();
                    m.keyboard = keyboard;
                    m.edited = true;
                }).map_err(not_found)?;
                record.text = Some(text);
                record.message_id = Some(target.id.clone());
            }
            Action::Delete { target } => {
                world.update(&chat, &target.id, |m| m.deleted = true).map_err(not_found)?;
                record.message_id = Some(target.id.clone());
            }
            Action::React { target, emoji } => {
                world.update(&chat, &target.id, |m| {
                    m.reactions.entry(emoji.clone()).or_default().insert(BOT_USER.into());
                }).map_err(not_found)?;
                record.message_id = Some(target.id.clone());
                record.emoji = Some(emoji.clone());
            }
            Action::Pin { target } | Action::Unpin { target } => {
                let pinned = matches!(action, Action::Pin { .. });
                world.update(&chat, &target.id, |m| m.pinned = pinned).map_err(not_found)?;
                record.message_id = Some(target.id.clone());
            }
            Action::AnswerCallback { answer, .. } => record.text = answer.text.clone(),
            Action::AddRole { user_id, role_id, .. } | Action::RemoveRole { user_id, role_id, .. } => {
                let member = world.member_mut(&chat, user_id).map_err(|e| AdapterError::Invalid(e.to_string()))?;
                if matches!(action, Action::AddRole { .. }) {
                    member.roles.insert(role_id.clone());
                } else {
                    member.roles.remove(role_id);
                }
                record.user = Some(user_id.clone());
                record.role = Some(role_id.clone());
            }
            Action::Mute { user_id, seconds, .. } => {
                let member = world.member_mut(&chat, user_id).map_err(|e| AdapterError::Invalid(e.to_string()))?;
                member.muted_until_ms = Some(now_ms() + u64::from(*seconds) * 1000);
                record.user = Some(user_id.clone());
                record.seconds = Some(*seconds);
            }
            Action::Unmute { user_id, .. } => {
                world.member_mut(&chat, user_id).map_err(|e| AdapterError::Invalid(e.to_string()))?.muted_until_ms = None;
                record.user = Some(user_id.clone());
            }
            Action::Kick { user_id, .. } => {
                world.member_mut(&chat, user_id).map_err(|e| AdapterError::Invalid(e.to_string()))?.kicked = true;
                record.user = Some(user_id.clone());
            }
        }
        world.record(record);
        Ok(delivered)
    }

    async fn get_member(&self, chat: &ChatRef, user_id: &str) -> Result<Member, AdapterError> {
        let world = self.world();
        let member = world
            .chats
            .get(&chat.id)
            .and_then(|c| c.members.get(user_id))
            .filter(|m| !m.kicked)
            .ok_or_else(|| AdapterError::NotFound(format!("`{user_id}` is not a member of `{}`", chat.id)))?;
        let muted_for = member
            .muted_until_ms
            .and_then(|until| until.checked_sub(now_ms()))
            .map(|ms| u32::try_from(ms.div_ceil(1000)).unwrap_or(u32::MAX));
        Ok(Member {
            user: UserRef { id: user_id.to_string(), name: Some(user_id.to_string()), is_bot: false },
            nickname: None,
            roles: member.roles.iter().cloned().collect(),
            muted_for,
        })
    }

    async fn list_roles(&self, chat: &ChatRef) -> Result<Vec<Role>, AdapterError> {
        let world = self.world();
        let mut roles: std::collections::BTreeSet<String> = DEFAULT_ROLES.iter().map(|r| r.to_string()).collect();
        if let Some(c) = world.chats.get(&chat.id) {
            roles.extend(c.members.values().flat_map(|m| m.roles.iter().cloned()));
        }
        Ok(roles.into_iter().map(|r| Role { id: r.clone(), name: r }).collect())
    }
}

fn not_found(e: super::world::WorldError) -> AdapterError {
    AdapterError::NotFound(e.to_string())
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
                    let mut button = SimButton { label: b.label.clone(), callback: None, url: None, copy: None };
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
