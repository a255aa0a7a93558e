//! Actions → Yunhu requests: send (uploading media first), edit, recall, mute, kick and group
//! tags (the role analogue).

use serde_json::{json, Value};

use super::client::Upload;
use super::wire::{
    EditRequest, GagRequest, MemberRequest, OutContent, RecallRequest, SendRequest, TagRequest,
    WireButton,
};
use super::{Yunhu, PLATFORM};
use crate::adapter::webhook::lenient;
use crate::adapter::{AdapterError, Receipt};
use crate::model::Role;
use crate::model::{ButtonAction, ChatKind, ChatRef, Content, Keyboard, MessageRef, Outgoing};

/// A message as Yunhu takes it: one content type and its content.
#[derive(Debug)]
pub(super) struct Built {
    pub content_type: &'static str,
    pub content: OutContent,
}

/// `user` for a private chat, `group` for a group.
pub(super) fn recv_type(kind: ChatKind) -> &'static str {
    match kind {
        ChatKind::Private => "user",
        ChatKind::Group => "group",
    }
}

impl Yunhu {
    pub(super) async fn send(
        &self,
        chat: &ChatRef,
        message: &Outgoing,
        reply_to: Option<&str>,
    ) -> Result<Receipt, AdapterError> {
        if let Content::Other((kind, fields)) = &message.content {
            if kind == "stream" {
                return self.send_stream_kind(chat, fields, reply_to).await;
            }
        }
        let built = self.build(message).await?;
        let request = SendRequest {
            recv_id: &chat.id,
            recv_type: recv_type(chat.kind),
            content_type: built.content_type,
            content: &built.content,
            parent_id: reply_to,
        };
        let data = self.client.call("/bot/send", &request).await?;
        let message_id = data
            .pointer("/messageInfo/msgId")
            .map(lenient::text_of)
            .filter(|id| !id.is_empty());
        Ok(Receipt { message_id })
    }

    /// `/bot/edit` needs the chat as well as the message id; the target's chat holds it.
    pub(super) async fn edit(
        &self,
        target: &MessageRef,
        message: &Outgoing,
    ) -> Result<(), AdapterError> {
        let built = self.build(message).await?;
        let request = EditRequest {
            msg_id: &target.id,
            recv_id: &target.chat.id,
            recv_type: recv_type(target.chat.kind),
            content_type: built.content_type,
            content: &built.content,
        };
        self.client.call("/bot/edit", &request).await.map(drop)
    }

    pub(super) async fn recall(&self, target: &MessageRef) -> Result<(), AdapterError> {
        let request = RecallRequest {
            msg_id: &target.id,
            chat_id: &target.chat.id,
            chat_type: recv_type(target.chat.kind),
        };
        self.client.call("/bot/recall", &request).await.map(drop)
    }

    /// Mutes for `seconds`; 0 lifts the mute.
    pub(super) async fn gag(
        &self,
        chat: &ChatRef,
        user_id: &str,
        seconds: i64,
    ) -> Result<Receipt, AdapterError> {
        let request = GagRequest {
            group_id: group(chat, "mute")?,
            user_id,
            gag: seconds,
        };
        self.client
            .call("/group/gag-member", &request)
            .await
            .map(|_| Receipt::default())
    }

    pub(super) async fn kick(
        &self,
        chat: &ChatRef,
        user_id: &str,
    ) -> Result<Receipt, AdapterError> {
        let request = MemberRequest {
            group_id: group(chat, "kick")?,
            user_id,
        };
        self.client
            .call("/group/remove-member", &request)
            .await
            .map(|_| Receipt::default())
    }

    /// Gives (or takes away) the group tag named `tag`: Yunhu's closest thing to a role.
    pub(super) async fn tag(
        &self,
        chat: &ChatRef,
        user_id: &str,
        tag: &str,
        add: bool,
    ) -> Result<Receipt, AdapterError> {
        let request = TagRequest {
            group_id: group(chat, "tag")?,
            user_id,
            tag,
        };
        let path = if add {
            "/group/tag/user-relate"
        } else {
            "/group/tag/user-relate-cancel"
        };
        self.client
            .call(path, &request)
            .await
            .map(|_| Receipt::default())
    }

    /// The group's tags as roles; a role's id is the tag's name, which is what relating takes.
    pub(super) async fn tags(&self, chat: &ChatRef) -> Result<Vec<Role>, AdapterError> {
        let data = self
            .client
            .call(
                "/group/tag/list",
                &json!({ "groupId": group(chat, "list tags")? }),
            )
            .await?;
        let items = ["", "/list", "/tags", "/tagList"]
            .iter()
            .find_map(|p| data.pointer(p).and_then(Value::as_array))
            .cloned()
            .unwrap_or_default();
        let roles = items
            .iter()
            .filter_map(|item| {
                let name = ["tag", "name", "tagName"]
                    .iter()
                    .map(|k| item.get(*k).map(lenient::text_of).unwrap_or_default())
                    .find(|s| !s.is_empty())?;
                Some(Role {
                    id: name.clone(),
                    name,
                })
            })
            .collect();
        Ok(roles)
    }

    /// Uploads media when the message carries some, and builds the content.
    pub(super) async fn build(&self, message: &Outgoing) -> Result<Built, AdapterError> {
        let mut content = OutContent::default();
        let content_type = match &message.content {
            Content::Text(text) => {
                content.text = Some(text.clone());
                content.at = message.mentions.clone();
                "text"
            }
            Content::Markdown(text) => {
                content.text = Some(text.clone());
                "markdown"
            }
            Content::Html(text) => {
                content.text = Some(text.clone());
                "html"
            }
            Content::Image(media) => {
                content.image_key = Some(self.client.upload(Upload::Image, media).await?);
                "image"
            }
            Content::Video(media) => {
                content.video_key = Some(self.client.upload(Upload::Video, media).await?);
                "video"
            }
            // Yunhu sends no audio messages: a clip goes out as a file.
            Content::File(media) | Content::Audio(media) => {
                content.file_key = Some(self.client.upload(Upload::File, media).await?);
                "file"
            }
            Content::Card(card) => {
                content.text = Some(card_markdown(card));
                "markdown"
            }
            Content::Other((kind, fields)) => return self.build_kind(kind, fields, message),
            Content::Sticker(_) => {
                return Err(AdapterError::unsupported(
                    PLATFORM,
                    "sticker (Yunhu's bot API sends no expression messages)",
                ));
            }
        };
        content.buttons = message.keyboard.as_ref().map(buttons);
        Ok(Built {
            content_type,
            content,
        })
    }
}

/// A card as markdown: a bold title, the body, the picture and the link.
fn card_markdown(card: &crate::model::Card) -> String {
    let mut out = format!("**{}**\n\n{}", card.title, card.body);
    if let Some(image) = &card.image {
        out.push_str(&format!("\n\n![]({image})"));
    }
    if let Some(url) = &card.url {
        out.push_str(&format!("\n\n[{url}]({url})"));
    }
    out
}

/// Rows of buttons: a callback is actionType 3 (reported back as `button.report.inline`), a
/// link 1, a copy 2.
pub(super) fn buttons(keyboard: &Keyboard) -> Vec<Vec<WireButton>> {
    let button = |b: &crate::model::Button| match &b.action {
        ButtonAction::Url(url) => WireButton {
            text: b.label.clone(),
            action_type: 1,
            url: Some(url.clone()),
            value: None,
        },
        ButtonAction::Copy(text) => WireButton {
            text: b.label.clone(),
            action_type: 2,
            url: None,
            value: Some(text.clone()),
        },
        ButtonAction::Callback(data) => WireButton {
            text: b.label.clone(),
            action_type: 3,
            url: None,
            value: Some(data.clone()),
        },
    };
    keyboard
        .rows
        .iter()
        .map(|row| row.iter().map(button).collect())
        .collect()
}

/// The group id of a group chat; moderation has no meaning in a private chat.
fn group<'a>(chat: &'a ChatRef, what: &str) -> Result<&'a str, AdapterError> {
    match chat.kind {
        ChatKind::Group => Ok(&chat.id),
        ChatKind::Private => Err(AdapterError::Invalid(format!(
            "{PLATFORM} can only {what} in a group"
        ))),
    }
}
