//! Values for the SDK's unit tests.

use crate::model::{ChatKind, ChatRef, Command, Content, Message, MessageRef, UserRef};

pub(crate) fn chat() -> ChatRef {
    ChatRef {
        platform: "sim".into(),
        bot: "main".into(),
        kind: ChatKind::Group,
        id: "c1".into(),
        guild: None,
    }
}

pub(crate) fn message(text: &str) -> Message {
    Message {
        id: MessageRef {
            chat: chat(),
            id: "m1".into(),
        },
        sender: UserRef {
            id: "u1".into(),
            name: Some("Ada".into()),
            is_bot: false,
        },
        content: Content::Text(text.into()),
        mentions: Vec::new(),
        reply_to: None,
        sent_at: 1_700_000_000_000,
    }
}

pub(crate) fn command(name: &str, args: &str) -> Command {
    Command {
        name: name.into(),
        args: args.into(),
        message: message(&format!("/{name} {args}")),
    }
}
