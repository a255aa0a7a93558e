//! Yunhu's JSON, as serde types. Inbound types are lenient: every field but the event type has a
//! default, ids may be numbers or strings, `at` may be a list or a comma-separated string, form
//! values may be booleans and labels `null` (all seen in production payloads). Nested bodies are
//! kept as their text ([`RawValue`]) until read, so a number keeps its exact literal.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::adapter::webhook::lenient::{self, Scalar};

/// The webhook body: `{version, header, event}`.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    #[serde(default)]
    pub header: Header,
    #[serde(default)]
    pub event: Option<Box<RawValue>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    #[serde(default, deserialize_with = "lenient::string")]
    pub event_id: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub event_type: String,
}

/// `message.receive.normal` and `message.receive.instruction`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MessageEvent {
    #[serde(deserialize_with = "lenient::or_default")]
    pub sender: Sender,
    #[serde(deserialize_with = "lenient::or_default")]
    pub chat: Chat,
    #[serde(deserialize_with = "lenient::or_default")]
    pub message: WireMessage,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Sender {
    #[serde(deserialize_with = "lenient::string")]
    pub sender_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub sender_type: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub sender_nickname: Option<String>,
    /// `owner`, `administrator`, `member` or `unknown` (the sender's rank in a group).
    #[serde(deserialize_with = "lenient::string")]
    pub sender_user_level: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Chat {
    #[serde(deserialize_with = "lenient::string")]
    pub chat_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub chat_type: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WireMessage {
    #[serde(deserialize_with = "lenient::string")]
    pub msg_id: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub parent_id: Option<String>,
    #[serde(deserialize_with = "lenient::int")]
    pub send_time: i64,
    #[serde(deserialize_with = "lenient::string")]
    pub chat_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub chat_type: String,
    #[serde(deserialize_with = "lenient::string")]
    pub content_type: String,
    pub content: Option<Box<RawValue>>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub command_name: Option<String>,
    /// The deprecated alias of `commandName`, still sent.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub instruction_name: Option<String>,
}

/// The fields of every inbound content type; each type fills some of them.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WireContent {
    #[serde(deserialize_with = "lenient::scalar")]
    pub text: Scalar,
    #[serde(deserialize_with = "lenient::string_list")]
    pub at: Vec<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub image_url: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub image_name: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub video_url: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub audio_url: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub file_name: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub file_url: Option<String>,
    #[serde(deserialize_with = "lenient::int")]
    pub file_size: i64,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub expression_id: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub post_title: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub post_content: Option<String>,
    #[serde(deserialize_with = "lenient::or_default")]
    pub form_json: BTreeMap<String, FormField>,
}

/// One field of a submitted form. `value` is a string, or a bool for a switch.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct FormField {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(rename = "type", deserialize_with = "lenient::string")]
    pub kind: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub label: Option<String>,
    pub value: Option<Box<RawValue>>,
    pub select_value: Option<Box<RawValue>>,
    #[serde(deserialize_with = "lenient::or_default")]
    pub select_values: Vec<Box<RawValue>>,
    #[serde(deserialize_with = "lenient::or_default")]
    pub select_status: Vec<Value>,
}

/// `bot.followed`, `bot.unfollowed`, `group.join`, `group.leave`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MemberEvent {
    #[serde(deserialize_with = "lenient::string")]
    pub chat_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub user_id: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub nickname: Option<String>,
}

/// `button.report.inline`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ButtonEvent {
    #[serde(deserialize_with = "lenient::string")]
    pub msg_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub recv_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub recv_type: String,
    #[serde(deserialize_with = "lenient::string")]
    pub user_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub value: String,
}

/// Where another event happened, from whichever of the usual fields it has.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Whereabouts {
    #[serde(deserialize_with = "lenient::string")]
    pub chat_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub chat_type: String,
    #[serde(deserialize_with = "lenient::string")]
    pub recv_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub recv_type: String,
    #[serde(deserialize_with = "lenient::string")]
    pub group_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub user_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub sender_id: String,
}

/// Every open-API reply: `{code, msg, data}`; `code == 1` is success.
#[derive(Debug, Deserialize)]
pub struct Reply {
    #[serde(default, deserialize_with = "lenient::int")]
    pub code: i64,
    #[serde(default, deserialize_with = "lenient::string")]
    pub msg: String,
    #[serde(default)]
    pub data: Value,
}

/// `POST /bot/send` (and `/bot/batch_send` with `recvIds`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SendRequest<'a> {
    pub recv_id: &'a str,
    pub recv_type: &'a str,
    pub content_type: &'a str,
    pub content: &'a OutContent,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<&'a str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchSendRequest<'a> {
    pub recv_ids: &'a [String],
    pub recv_type: &'a str,
    pub content_type: &'a str,
    pub content: &'a OutContent,
}

/// `POST /bot/edit`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EditRequest<'a> {
    pub msg_id: &'a str,
    pub recv_id: &'a str,
    pub recv_type: &'a str,
    pub content_type: &'a str,
    pub content: &'a OutContent,
}

/// `POST /bot/recall`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecallRequest<'a> {
    pub msg_id: &'a str,
    pub chat_id: &'a str,
    pub chat_type: &'a str,
}

/// Outbound `content`; only the fields of the chosen content type are set.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutContent {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_key: Option<String>,
    /// User ids to mention, as a JSON array (what inbound events carry and nonebot sends).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub at: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buttons: Option<Vec<Vec<WireButton>>>,
}

/// `{text, actionType: 1 url | 2 copy | 3 report, url?, value?}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireButton {
    pub text: String,
    pub action_type: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// `/group/gag-member`: `gag` in seconds, 0 lifts the mute.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GagRequest<'a> {
    pub group_id: &'a str,
    pub user_id: &'a str,
    pub gag: i64,
}

/// `/group/remove-member`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberRequest<'a> {
    pub group_id: &'a str,
    pub user_id: &'a str,
}

/// `/group/tag/user-relate` and `/group/tag/user-relate-cancel`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TagRequest<'a> {
    pub group_id: &'a str,
    pub user_id: &'a str,
    pub tag: &'a str,
}

/// `/bot/board` and `/bot/board-dismiss` (chatId + chatType, as most SDKs send).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BoardRequest<'a> {
    pub chat_id: &'a str,
    pub chat_type: &'a str,
    /// Always sent, `""` for the whole chat: what the official SDK (`yunhu` on PyPI) sends.
    pub member_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expire_time: Option<i64>,
}

/// `/bot/board-all`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BoardAllRequest<'a> {
    pub content_type: &'a str,
    pub content: &'a str,
    pub expire_time: i64,
}

/// One item of `GET /bot/messages`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HistoryItem {
    #[serde(deserialize_with = "lenient::string")]
    pub msg_id: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub parent_id: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub sender_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub sender_type: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub sender_nickname: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub content_type: String,
    pub content: Value,
    #[serde(deserialize_with = "lenient::int")]
    pub send_time: i64,
}
