//! `wasmbot fanbook bots …`: manage Fanbook bots through the developer console's GraphQL API.
//! Prints the console's JSON; GraphQL errors are printed plainly and exit non-zero.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::{json, Map, Value};

use crate::adapter::fanbook::console::{Console, ConsoleError};
use crate::adapter::fanbook::DEFAULT_BASE_URL;
use crate::config::Secret;

#[derive(Debug, Args)]
pub struct FanbookArgs {
    /// The developer's user token (the console's `usertoken` header).
    #[arg(long, global = true, env = "FANBOOK_USER_TOKEN", hide_env_values = true, value_parser = secret)]
    user_token: Option<Secret>,
    /// The console's base URL; `/api/bot/console` is added.
    #[arg(long, global = true, env = "FANBOOK_CONSOLE_URL", default_value = DEFAULT_BASE_URL)]
    console_url: String,
    /// Seconds to wait for the console.
    #[arg(long, global = true, default_value_t = 15)]
    timeout: u64,
    #[command(subcommand)]
    command: Group,
}

#[derive(Debug, Subcommand)]
enum Group {
    /// Bots owned by the user.
    #[command(subcommand)]
    Bots(Bots),
}

#[derive(Debug, Subcommand)]
enum Bots {
    /// List an owner's bots (tokens hidden unless --show-tokens).
    List {
        #[arg(long)]
        owner_id: String,
        #[arg(long)]
        show_tokens: bool,
    },
    /// Show one bot.
    Get { bot_id: String },
    /// Create a bot; prints its id and token.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        avatar: String,
        #[arg(long)]
        description: String,
        #[command(flatten)]
        fields: Fields,
    },
    /// Change a bot's fields.
    Update {
        bot_id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        avatar: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[command(flatten)]
        fields: Fields,
    },
    /// Replace a bot's token; prints the new one.
    ResetToken { bot_id: String },
    /// Delete a bot.
    Delete { bot_id: String },
}

/// Optional fields shared by create and update.
#[derive(Debug, Args)]
struct Fields {
    /// The default permission bits when the bot joins a guild.
    #[arg(long)]
    permissions: Option<u64>,
    /// The category (top byte: 1 tools, 2 welfare, 3 games, 4 media, 5 work).
    #[arg(long)]
    class: Option<u32>,
    /// List the bot in the bot market.
    #[arg(long)]
    market: Option<bool>,
    /// Receive every message, not only mentions and joins (`enable_group_privacy_mode`).
    #[arg(long)]
    all_messages: Option<bool>,
    /// A command, `NAME=DESCRIPTION`; repeat for more. Replaces the bot's command list.
    #[arg(long = "command", value_name = "NAME=DESCRIPTION")]
    commands: Vec<String>,
}

fn secret(text: &str) -> Result<Secret, String> {
    Ok(Secret::new(text))
}

/// Runs a `fanbook` subcommand.
pub async fn run(args: FanbookArgs) -> anyhow::Result<ExitCode> {
    let Some(token) = args.user_token.clone() else {
        eprintln!("error: a user token is needed: pass --user-token or set FANBOOK_USER_TOKEN");
        return Ok(ExitCode::from(2));
    };
    let console = match Console::new(&args.console_url, token, Duration::from_secs(args.timeout)) {
        Ok(console) => console,
        Err(e) => return Ok(fail(&e)),
    };
    let Group::Bots(command) = args.command;
    match execute(&console, command).await {
        Ok(output) => {
            println!("{}", serde_json::to_string_pretty(&output)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Ok(fail(&e)),
    }
}

fn fail(e: &ConsoleError) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::FAILURE
}

async fn execute(console: &Console, command: Bots) -> Result<Value, ConsoleError> {
    match command {
        Bots::List {
            owner_id,
            show_tokens,
        } => {
            let mut bots = console.list(&owner_id).await?;
            if !show_tokens {
                hide_tokens(&mut bots);
            }
            Ok(bots)
        }
        Bots::Get { bot_id } => console.get(&bot_id).await,
        Bots::Create {
            name,
            avatar,
            description,
            fields,
        } => {
            let mut new_bot = fields.into_map()?;
            new_bot.insert("bot_name".into(), json!(name));
            new_bot.insert("bot_avatar".into(), json!(avatar));
            new_bot.insert("bot_description".into(), json!(description));
            console.create(Value::Object(new_bot)).await
        }
        Bots::Update {
            bot_id,
            name,
            avatar,
            description,
            fields,
        } => {
            let mut update = fields.into_map()?;
            update.insert("bot_id".into(), json!(bot_id));
            for (key, value) in [
                ("bot_name", name),
                ("bot_avatar", avatar),
                ("bot_description", description),
            ] {
                if let Some(value) = value {
                    update.insert(key.into(), json!(value));
                }
            }
            console.update(Value::Object(update)).await
        }
        Bots::ResetToken { bot_id } => console
            .reset_token(&bot_id)
            .await
            .map(|token| json!({ "bot_token": token })),
        Bots::Delete { bot_id } => console.delete(&bot_id).await,
    }
}

impl Fields {
    fn into_map(self) -> Result<Map<String, Value>, ConsoleError> {
        let mut map = Map::new();
        if let Some(p) = self.permissions {
            map.insert("bot_permissions".into(), json!(p.to_string()));
        }
        if let Some(c) = self.class {
            map.insert("bot_class".into(), json!(c));
        }
        if let Some(m) = self.market {
            map.insert("market".into(), json!(m));
        }
        if let Some(all) = self.all_messages {
            map.insert("enable_group_privacy_mode".into(), json!(all));
        }
        if !self.commands.is_empty() {
            let commands = self
                .commands
                .iter()
                .map(|c| command(c))
                .collect::<Result<Vec<_>, _>>()?;
            map.insert("commands".into(), Value::Array(commands));
        }
        Ok(map)
    }
}

/// `NAME=DESCRIPTION` as a `BotCommand` visible to everyone (`visible_level` is a string in
/// the console's type table).
fn command(text: &str) -> Result<Value, ConsoleError> {
    let (name, description) = text
        .split_once('=')
        .filter(|(n, _)| !n.trim().is_empty())
        .ok_or_else(|| {
            ConsoleError::Invalid(format!("--command `{text}`: expected NAME=DESCRIPTION"))
        })?;
    Ok(json!({ "command": name.trim(), "description": description.trim(), "visible_level": "0" }))
}

fn hide_tokens(bots: &mut Value) {
    if let Some(list) = bots.as_array_mut() {
        for bot in list {
            if let Some(token) = bot.get_mut("bot_token").filter(|t| !t.is_null()) {
                *token = json!("***");
            }
        }
    }
}
