//! Outgoing messages → minapp `/api/send` bodies: text (with WeCom `mentioned_list`), markdown,
//! image by URL, link cards (or WeCom `news` articles), mini-programs. minapp has no buttons: a
//! keyboard's links are appended to the text, and callback buttons are refused.

use serde_json::{json, Map, Value};

use super::wire::SendBody;
use super::{CardFormat, Minapp, PLATFORM};
use crate::adapter::AdapterError;
use crate::model::{ButtonAction, Card, Content, Keyboard, Outgoing};

impl Minapp {
    pub(super) async fn send(
        &self,
        conversation_id: &str,
        message: &Outgoing,
    ) -> Result<(), AdapterError> {
        let body = self.body(message)?;
        self.client.send(conversation_id, &body).await
    }

    /// Sends a mini-program card; minapp leaves its fields undocumented, so they go as given.
    pub async fn send_miniprogram(
        &self,
        conversation_id: &str,
        fields: Map<String, Value>,
    ) -> Result<(), AdapterError> {
        self.client
            .send(conversation_id, &body("miniprogram", Value::Object(fields)))
            .await
    }

    fn body(&self, message: &Outgoing) -> Result<SendBody, AdapterError> {
        let links = keyboard_links(message.keyboard.as_ref())?;
        Ok(match &message.content {
            Content::Text(text) | Content::Html(text) => {
                let mut text_body = json!({ "content": format!("{text}{links}") });
                if !message.mentions.is_empty() {
                    text_body["mentioned_list"] = json!(message.mentions);
                }
                body("text", text_body)
            }
            Content::Markdown(text) => {
                body("markdown", json!({ "content": format!("{text}{links}") }))
            }
            Content::Image(media) => body("image", json!({ "url": media.url })),
            Content::Card(card) => self.card(card),
            Content::Other((kind, fields)) => {
                if message.keyboard.is_some() {
                    return Err(AdapterError::Invalid(format!(
                        "{PLATFORM} has no buttons; a `{kind}` message cannot carry a keyboard"
                    )));
                }
                super::own::kind_body(kind, fields)?
            }
            Content::File(_) => return Err(AdapterError::unsupported(
                PLATFORM,
                "file (a WeCom file goes by media_id, and minapp documents no upload endpoint to get one)",
            )),
            Content::Audio(_) => return Err(AdapterError::unsupported(
                PLATFORM,
                "audio (a WeCom voice goes by media_id, and minapp documents no upload endpoint to get one)",
            )),
            Content::Video(_) => return Err(AdapterError::unsupported(
                PLATFORM,
                "video (neither minapp nor WeCom's group robots have a video message)",
            )),
            Content::Sticker(_) => return Err(AdapterError::unsupported(
                PLATFORM,
                "sticker (neither minapp nor WeCom's group robots have a sticker message)",
            )),
        })
    }

    /// A card with a link is a link card (or a `news` article); without one it is markdown.
    fn card(&self, card: &Card) -> SendBody {
        let Some(url) = &card.url else {
            return body(
                "markdown",
                json!({ "content": format!("**{}**\n{}", card.title, card.body) }),
            );
        };
        match self.card_format {
            CardFormat::Link => body(
                "link",
                json!({ "title": card.title, "url": url, "desc": card.body, "image_url": card.image.clone().unwrap_or_default() }),
            ),
            CardFormat::News => body(
                "news",
                json!({ "articles": [{ "title": card.title, "description": card.body, "url": url, "picurl": card.image.clone().unwrap_or_default() }] }),
            ),
        }
    }
}

fn body(msgtype: &'static str, inner: Value) -> SendBody {
    SendBody::new(msgtype, inner)
}

/// The keyboard's links as text lines; a callback button cannot work on minapp and is refused.
fn keyboard_links(keyboard: Option<&Keyboard>) -> Result<String, AdapterError> {
    let mut out = String::new();
    for button in keyboard.iter().flat_map(|k| k.rows.iter().flatten()) {
        match &button.action {
            ButtonAction::Url(url) => out.push_str(&format!("\n{}: {url}", button.label)),
            ButtonAction::Copy(text) => out.push_str(&format!("\n{}: {text}", button.label)),
            ButtonAction::Callback(_) => {
                return Err(AdapterError::Invalid(format!(
                    "{PLATFORM} has no buttons; callback buttons cannot be sent"
                )));
            }
        }
    }
    Ok(out)
}
