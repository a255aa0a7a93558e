//! Neutral outgoing messages become `sendMessage` / `sendPhoto` / `editMessageText` fields.
//!
//! Plain text goes without `parse_mode`. Markdown and cards go as a `messageCard` document
//! (`parse_mode: "Fanbook"`), which is JSON whose `data` is itself a JSON string: the double
//! encoding the platform expects.

use serde_json::{json, Map, Value};

use super::markup::with_mentions;
use super::PLATFORM;
use crate::adapter::AdapterError;
use crate::model::{ButtonAction, Card, Content, Keyboard, Outgoing};

/// The longest preview line (`desc`) derived from a message.
const DESC_CHARS: usize = 60;

/// The fields of a message's body, without `chat_id` and reply fields.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Body {
    /// `sendMessage` / `editMessageText` fields.
    Text(Map<String, Value>),
    /// `sendPhoto` fields.
    Photo(Map<String, Value>),
}

/// Builds the body of a message. Content Fanbook cannot send is `Unsupported`.
pub(super) fn body(message: &Outgoing) -> Result<Body, AdapterError> {
    let mut fields = Map::new();
    let photo = match &message.content {
        Content::Text(text) => {
            fields.insert("text".into(), json!(with_mentions(text, &message.mentions)));
            false
        }
        Content::Markdown(text) => {
            let text = with_mentions(text, &message.mentions);
            card_fields(&mut fields, vec![markdown_widget(&text)], &text)?;
            false
        }
        Content::Card(card) => {
            card_fields(&mut fields, card_widgets(card), &card.title)?;
            false
        }
        Content::Image(media) => {
            fields.insert("photo".into(), json!({ "Url": media.url }));
            true
        }
        Content::Other((kind, raw)) => {
            fields = super::kinds::fields(kind, raw)?;
            false
        }
        other => return Err(unsupported(content_op(other))),
    };
    if !message.mentions.is_empty() && !photo && !fields.contains_key("mentions") {
        fields.insert("mentions".into(), json!(message.mentions));
    }
    if let Some(keyboard) = &message.keyboard {
        fields.insert("reply_markup".into(), reply_markup(keyboard)?);
    }
    Ok(if photo {
        Body::Photo(fields)
    } else {
        Body::Text(fields)
    })
}

/// `{"inline_keyboard": [[{text, callback_data | url}]]}`.
pub(super) fn reply_markup(keyboard: &Keyboard) -> Result<Value, AdapterError> {
    let mut rows = Vec::with_capacity(keyboard.rows.len());
    for row in &keyboard.rows {
        let mut buttons = Vec::with_capacity(row.len());
        for button in row {
            let b = match &button.action {
                ButtonAction::Callback(data) => {
                    json!({ "text": button.label, "callback_data": data })
                }
                ButtonAction::Url(url) => json!({ "text": button.label, "url": url }),
                ButtonAction::Copy(_) => return Err(unsupported("copy buttons")),
            };
            buttons.push(b);
        }
        rows.push(Value::Array(buttons));
    }
    Ok(json!({ "inline_keyboard": rows }))
}

fn card_fields(
    fields: &mut Map<String, Value>,
    children: Vec<Value>,
    summary: &str,
) -> Result<(), AdapterError> {
    let tree = json!({ "tag": "column", "children": children });
    let data = serde_json::to_string(&tree).map_err(|e| AdapterError::Invalid(e.to_string()))?;
    let desc = preview(summary);
    let document = json!({ "type": "messageCard", "data": data, "notification": desc });
    let text =
        serde_json::to_string(&document).map_err(|e| AdapterError::Invalid(e.to_string()))?;
    fields.insert("text".into(), json!(text));
    fields.insert("parse_mode".into(), json!("Fanbook"));
    fields.insert("desc".into(), json!(desc));
    Ok(())
}

fn markdown_widget(text: &str) -> Value {
    json!({ "tag": "container", "padding": "12", "child": { "tag": "markdown", "data": text } })
}

fn card_widgets(card: &Card) -> Vec<Value> {
    let mut children = vec![json!({
        "tag": "container",
        "padding": "12,8,12,8",
        "child": { "tag": "text", "data": card.title, "style": { "fontSize": 16, "fontWeight": "medium" } }
    })];
    if !card.body.is_empty() {
        children.push(markdown_widget(&card.body));
    }
    if let Some(image) = &card.image {
        children.push(json!({ "tag": "image", "src": image }));
    }
    if let Some(url) = &card.url {
        children.push(markdown_widget(&format!("[{url}]({url})")));
    }
    children
}

/// The first line of a message, shortened: Fanbook's chat-list preview.
fn preview(text: &str) -> String {
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .trim();
    line.chars().take(DESC_CHARS).collect()
}

fn content_op(content: &Content) -> &'static str {
    match content {
        Content::Html(_) => "html messages",
        Content::File(_) => "files",
        Content::Video(_) => "sending videos",
        Content::Audio(_) => "sending audio",
        Content::Sticker(_) => "stickers",
        _ => "this content",
    }
}

pub(super) fn unsupported(operation: &'static str) -> AdapterError {
    AdapterError::unsupported(PLATFORM, operation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Button, Media};

    fn outgoing(content: Content) -> Outgoing {
        Outgoing {
            content,
            keyboard: None,
            mentions: Vec::new(),
        }
    }

    #[test]
    fn markdown_is_a_double_encoded_card() {
        let Body::Text(fields) = body(&outgoing(Content::Markdown("**hi**".into()))).unwrap()
        else {
            panic!()
        };
        assert_eq!(fields["parse_mode"], "Fanbook");
        let doc: Value = serde_json::from_str(fields["text"].as_str().unwrap()).unwrap();
        assert_eq!(doc["type"], "messageCard");
        let tree: Value = serde_json::from_str(doc["data"].as_str().unwrap()).unwrap();
        assert_eq!(tree["children"][0]["child"]["data"], "**hi**");
    }

    #[test]
    fn plain_text_has_no_parse_mode_and_keyboards_map() {
        let mut m = outgoing(Content::Text("pick".into()));
        m.keyboard = Some(Keyboard {
            rows: vec![vec![
                Button {
                    label: "A".into(),
                    action: ButtonAction::Callback("a".into()),
                },
                Button {
                    label: "Web".into(),
                    action: ButtonAction::Url("https://x".into()),
                },
            ]],
        });
        let Body::Text(fields) = body(&m).unwrap() else {
            panic!()
        };
        assert!(!fields.contains_key("parse_mode"));
        assert_eq!(
            fields["reply_markup"]["inline_keyboard"][0][0],
            json!({"text": "A", "callback_data": "a"})
        );
        assert_eq!(
            fields["reply_markup"]["inline_keyboard"][0][1],
            json!({"text": "Web", "url": "https://x"})
        );
    }

    #[test]
    fn images_use_capital_url_and_files_are_unsupported() {
        let media = Media {
            url: "https://x/p.png".into(),
            name: None,
            size: None,
        };
        let Body::Photo(fields) = body(&outgoing(Content::Image(media.clone()))).unwrap() else {
            panic!()
        };
        assert_eq!(fields["photo"], json!({"Url": "https://x/p.png"}));
        assert!(matches!(
            body(&outgoing(Content::File(media))),
            Err(AdapterError::Unsupported { .. })
        ));
    }
}
