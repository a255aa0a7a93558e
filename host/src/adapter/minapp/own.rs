//! minapp's own operations and message kinds (seed 002 and the WeCom group-robot formats its
//! send API is compatible with, fact sheet §2): what the core WIT does not cover.

use serde_json::{json, Value};

use super::wire::SendBody;
use super::{Minapp, PLATFORM};
use crate::adapter::own_args::{kind_fields, opt_strings, string};
use crate::adapter::{AdapterError, OpSpec};

pub const OPERATIONS: &[OpSpec] = &[
    OpSpec {
        name: "users",
        description: "The user conversations: names and their conversation_id.",
        args: "{}",
        method: "GET /api/users?secret=",
    },
    OpSpec {
        name: "groups",
        description: "The group conversations: names and their conversation_id.",
        args: "{}",
        method: "GET /api/groups?secret=",
    },
];

pub const KINDS: &[OpSpec] = &[
    OpSpec {
        name: "text",
        description: "Text mentioning users by id and/or by mobile number (`@all` for everyone); ≤ 2048 bytes.",
        args: r#"{"content": "string", "mentioned_list"?: ["userid" | "@all"], "mentioned_mobile_list"?: ["mobile" | "@all"]}"#,
        method: "POST /api/send msgtype=text",
    },
    OpSpec {
        name: "markdown_v2",
        description: "Markdown with tables and lists (no colours); ≤ 4096 bytes.",
        args: r#"{"content": "string"}"#,
        method: "POST /api/send msgtype=markdown_v2",
    },
    OpSpec {
        name: "template_card",
        description: "A WeCom template card: `text_notice` (needs main_title.title or sub_title_text) or `news_notice` (needs card_image.url); card_action type 1 (url) or 2 (appid).",
        args: r#"{"card_type": "text_notice" | "news_notice", "main_title"?: {"title", "desc"}, "sub_title_text"?: "string", "card_image"?: {"url", "aspect_ratio"}, "card_action": {"type": 1 | 2, "url"?, "appid"?, "pagepath"?}, "source"?, "emphasis_content"?, "quote_area"?, "horizontal_content_list"?, "jump_list"?, "image_text_area"?, "vertical_content_list"?}"#,
        method: "POST /api/send msgtype=template_card",
    },
    OpSpec {
        name: "news",
        description: "WeCom news articles (1 to 8).",
        args: r#"{"articles": [{"title": "string", "description"?: "string", "url": "string", "picurl"?: "string"}]}"#,
        method: "POST /api/send msgtype=news",
    },
    OpSpec {
        name: "miniprogram",
        description: "A mini-program card; minapp leaves its fields undocumented, so they go as given (inbound ones carry appid, appname, appicon, page_path, title).",
        args: r#"{"appid"?: "string", "title"?: "string", "page_path"?: "string", …}"#,
        method: "POST /api/send msgtype=miniprogram",
    },
];

/// WeCom's limits (fact sheet §2, from pywgb).
const TEXT_LIMIT: usize = 2048;
const MARKDOWN_LIMIT: usize = 4096;

impl Minapp {
    pub(super) async fn call_named(&self, name: &str, args: &Value) -> Result<Value, AdapterError> {
        crate::adapter::own_args::object(name, args)?;
        match name {
            "users" => self.client.list("/api/users").await,
            "groups" => self.client.list("/api/groups").await,
            other => {
                OpSpec::find(OPERATIONS, PLATFORM, "operation", other)?;
                Err(AdapterError::unsupported(PLATFORM, "call-own"))
            }
        }
    }
}

/// The `/api/send` body of the message kind `kind` (see [`KINDS`]), checked as WeCom checks it.
pub(super) fn kind_body(kind: &str, fields: &str) -> Result<SendBody, AdapterError> {
    let spec = OpSpec::find(KINDS, PLATFORM, "message kind", kind)?;
    let fields = kind_fields(kind, fields)?;
    let inner = match spec.name {
        "text" => {
            let content = limited(kind, &fields, TEXT_LIMIT)?;
            let mut inner = json!({ "content": content });
            for list in ["mentioned_list", "mentioned_mobile_list"] {
                if let Some(ids) = opt_strings(kind, &fields, list)? {
                    inner[list] = json!(ids);
                }
            }
            inner
        }
        "markdown_v2" => json!({ "content": limited(kind, &fields, MARKDOWN_LIMIT)? }),
        "template_card" => template_card(fields)?,
        "news" => news(fields)?,
        _ => fields,
    };
    Ok(SendBody::new(spec.name, inner))
}

/// `content`, within `limit` bytes of UTF-8.
fn limited(kind: &str, fields: &Value, limit: usize) -> Result<String, AdapterError> {
    let content = string(kind, fields, "content")?;
    if content.len() > limit {
        return Err(AdapterError::Invalid(format!(
            "`{kind}` content is {} bytes; WeCom takes at most {limit}",
            content.len()
        )));
    }
    Ok(content)
}

fn template_card(fields: Value) -> Result<Value, AdapterError> {
    let bad = |why: &str| AdapterError::Invalid(format!("template_card: {why}"));
    let text = |pointer: &str| {
        fields
            .pointer(pointer)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    match fields.get("card_type").and_then(Value::as_str) {
        Some("text_notice") => {
            if !text("/main_title/title") && !text("/sub_title_text") {
                return Err(bad(
                    "a text_notice needs main_title.title or sub_title_text",
                ));
            }
        }
        Some("news_notice") => {
            if !text("/card_image/url") {
                return Err(bad("a news_notice needs card_image.url"));
            }
        }
        _ => return Err(bad("card_type must be text_notice or news_notice")),
    }
    match fields.pointer("/card_action/type").and_then(Value::as_i64) {
        Some(1) if text("/card_action/url") => {}
        Some(2) if text("/card_action/appid") => {}
        Some(1) => return Err(bad("card_action type 1 needs card_action.url")),
        Some(2) => return Err(bad("card_action type 2 needs card_action.appid")),
        _ => return Err(bad("card_action.type must be 1 (url) or 2 (mini-program)")),
    }
    Ok(fields)
}

fn news(fields: Value) -> Result<Value, AdapterError> {
    let count = fields
        .get("articles")
        .and_then(Value::as_array)
        .map(Vec::len);
    match count {
        Some(1..=8) => {}
        _ => {
            return Err(AdapterError::Invalid(
                "news needs `articles`: 1 to 8 of {title, url, description?, picurl?}".into(),
            ))
        }
    }
    for article in fields["articles"].as_array().into_iter().flatten() {
        string("news", article, "title")?;
        string("news", article, "url")?;
    }
    Ok(fields)
}
