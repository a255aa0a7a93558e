//! Values that the unit tests of several modules build alike.

use crate::model::Action;
use crate::model::{ChatKind, ChatRef, Content, Outgoing};

/// The group chat `id` of the sim bot `sim`.
pub fn sim_chat(id: &str) -> ChatRef {
    ChatRef {
        platform: "sim".into(),
        bot: "sim".into(),
        kind: ChatKind::Group,
        id: id.into(),
        guild: None,
    }
}

/// The group chat `g` of the sim bot `sim`.
pub fn sim_group() -> ChatRef {
    sim_chat("g")
}

/// A plain text message.
pub fn text(text: &str) -> Outgoing {
    Outgoing {
        content: Content::Text(text.into()),
        keyboard: None,
        mentions: vec![],
    }
}

/// A plain text send to [`sim_group`] under the host handle `handle`.
pub fn text_send(handle: &str, message: &str) -> Action {
    Action::Send {
        handle: handle.into(),
        chat: sim_group(),
        message: text(message),
        reply_to: None,
    }
}
