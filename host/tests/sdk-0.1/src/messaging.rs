//! Sending and changing messages.
//!
//! Every function takes "anything that names the target": a [`Message`], a [`Command`], a
//! [`MessageRef`] (for messages) or those plus a [`ChatRef`], [`Callback`] or [`MemberChange`]
//! (for chats), by value or by reference. Effects are buffered by the host and applied in order
//! once the handler returns `Ok`; an error return applies none of them.
//!
//! [`MemberChange`]: crate::MemberChange

use crate::bindings::wasmbot::bot::messaging as wit;
use crate::model::{Callback, CallbackAnswer, ChatRef, Command, Message, MessageRef, Outgoing};
use crate::Error;

/// Sends a message to a chat; the returned ref can be edited, deleted or reacted to later.
pub fn send(chat: impl AsRef<ChatRef>, message: impl Into<Outgoing>) -> Result<MessageRef, Error> {
    let chat = chat.as_ref();
    let id = wit::send(chat, &message.into())?;
    Ok(MessageRef {
        chat: chat.clone(),
        id,
    })
}

/// Replies to a message in its chat.
pub fn reply(
    to: impl AsRef<MessageRef>,
    message: impl Into<Outgoing>,
) -> Result<MessageRef, Error> {
    let to = to.as_ref();
    let id = wit::reply(to, &message.into())?;
    Ok(MessageRef {
        chat: to.chat.clone(),
        id,
    })
}

/// Replaces a message's content and keyboard (usually one the plugin sent).
pub fn edit(target: impl AsRef<MessageRef>, message: impl Into<Outgoing>) -> Result<(), Error> {
    Ok(wit::edit(target.as_ref(), &message.into())?)
}

/// Deletes (recalls) a message.
pub fn delete(target: impl AsRef<MessageRef>) -> Result<(), Error> {
    Ok(wit::delete(target.as_ref())?)
}

/// Reacts to a message with an emoji, e.g. `"👀"`.
pub fn react(target: impl AsRef<MessageRef>, emoji: &str) -> Result<(), Error> {
    Ok(wit::react(target.as_ref(), emoji)?)
}

/// Answers a button click; pass a `&str` for a plain notice or a [`CallbackAnswer`].
pub fn answer_callback(callback_id: &str, answer: impl Into<CallbackAnswer>) -> Result<(), Error> {
    Ok(wit::answer_callback(callback_id, &answer.into())?)
}

/// Pins a message in its chat.
pub fn pin(target: impl AsRef<MessageRef>) -> Result<(), Error> {
    Ok(wit::pin(target.as_ref())?)
}

/// Unpins a message.
pub fn unpin(target: impl AsRef<MessageRef>) -> Result<(), Error> {
    Ok(wit::unpin(target.as_ref())?)
}

impl Message {
    /// Replies to this message (see [`reply`]).
    pub fn reply(&self, message: impl Into<Outgoing>) -> Result<MessageRef, Error> {
        reply(&self.id, message)
    }

    /// Reacts to this message (see [`react`]).
    pub fn react(&self, emoji: &str) -> Result<(), Error> {
        react(&self.id, emoji)
    }

    /// Deletes this message (see [`delete`]).
    pub fn delete(&self) -> Result<(), Error> {
        delete(&self.id)
    }
}

impl Command {
    /// Replies to the message that carried the command.
    pub fn reply(&self, message: impl Into<Outgoing>) -> Result<MessageRef, Error> {
        reply(&self.message.id, message)
    }
}

impl Callback {
    /// Answers this click (see [`answer_callback`]).
    pub fn answer(&self, answer: impl Into<CallbackAnswer>) -> Result<(), Error> {
        answer_callback(&self.id, answer)
    }

    /// The callback data with `prefix` removed, when it starts with `prefix`:
    /// `cb.data_after("role:")` is `Some("red")` for data `role:red`.
    pub fn data_after(&self, prefix: &str) -> Option<&str> {
        self.data.strip_prefix(prefix)
    }
}

impl CallbackAnswer {
    /// No notice: only acknowledges the click (some platforms show a spinner until then).
    pub fn empty() -> Self {
        CallbackAnswer {
            text: None,
            alert: false,
            url: None,
        }
    }

    /// A short notice (a toast) to the user who clicked.
    pub fn text(text: impl Into<String>) -> Self {
        CallbackAnswer {
            text: Some(text.into()),
            alert: false,
            url: None,
        }
    }

    /// A notice shown as an alert the user must dismiss.
    pub fn alert(text: impl Into<String>) -> Self {
        CallbackAnswer {
            text: Some(text.into()),
            alert: true,
            url: None,
        }
    }

    /// Also opens `url` for the user, where the platform supports it.
    #[must_use]
    pub fn with_url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }
}

impl Default for CallbackAnswer {
    fn default() -> Self {
        Self::empty()
    }
}

impl From<&str> for CallbackAnswer {
    fn from(text: &str) -> Self {
        CallbackAnswer::text(text)
    }
}

impl From<String> for CallbackAnswer {
    fn from(text: String) -> Self {
        CallbackAnswer::text(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_answers() {
        assert_eq!(CallbackAnswer::from("ok").text.as_deref(), Some("ok"));
        assert!(CallbackAnswer::alert("stop").alert);
        let answer = CallbackAnswer::default().with_url("https://example.com");
        assert_eq!(
            (answer.text, answer.url.as_deref()),
            (None, Some("https://example.com"))
        );
    }
}
