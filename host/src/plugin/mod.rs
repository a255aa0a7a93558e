//! Plugins on disk: loading a `.wasm` into a ready version, and the folder watcher that hot
//! reloads them.

mod filter;
mod loader;
mod schedules;
mod watcher;

use std::path::PathBuf;
use std::sync::Arc;

pub use filter::Filter;
pub use loader::{LoadError, Loader};
pub use watcher::{watch_folder, Deployment};

use crate::config::{Grants, PluginConfig, PluginLimits};
use crate::model::{CommandAudience, CommandHelp, Manifest, PluginHelp};
use crate::runtime::PluginPre;
use crate::runtime::{CallError, HostServices, HostState, PluginInstance, Schedule, Tier, World};

/// One compiled version of a plugin, ready to instantiate.
pub struct PluginVersion {
    pub name: Arc<str>,
    pub manifest: Manifest,
    /// The plugin's description of its subscribed commands (see `help`).
    pub guide: Vec<CommandHelp>,
    /// The `wasmbot:bot` version the plugin targets.
    pub world: World,
    /// The hosts a 0.2 plugin means to reach over HTTP, as it declared them.
    pub http_hosts: Vec<String>,
    /// A 0.2 plugin's schedules, as it declared them.
    pub schedules: Vec<Schedule>,
    /// Who may use which of its commands, as it declared them (the operator may override).
    pub audiences: Vec<CommandAudience>,
    /// The schedules the daemon runs: the declared ones with the operator's overrides, their
    /// expressions checked (see `schedules`).
    pub schedule_plan: Vec<crate::timer::Schedule>,
    pub source: PathBuf,
    /// The SHA-256 of the `.wasm`, hex.
    pub hash: String,
    pub limits: PluginLimits,
    pub operator: Option<PluginConfig>,
    /// The JSON for `init`, secrets included: never shown.
    pub init_config: crate::config::Secret,
    /// The plugin's secret values, scrubbed from what it logs or fails with.
    pub redactor: Arc<crate::config::Redactor>,
    pub grants: Arc<Grants>,
    /// How its code was compiled: a baseline version is replaced by the optimised one as
    /// soon as that is compiled (see `watcher`).
    pub tier: Tier,
    pre: PluginPre<HostState>,
}

/// What a plugin will need granted, in `[plugins.grants]` terms.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GrantsNeeded {
    pub operations: Vec<&'static str>,
    pub http: Vec<String>,
}

impl std::fmt::Debug for PluginVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginVersion")
            .field("name", &self.name)
            .field("version", &self.manifest.version)
            .field("source", &self.source)
            .field("tier", &self.tier)
            .finish()
    }
}

impl PluginVersion {
    /// A new, initialised instance.
    pub async fn instantiate(&self, services: HostServices) -> Result<PluginInstance, CallError> {
        let mut instance = PluginInstance::instantiate(
            &self.pre,
            self.name.clone(),
            services,
            self.grants.clone(),
            self.limits,
        )
        .await?;
        instance.redact(self.redactor.clone());
        instance.init(self.init_config.expose()).await?;
        Ok(instance)
    }

    /// The grants the plugin will need to do all it declares: its operations, and the hosts it
    /// means to reach over HTTP (for `wasmbot inspect`; the operator's grants decide).
    pub fn grants_needed(&self) -> GrantsNeeded {
        GrantsNeeded {
            operations: self.manifest.permissions.iter().map(|p| p.name()).collect(),
            http: self.http_hosts.clone(),
        }
    }

    /// What `/help` shows of this plugin: each command it subscribes to, described by the
    /// plugin's guide where it has one (an undescribed command has an empty description).
    pub fn help(&self) -> PluginHelp {
        let commands = self
            .manifest
            .subscriptions
            .commands
            .iter()
            .map(|name| command_name(name))
            .map(|name| {
                self.guide
                    .iter()
                    .find(|c| c.name == name) // the loader normalised the guide's names
                    .cloned()
                    .unwrap_or_else(|| CommandHelp {
                        name: name.to_owned(),
                        description: String::new(),
                        arguments: Vec::new(),
                    })
            })
            .collect();
        PluginHelp {
            name: self.manifest.name.clone(),
            description: self.manifest.description.clone(),
            commands,
        }
    }

    /// Which events this version receives.
    pub fn filter(&self) -> Filter {
        Filter::new(
            &self.manifest.subscriptions,
            &self.audiences,
            self.operator.as_ref(),
        )
    }
}

/// A command's name without its leading slash, as plugins may declare it either way.
pub(crate) fn command_name(name: &str) -> &str {
    name.trim_start_matches('/')
}
