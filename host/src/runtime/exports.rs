//! A plugin's exports: `guest` required, `command-guide` optional.

use wasmtime::component::{Instance, InstancePre};

use crate::model::wit::exports::wasmbot::bot::{command_guide, guest};

/// A linked plugin, ready to instantiate. Its `guest` export is required; `command-guide` is
/// optional, so plugins of every world load (the generated `FanbookPluginPre` would refuse
/// those without a guide).
pub struct PluginPre<T: 'static> {
    pre: InstancePre<T>,
    guest: guest::GuestIndices,
    guide: Option<command_guide::GuestIndices>,
}

impl<T: 'static> std::fmt::Debug for PluginPre<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginPre")
            .field("command_guide", &self.guide.is_some())
            .finish_non_exhaustive()
    }
}

impl<T: 'static> PluginPre<T> {
    /// Fails when the component does not export the `guest` interface as WIT declares it.
    pub fn new(pre: InstancePre<T>) -> wasmtime::Result<Self> {
        let guest = guest::GuestIndices::new(&pre)?;
        let guide = command_guide::GuestIndices::new(&pre).ok();
        Ok(Self { pre, guest, guide })
    }

    pub fn engine(&self) -> &wasmtime::Engine {
        self.pre.engine()
    }

    pub async fn instantiate_async(
        &self,
        mut store: impl wasmtime::AsContextMut<Data = T>,
    ) -> wasmtime::Result<Plugin>
    where
        T: Send,
    {
        let instance: Instance = self.pre.instantiate_async(&mut store).await?;
        let guest = self.guest.load(&mut store, &instance)?;
        let guide = match &self.guide {
            Some(indices) => Some(indices.load(&mut store, &instance)?),
            None => None,
        };
        Ok(Plugin { guest, guide })
    }
}

/// The exports of one plugin instance.
pub struct Plugin {
    guest: guest::Guest,
    guide: Option<command_guide::Guest>,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("command_guide", &self.guide.is_some())
            .finish_non_exhaustive()
    }
}

impl Plugin {
    pub fn wasmbot_bot_guest(&self) -> &guest::Guest {
        &self.guest
    }

    /// The `command-guide` export, for plugins that have one.
    pub fn wasmbot_bot_command_guide(&self) -> Option<&command_guide::Guest> {
        self.guide.as_ref()
    }
}
