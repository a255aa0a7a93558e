//! `wasmbot:bot/messaging`.

use super::HostResult;
use crate::model::wit::wasmbot::bot0_1_0::messaging::Host;
use crate::model::{Action, CallbackAnswer};
use crate::model::{ButtonAction, ChatRef, Content, Error, MessageRef, Outgoing};
use crate::runtime::state::HostState;

/// Limits that keep one message within what every platform accepts.
const MAX_TEXT_BYTES: usize = 16 * 1024;
const MAX_ROWS: usize = 10;
const MAX_BUTTONS_PER_ROW: usize = 8;
const MAX_CALLBACK_DATA_BYTES: usize = 256;

impl Host for HostState {
    fn send(&mut self, chat: ChatRef, message: Outgoing) -> HostResult<String> {
        Ok(self.send_message(chat, message, None))
    }

    fn reply(&mut self, to: MessageRef, message: Outgoing) -> HostResult<String> {
        if let Err(e) = self.check_known(&to) {
            return Ok(Err(e));
        }
        Ok(self.send_message(to.chat, message, Some(to.id)))
    }

    fn edit(&mut self, target: MessageRef, message: Outgoing) -> HostResult<()> {
        Ok(validate(&message, &[])
            .and_then(|()| self.check_known(&target))
            .and_then(|()| self.buffer(Action::Edit { target, message })))
    }

    fn delete(&mut self, target: MessageRef) -> HostResult<()> {
        Ok(self
            .check_known(&target)
            .and_then(|()| self.buffer(Action::Delete { target })))
    }

    fn react(&mut self, target: MessageRef, emoji: String) -> HostResult<()> {
        if emoji.trim().is_empty() || emoji.len() > 64 {
            return Ok(Err(Error::Invalid("emoji must be 1 to 64 bytes".into())));
        }
        Ok(self
            .check_known(&target)
            .and_then(|()| self.buffer(Action::React { target, emoji })))
    }

    fn answer_callback(&mut self, callback_id: String, answer: CallbackAnswer) -> HostResult<()> {
        let (Some(chat), Some(current)) =
            (self.scope.chat.clone(), self.scope.callback_id.as_deref())
        else {
            return Ok(Err(Error::Invalid(
                "answer-callback is only possible while handling a callback".into(),
            )));
        };
        if current != callback_id {
            return Ok(Err(Error::Invalid(format!(
                "`{callback_id}` is not the callback being handled"
            ))));
        }
        Ok(self.buffer(Action::AnswerCallback {
            chat,
            callback_id,
            answer,
        }))
    }

    fn pin(&mut self, target: MessageRef) -> HostResult<()> {
        Ok(self
            .check_known(&target)
            .and_then(|()| self.buffer(Action::Pin { target })))
    }

    fn unpin(&mut self, target: MessageRef) -> HostResult<()> {
        Ok(self
            .check_known(&target)
            .and_then(|()| self.buffer(Action::Unpin { target })))
    }
}

impl HostState {
    /// Buffers a send and returns its handle at once; the handle is indexed with the commit, so
    /// edits and deletes of it are accepted before it is delivered.
    fn send_message(
        &mut self,
        chat: ChatRef,
        message: Outgoing,
        reply_to: Option<String>,
    ) -> Result<String, Error> {
        validate(&message, self.services.platforms.message_kinds(&chat.bot))?;
        let handle = self.mint_handle();
        self.buffer(Action::Send {
            handle: handle.clone(),
            chat,
            message,
            reply_to,
        })?;
        Ok(handle)
    }
}

/// Checks a message is something every platform could take, or one of `kinds`, the message kinds
/// of the chat's platform, with a JSON object of fields.
fn validate(message: &Outgoing, kinds: &[crate::model::OpSpec]) -> Result<(), Error> {
    match &message.content {
        Content::Text(t) | Content::Markdown(t) | Content::Html(t) | Content::Sticker(t) => {
            if t.trim().is_empty() {
                return Err(Error::Invalid("the message text is empty".into()));
            }
            if t.len() > MAX_TEXT_BYTES {
                return Err(Error::Invalid(format!(
                    "the message text is {} bytes; the limit is {MAX_TEXT_BYTES}",
                    t.len()
                )));
            }
        }
        Content::Image(m) | Content::File(m) | Content::Video(m) | Content::Audio(m) => {
            if m.url.trim().is_empty() {
                return Err(Error::Invalid("the media url is empty".into()));
            }
        }
        Content::Card(card) => {
            if card.title.trim().is_empty() && card.body.trim().is_empty() {
                return Err(Error::Invalid("the card has neither title nor body".into()));
            }
        }
        Content::Other((kind, fields)) => validate_kind(kind, fields, kinds)?,
    }
    if let Some(keyboard) = &message.keyboard {
        if keyboard.rows.len() > MAX_ROWS
            || keyboard.rows.iter().any(|r| r.len() > MAX_BUTTONS_PER_ROW)
        {
            return Err(Error::Invalid(format!(
                "a keyboard has at most {MAX_ROWS} rows of {MAX_BUTTONS_PER_ROW} buttons"
            )));
        }
        for button in keyboard.rows.iter().flatten() {
            if button.label.trim().is_empty() {
                return Err(Error::Invalid("a button has an empty label".into()));
            }
            if let ButtonAction::Callback(data) = &button.action {
                if data.len() > MAX_CALLBACK_DATA_BYTES {
                    return Err(Error::Invalid(format!(
                        "callback data is limited to {MAX_CALLBACK_DATA_BYTES} bytes"
                    )));
                }
            }
        }
    }
    Ok(())
}

/// A platform's own message kind: one it lists, with a JSON object of fields.
fn validate_kind(kind: &str, fields: &str, kinds: &[crate::model::OpSpec]) -> Result<(), Error> {
    if !kinds.iter().any(|k| k.name == kind) {
        let names: Vec<&str> = kinds.iter().map(|k| k.name).collect();
        return Err(Error::Invalid(format!(
            "content kind `{kind}` cannot be sent here; this platform's kinds: {}",
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        )));
    }
    if fields.len() > 4 * MAX_TEXT_BYTES {
        return Err(Error::Invalid(format!(
            "the `{kind}` fields are {} bytes; the limit is {}",
            fields.len(),
            4 * MAX_TEXT_BYTES
        )));
    }
    match serde_json::from_str::<serde_json::Value>(fields) {
        Ok(serde_json::Value::Object(_)) => Ok(()),
        _ => Err(Error::Invalid(format!(
            "the `{kind}` fields must be a JSON object"
        ))),
    }
}
