//! `wasmbot push`: one plugin file into the cluster's bucket, from which every node writes it
//! into its plugins folder and loads it.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use tokio::io::AsyncReadExt;

use super::artifacts::is_plugin_file_name;
use super::setup;
use crate::config::ClusterConfig;

/// How long a push waits for the NATS server: a command line fails rather than waiting on.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// What a push stored.
#[derive(Debug, Clone)]
pub struct Pushed {
    pub name: String,
    pub bytes: usize,
    pub digest: String,
}

/// Stores `file` in the cluster's plugin bucket under its file name.
pub async fn push(config: &ClusterConfig, file: &Path) -> anyhow::Result<Pushed> {
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| is_plugin_file_name(n))
        .context(
            "a plugin file's name has only letters, digits, `-`, `_` and `.`, and ends in .wasm",
        )?;
    check_wasm(file).await?;
    // Shown in errors with its credentials masked.
    let url = config.shown_url();
    let options = async_nats::ConnectOptions::new()
        .name("wasmbot push")
        .connection_timeout(CONNECT_TIMEOUT);
    let client = tokio::time::timeout(CONNECT_TIMEOUT, options.connect(config.nats_url.as_str()))
        .await
        .map_err(|_| {
            anyhow::anyhow!("the NATS server at {url} did not answer within {CONNECT_TIMEOUT:?}")
        })?
        .with_context(|| format!("cannot reach the NATS server at {url}"))?;
    let js = setup::context(client.clone());
    let bucket = setup::plugins_bucket(&js)
        .await
        .with_context(|| format!("the NATS server at {url} (is JetStream on?)"))?;
    let mut reader = tokio::fs::File::open(file)
        .await
        .context("cannot open it")?;
    let stored = bucket
        .put(name, &mut reader)
        .await
        .with_context(|| format!("cannot store it at {url}"))?;
    client.flush().await.ok();
    Ok(Pushed {
        name: stored.name,
        bytes: stored.size,
        digest: stored.digest.unwrap_or_default(),
    })
}

/// Refuses what is not WebAssembly (its first four bytes are `\0asm`).
async fn check_wasm(file: &Path) -> anyhow::Result<()> {
    let mut opened = tokio::fs::File::open(file)
        .await
        .context("cannot read it")?;
    let mut magic = [0u8; 4];
    let read = opened.read_exact(&mut magic).await;
    if read.is_err() || &magic != b"\0asm" {
        anyhow::bail!("it is not a WebAssembly file (it does not start with `\\0asm`)");
    }
    Ok(())
}
