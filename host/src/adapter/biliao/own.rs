//! Biliao's own operations and message kinds (seed 000, fact sheet §3–4): what the core WIT
//! does not cover, reachable through `wasmbot:bot/platform` and `wasmbot call`.

use serde_json::{json, Value};

use super::wire::{DeleteMessage, SendMessage};
use super::Biliao;
use crate::adapter::own_args::{kind_fields, opt_string, string, strings};
use crate::adapter::{AdapterError, OpSpec, Receipt};
use crate::model::{ChatRef, Media};

pub const OPERATIONS: &[OpSpec] = &[
    OpSpec {
        name: "getme",
        description: "The bot's own profile, as Biliao sends it.",
        args: "{}",
        method: "POST /bot/getme",
    },
    OpSpec {
        name: "getgroup",
        description: "A group's public profile (no owner or sensitive fields).",
        args: r#"{"group_id": "string"}"#,
        method: "POST /bot/getgroup",
    },
    OpSpec {
        name: "botapigetcommands",
        description: "The bot's command menu.",
        args: "{}",
        method: "POST /bot/botapigetcommands",
    },
    OpSpec {
        name: "botapisetcommands",
        description: "Sets the bot's command menu.",
        args: r#"{"commands": [{"command": "string", "description": "string"}]}"#,
        method: "POST /bot/botapisetcommands",
    },
    OpSpec {
        name: "deletemessage",
        description: "Deletes several messages in one request (the core `delete` takes one).",
        args: r#"{"message_ids": ["string", …]}"#,
        method: "POST /bot/deletemessage",
    },
];

pub const KINDS: &[OpSpec] = &[
    OpSpec {
        name: "image",
        description:
            "A picture with a caption: uploaded from `url` first, or an uploaded `file_id`.",
        args: r#"{"url": "string" | "file_id": "string", "name"?: "string", "content"?: "caption"}"#,
        method: "POST /bot/uploadfile, POST /bot/sendmessage message_type=image",
    },
    OpSpec {
        name: "video",
        description: "A video with a caption.",
        args: r#"{"url": "string" | "file_id": "string", "name"?: "string", "content"?: "caption"}"#,
        method: "POST /bot/uploadfile, POST /bot/sendmessage message_type=video",
    },
    OpSpec {
        name: "audio",
        description: "An audio clip with a caption.",
        args: r#"{"url": "string" | "file_id": "string", "name"?: "string", "content"?: "caption"}"#,
        method: "POST /bot/uploadfile, POST /bot/sendmessage message_type=audio",
    },
    OpSpec {
        name: "file",
        description: "A file with a caption.",
        args: r#"{"url": "string" | "file_id": "string", "name"?: "string", "content"?: "caption"}"#,
        method: "POST /bot/uploadfile, POST /bot/sendmessage message_type=file",
    },
    OpSpec {
        name: "contact",
        description: "Shares a user's contact card (`file_id` holds the user id).",
        args: r#"{"user_id": "string"}"#,
        method: "POST /bot/sendmessage message_type=contact",
    },
];

impl Biliao {
    /// One of [`OPERATIONS`].
    pub(super) async fn call_named(&self, name: &str, args: &Value) -> Result<Value, AdapterError> {
        match name {
            "getme" => self.get_me().await,
            "getgroup" => self.get_group(&string(name, args, "group_id")?).await,
            "botapigetcommands" => {
                let commands = self.get_commands().await?;
                let list: Vec<Value> = commands
                    .into_iter()
                    .map(|(c, d)| json!({ "command": c, "description": d }))
                    .collect();
                Ok(json!({ "commands": list }))
            }
            "botapisetcommands" => {
                let commands = commands_arg(args)?;
                self.set_commands(&commands).await.map(|()| json!({}))
            }
            "deletemessage" => {
                let ids = strings(name, args, "message_ids")?;
                self.client
                    .call("deletemessage", &DeleteMessage::Many { message_ids: &ids })
                    .await
                    .map(|_| json!({}))
            }
            other => {
                OpSpec::find(OPERATIONS, super::PLATFORM, "operation", other)?;
                Err(AdapterError::unsupported(super::PLATFORM, "call-own"))
            }
        }
    }

    /// Fills `body` for the message kind `kind` (see [`KINDS`]), uploading media first.
    pub(super) async fn fill_kind(
        &self,
        body: &mut SendMessage<'_>,
        kind: &str,
        fields: &str,
    ) -> Result<(), AdapterError> {
        let spec = OpSpec::find(KINDS, super::PLATFORM, "message kind", kind)?;
        let fields = kind_fields(kind, fields)?;
        body.message_type = spec.name;
        if spec.name == "contact" {
            body.file_id = Some(string(kind, &fields, "user_id")?);
            return Ok(());
        }
        body.content = opt_string(kind, &fields, "content")?;
        body.file_id = Some(match opt_string(kind, &fields, "file_id")? {
            Some(id) => id,
            None => {
                let media = Media {
                    url: string(kind, &fields, "url")?,
                    name: opt_string(kind, &fields, "name")?,
                    size: None,
                };
                self.client.upload(&media).await?
            }
        });
        Ok(())
    }

    /// Shares `user_id`'s contact card in `chat`.
    pub async fn send_contact(
        &self,
        chat: &ChatRef,
        user_id: &str,
    ) -> Result<Receipt, AdapterError> {
        let mut body = super::outbound::target(chat);
        let fields = json!({ "user_id": user_id }).to_string();
        self.fill_kind(&mut body, "contact", &fields).await?;
        self.send_body(&body).await
    }
}

/// `commands: [{command, description}]`, each field a string.
fn commands_arg(args: &Value) -> Result<Vec<(String, String)>, AdapterError> {
    let bad = || {
        AdapterError::Invalid(
            "`botapisetcommands` needs `commands`: a list of {command, description} strings".into(),
        )
    };
    let list = args
        .get("commands")
        .and_then(Value::as_array)
        .ok_or_else(bad)?;
    list.iter()
        .map(|c| {
            Ok((
                string("botapisetcommands", c, "command").map_err(|_| bad())?,
                string("botapisetcommands", c, "description").map_err(|_| bad())?,
            ))
        })
        .collect()
}
