//! `wasmbot push FILE.wasm --config FILE`: a plugin file into the cluster's bucket, so every
//! node loads it.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::config::{Config, Mode};

/// Pushes `file` to the cluster `config` names; one line says what was pushed.
pub async fn run(file: &Path, config: Option<&Path>) -> anyhow::Result<ExitCode> {
    let shown = file.display();
    let Some(config_path) = config else {
        anyhow::bail!(
            "cannot push {shown}: name the cluster's config with --config FILE (or WASMBOT_CONFIG)"
        );
    };
    let config = Config::load(config_path).with_context(|| format!("cannot push {shown}"))?;
    let (Mode::Cluster, Some(cluster)) = (config.mode, &config.cluster) else {
        anyhow::bail!(
            "cannot push {shown}: {} is not a cluster's config (it needs mode = \"cluster\" and a [cluster] table); copy the file into the daemon's plugins folder instead",
            config_path.display()
        );
    };
    let pushed = crate::cluster::push(cluster, file)
        .await
        .with_context(|| format!("cannot push {shown}"))?;
    println!(
        "pushed {} ({} bytes, {}) to the cluster at {}",
        pushed.name,
        pushed.bytes,
        pushed.digest,
        cluster.shown_url()
    );
    Ok(ExitCode::SUCCESS)
}
