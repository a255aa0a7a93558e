//! `wasmbot check`: every problem with the config and the plugins, at once.

use std::process::ExitCode;
use std::sync::Arc;

use crate::adapter::PLATFORMS;
use crate::config::Config;
use crate::plugin::Loader;
use crate::runtime::{Engine, HostServices, NoPlatforms};
use crate::store::MemoryStore;

/// A loader that touches nothing: no cache, an empty store, no platforms.
pub(super) fn scratch_loader(config: Config) -> anyhow::Result<Loader> {
    let services = HostServices::new(Arc::new(MemoryStore::default()), Arc::new(NoPlatforms));
    Ok(Loader {
        engine: Engine::new(None)?,
        services,
        config: Arc::new(config),
    })
}

pub(super) async fn run(config: anyhow::Result<Config>) -> anyhow::Result<ExitCode> {
    let config = match config {
        Ok(config) => config,
        Err(e) => {
            eprintln!("config: {e:#}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let mut problems = Vec::new();
    for bot in &config.bots {
        if !PLATFORMS.contains(&bot.platform.as_str()) {
            problems.push(format!(
                "bot `{}`: unknown platform `{}` (known: {})",
                bot.name,
                bot.platform,
                PLATFORMS.join(", ")
            ));
        }
    }
    let mut names = std::collections::BTreeMap::new();
    let plugins_dir = config.plugins_dir.clone();
    let loader = scratch_loader(config)?;
    match std::fs::read_dir(&plugins_dir) {
        Ok(entries) => {
            let mut files: Vec<_> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
                .collect();
            files.sort();
            for file in files {
                match loader.inspect(&file).await {
                    Ok(version) => {
                        if let Some(other) = names.insert(version.name.to_string(), file.clone()) {
                            problems.push(format!(
                                "{}: plugin `{}` is also in {}",
                                file.display(),
                                version.name,
                                other.display()
                            ));
                        }
                        println!(
                            "ok   {} ({} {})",
                            file.display(),
                            version.name,
                            version.manifest.version
                        );
                        if !version.http_hosts.is_empty() && version.grants.http.is_empty() {
                            println!(
                                "note {}: plugin `{}` means to reach {} over HTTP but has no \
                                 `[plugins.grants] http`: its requests will be denied",
                                file.display(),
                                version.name,
                                version.http_hosts.join(", ")
                            );
                        }
                    }
                    Err(e) => problems.push(e.to_string()),
                }
            }
        }
        Err(e) => problems.push(format!("plugins folder {}: {e}", plugins_dir.display())),
    }
    for plugin in &loader.config.plugins {
        if !names.contains_key(&plugin.name) {
            problems.push(format!(
                "plugins: `{}` is configured but no plugin of that name is in {}",
                plugin.name,
                plugins_dir.display()
            ));
        }
    }
    if problems.is_empty() {
        println!("no problems found");
        return Ok(ExitCode::SUCCESS);
    }
    for problem in &problems {
        eprintln!("problem: {problem}");
    }
    eprintln!("{} problem(s) found", problems.len());
    Ok(ExitCode::FAILURE)
}
