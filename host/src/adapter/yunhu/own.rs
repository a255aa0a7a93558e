//! Yunhu's own operations and message kinds (fact sheet §3–4): group tags, the message-type
//! limit, boards, batch sends, message history, stream sends and `@Name` mentions. Each
//! operation's body is the platform's own, field for field, checked by type first.

use serde_json::{json, Value};

use super::outbound::Built;
use super::wire::OutContent;
use super::{Yunhu, PLATFORM};
use crate::adapter::own_args::{checked, kind_fields, opt_bool, opt_strings, string, Field, Type};
use crate::adapter::webhook::lenient;
use crate::adapter::{AdapterError, OpSpec, Receipt};
use crate::model::{ChatRef, Outgoing};

use Type::{Int, Object, Str, StrList};

/// An operation: its spec, its HTTP method and its fields.
struct Op {
    spec: OpSpec,
    get: bool,
    fields: &'static [Field],
}

const fn op(
    name: &'static str,
    description: &'static str,
    args: &'static str,
    method: &'static str,
    get: bool,
    fields: &'static [Field],
) -> Op {
    Op {
        spec: OpSpec {
            name,
            description,
            args,
            method,
        },
        get,
        fields,
    }
}

const TAG: &[Field] = &[
    Field("groupId", Str, true),
    Field("tagId", Int, false),
    Field("tag", Str, false),
];

static OPS: &[Op] = &[
    op("group/tag/create", "Creates a group tag (needs allowGroupTagManage).", r#"{"groupId": "string", "tag": "string", "color"?: "string", "desc"?: "string", "sort"?: int}"#, "POST /group/tag/create", false,
        &[Field("groupId", Str, true), Field("tag", Str, true), Field("color", Str, false), Field("desc", Str, false), Field("sort", Int, false)]),
    op("group/tag/edit", "Edits a group tag, named by tagId or tag.", r#"{"groupId": "string", "tagId": int | "tag": "string", "newTag"?: "string", "color"?: "string", "desc"?: "string", "sort"?: int}"#, "POST /group/tag/edit", false,
        &[Field("groupId", Str, true), Field("tagId", Int, false), Field("tag", Str, false), Field("newTag", Str, false), Field("color", Str, false), Field("desc", Str, false), Field("sort", Int, false)]),
    op("group/tag/delete", "Deletes a group tag, named by tagId or tag.", r#"{"groupId": "string", "tagId": int | "tag": "string"}"#, "POST /group/tag/delete", false, TAG),
    op("group/tag/list", "The group's tags.", r#"{"groupId": "string"}"#, "POST /group/tag/list", false, &[Field("groupId", Str, true)]),
    op("group/msg-type-limit", "Limits the message types members may send (\"\" = no limit; needs allowEditGroupInfo).", r#"{"groupId": "string", "type": "text,image,video"}"#, "POST /group/msg-type-limit", false,
        &[Field("groupId", Str, true), Field("type", Str, true)]),
    op("bot/board", "Shows a board in a chat, or to one member (memberId \"\" = everyone, as the official SDK sends it).", r#"{"chatId": "string", "chatType": "user" | "group", "memberId"?: "string", "contentType": "text" | "markdown" | "html", "content": "string", "expireTime": unix-seconds (0 = never)}"#, "POST /bot/board", false,
        &[Field("chatId", Str, true), Field("chatType", Str, true), Field("memberId", Str, false), Field("contentType", Str, true), Field("content", Str, true), Field("expireTime", Int, true)]),
    op("bot/board-dismiss", "Takes a chat's (or a member's) board down.", r#"{"chatId": "string", "chatType": "user" | "group", "memberId"?: "string"}"#, "POST /bot/board-dismiss", false,
        &[Field("chatId", Str, true), Field("chatType", Str, true), Field("memberId", Str, false)]),
    op("bot/board-all", "Shows a board in every chat of the bot.", r#"{"contentType": "text" | "markdown" | "html", "content": "string", "expireTime": int}"#, "POST /bot/board-all", false,
        &[Field("contentType", Str, true), Field("content", Str, true), Field("expireTime", Int, true)]),
    op("bot/board-all-dismiss", "Takes the all-chats board down.", "{}", "POST /bot/board-all-dismiss", false, &[]),
    op("bot/batch_send", "Sends one message to up to 200 users or groups.", r#"{"recvIds": ["string", …], "recvType": "user" | "group", "contentType": "text" | "markdown" | "html" | "image" | "video" | "file", "content": {…}}"#, "POST /bot/batch_send", false,
        &[Field("recvIds", StrList, true), Field("recvType", Str, true), Field("contentType", Str, true), Field("content", Object, true)]),
    op("bot/messages", "A chat's messages around message-id (or the newest); before/after count them.", r#"{"chat-id": "string", "chat-type": "user" | "group", "message-id"?: "string", "before"?: int, "after"?: int}"#, "GET /bot/messages", true,
        &[Field("chat-id", Str, true), Field("chat-type", Str, true), Field("message-id", Str, false), Field("before", Int, false), Field("after", Int, false)]),
];

/// The specs of [`OPS`], for `own_operations`.
pub static OPERATIONS: std::sync::LazyLock<Vec<OpSpec>> =
    std::sync::LazyLock::new(|| OPS.iter().map(|o| o.spec).collect());

pub const KINDS: &[OpSpec] = &[
    OpSpec {
        name: "text",
        description: "Text mentioning users: `@Name` + U+200B is written into the text for each mention not already there, and the ids go in `at`.",
        args: r#"{"text": "string", "mentions": [{"id": "string", "name": "string"}]}"#,
        method: "POST /bot/send contentType=text content.at",
    },
    OpSpec {
        name: "stream",
        description: "Text sent as a stream, chunk by chunk in one chunked request (a reply's parentId goes in the query).",
        args: r#"{"chunks": ["string", …], "markdown"?: bool}"#,
        method: "POST /bot/send-stream?recvId=&recvType=&contentType=text|markdown[&parentId=]",
    },
];

impl Yunhu {
    pub(super) async fn call_named(&self, name: &str, args: &Value) -> Result<Value, AdapterError> {
        let Some(op) = OPS.iter().find(|o| o.spec.name == name) else {
            OpSpec::find(&OPERATIONS, PLATFORM, "operation", name)?;
            return Err(AdapterError::unsupported(PLATFORM, "call-own"));
        };
        let mut body = checked(name, args, op.fields)?;
        let path = format!("/{}", op.spec.name);
        if op.get {
            let params: Vec<(String, String)> = body
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), lenient::text_of(v)))
                .collect();
            let params: Vec<(&str, &str)> = params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            return self.client.call_get(&path, &params).await;
        }
        if name.starts_with("group/tag/")
            && name != "group/tag/create"
            && name != "group/tag/list"
            && body.get("tagId").is_none()
            && body.get("tag").is_none()
        {
            return Err(AdapterError::Invalid(format!(
                "`{name}` needs `tagId` (an integer) or `tag` (a string)"
            )));
        }
        if name == "bot/board" || name == "bot/board-dismiss" {
            // The official SDK always sends memberId, "" for the whole chat.
            if body.get("memberId").is_none() {
                body["memberId"] = json!("");
            }
        }
        self.client.call(&path, &body).await
    }

    /// Builds the content of the message kind `kind` other than `stream` (see [`KINDS`]).
    pub(super) fn build_kind(
        &self,
        kind: &str,
        fields: &str,
        message: &Outgoing,
    ) -> Result<Built, AdapterError> {
        let spec = OpSpec::find(KINDS, PLATFORM, "message kind", kind)?;
        let fields = kind_fields(kind, fields)?;
        if spec.name != "text" {
            return Err(AdapterError::Invalid(format!(
                "`{kind}` is sent with send-stream, not built"
            )));
        }
        let mut text = string(kind, &fields, "text")?;
        let mut content = OutContent::default();
        let mentions = fields
            .get("mentions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut prefix = String::new();
        for mention in &mentions {
            let id = string(kind, mention, "id")?;
            let name = string(kind, mention, "name")?;
            let written = format!("@{name}\u{200b}");
            if !text.contains(&written) {
                prefix.push_str(&written);
                prefix.push(' ');
            }
            if !content.at.contains(&id) {
                content.at.push(id);
            }
        }
        text.insert_str(0, &prefix);
        content.text = Some(text);
        content.buttons = message.keyboard.as_ref().map(super::outbound::buttons);
        Ok(Built {
            content_type: "text",
            content,
        })
    }

    /// Sends the `stream` kind: its chunks in one chunked `send-stream` request.
    pub(super) async fn send_stream_kind(
        &self,
        chat: &ChatRef,
        fields: &str,
        reply_to: Option<&str>,
    ) -> Result<Receipt, AdapterError> {
        let fields = kind_fields("stream", fields)?;
        let chunks = opt_strings("stream", &fields, "chunks")?.unwrap_or_default();
        if chunks.iter().all(|c| c.is_empty()) {
            return Err(AdapterError::Invalid(
                "`stream` needs `chunks`: a list of strings, not all empty".into(),
            ));
        }
        let markdown = opt_bool("stream", &fields, "markdown")?.unwrap_or(false);
        let message_id = self
            .send_stream(&chat.id, chat.kind, markdown, reply_to, chunks)
            .await?;
        Ok(Receipt { message_id })
    }
}
