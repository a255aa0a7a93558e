//! The `wasmbot` daemon binary.

use std::io::IsTerminal;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Logs go to stderr, coloured only on a terminal: a redirected log has no escape codes.
    // The console's live log view gets a copy of each line (wasmbot::logs).
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let format = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    tracing_subscriber::registry()
        .with(filter)
        .with(format)
        .with(wasmbot::logs::ConsoleLayer)
        .init();
    match wasmbot::cli::main().await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", wasmbot::cli::describe_error(&e));
            std::process::ExitCode::FAILURE
        }
    }
}
