//! `wasmbot call BOT OP 'JSON'`: one WIT operation through a configured bot, without running
//! the daemon; the operator's tool for checking a bot by hand. The bot's inbound side is not
//! started, so a running daemon's polling is not disturbed.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{anyhow, bail, Context};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::adapter::{self, StartContext};
use crate::config::{parse_operation, Config, ALL_OPERATIONS};
use crate::journal::Ingress;
use crate::model::{Action, CallbackAnswer};
use crate::model::{ChatKind, ChatRef, Content, MessageRef, Operation, Outgoing};
use crate::store::MemoryStore;

/// The JSON arguments: the WIT function's parameters, with shorthands (`"chat": "123"`,
/// `"message": "text"`, `"target": "message id"`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    chat: Option<Value>,
    /// `private` or `group` (default) for a chat given by id.
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    guild: Option<String>,
    message: Option<Value>,
    target: Option<String>,
    user_id: Option<String>,
    role_id: Option<String>,
    seconds: Option<u32>,
    emoji: Option<String>,
    callback_id: Option<String>,
    answer: Option<String>,
    reply_to: Option<String>,
}

pub(super) async fn run(
    config: Config,
    bot: &str,
    op: &str,
    json: &str,
) -> anyhow::Result<ExitCode> {
    let bot_config = config
        .bots
        .iter()
        .find(|b| b.name == bot)
        .with_context(|| {
            let names: Vec<&str> = config.bots.iter().map(|b| b.name.as_str()).collect();
            format!("no bot named {bot}; bots: {}", names.join(", "))
        })?;
    let operation = parse_operation(op).with_context(|| {
        let names: Vec<&str> = ALL_OPERATIONS.iter().map(|o| o.name()).collect();
        format!("no operation named {op}; operations: {}", names.join(", "))
    })?;
    let args: Args = serde_json::from_str(json)
        .context("the arguments are not valid JSON of the operation's parameters")?;
    let scratch = tempfile_dir()?;
    let ctx = StartContext {
        ingress: Ingress::new(Arc::new(MemoryStore::default()))?,
        stop: tokio_util::sync::CancellationToken::new(),
        data_dir: scratch.clone(),
        inbound: false,
    };
    let started = adapter::start(bot_config, &ctx)?;
    let chat = args.chat_ref(&bot_config.platform, bot)?;
    let adapter = started.adapter;
    let result = match operation {
        Operation::GetMember => {
            let user = args.user_id.as_deref().context("`user_id` is required")?;
            adapter
                .get_member(&chat, user)
                .await
                .map(|m| json!({ "member": m }))
        }
        Operation::ListRoles => adapter
            .list_roles(&chat)
            .await
            .map(|r| json!({ "roles": r })),
        _ => {
            let action = args.action(operation, chat)?;
            adapter
                .deliver(&action)
                .await
                .map(|d| json!({ "ok": true, "message_id": d.message_id }))
        }
    };
    ctx.stop.cancel();
    let _ = std::fs::remove_dir_all(&scratch);
    match result {
        Ok(value) => {
            println!("{}", serde_json::to_string_pretty(&value)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({ "error": e.to_string() }))?
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

/// A private scratch folder for adapters that keep files (the sim).
fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("wasmbot-call-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

impl Args {
    fn chat_ref(&self, platform: &str, bot: &str) -> anyhow::Result<ChatRef> {
        match &self.chat {
            Some(Value::String(id)) => Ok(ChatRef {
                platform: platform.to_string(),
                bot: bot.to_string(),
                kind: if self.kind.as_deref() == Some("private") {
                    ChatKind::Private
                } else {
                    ChatKind::Group
                },
                id: id.clone(),
                guild: self.guild.clone(),
            }),
            Some(other) => Ok(serde_json::from_value(other.clone())
                .context("`chat` is neither an id nor a chat-ref")?),
            None => bail!("`chat` is required"),
        }
    }

    fn outgoing(&self) -> anyhow::Result<Outgoing> {
        match &self.message {
            Some(Value::String(text)) => Ok(Outgoing {
                content: Content::Text(text.clone()),
                keyboard: None,
                mentions: vec![],
            }),
            Some(other) => Ok(serde_json::from_value(other.clone())
                .context("`message` is neither text nor an outgoing message")?),
            None => bail!("`message` is required"),
        }
    }

    fn target(&self, chat: &ChatRef) -> anyhow::Result<MessageRef> {
        let id = self
            .target
            .clone()
            .context("`target` (a message id) is required")?;
        Ok(MessageRef {
            chat: chat.clone(),
            id,
        })
    }

    fn user(&self) -> anyhow::Result<String> {
        self.user_id.clone().context("`user_id` is required")
    }

    /// The action an operation stands for.
    fn action(&self, operation: Operation, chat: ChatRef) -> anyhow::Result<Action> {
        let handle = format!("wb.cli.{}", std::process::id());
        Ok(match operation {
            Operation::Send => Action::Send {
                handle,
                message: self.outgoing()?,
                reply_to: self.reply_to.clone(),
                chat,
            },
            Operation::Reply => {
                let reply_to = Some(self.target(&chat)?.id);
                Action::Send {
                    handle,
                    message: self.outgoing()?,
                    reply_to,
                    chat,
                }
            }
            Operation::Edit => Action::Edit {
                target: self.target(&chat)?,
                message: self.outgoing()?,
            },
            Operation::Delete => Action::Delete {
                target: self.target(&chat)?,
            },
            Operation::React => Action::React {
                target: self.target(&chat)?,
                emoji: self.emoji.clone().context("`emoji` is required")?,
            },
            Operation::Pin => Action::Pin {
                target: self.target(&chat)?,
            },
            Operation::Unpin => Action::Unpin {
                target: self.target(&chat)?,
            },
            Operation::AnswerCallback => Action::AnswerCallback {
                callback_id: self
                    .callback_id
                    .clone()
                    .context("`callback_id` is required")?,
                answer: CallbackAnswer {
                    text: self.answer.clone(),
                    alert: false,
                    url: None,
                },
                chat,
            },
            Operation::AddRole | Operation::RemoveRole => {
                let (user_id, role_id) = (
                    self.user()?,
                    self.role_id.clone().context("`role_id` is required")?,
                );
                if operation == Operation::AddRole {
                    Action::AddRole {
                        chat,
                        user_id,
                        role_id,
                    }
                } else {
                    Action::RemoveRole {
                        chat,
                        user_id,
                        role_id,
                    }
                }
            }
            Operation::Mute => Action::Mute {
                user_id: self.user()?,
                seconds: self.seconds.context("`seconds` is required")?,
                chat,
            },
            Operation::Unmute => Action::Unmute {
                user_id: self.user()?,
                chat,
            },
            Operation::Kick => Action::Kick {
                user_id: self.user()?,
                chat,
            },
            Operation::GetMember | Operation::ListRoles | Operation::Kv => {
                return Err(anyhow!("`{}` is not an action", operation.name()))
            }
        })
    }
}
