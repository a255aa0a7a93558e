//! Plugins on disk: loading a `.wasm` into a ready version, and the folder watcher that hot
//! reloads them.

mod filter;
mod loader;
mod watcher;

use std::path::PathBuf;
use std::sync::Arc;

pub use filter::Filter;
pub use loader::{LoadError, Loader};
pub use watcher::{watch_folder, Deployment};

use crate::config::{Grants, PluginConfig, PluginLimits};
use crate::model::{CommandHelp, Manifest, PluginHelp};
use crate::runtime::PluginPre;
use crate::runtime::{CallError, HostServices, HostState, PluginInstance, Tier};

/// One compiled version of a plugin, ready to instantiate.
pub struct PluginVersion {
    pub name: Arc<str>,
    pub manifest: Manifest,
    /// The plugin's description of its subscribed commands (see `help`).
    pub guide: Vec<CommandHelp>,
    pub source: PathBuf,
    /// The SHA-256 of the `.wasm`, hex.
    pub hash: String,
    pub limits: PluginLimits,
    pub operator: Option<PluginConfig>,
    pub init_config: String,
    pub grants: Arc<Grants>,
    /// How its code was compiled: a baseline version is replaced by the optimised one as
    /// soon as that is compiled (see `watcher`).
    pub tier: Tier,
    pre: PluginPre<HostState>,
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
        instance.init(&self.init_config).await?;
        Ok(instance)
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
        Filter::new(&self.manifest.subscriptions, self.operator.as_ref())
    }
}

/// A command's name without its leading slash, as plugins may declare it either way.
pub(crate) fn command_name(name: &str) -> &str {
    name.trim_start_matches('/')
}
