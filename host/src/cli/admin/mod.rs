//! Commands that talk to a running daemon's admin API: `status`, `deadletters`, `release`.
//! They print tables for people, or the API's JSON with `--json`; changes go as POST with a
//! JSON body and the admin token.

mod table;
mod target;

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

pub(super) use target::DaemonArgs;

#[derive(Debug, Subcommand)]
pub(super) enum DeadLetters {
    /// List actions that could not be delivered, with the reason.
    List,
    /// Put one back in the outbox.
    Retry { id: u64 },
    /// Forget one.
    Drop { id: u64 },
}

/// A request to the admin API: a read (GET) or a change (POST with `{}`).
enum Request<'a> {
    Read(&'a str),
    Change(&'a str),
}

/// Calls the admin API and returns its JSON answer; a 4xx/5xx is an error with its message.
async fn call(daemon: &DaemonArgs, request: Request<'_>) -> anyhow::Result<serde_json::Value> {
    let target = daemon.resolve()?;
    let client = reqwest::Client::new();
    let builder = match request {
        Request::Read(path) => client.get(target.url(path)),
        Request::Change(path) => client.post(target.url(path)).json(&serde_json::json!({})),
    };
    let builder = match &target.token {
        Some(token) => builder.bearer_auth(token.expose()),
        None => builder,
    };
    let response = builder
        .send()
        .await
        .with_context(|| format!("cannot reach the daemon at {}", target.base))?;
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or(serde_json::Value::Null);
    if !status.is_success() {
        let message = body["error"].as_str().unwrap_or("no message");
        anyhow::bail!("the daemon answered {status}: {message}");
    }
    Ok(body)
}

/// Prints `body` as JSON, or as `render` makes it for people.
fn print(daemon: &DaemonArgs, body: &serde_json::Value, render: fn(&serde_json::Value) -> String) {
    if daemon.json {
        println!(
            "{}",
            serde_json::to_string_pretty(body).unwrap_or_else(|_| body.to_string())
        );
    } else {
        print!("{}", render(body));
    }
}

pub(super) async fn status(daemon: &DaemonArgs) -> anyhow::Result<ExitCode> {
    let body = call(daemon, Request::Read("/admin/status")).await?;
    print(daemon, &body, table::status);
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn dead_letters(
    daemon: &DaemonArgs,
    command: &DeadLetters,
) -> anyhow::Result<ExitCode> {
    let body = match command {
        DeadLetters::List => {
            let body = call(daemon, Request::Read("/admin/deadletters")).await?;
            print(daemon, &body, table::dead_letters);
            return Ok(ExitCode::SUCCESS);
        }
        DeadLetters::Retry { id } => {
            let path = format!("/admin/deadletters/{id}/retry");
            call(daemon, Request::Change(&path)).await?
        }
        DeadLetters::Drop { id } => {
            let path = format!("/admin/deadletters/{id}/drop");
            call(daemon, Request::Change(&path)).await?
        }
    };
    print(daemon, &body, |b| format!("{}\n", table::done(b)));
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn release(daemon: &DaemonArgs, plugin: &str) -> anyhow::Result<ExitCode> {
    change_plugin(daemon, plugin, "release").await
}

/// `wasmbot release|enable|disable PLUGIN`: one change to one plugin.
pub(super) async fn change_plugin(
    daemon: &DaemonArgs,
    plugin: &str,
    change: &str,
) -> anyhow::Result<ExitCode> {
    let path = format!("/admin/plugins/{plugin}/{change}");
    let body = call(daemon, Request::Change(&path)).await?;
    print(daemon, &body, |b| format!("{}\n", table::done(b)));
    Ok(ExitCode::SUCCESS)
}
