//! Whether a send the outbox is in doubt about reached Fanbook: the channel's newest messages
//! (`message/getList`), those by the bot itself whose content is the send's text.

use serde_json::Value;

use super::markup::with_mentions;
use super::Fanbook;
use crate::adapter::webhook::lenient::text_of;
use crate::adapter::AdapterError;
use crate::model::{Action, Content};

/// How many of a channel's newest messages are searched (the method's maximum).
const LOOK_BACK: &str = "100";

impl Fanbook {
    /// See `Adapter::find_sent`: plain text sends can be told; the rest cannot.
    pub(super) async fn find_sent_message(
        &self,
        send: &Action,
    ) -> Result<Option<Vec<String>>, AdapterError> {
        let Action::Send { chat, message, .. } = send else {
            return Ok(None);
        };
        let Content::Text(text) = &message.content else {
            return Ok(None);
        };
        let text = with_mentions(text, &message.mentions);
        let channel = self.chat_id(chat).await?;
        let me = self.shared.me().await?.to_string();
        let form = [
            ("channel_id".to_string(), channel.to_string()),
            ("size".to_string(), LOOK_BACK.to_string()),
            ("behavior".to_string(), "before".to_string()),
        ];
        let listed: Vec<Value> = (self.shared.client)
            .post_form("message/getList", &form)
            .await?;
        let mut found: Vec<(u64, String)> = listed
            .iter()
            .filter(|m| text_of(&m["user_id"]) == me)
            .filter(|m| text_in(&m["content"]).as_deref() == Some(text.as_str()))
            .map(|m| (m["time"].as_u64().unwrap_or(0), text_of(&m["message_id"])))
            .collect();
        found.sort();
        Ok(Some(found.into_iter().map(|(_, id)| id).collect()))
    }
}

/// The text of a listed message's `content` (a JSON document as a string: `{"type":"text",
/// "text":…}`); `None` for other kinds.
fn text_in(content: &Value) -> Option<String> {
    let document: Value = serde_json::from_str(content.as_str()?).ok()?;
    if document["type"] != "text" {
        return None;
    }
    document["text"].as_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_text_documents_have_a_text() {
        let text = json!("{\"type\":\"text\",\"text\":\"hi\"}");
        assert_eq!(text_in(&text).as_deref(), Some("hi"));
        assert_eq!(
            text_in(&json!("{\"type\":\"image\",\"text\":\"hi\"}")),
            None
        );
        assert_eq!(text_in(&json!("not json")), None);
        assert_eq!(text_in(&json!(7)), None);
    }
}
