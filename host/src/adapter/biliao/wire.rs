//! Biliao's JSON, as serde types (seed 000). Inbound events are one flat object; every field is
//! optional and ids may be numbers. Outbound bodies are snake_case.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::adapter::webhook::lenient::{self, Scalar};

/// A webhook body. The fields that carry an id or the text are [`Scalar`]s: each keeps its
/// exact text, and one that came as an object or a list can be refused by name.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WireEvent {
    #[serde(deserialize_with = "lenient::string")]
    pub event_type: String,
    #[serde(deserialize_with = "lenient::scalar")]
    pub message_id: Scalar,
    #[serde(deserialize_with = "lenient::scalar")]
    pub sender_id: Scalar,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub sender_username: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub sender_display_name: Option<String>,
    #[serde(deserialize_with = "lenient::scalar")]
    pub group_id: Scalar,
    #[serde(deserialize_with = "lenient::string")]
    pub message_type: String,
    #[serde(deserialize_with = "lenient::scalar")]
    pub content: Scalar,
    /// Unix seconds, as written (it is part of a join's dedupe key).
    #[serde(deserialize_with = "lenient::scalar")]
    pub timestamp: Scalar,
    #[serde(deserialize_with = "lenient::scalar")]
    pub callback_id: Scalar,
    #[serde(deserialize_with = "lenient::scalar")]
    pub callback_data: Scalar,
    /// Not in the seed's examples; taken when media events carry it.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub file_id: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub file_url: Option<String>,
}

/// Every reply: `{code, msg, data}`; `code == 200` is success.
#[derive(Debug, Deserialize)]
pub struct Reply {
    #[serde(default, deserialize_with = "lenient::int")]
    pub code: i64,
    #[serde(default, deserialize_with = "lenient::string")]
    pub msg: String,
    #[serde(default)]
    pub data: Value,
}

/// `POST /bot/sendmessage`: exactly one of `group_id` / `target_user_id`.
#[derive(Debug, Default, Serialize)]
pub struct SendMessage<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_user_id: Option<&'a str>,
    pub message_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra: Option<Extra>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote_message_id: Option<&'a str>,
}

/// `extra: {inline_keyboard}`; an empty keyboard removes the buttons on edit.
#[derive(Debug, Serialize)]
pub struct Extra {
    pub inline_keyboard: Vec<Vec<WireButton>>,
}

/// `{text, callback_data}` (documented); `url` and `copy_text` follow the Telegram shape the
/// API mirrors (not in the seed).
#[derive(Debug, Serialize)]
pub struct WireButton {
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copy_text: Option<String>,
}

/// `POST /bot/editmessage`.
#[derive(Debug, Serialize)]
pub struct EditMessage<'a> {
    pub message_id: &'a str,
    pub content: String,
    pub extra: Extra,
}

/// `POST /bot/deletemessage`: one id or several.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum DeleteMessage<'a> {
    One { message_id: &'a str },
    Many { message_ids: &'a [String] },
}

/// `POST /bot/answercallback`.
#[derive(Debug, Serialize)]
pub struct AnswerCallback<'a> {
    pub callback_id: &'a str,
    pub text: &'a str,
    pub show_alert: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<&'a str>,
}

/// `POST /bot/mutemember` and `unmutemember`. The seed gives no body; these names follow its
/// snake_case style (`group_id`, `user_id`, `duration` in seconds) and are an inference.
#[derive(Debug, Serialize)]
pub struct MuteMember<'a> {
    pub group_id: &'a str,
    pub user_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<u32>,
}

/// One entry of the command menu.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotCommand {
    pub command: String,
    #[serde(default)]
    pub description: String,
}
