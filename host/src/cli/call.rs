//! `wasmbot call BOT OP 'JSON'`: one WIT operation (or one of the platform's own operations)
//! through a configured bot, without running the daemon; the operator's tool for checking a bot
//! by hand. `wasmbot call BOT --list` prints what the bot's platform supports. The bot's inbound side is not
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

/// What `wasmbot call` was asked: the operation and its JSON, or `--list`.
#[derive(Debug)]
pub(super) enum Request {
    List,
    Call { op: String, json: Option<String> },
}

pub(super) async fn run(config: Config, bot: &str, request: Request) -> anyhow::Result<ExitCode> {
    let bot_config = config
        .bots
        .iter()
        .find(|b| b.name == bot)
        .with_context(|| {
            let names: Vec<&str> = config.bots.iter().map(|b| b.name.as_str()).collect();
            format!("no bot named {bot}; bots: {}", names.join(", "))
        })?;
    let scratch = tempfile_dir()?;
    let ctx = StartContext {
        ingress: Ingress::new(Arc::new(MemoryStore::default()))?,
        stop: tokio_util::sync::CancellationToken::new(),
        data_dir: scratch.clone(),
        inbound: false,
        singleton: None,
    };
    let started = adapter::start(bot_config, &ctx)?;
    let adapter = started.adapter;
    let outcome = match request {
        Request::List => {
            print!("{}", super::call_ops::listing(bot, adapter.as_ref()));
            Ok(ExitCode::SUCCESS)
        }
        Request::Call { op, json } => {
            call(
                adapter.as_ref(),
                &bot_config.platform,
                bot,
                &op,
                json.as_deref(),
            )
            .await
        }
    };
    ctx.stop.cancel();
    let _ = std::fs::remove_dir_all(&scratch);
    outcome
}

/// Performs `op`: a core WIT operation, or one of the platform's own.
async fn call(
    adapter: &dyn adapter::Adapter,
    platform: &str,
    bot: &str,
    op: &str,
    json: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let json = json.unwrap_or("{}");
    let Some(operation) = parse_operation(op) else {
        if adapter.own_operations().iter().any(|s| s.name == op) {
            let args: Value =
                serde_json::from_str(json).context("the arguments are not valid JSON")?;
            if !args.is_object() {
                bail!("the arguments of `{op}` must be a JSON object");
            }
            return print_result(adapter.call_own(op, &args).await);
        }
        let mut names: Vec<&str> = ALL_OPERATIONS
            .iter()
            .filter(|o| adapter.capabilities().contains(o) && **o != Operation::Kv)
            .map(|o| o.name())
            .collect();
        names.extend(adapter.own_operations().iter().map(|s| s.name));
        bail!(
            "no operation named {op}; operations: {} ({platform}; `wasmbot call {bot} --list` describes them)",
            names.join(", ")
        );
    };
    let args: Args = serde_json::from_str(json)
        .context("the arguments are not valid JSON of the operation's parameters")?;
    let chat = args.chat_ref(platform, bot)?;
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
    print_result(result)
}

/// Prints the result as JSON: the value, or `{"error": …}` with a failing exit code.
fn print_result(result: Result<Value, adapter::AdapterError>) -> anyhow::Result<ExitCode> {
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
            // A platform's own message kind: `content::other((kind, fields))`.
            Some(Value::Object(m)) if m.contains_key("kind") => {
                let kind = m
                    .get("kind")
                    .and_then(Value::as_str)
                    .context("`message.kind` must be a string")?;
                let fields = m.get("fields").cloned().unwrap_or_else(|| json!({}));
                if !fields.is_object() {
                    bail!("`message.fields` must be a JSON object");
                }
                Ok(Outgoing {
                    content: Content::Other((kind.to_owned(), fields.to_string())),
                    keyboard: None,
                    mentions: vec![],
                })
            }
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
