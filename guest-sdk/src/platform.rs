//! Every platform's own operations beyond the common contract (Biliao's `getme`, Yunhu's group
//! tags, minapp's conversation lists, …), by name with JSON arguments, and the message kinds
//! of its own a message can carry ([`kind`]).
//!
//! Enable the SDK's `platform` feature to have this module (the plugin then targets the WIT
//! world `platform-plugin`, which includes Fanbook's interface). The operator must grant it
//! (`[plugins.grants] interfaces = ["platform"]`), or every call fails with
//! [`Error::Denied`]. `wasmbot call BOT --list` prints what a bot's platform has.
//!
//! ```ignore
//! use wasmbot_sdk::platform;
//! let group = platform::call(&msg.chat, "getgroup", &serde_json::json!({"group_id": "g1"}))?;
//! msg.reply(platform::kind("contact", &serde_json::json!({"user_id": "u1"})))?;
//! ```

use crate::bindings::wasmbot::bot0_2_0::platform as wit;
use crate::model::{ChatRef, Content, Outgoing};
use crate::Error;

pub use wit::OperationInfo;

/// Calls the chat's platform's own `operation` with `args` (a JSON object), at once (nothing
/// is buffered); returns the platform's answer as JSON.
pub fn call(
    chat: impl AsRef<ChatRef>,
    operation: &str,
    args: &serde_json::Value,
) -> Result<serde_json::Value, Error> {
    let answer = wit::call(chat.as_ref(), operation, &args.to_string())?;
    Ok(serde_json::from_str(&answer)?)
}

/// The chat's platform's own operations, each with its description and JSON arguments.
pub fn operations(chat: impl AsRef<ChatRef>) -> Vec<OperationInfo> {
    wit::operations(chat.as_ref())
}

/// The chat's platform's own message kinds (for [`kind`]).
pub fn message_kinds(chat: impl AsRef<ChatRef>) -> Vec<OperationInfo> {
    wit::message_kinds(chat.as_ref())
}

/// A message of the platform's own kind `kind` with its `fields` (`content::other`): send or
/// reply with it as with any message; the host checks the platform has the kind.
pub fn kind(kind: &str, fields: &serde_json::Value) -> Outgoing {
    Outgoing {
        content: Content::Other((kind.to_owned(), fields.to_string())),
        keyboard: None,
        mentions: Vec::new(),
    }
}
