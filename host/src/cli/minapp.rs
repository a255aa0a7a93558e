//! `wasmbot minapp conversations`: the users and groups a configured minapp bot can send to.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::adapter::minapp::{Minapp, PLATFORM};
use crate::config::Config;

#[derive(Debug, Args)]
pub struct MinappArgs {
    /// The config file that names the minapp bot (flags may come after the subcommand).
    #[arg(long, global = true, env = "WASMBOT_CONFIG")]
    config: Option<PathBuf>,
    /// The bot's name; optional when one minapp bot is configured.
    #[arg(long, global = true)]
    bot: Option<String>,
    #[command(subcommand)]
    command: MinappCommand,
}

#[derive(Debug, Subcommand)]
enum MinappCommand {
    /// List user and group conversations with their conversation ids.
    Conversations,
}

pub async fn run(args: MinappArgs) -> anyhow::Result<ExitCode> {
    let path = args
        .config
        .context("minapp needs the config that names its bot: --config FILE")?;
    let config = Config::load(&path)?;
    let mut bots = config.bots.iter().filter(|b| b.platform == PLATFORM);
    let bot = match &args.bot {
        Some(name) => bots.clone().find(|b| &b.name == name).with_context(|| {
            let names: Vec<&str> = bots.map(|b| b.name.as_str()).collect();
            format!(
                "no minapp bot named {name}; minapp bots: {}",
                names.join(", ")
            )
        })?,
        None => {
            let first = bots.next().context("no minapp bot in the config")?;
            anyhow::ensure!(
                bots.next().is_none(),
                "several minapp bots are configured; choose one with --bot"
            );
            first
        }
    };
    let minapp = Minapp::from_config(bot)?;
    match args.command {
        MinappCommand::Conversations => {
            let (users, groups) = minapp.conversations().await?;
            let out = serde_json::json!({ "users": users, "groups": groups });
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}
