//! The `wasmbot` command line.

mod admin;
mod build;
mod call;
mod call_ops;
mod check;
mod dev;
mod fanbook;
mod minapp;
mod new;
mod push;
mod scenario;
pub mod yunhu;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::config::Config;
use crate::daemon::Daemon;

#[derive(Debug, Parser)]
#[command(
    name = "wasmbot",
    version,
    about = "A chat-bot host that runs bot logic as sandboxed Wasm components"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the daemon.
    Run(RunArgs),
    /// Build the workspace's plugins for wasm32-wasip2, run the daemon, and rebuild a plugin
    /// whenever its source changes (hot reload does the rest).
    Dev(DevArgs),
    /// Validate the config and every plugin; exits non-zero listing every problem.
    Check(RunArgs),
    /// Show a running daemon's plugins (with failures and quarantine) and dead-letter count.
    Status(admin::DaemonArgs),
    /// Actions that could not be delivered: list, retry or drop them.
    Deadletters {
        #[command(subcommand)]
        command: admin::DeadLetters,
        #[command(flatten)]
        daemon: admin::DaemonArgs,
    },
    /// Lift a plugin's quarantine.
    Release {
        plugin: String,
        #[command(flatten)]
        daemon: admin::DaemonArgs,
    },
    /// Switch a plugin off: it gets no events (they wait for it) until `enable`.
    Disable {
        plugin: String,
        #[command(flatten)]
        daemon: admin::DaemonArgs,
    },
    /// Switch a disabled plugin back on: it handles the events that waited, once each.
    Enable {
        plugin: String,
        #[command(flatten)]
        daemon: admin::DaemonArgs,
    },
    /// Perform one WIT operation, or one of the platform's own, through a configured bot and
    /// print the result as JSON, e.g. `wasmbot call mybot send '{"chat": "123", "message": "hello"}'`;
    /// `wasmbot call mybot --list` prints every operation the bot's platform supports.
    Call {
        bot: String,
        /// The WIT function's name (send, reply, edit, delete, react, pin, unpin, answer-callback,
        /// add-role, remove-role, mute, unmute, kick, get-member, list-roles) or one of the
        /// platform's own operations (see `--list`).
        #[arg(required_unless_present = "list")]
        op: Option<String>,
        /// Its arguments as JSON (`chat`, `message`, `target`, `user_id`, `role_id`, `seconds`, …);
        /// `{}` when left out.
        json: Option<String>,
        /// Print every operation the bot's platform supports, with its JSON arguments.
        #[arg(long, conflicts_with_all = ["op", "json"])]
        list: bool,
        #[arg(long, env = "WASMBOT_CONFIG")]
        config: std::path::PathBuf,
    },
    /// Print what a plugin's `describe` declares.
    Inspect {
        /// The plugin's `.wasm` file.
        file: PathBuf,
    },
    /// Send a plugin file to the cluster (`mode = "cluster"`): every node writes it into its
    /// plugins folder and loads it (a new version is hot-reloaded).
    Push {
        /// The plugin's `.wasm` file; its name is the file's name on every node.
        file: PathBuf,
        /// The config of a node of the cluster (its `[cluster]` table is read).
        #[arg(long, env = "WASMBOT_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Make a plugin project (Rust, Python, JavaScript or TypeScript) that answers `/NAME TEXT`.
    New(new::NewArgs),
    /// Build a plugin project to a component; prints the `.wasm` path as the last line.
    Build {
        /// The project's folder (default: the current one).
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Run a plugin against a scenario's scripted events and check what it does.
    Test {
        /// The plugin's `.wasm` file.
        plugin: PathBuf,
        /// The scenario (TOML, or YAML when it ends in .yaml or .yml).
        scenario: PathBuf,
    },
    /// Manage Fanbook bots through the developer console.
    Fanbook(fanbook::FanbookArgs),
    /// Yunhu tools: your bots (user-client API), boards, message history, batch send.
    Yunhu(yunhu::YunhuArgs),
    /// minapp tools: list conversations.
    Minapp(minapp::MinappArgs),
}

/// Options of `dev`: `run`'s, and Python, JS or TS projects to build and watch too.
#[derive(Debug, Args)]
struct DevArgs {
    #[command(flatten)]
    run: RunArgs,
    /// A Python, JS or TS plugin project (a folder with wasmbot.toml) to build, watch and
    /// rebuild on change, beside the workspace's Rust plugins; repeatable.
    #[arg(long = "project")]
    projects: Vec<PathBuf>,
}

/// Options shared by `run`, `dev` and `check`; flags override the config file.
#[derive(Debug, Args)]
struct RunArgs {
    /// The TOML config file; without one, the daemon runs the built-in `sim` platform.
    #[arg(long, env = "WASMBOT_CONFIG")]
    config: Option<PathBuf>,
    /// The folder of `.wasm` plugins to load and watch.
    #[arg(long)]
    plugins: Option<PathBuf>,
    /// The address to listen on: IP:PORT or NAME:PORT (default 127.0.0.1:8700).
    #[arg(long, value_parser = crate::config::listen::resolve)]
    listen: Option<SocketAddr>,
    /// Where the daemon keeps its data (compile cache, journal).
    #[arg(long)]
    data: Option<PathBuf>,
}

impl RunArgs {
    fn load(&self) -> anyhow::Result<Config> {
        let mut config = match &self.config {
            Some(path) => Config::load(path)?,
            None => Config::default(),
        };
        self.apply(&mut config);
        Ok(config)
    }

    /// Puts the flags over the config file's settings.
    fn apply(&self, config: &mut Config) {
        if let Some(dir) = &self.plugins {
            config.plugins_dir = dir.clone();
        }
        if let Some(listen) = self.listen {
            config.listen = listen;
        }
        if let Some(data) = &self.data {
            config.data_dir = data.clone();
        }
    }
}

/// Parses the command line and runs the command.
pub async fn main() -> anyhow::Result<std::process::ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run(args.load()?).await,
        Command::Dev(DevArgs { mut run, projects }) => {
            if run.config.is_none() {
                run.config = dev::default_config();
            }
            dev::run(run.load()?, &projects).await
        }
        Command::Check(args) => check::run(&args).await,
        Command::Inspect { file } => inspect(&file).await,
        Command::Push { file, config } => push::run(&file, config.as_deref()).await,
        Command::Call {
            bot,
            op,
            json,
            list,
            config,
        } => {
            let request = match op {
                Some(op) if !list => call::Request::Call { op, json },
                _ => call::Request::List,
            };
            call::run(Config::load(&config)?, &bot, request).await
        }
        Command::Status(daemon) => admin::status(&daemon).await,
        Command::Deadletters { command, daemon } => admin::dead_letters(&daemon, &command).await,
        Command::Release { plugin, daemon } => admin::release(&daemon, &plugin).await,
        Command::Disable { plugin, daemon } => {
            admin::change_plugin(&daemon, &plugin, "disable").await
        }
        Command::Enable { plugin, daemon } => {
            admin::change_plugin(&daemon, &plugin, "enable").await
        }
        Command::New(args) => new::run(&args),
        Command::Build { dir } => build::run(&dir),
        Command::Test { plugin, scenario } => scenario::run_file(&plugin, &scenario).await,
        Command::Fanbook(args) => fanbook::run(args).await,
        Command::Yunhu(args) => yunhu::run(args).await,
        Command::Minapp(args) => minapp::run(args).await,
    }
}

/// An error and its causes on one line, `: `-joined, each said once: a cause whose text an
/// outer message already includes (as `thiserror` messages often do) is left out.
pub fn describe_error(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let said = cause.to_string();
        if text.contains(&said) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&said);
    }
    text
}

async fn run(config: Config) -> anyhow::Result<std::process::ExitCode> {
    let daemon = Daemon::start(config).await?;
    println!(
        "wasmbot is serving on http://{0}/ (console: http://{0}/console, metrics: http://{0}/metrics)",
        daemon.addr
    );
    wait_for_signal(daemon).await
}

/// Runs until Ctrl-C or SIGTERM, then shuts down gracefully.
async fn wait_for_signal(daemon: Daemon) -> anyhow::Result<std::process::ExitCode> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("cannot listen for SIGTERM")?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::info!("shutting down");
    daemon.shutdown();
    daemon.wait().await?;
    Ok(std::process::ExitCode::SUCCESS)
}

async fn inspect(file: &Path) -> anyhow::Result<std::process::ExitCode> {
    let loader = check::scratch_loader(Config::default())?;
    let version = loader.inspect(file).await?;
    let m = &version.manifest;
    let kinds: Vec<&str> = m.subscriptions.kinds.iter().map(|k| k.name()).collect();
    let permissions: Vec<&str> = m.permissions.iter().map(|p| p.name()).collect();
    let report = serde_json::json!({
        "name": m.name,
        "version": m.version,
        "description": m.description,
        "subscriptions": {
            "kinds": kinds,
            "commands": m.subscriptions.commands,
            "platforms": m.subscriptions.platforms,
        },
        "permissions": permissions,
        "world": version.world.name(),
        "grants": version.grants_needed(),
        "schedules": version.schedules.iter().map(|s| serde_json::json!({
            "name": s.name, "cron": s.cron, "timezone": s.timezone,
        })).collect::<Vec<_>>(),
        "audiences": version.audiences.iter().map(|a| (a.command.clone(), a.audience.name()))
            .collect::<std::collections::BTreeMap<_, _>>(),
        "commands": version.help().commands,
        "sha256": version.hash,
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(std::process::ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_an_outer_message_repeats_is_said_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file (os error 2)");
        let outer = anyhow::anyhow!("cannot read x: No such file (os error 2)");
        let e = anyhow::Error::new(io).context(outer.to_string());
        assert_eq!(
            describe_error(&e),
            "cannot read x: No such file (os error 2)"
        );
        let e = anyhow::anyhow!("root cause").context("while loading");
        assert_eq!(describe_error(&e), "while loading: root cause");
    }
}
