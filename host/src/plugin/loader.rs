//! Turns a `.wasm` file into a plugin version with initialised instances, off the event path.

use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::{command_name, PluginVersion};
use crate::config::Config;
use crate::model::{CommandHelp, Manifest};
use crate::runtime::{
    CallError, CompileError, Described, Engine, HostServices, PluginInstance, Tier,
};

/// The largest `.wasm` the daemon will load.
pub const MAX_PLUGIN_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is {size} bytes; the limit is {MAX_PLUGIN_BYTES}")]
    TooLarge { path: String, size: u64 },
    #[error("{path}: {source}")]
    Compile { path: String, source: CompileError },
    #[error("{path}: `describe` failed: {source}")]
    Describe { path: String, source: CallError },
    #[error("{path}: bad manifest: {reason}")]
    Manifest { path: String, reason: String },
    #[error("{path}: plugin `{name}`: {reason}")]
    Schedule {
        path: String,
        name: String,
        reason: String,
    },
    #[error("{path}: plugin `{name}` is disabled in the config")]
    Disabled { path: String, name: String },
    #[error("{path}: plugin `{name}` failed to start: {source}")]
    Init {
        path: String,
        name: String,
        source: CallError,
    },
    #[error("{path}: {reason}")]
    NotAComponent { path: String, reason: &'static str },
    #[error("the loading task failed: {0}")]
    Join(String),
}

/// Loads plugins with one engine, config and set of host services.
#[derive(Clone, Debug)]
pub struct Loader {
    pub engine: Engine,
    pub services: HostServices,
    pub config: Arc<Config>,
}

impl Loader {
    /// Compiles a plugin as quickly as it can (see `Tier`) and reads its manifest, without
    /// starting it.
    pub async fn inspect(&self, path: &Path) -> Result<Arc<PluginVersion>, LoadError> {
        self.inspect_at(path, Tier::Baseline).await
    }

    /// Compiles a plugin (at least as well as `tier`) and reads its manifest.
    async fn inspect_at(&self, path: &Path, tier: Tier) -> Result<Arc<PluginVersion>, LoadError> {
        let shown = path.display().to_string();
        let bytes = read_plugin(path).await?;
        let hash = hex::encode(Sha256::digest(&bytes));
        let engine = self.engine.clone();
        let prepared = tokio::task::spawn_blocking(move || match tier {
            Tier::Baseline => engine.prepare_quickly(&bytes),
            Tier::Optimized => engine.prepare(&bytes).map(|pre| (pre, Tier::Optimized)),
        });
        let (pre, tier) = prepared
            .await
            .map_err(|e| LoadError::Join(e.to_string()))?
            .map_err(|source| LoadError::Compile {
                path: shown.clone(),
                source,
            })?;
        let probe_limits = self.config.limits_for("");
        let mut probe = PluginInstance::instantiate(
            &pre,
            Arc::from("?"),
            self.services.clone(),
            Arc::default(),
            probe_limits,
        )
        .await
        .map_err(|source| LoadError::Describe {
            path: shown.clone(),
            source,
        })?;
        let Described {
            manifest,
            http_hosts,
            schedules,
            audiences,
        } = probe
            .describe()
            .await
            .map_err(|source| LoadError::Describe {
                path: shown.clone(),
                source,
            })?;
        check_manifest(&manifest).map_err(|reason| LoadError::Manifest {
            path: shown.clone(),
            reason,
        })?;
        let guide = probe
            .command_guide()
            .await
            .map_err(|source| LoadError::Describe {
                path: shown.clone(),
                source,
            })?;
        let guide = trim_guide(guide, &manifest);
        let name: Arc<str> = Arc::from(manifest.name.as_str());
        let operator = self.config.plugin(&name);
        let overrides = operator.map_or(&[][..], |op| op.schedules.as_slice());
        let schedule_plan = super::schedules::plan(&schedules, overrides).map_err(|reason| {
            LoadError::Schedule {
                path: shown.clone(),
                name: name.to_string(),
                reason,
            }
        })?;
        Ok(Arc::new(PluginVersion {
            limits: self.config.limits_for(&name),
            operator: self.config.plugin(&name).cloned(),
            init_config: self.config.init_json(&name),
            redactor: Arc::new(self.config.redactor_for(&name)),
            grants: Arc::new(self.config.grants_for(&name)),
            name,
            world: pre.world(),
            manifest,
            http_hosts,
            schedules,
            audiences,
            schedule_plan,
            guide,
            source: path.to_owned(),
            hash,
            tier,
            pre,
        }))
    }

    /// Compiles a plugin (at least as well as `tier`) and starts `lanes` initialised instances
    /// of it (`None`: as configured).
    pub async fn load(
        &self,
        path: &Path,
        lanes: Option<usize>,
        tier: Tier,
    ) -> Result<(Arc<PluginVersion>, Vec<PluginInstance>), LoadError> {
        let version = self.inspect_at(path, tier).await?;
        let shown = path.display().to_string();
        if version.operator.as_ref().is_some_and(|op| !op.enabled) {
            return Err(LoadError::Disabled {
                path: shown,
                name: version.name.to_string(),
            });
        }
        let count = lanes.unwrap_or(version.limits.instances);
        let mut instances = Vec::with_capacity(count);
        for _ in 0..count {
            let instance = version
                .instantiate(self.services.clone())
                .await
                .map_err(|source| LoadError::Init {
                    path: shown.clone(),
                    name: version.name.to_string(),
                    source,
                })?;
            instances.push(instance);
        }
        Ok((version, instances))
    }
}

async fn read_plugin(path: &Path) -> Result<Vec<u8>, LoadError> {
    let shown = || path.display().to_string();
    let meta = tokio::fs::metadata(path)
        .await
        .map_err(|source| LoadError::Read {
            path: shown(),
            source,
        })?;
    if meta.len() > MAX_PLUGIN_BYTES {
        return Err(LoadError::TooLarge {
            path: shown(),
            size: meta.len(),
        });
    }
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|source| LoadError::Read {
            path: shown(),
            source,
        })?;
    match not_a_component(&bytes) {
        Some(reason) => Err(LoadError::NotAComponent {
            path: shown(),
            reason,
        }),
        None => Ok(bytes),
    }
}

/// Why `bytes` cannot be a Wasm component, for the files that are plainly something else: one
/// sentence instead of the parser's dump of the header bytes.
fn not_a_component(bytes: &[u8]) -> Option<&'static str> {
    const MAGIC: &[u8] = b"\0asm";
    if bytes.is_empty() {
        return Some("the file is empty");
    }
    if !bytes.starts_with(MAGIC) {
        return Some("not a WebAssembly file (no `\\0asm` header)");
    }
    // Bytes 4..8: a core module is version 1 layer 0, a component layer 1.
    if bytes.get(4..8) == Some(&[1, 0, 0, 0]) {
        return Some(
            "a core Wasm module, not a component: build the plugin for wasm32-wasip2 \
             (or wrap it with `wasm-tools component new`)",
        );
    }
    None
}

fn check_manifest(manifest: &Manifest) -> Result<(), String> {
    let name = &manifest.name;
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!(
            "name `{name}` must be 1 to 64 letters, digits, `-` or `_`"
        ));
    }
    Ok(())
}

/// Longest help text kept per command or argument: help answers stay one short message.
const MAX_HELP_CHARS: usize = 300;
/// Most arguments kept per command.
const MAX_HELP_ARGUMENTS: usize = 16;

/// Keeps the guide's entries for commands the manifest subscribes to, each once, with bounded
/// texts: the guide describes commands, it cannot add any.
fn trim_guide(guide: Vec<CommandHelp>, manifest: &Manifest) -> Vec<CommandHelp> {
    let subscribed = |name: &str| {
        manifest
            .subscriptions
            .commands
            .iter()
            .any(|c| command_name(c) == name)
    };
    let mut kept: Vec<CommandHelp> = Vec::new();
    for mut command in guide {
        command.name = command_name(&command.name).to_owned();
        if !subscribed(&command.name) || kept.iter().any(|k| k.name == command.name) {
            continue;
        }
        truncate(&mut command.description);
        command.arguments.truncate(MAX_HELP_ARGUMENTS);
        for argument in &mut command.arguments {
            truncate(&mut argument.name);
            truncate(&mut argument.description);
        }
        kept.push(command);
    }
    kept
}

fn truncate(text: &mut String) {
    if let Some((cut, _)) = text.char_indices().nth(MAX_HELP_CHARS) {
        text.truncate(cut);
    }
}
