//! A plugin's exports: a `guest` of either version (0.2.0 looked up first), and
//! `command-guide` optionally.

use wasmtime::component::{Instance, InstancePre};

use crate::model::wit::exports::wasmbot::bot0_1_0::{command_guide, guest as guest01};
use crate::model::wit::exports::wasmbot::bot0_2_0::guest as guest02;

/// Which `wasmbot:bot` world a plugin targets: the version of its `guest` export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum World {
    V01,
    V02,
}

/// As its package name, `wasmbot:bot@0.2.0`.
impl serde::Serialize for World {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl World {
    pub fn name(self) -> &'static str {
        match self {
            World::V01 => "wasmbot:bot@0.1.0",
            World::V02 => "wasmbot:bot@0.2.0",
        }
    }
}

enum GuestIndices {
    V01(guest01::GuestIndices),
    V02(guest02::GuestIndices),
}

/// A linked plugin, ready to instantiate.
pub struct PluginPre<T: 'static> {
    pre: InstancePre<T>,
    guest: GuestIndices,
    guide: Option<command_guide::GuestIndices>,
}

impl<T: 'static> std::fmt::Debug for PluginPre<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginPre")
            .field("world", &self.world())
            .field("command_guide", &self.guide.is_some())
            .finish_non_exhaustive()
    }
}

impl<T: 'static> PluginPre<T> {
    /// Fails when the component exports neither version's `guest` interface as WIT declares it
    /// (the error is the 0.2.0 lookup's, the world new plugins should target).
    pub fn new(pre: InstancePre<T>) -> wasmtime::Result<Self> {
        let guest = match guest02::GuestIndices::new(&pre) {
            Ok(indices) => GuestIndices::V02(indices),
            Err(e) => match guest01::GuestIndices::new(&pre) {
                Ok(indices) => GuestIndices::V01(indices),
                Err(_) => return Err(e),
            },
        };
        let guide = command_guide::GuestIndices::new(&pre).ok();
        Ok(Self { pre, guest, guide })
    }

    pub fn world(&self) -> World {
        match self.guest {
            GuestIndices::V01(_) => World::V01,
            GuestIndices::V02(_) => World::V02,
        }
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
        let guest = match &self.guest {
            GuestIndices::V01(indices) => Guest::V01(indices.load(&mut store, &instance)?),
            GuestIndices::V02(indices) => Guest::V02(indices.load(&mut store, &instance)?),
        };
        let guide = match &self.guide {
            Some(indices) => Some(indices.load(&mut store, &instance)?),
            None => None,
        };
        Ok(Plugin { guest, guide })
    }
}

/// The `guest` export of one instance, of its version.
pub(super) enum Guest {
    V01(guest01::Guest),
    V02(guest02::Guest),
}

/// The exports of one plugin instance.
pub struct Plugin {
    pub(super) guest: Guest,
    pub(super) guide: Option<command_guide::Guest>,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("command_guide", &self.guide.is_some())
            .finish_non_exhaustive()
    }
}
