//! Fanbook's own message kinds: `sendMessage` with the options the core `outgoing` has no
//! words for (ephemeral + users, selective, second-level replies, unreactive, desc, role
//! mentions, the guild feed), as text, a richText document or a messageCard with its
//! `come_from_*` header. Field names and types are seed 003's `sendMessage` table.

use serde_json::{json, Map, Value};

use super::PLATFORM;
use crate::adapter::own_args::{checked, kind_fields, Field, Type};
use crate::adapter::{AdapterError, OpSpec};

use Type::{Bool, Int, List, Object, Str, StrList};

pub const KINDS: &[OpSpec] = &[
    OpSpec {
        name: "text",
        description: "Text with sendMessage's options: a temporary message to some users (ephemeral + users, [\"all\"] = everyone online; entity 1/0), selective, a second-level reply, unreactive, desc, role mentions, the guild feed.",
        args: r#"{"text": "string", "desc"?: "string", "ephemeral"?: bool, "users"?: ["user id" | "all"], "entity"?: 0 | 1, "selective"?: bool, "reply_to_message_id_level_2"?: int, "unreactive"?: 0 | 1, "mentions"?: ["user id"], "mention_roles"?: ["role id"], "guild_id"?: int}"#,
        method: "POST /api/bot/{token}/sendMessage",
    },
    OpSpec {
        name: "richText",
        description: "A rich-text document (parse_mode Fanbook): a title and Quill delta ops ({\"insert\": text} or {\"insert\": {\"source\", \"width\", \"height\", \"_type\": \"image\", \"_inline\": false}}), with the same options as `text`.",
        args: r#"{"title": "string", "document": [delta op, …], "desc"?: "string", …the options of `text` but "text"}"#,
        method: "POST /api/bot/{token}/sendMessage parse_mode=Fanbook",
    },
    OpSpec {
        name: "messageCard",
        description: "A message card (parse_mode Fanbook): a widget tree with its notification line and come_from_name/come_from_icon header, with the same options as `text`.",
        args: r#"{"data": {widget tree}, "notification"?: "string", "come_from_name"?: "string", "come_from_icon"?: "url", "desc"?: "string", …the options of `text` but "text"}"#,
        method: "POST /api/bot/{token}/sendMessage parse_mode=Fanbook",
    },
];

/// `sendMessage`'s optional fields, as the seed types them.
const OPTIONS: &[Field] = &[
    Field("desc", Str, false),
    Field("ephemeral", Bool, false),
    Field("users", StrList, false),
    Field("entity", Int, false),
    Field("selective", Bool, false),
    Field("reply_to_message_id_level_2", Int, false),
    Field("unreactive", Int, false),
    Field("mentions", StrList, false),
    Field("mention_roles", StrList, false),
    Field("guild_id", Int, false),
];

/// The `sendMessage` fields (without `chat_id` and `reply_to_message_id`) of kind `kind`.
pub(super) fn fields(kind: &str, raw: &str) -> Result<Map<String, Value>, AdapterError> {
    let spec = OpSpec::find(KINDS, PLATFORM, "message kind", kind)?;
    let given = kind_fields(kind, raw)?;
    let own: &[Field] = match spec.name {
        "text" => &[Field("text", Str, true)],
        "richText" => &[Field("title", Str, true), Field("document", List, true)],
        _ => &[
            Field("data", Object, true),
            Field("notification", Str, false),
            Field("come_from_name", Str, false),
            Field("come_from_icon", Str, false),
        ],
    };
    let all: Vec<Field> = own.iter().chain(OPTIONS).copied().collect();
    let Value::Object(mut body) = checked(kind, &given, &all)? else {
        return Err(AdapterError::Invalid(format!(
            "`{kind}` fields must be an object"
        )));
    };
    check_options(kind, &body)?;
    match spec.name {
        "richText" => {
            let document = body.remove("document").unwrap_or_default().to_string();
            let title = body.remove("title").unwrap_or_default();
            let doc = json!({ "type": "richText", "title": title, "document": document });
            body.insert("text".into(), json!(doc.to_string()));
            body.insert("parse_mode".into(), json!("Fanbook"));
        }
        "messageCard" => {
            let mut card = Map::new();
            card.insert("type".into(), json!("messageCard"));
            card.insert(
                "data".into(),
                json!(body.remove("data").unwrap_or_default().to_string()),
            );
            for key in ["notification", "come_from_name", "come_from_icon"] {
                if let Some(v) = body.remove(key) {
                    card.insert(key.into(), v);
                }
            }
            body.insert("text".into(), json!(Value::Object(card).to_string()));
            body.insert("parse_mode".into(), json!("Fanbook"));
        }
        _ => {}
    }
    Ok(body)
}

/// The seed's rules between options: users go with ephemeral; entity and unreactive are 0 or 1.
fn check_options(kind: &str, body: &Map<String, Value>) -> Result<(), AdapterError> {
    let bad = |why: &str| Err(AdapterError::Invalid(format!("`{kind}`: {why}")));
    let ephemeral = body.get("ephemeral").and_then(Value::as_bool) == Some(true);
    if ephemeral && !body.contains_key("users") {
        return bad("an ephemeral message needs `users` (user ids, or [\"all\"])");
    }
    if !ephemeral && (body.contains_key("users") || body.contains_key("entity")) {
        return bad("`users` and `entity` apply only with `ephemeral: true`");
    }
    for key in ["entity", "unreactive"] {
        if let Some(v) = body.get(key).and_then(Value::as_i64) {
            if v != 0 && v != 1 {
                return bad(&format!("`{key}` must be 0 or 1"));
            }
        }
    }
    Ok(())
}
