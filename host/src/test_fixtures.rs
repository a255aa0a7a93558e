//! Values that the unit tests of several modules build alike.

use crate::model::Action;
use crate::model::{ChatKind, ChatRef, Content, Outgoing};

/// The group chat `g` of the sim bot `sim`.
pub fn sim_group() -> ChatRef {
    ChatRef {
        platform: "sim".into(),
        bot: "sim".into(),
        kind: ChatKind::Group,
        id: "g".into(),
        guild: None,
    }
}

/// A plain text send to [`sim_group`] under the host handle `handle`.
pub fn text_send(handle: &str, text: &str) -> Action {
    Action::Send {
        handle: handle.into(),
        chat: sim_group(),
        message: Outgoing {
            content: Content::Text(text.into()),
            keyboard: None,
            mentions: vec![],
        },
        reply_to: None,
    }
}
