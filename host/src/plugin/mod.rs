//! Plugins on disk: loading a `.wasm` into a ready version, and the folder watcher that hot
//! reloads them.

mod loader;
mod watcher;

use std::path::PathBuf;
use std::sync::Arc;

pub use loader::{LoadError, Loader};
pub use watcher::watch_folder;

use crate::config::{Grants, PluginConfig, PluginLimits};
use crate::router::Filter;
use crate::runtime::bindings::{Manifest, PluginPre};
use crate::runtime::{CallError, HostServices, HostState, PluginInstance};

/// One compiled version of a plugin, ready to instantiate.
pub struct PluginVersion {
    pub name: Arc<str>,
    pub manifest: Manifest,
    pub source: PathBuf,
    /// The SHA-256 of the `.wasm`, hex.
    pub hash: String,
    pub limits: PluginLimits,
    pub operator: Option<PluginConfig>,
    pub init_config: String,
    pub grants: Arc<Grants>,
    pre: PluginPre<HostState>,
}

impl std::fmt::Debug for PluginVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginVersion")
            .field("name", &self.name)
            .field("version", &self.manifest.version)
            .field("source", &self.source)
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

    /// Which events this version receives.
    pub fn filter(&self) -> Filter {
        Filter::new(&self.manifest.subscriptions, self.operator.as_ref())
    }
}
