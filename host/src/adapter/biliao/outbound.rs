//! Actions → Biliao requests: sendmessage (uploading media first), editmessage, deletemessage,
//! answercallback, mutemember / unmutemember; and the extra calls (getme, getgroup, the command
//! menu, contact cards, deleting several messages) for tools and tests.

use serde_json::{json, Value};

use super::wire::{
    AnswerCallback, BotCommand, DeleteMessage, EditMessage, Extra, MuteMember, SendMessage,
    WireButton,
};
use super::{Biliao, PLATFORM};

use crate::adapter::webhook::lenient;
use crate::adapter::{AdapterError, Receipt};
use crate::model::CallbackAnswer;
use crate::model::{ButtonAction, ChatKind, ChatRef, Content, Keyboard, MessageRef, Outgoing};

impl Biliao {
    pub(super) async fn send(
        &self,
        chat: &ChatRef,
        message: &Outgoing,
        reply_to: Option<&str>,
    ) -> Result<Receipt, AdapterError> {
        let mut body = target(chat);
        match &message.content {
            Content::Text(t) | Content::Markdown(t) | Content::Html(t) => {
                body.message_type = "text";
                body.content = Some(t.clone());
            }
            Content::Card(card) => {
                body.message_type = "text";
                let link = card
                    .url
                    .as_deref()
                    .map(|u| format!("\n{u}"))
                    .unwrap_or_default();
                body.content = Some(format!("{}\n{}{link}", card.title, card.body));
            }
            Content::Image(m) | Content::Video(m) | Content::Audio(m) | Content::File(m) => {
                body.message_type = media_type(&message.content);
                body.file_id = Some(self.client.upload(m).await?);
            }
            Content::Sticker(id) => {
                body.message_type = "sticker";
                body.file_id = Some(id.clone());
            }
            Content::Other((kind, fields)) => self.fill_kind(&mut body, kind, fields).await?,
        }
        body.extra = message.keyboard.as_ref().map(extra);
        if self.quote_replies {
            body.quote_message_id = reply_to;
        } else {
            body.reply_to_id = reply_to;
        }
        self.send_body(&body).await
    }

    pub(super) async fn send_body(&self, body: &SendMessage<'_>) -> Result<Receipt, AdapterError> {
        let data = self.client.call("sendmessage", body).await?;
        let message_id = ["message_id", "id"]
            .iter()
            .filter_map(|k| data.get(*k))
            .map(lenient::text_of)
            .find(|id| !id.is_empty());
        Ok(Receipt { message_id })
    }

    /// Replaces a message's text and keyboard (no keyboard removes the buttons).
    pub(super) async fn edit(
        &self,
        target: &MessageRef,
        message: &Outgoing,
    ) -> Result<(), AdapterError> {
        let content = match &message.content {
            Content::Text(t) | Content::Markdown(t) | Content::Html(t) => t.clone(),
            _ => {
                return Err(AdapterError::Invalid(format!(
                    "{PLATFORM} can only edit a message's text"
                )))
            }
        };
        let extra = message.keyboard.as_ref().map_or(
            Extra {
                inline_keyboard: Vec::new(),
            },
            extra,
        );
        let body = EditMessage {
            message_id: &target.id,
            content,
            extra,
        };
        self.client.call("editmessage", &body).await.map(drop)
    }

    pub(super) async fn delete(&self, target: &MessageRef) -> Result<(), AdapterError> {
        self.client
            .call(
                "deletemessage",
                &DeleteMessage::One {
                    message_id: &target.id,
                },
            )
            .await
            .map(drop)
    }

    /// Deletes several messages in one request.
    pub async fn delete_messages(&self, ids: &[String]) -> Result<(), AdapterError> {
        self.client
            .call("deletemessage", &DeleteMessage::Many { message_ids: ids })
            .await
            .map(drop)
    }

    pub(super) async fn answer(
        &self,
        callback_id: &str,
        answer: &CallbackAnswer,
    ) -> Result<(), AdapterError> {
        self.auto_answer.cancel(callback_id);
        let body = AnswerCallback {
            callback_id,
            text: answer.text.as_deref().unwrap_or(""),
            show_alert: answer.alert,
            url: answer.url.as_deref(),
        };
        self.client.call("answercallback", &body).await.map(drop)
    }

    /// Mutes for `seconds`, or lifts a mute when `seconds` is `None`.
    pub(super) async fn mute(
        &self,
        chat: &ChatRef,
        user_id: &str,
        seconds: Option<u32>,
    ) -> Result<(), AdapterError> {
        if chat.kind != ChatKind::Group {
            return Err(AdapterError::Invalid(format!(
                "{PLATFORM} can only mute in a group"
            )));
        }
        let body = MuteMember {
            group_id: &chat.id,
            user_id,
            duration: seconds,
        };
        let method = if seconds.is_some() {
            "mutemember"
        } else {
            "unmutemember"
        };
        self.client.call(method, &body).await.map(drop)
    }

    /// The bot's own profile (`getme`), as Biliao sent it.
    pub async fn get_me(&self) -> Result<Value, AdapterError> {
        self.client.call("getme", &json!({})).await
    }

    /// A group's public profile (`getgroup`).
    pub async fn get_group(&self, group_id: &str) -> Result<Value, AdapterError> {
        self.client
            .call("getgroup", &json!({ "group_id": group_id }))
            .await
    }

    /// Sets the command menu.
    pub async fn set_commands(&self, commands: &[(String, String)]) -> Result<(), AdapterError> {
        let commands: Vec<BotCommand> = commands
            .iter()
            .map(|(c, d)| BotCommand {
                command: c.clone(),
                description: d.clone(),
            })
            .collect();
        self.client
            .call("botapisetcommands", &json!({ "commands": commands }))
            .await
            .map(drop)
    }

    /// The command menu as `(command, description)` pairs.
    pub async fn get_commands(&self) -> Result<Vec<(String, String)>, AdapterError> {
        let data = self.client.call("botapigetcommands", &json!({})).await?;
        let list = data.get("commands").cloned().unwrap_or(data);
        let commands: Vec<BotCommand> = serde_json::from_value(list).unwrap_or_default();
        Ok(commands
            .into_iter()
            .map(|c| (c.command, c.description))
            .collect())
    }
}

/// `group_id` for a group, `target_user_id` for a private chat.
pub(super) fn target(chat: &ChatRef) -> SendMessage<'_> {
    match chat.kind {
        ChatKind::Group => SendMessage {
            group_id: Some(&chat.id),
            ..SendMessage::default()
        },
        ChatKind::Private => SendMessage {
            target_user_id: Some(&chat.id),
            ..SendMessage::default()
        },
    }
}

fn media_type(content: &Content) -> &'static str {
    match content {
        Content::Image(_) => "image",
        Content::Video(_) => "video",
        Content::Audio(_) => "audio",
        _ => "file",
    }
}

fn extra(keyboard: &Keyboard) -> Extra {
    let button = |b: &crate::model::Button| {
        let mut out = WireButton {
            text: b.label.clone(),
            callback_data: None,
            url: None,
            copy_text: None,
        };
        match &b.action {
            ButtonAction::Callback(data) => out.callback_data = Some(data.clone()),
            ButtonAction::Url(url) => out.url = Some(url.clone()),
            ButtonAction::Copy(text) => out.copy_text = Some(text.clone()),
        }
        out
    };
    Extra {
        inline_keyboard: keyboard
            .rows
            .iter()
            .map(|row| row.iter().map(button).collect())
            .collect(),
    }
}
