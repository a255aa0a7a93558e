//! What plugins ask the platforms to do. Actions are buffered while a plugin handles an event and
//! committed to the outbox together with the event's completion.

use serde::{Deserialize, Serialize};

use super::event::{ChatRef, MessageRef, Operation, Outgoing};

/// A notice shown to the user who clicked a button.
pub use super::wit::wasmbot::bot0_1_0::messaging::CallbackAnswer;

/// One effect on a platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Action {
    Send {
        /// The host handle returned to the plugin; mapped to the platform's id on delivery.
        handle: String,
        chat: ChatRef,
        message: Outgoing,
        /// The platform message this one replies to.
        reply_to: Option<String>,
    },
    Edit {
        target: MessageRef,
        message: Outgoing,
    },
    Delete {
        target: MessageRef,
    },
    React {
        target: MessageRef,
        emoji: String,
    },
    AnswerCallback {
        chat: ChatRef,
        callback_id: String,
        answer: CallbackAnswer,
    },
    Pin {
        target: MessageRef,
    },
    Unpin {
        target: MessageRef,
    },
    AddRole {
        chat: ChatRef,
        user_id: String,
        role_id: String,
    },
    RemoveRole {
        chat: ChatRef,
        user_id: String,
        role_id: String,
    },
    Mute {
        chat: ChatRef,
        user_id: String,
        seconds: u32,
    },
    Unmute {
        chat: ChatRef,
        user_id: String,
    },
    Kick {
        chat: ChatRef,
        user_id: String,
    },
}

impl Action {
    /// The chat the action happens in: actions of one chat are delivered in order.
    pub fn chat(&self) -> &ChatRef {
        match self {
            Action::Send { chat, .. }
            | Action::AnswerCallback { chat, .. }
            | Action::AddRole { chat, .. }
            | Action::RemoveRole { chat, .. }
            | Action::Mute { chat, .. }
            | Action::Unmute { chat, .. }
            | Action::Kick { chat, .. } => chat,
            Action::Edit { target, .. }
            | Action::Delete { target }
            | Action::React { target, .. }
            | Action::Pin { target }
            | Action::Unpin { target } => &target.chat,
        }
    }

    pub fn operation(&self) -> Operation {
        match self {
            Action::Send { reply_to: None, .. } => Operation::Send,
            Action::Send {
                reply_to: Some(_), ..
            } => Operation::Reply,
            Action::Edit { .. } => Operation::Edit,
            Action::Delete { .. } => Operation::Delete,
            Action::React { .. } => Operation::React,
            Action::AnswerCallback { .. } => Operation::AnswerCallback,
            Action::Pin { .. } => Operation::Pin,
            Action::Unpin { .. } => Operation::Unpin,
            Action::AddRole { .. } => Operation::AddRole,
            Action::RemoveRole { .. } => Operation::RemoveRole,
            Action::Mute { .. } => Operation::Mute,
            Action::Unmute { .. } => Operation::Unmute,
            Action::Kick { .. } => Operation::Kick,
        }
    }

    /// The message the action refers to, if it targets one.
    pub fn target_mut(&mut self) -> Option<&mut MessageRef> {
        match self {
            Action::Edit { target, .. }
            | Action::Delete { target }
            | Action::React { target, .. }
            | Action::Pin { target }
            | Action::Unpin { target } => Some(target),
            _ => None,
        }
    }
}
