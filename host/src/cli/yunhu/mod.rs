//! `wasmbot yunhu …`: Yunhu tools the daemon does not need. `bots …` uses the user-client
//! management API with the owner's login token (seed 004); `board`, `messages` and `batch-send`
//! use a configured bot's token.

pub mod manage;
pub mod proto;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

use crate::adapter::yunhu::{BoardFormat, HistoryQuery, Yunhu, PLATFORM};
use crate::config::{Config, Secret};
use crate::model::{ChatKind, Content, Outgoing};
use manage::{BotEdit, ManageClient, DEFAULT_MANAGE_URL};

#[derive(Debug, Args)]
pub struct YunhuArgs {
    #[command(subcommand)]
    command: YunhuCommand,
}

#[derive(Debug, Subcommand)]
enum YunhuCommand {
    /// Your bots, through Yunhu's user-client API (needs your login token, not a bot token).
    Bots(BotsArgs),
    /// Set or dismiss boards (banners) with a configured bot.
    Board(BoardArgs),
    /// Print a chat's recent messages.
    Messages(MessagesArgs),
    /// Send one text to many users or groups.
    BatchSend(BatchSendArgs),
}

#[derive(Debug, Args)]
struct BotsArgs {
    /// Your Yunhu login token (sent in the `token` header).
    #[arg(long, global = true, env = "YUNHU_USER_TOKEN", hide_env_values = true)]
    user_token: Option<String>,
    /// The user-client API root.
    #[arg(long, global = true, default_value = DEFAULT_MANAGE_URL)]
    api_base: String,
    #[command(subcommand)]
    command: BotsCommand,
}

#[derive(Debug, Subcommand)]
enum BotsCommand {
    /// List your bots (tokens are hidden unless --show-tokens).
    List {
        #[arg(long)]
        show_tokens: bool,
    },
    /// Show a bot's profile.
    Info { bot_id: String },
    /// Change a bot's name, introduction, avatar or visibility (unset fields keep their value).
    Edit {
        bot_id: String,
        #[arg(long)]
        nickname: Option<String>,
        #[arg(long)]
        introduction: Option<String>,
        #[arg(long)]
        avatar_url: Option<String>,
        #[arg(long)]
        private: Option<bool>,
    },
    /// Replace a bot's settings form with a JSON document.
    Settings {
        bot_id: String,
        setting_json: String,
    },
    /// Show the board of a chat (chat type: 1 user, 2 group, 3 bot).
    Board {
        chat_id: String,
        #[arg(long, default_value_t = 2)]
        chat_type: i64,
    },
    /// Remove a user from a bot's followers.
    RemoveFollower { bot_id: String, user_id: String },
    /// Remove a group from a bot's groups.
    RemoveGroup { bot_id: String, group_id: String },
}

/// Which configured bot to use.
#[derive(Debug, Args)]
struct BotChoice {
    #[arg(long, env = "WASMBOT_CONFIG")]
    config: PathBuf,
    /// The bot's name; optional when one Yunhu bot is configured.
    #[arg(long)]
    bot: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Kind {
    User,
    Group,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Markdown,
    Html,
}

#[derive(Debug, Args)]
struct BoardArgs {
    #[command(flatten)]
    bot: BotChoice,
    #[command(subcommand)]
    command: BoardCommand,
}

#[derive(Debug, Subcommand)]
enum BoardCommand {
    /// Show a board in one chat (or to one member of it).
    Set {
        #[arg(long)]
        chat: String,
        #[arg(long, value_enum, default_value = "group")]
        chat_type: Kind,
        #[arg(long)]
        member: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Unix seconds when it disappears; 0 = never.
        #[arg(long, default_value_t = 0)]
        expire_at: i64,
        text: String,
    },
    /// Take a chat's board down.
    Dismiss {
        #[arg(long)]
        chat: String,
        #[arg(long, value_enum, default_value = "group")]
        chat_type: Kind,
        #[arg(long)]
        member: Option<String>,
    },
    /// Show a board in every chat of the bot.
    SetAll {
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        #[arg(long, default_value_t = 0)]
        expire_at: i64,
        text: String,
    },
    /// Take the global board down.
    DismissAll,
}

#[derive(Debug, Args)]
struct MessagesArgs {
    #[command(flatten)]
    bot: BotChoice,
    #[arg(long)]
    chat: String,
    #[arg(long, value_enum, default_value = "group")]
    chat_type: Kind,
    #[arg(long, default_value_t = 20)]
    before: u32,
    #[arg(long, default_value_t = 0)]
    after: u32,
    #[arg(long)]
    message_id: Option<String>,
}

#[derive(Debug, Args)]
struct BatchSendArgs {
    #[command(flatten)]
    bot: BotChoice,
    /// Comma-separated recipient ids.
    #[arg(long, value_delimiter = ',', required = true)]
    to: Vec<String>,
    #[arg(long, value_enum, default_value = "user")]
    chat_type: Kind,
    #[arg(long)]
    markdown: bool,
    text: String,
}

pub async fn run(args: YunhuArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        YunhuCommand::Bots(args) => bots(args).await,
        YunhuCommand::Board(args) => board(args).await,
        YunhuCommand::Messages(args) => messages(args).await,
        YunhuCommand::BatchSend(args) => batch_send(args).await,
    }
}

fn print(value: &impl serde::Serialize) -> anyhow::Result<ExitCode> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(ExitCode::SUCCESS)
}

async fn bots(args: BotsArgs) -> anyhow::Result<ExitCode> {
    let token = args.user_token.context(
        "Yunhu's bot management needs your login token: --user-token or YUNHU_USER_TOKEN",
    )?;
    let client = ManageClient::new(&args.api_base, Secret::new(token), Duration::from_secs(20))
        .map_err(anyhow::Error::msg)?;
    match args.command {
        BotsCommand::List { show_tokens } => {
            let bots = client.bots().await?;
            let rows: Vec<_> = bots
                .iter()
                .map(|b| {
                    let token = b.token.as_ref().map(|t| if show_tokens { t.expose().to_string() } else { t.to_string() });
                    json!({ "bot_id": b.bot_id, "nickname": b.nickname, "introduction": b.introduction,
                            "headcount": b.headcount, "private": b.private == 1, "stopped": b.is_stop == 1, "token": token })
                })
                .collect();
            print(&rows)
        }
        BotsCommand::Info { bot_id } => print(&client.bot_info(&bot_id).await?),
        BotsCommand::Edit {
            bot_id,
            nickname,
            introduction,
            avatar_url,
            private,
        } => {
            let current = client.bot_info(&bot_id).await?;
            let edit = BotEdit {
                bot_id,
                nickname: nickname.unwrap_or(current.name),
                introduction: introduction.unwrap_or(current.introduction),
                avatar_url: avatar_url.unwrap_or(current.avatar_url),
                private: u8::from(private.unwrap_or(current.private)),
            };
            client.edit_bot(&edit).await?;
            print(&json!({ "ok": true }))
        }
        BotsCommand::Settings {
            bot_id,
            setting_json,
        } => {
            client.edit_settings(&bot_id, &setting_json).await?;
            print(&json!({ "ok": true }))
        }
        BotsCommand::Board { chat_id, chat_type } => {
            print(&client.board(&chat_id, chat_type).await?)
        }
        BotsCommand::RemoveFollower { bot_id, user_id } => {
            client.remove_follower(&bot_id, &user_id).await?;
            print(&json!({ "ok": true }))
        }
        BotsCommand::RemoveGroup { bot_id, group_id } => {
            client.remove_group(&bot_id, &group_id).await?;
            print(&json!({ "ok": true }))
        }
    }
}

/// The configured Yunhu bot named `--bot`, or the only one.
fn configured(choice: &BotChoice) -> anyhow::Result<Yunhu> {
    let config = Config::load(&choice.config)?;
    let mut bots = config.bots.iter().filter(|b| b.platform == PLATFORM);
    let bot = match &choice.bot {
        Some(name) => bots
            .find(|b| &b.name == name)
            .with_context(|| format!("no Yunhu bot named `{name}` in the config"))?,
        None => {
            let first = bots.next().context("no Yunhu bot in the config")?;
            anyhow::ensure!(
                bots.next().is_none(),
                "several Yunhu bots are configured; choose one with --bot"
            );
            first
        }
    };
    Ok(Yunhu::from_config(bot)?)
}

fn kind(kind: Kind) -> ChatKind {
    match kind {
        Kind::User => ChatKind::Private,
        Kind::Group => ChatKind::Group,
    }
}

fn format(format: Format) -> BoardFormat {
    match format {
        Format::Text => BoardFormat::Text,
        Format::Markdown => BoardFormat::Markdown,
        Format::Html => BoardFormat::Html,
    }
}

async fn board(args: BoardArgs) -> anyhow::Result<ExitCode> {
    let yunhu = configured(&args.bot)?;
    match args.command {
        BoardCommand::Set {
            chat,
            chat_type,
            member,
            format: f,
            expire_at,
            text,
        } => {
            yunhu
                .set_board(
                    &chat,
                    kind(chat_type),
                    member.as_deref(),
                    format(f),
                    &text,
                    expire_at,
                )
                .await?
        }
        BoardCommand::Dismiss {
            chat,
            chat_type,
            member,
        } => {
            yunhu
                .dismiss_board(&chat, kind(chat_type), member.as_deref())
                .await?
        }
        BoardCommand::SetAll {
            format: f,
            expire_at,
            text,
        } => yunhu.set_board_all(format(f), &text, expire_at).await?,
        BoardCommand::DismissAll => yunhu.dismiss_board_all().await?,
    }
    print(&json!({ "ok": true }))
}

async fn messages(args: MessagesArgs) -> anyhow::Result<ExitCode> {
    let yunhu = configured(&args.bot)?;
    let query = HistoryQuery {
        message_id: args.message_id,
        before: args.before,
        after: args.after,
    };
    print(
        &yunhu
            .messages(&args.chat, kind(args.chat_type), &query)
            .await?,
    )
}

async fn batch_send(args: BatchSendArgs) -> anyhow::Result<ExitCode> {
    let yunhu = configured(&args.bot)?;
    let content = if args.markdown {
        Content::Markdown(args.text)
    } else {
        Content::Text(args.text)
    };
    let message = Outgoing {
        content,
        keyboard: None,
        mentions: Vec::new(),
    };
    print(&json!({ "sent": yunhu.batch_send(kind(args.chat_type), &args.to, &message).await? }))
}
