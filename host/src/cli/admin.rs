//! Commands that talk to a running daemon's admin API: `status`, `deadletters`, `release`.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};

/// Where the daemon is.
#[derive(Debug, Args)]
pub(super) struct DaemonArgs {
    /// The daemon's base URL.
    #[arg(
        long,
        global = true,
        default_value = "http://127.0.0.1:8700",
        env = "WASMBOT_DAEMON"
    )]
    daemon: String,
}

#[derive(Debug, Subcommand)]
pub(super) enum DeadLetters {
    /// List actions that could not be delivered, with the reason.
    List,
    /// Put one back in the outbox.
    Retry { id: u64 },
    /// Forget one.
    Drop { id: u64 },
}

/// Calls the admin API and prints the JSON answer; a 4xx/5xx is an error with its message.
async fn call(
    daemon: &DaemonArgs,
    method: reqwest::Method,
    path: &str,
) -> anyhow::Result<ExitCode> {
    let url = format!("{}{path}", daemon.daemon.trim_end_matches('/'));
    let response = reqwest::Client::new()
        .request(method, &url)
        .send()
        .await
        .with_context(|| format!("cannot reach the daemon at {}", daemon.daemon))?;
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or(serde_json::Value::Null);
    if !status.is_success() {
        let message = body["error"].as_str().unwrap_or("no message");
        eprintln!("error: {status}: {message}");
        return Ok(ExitCode::FAILURE);
    }
    println!("{}", serde_json::to_string_pretty(&body)?);
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn status(daemon: &DaemonArgs) -> anyhow::Result<ExitCode> {
    call(daemon, reqwest::Method::GET, "/admin/status").await
}

pub(super) async fn dead_letters(
    daemon: &DaemonArgs,
    command: &DeadLetters,
) -> anyhow::Result<ExitCode> {
    match command {
        DeadLetters::List => call(daemon, reqwest::Method::GET, "/admin/deadletters").await,
        DeadLetters::Retry { id } => {
            call(
                daemon,
                reqwest::Method::POST,
                &format!("/admin/deadletters/{id}/retry"),
            )
            .await
        }
        DeadLetters::Drop { id } => {
            call(
                daemon,
                reqwest::Method::DELETE,
                &format!("/admin/deadletters/{id}"),
            )
            .await
        }
    }
}

pub(super) async fn release(daemon: &DaemonArgs, plugin: &str) -> anyhow::Result<ExitCode> {
    call(
        daemon,
        reqwest::Method::POST,
        &format!("/admin/plugins/{plugin}/release"),
    )
    .await
}
