//! Whether a send the outbox is in doubt about reached Yunhu: the chat's newest messages
//! (`/bot/messages`), those from a bot with the send's content type and text.

use super::extras::HistoryQuery;
use super::Yunhu;
use crate::adapter::AdapterError;
use crate::model::{Action, Content};

/// How many of a chat's newest messages are searched.
const LOOK_BACK: u32 = 50;

impl Yunhu {
    /// See `Adapter::find_sent`: text, markdown and html sends can be told; the rest cannot.
    pub(super) async fn find_sent_message(
        &self,
        send: &Action,
    ) -> Result<Option<Vec<String>>, AdapterError> {
        let Action::Send { chat, message, .. } = send else {
            return Ok(None);
        };
        let (content_type, text) = match &message.content {
            Content::Text(text) => ("text", text),
            Content::Markdown(text) => ("markdown", text),
            Content::Html(text) => ("html", text),
            _ => return Ok(None),
        };
        let query = HistoryQuery {
            before: LOOK_BACK,
            ..HistoryQuery::default()
        };
        let mut found: Vec<_> = (self.messages(&chat.id, chat.kind, &query).await?)
            .into_iter()
            .filter(|m| m.sender_is_bot && m.content_type == content_type)
            .filter(|m| m.text.as_ref() == Some(text))
            .collect();
        found.sort_by_key(|m| m.sent_at);
        Ok(Some(found.into_iter().map(|m| m.id).collect()))
    }
}
