//! Yunhu operations the WIT has no words for: boards (per chat, per member, global), batch send,
//! stream send and message history. The CLI (`wasmbot yunhu …`) and tests call them directly.

use serde::Serialize;
use serde_json::{json, Value};

use super::outbound::recv_type;
use super::wire::{BatchSendRequest, BoardAllRequest, BoardRequest, HistoryItem};
use super::Yunhu;
use crate::adapter::webhook::lenient;
use crate::adapter::AdapterError;
use crate::model::{ChatKind, Outgoing};

/// Yunhu sends at most this many recipients per batch request.
const BATCH_CHUNK: usize = 200;

/// How a board's text is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BoardFormat {
    #[default]
    Text,
    Markdown,
    Html,
}

impl BoardFormat {
    fn name(self) -> &'static str {
        match self {
            BoardFormat::Text => "text",
            BoardFormat::Markdown => "markdown",
            BoardFormat::Html => "html",
        }
    }
}

/// Which messages `messages` returns around `message_id` (or the newest).
#[derive(Debug, Clone, Default, Serialize)]
pub struct HistoryQuery {
    pub message_id: Option<String>,
    pub before: u32,
    pub after: u32,
}

/// One message of a chat's history, in neutral terms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryMessage {
    pub id: String,
    pub reply_to: Option<String>,
    pub sender_id: String,
    pub sender_name: Option<String>,
    pub sender_is_bot: bool,
    pub content_type: String,
    /// The text of text, markdown and html messages.
    pub text: Option<String>,
    /// Unix time in milliseconds.
    pub sent_at: i64,
}

impl Yunhu {
    /// Shows a board in a chat (or to one member of it). `expire_at` is Unix seconds, 0 = never.
    pub async fn set_board(
        &self,
        chat_id: &str,
        kind: ChatKind,
        member: Option<&str>,
        format: BoardFormat,
        content: &str,
        expire_at: i64,
    ) -> Result<(), AdapterError> {
        let request = BoardRequest {
            chat_id,
            chat_type: recv_type(kind),
            member_id: member.unwrap_or_default(),
            content_type: Some(format.name()),
            content: Some(content),
            expire_time: Some(expire_at),
        };
        self.client.call("/bot/board", &request).await.map(drop)
    }

    pub async fn dismiss_board(
        &self,
        chat_id: &str,
        kind: ChatKind,
        member: Option<&str>,
    ) -> Result<(), AdapterError> {
        let request = BoardRequest {
            chat_id,
            chat_type: recv_type(kind),
            member_id: member.unwrap_or_default(),
            content_type: None,
            content: None,
            expire_time: None,
        };
        self.client
            .call("/bot/board-dismiss", &request)
            .await
            .map(drop)
    }

    /// Shows a board in every chat of the bot.
    pub async fn set_board_all(
        &self,
        format: BoardFormat,
        content: &str,
        expire_at: i64,
    ) -> Result<(), AdapterError> {
        let request = BoardAllRequest {
            content_type: format.name(),
            content,
            expire_time: expire_at,
        };
        self.client.call("/bot/board-all", &request).await.map(drop)
    }

    pub async fn dismiss_board_all(&self) -> Result<(), AdapterError> {
        self.client
            .call("/bot/board-all-dismiss", &json!({}))
            .await
            .map(drop)
    }

    /// Sends one message to many users (or groups), 200 per request, each id once. Returns the
    /// ids of the messages sent.
    pub async fn batch_send(
        &self,
        kind: ChatKind,
        ids: &[String],
        message: &Outgoing,
    ) -> Result<Vec<String>, AdapterError> {
        let mut unique: Vec<String> = Vec::new();
        for id in ids {
            if !unique.contains(id) {
                unique.push(id.clone());
            }
        }
        let built = self.build(message).await?;
        let mut sent = Vec::new();
        for chunk in unique.chunks(BATCH_CHUNK) {
            let request = BatchSendRequest {
                recv_ids: chunk,
                recv_type: recv_type(kind),
                content_type: built.content_type,
                content: &built.content,
            };
            let data = self.client.call("/bot/batch_send", &request).await?;
            let list = data
                .get("successList")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            sent.extend(
                list.iter()
                    .filter_map(|m| m.get("msgId"))
                    .map(lenient::text_of)
                    .filter(|id| !id.is_empty()),
            );
        }
        Ok(sent)
    }

    /// Sends text that is still being written: each chunk goes out as it comes, in one chunked
    /// request. Returns the message id when Yunhu gives one.
    pub async fn send_stream(
        &self,
        chat_id: &str,
        kind: ChatKind,
        markdown: bool,
        parent: Option<&str>,
        chunks: Vec<String>,
    ) -> Result<Option<String>, AdapterError> {
        let mut query = vec![
            ("recvId", chat_id),
            ("recvType", recv_type(kind)),
            ("contentType", if markdown { "markdown" } else { "text" }),
        ];
        if let Some(parent) = parent {
            query.push(("parentId", parent));
        }
        let data = self.client.stream(&query, chunks).await?;
        Ok(data
            .pointer("/messageInfo/msgId")
            .map(lenient::text_of)
            .filter(|id| !id.is_empty()))
    }

    /// A chat's messages (`GET /bot/messages`; Yunhu returns nothing unless before or after > 0,
    /// so both 0 asks for the 20 newest).
    pub async fn messages(
        &self,
        chat_id: &str,
        kind: ChatKind,
        query: &HistoryQuery,
    ) -> Result<Vec<HistoryMessage>, AdapterError> {
        let before = if query.before == 0 && query.after == 0 {
            20
        } else {
            query.before
        }
        .to_string();
        let after = query.after.to_string();
        let mut params = vec![
            ("chat-id", chat_id),
            ("chat-type", recv_type(kind)),
            ("before", before.as_str()),
        ];
        if query.after > 0 {
            params.push(("after", after.as_str()));
        }
        if let Some(id) = &query.message_id {
            params.push(("message-id", id.as_str()));
        }
        let data = self.client.call_get("/bot/messages", &params).await?;
        let items: Vec<HistoryItem> =
            lenient::or_default(data.get("list").cloned().unwrap_or(Value::Null))
                .unwrap_or_default();
        Ok(items.into_iter().map(history_message).collect())
    }
}

fn history_message(item: HistoryItem) -> HistoryMessage {
    let text = item
        .content
        .get("text")
        .map(lenient::text_of)
        .filter(|t| !t.is_empty());
    HistoryMessage {
        id: item.msg_id,
        reply_to: item.parent_id,
        sender_id: item.sender_id,
        sender_name: item.sender_nickname,
        sender_is_bot: item.sender_type == "bot",
        content_type: item.content_type,
        text,
        sent_at: item.send_time,
    }
}
