//! The wasmtime engine: component model, epoch interruption, and an on-disk cache of
//! precompiled components keyed by content hash and engine version.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};

use super::exports::PluginPre;
use super::state::HostState;
use crate::model::wit::FanbookPlugin;

/// How often the epoch advances: the granularity of per-call deadlines.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    #[error("not a valid Wasm component: {0:#}")]
    Invalid(wasmtime::Error),
    #[error("the component does not fit the wasmbot:bot@0.1.0 `plugin` world: {0:#}")]
    WrongWorld(wasmtime::Error),
}

/// The shared wasmtime engine and linker. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    engine: wasmtime::Engine,
    linker: Linker<HostState>,
    cache_dir: Option<PathBuf>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("cache_dir", &self.inner.cache_dir)
            .finish()
    }
}

impl Engine {
    /// Builds the engine. `cache_dir`: where precompiled components are kept (`None`: no cache).
    pub fn new(cache_dir: Option<PathBuf>) -> anyhow::Result<Self> {
        let mut config = wasmtime::Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        config.max_wasm_stack(512 * 1024);
        let engine = wasmtime::Engine::new(&config)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        FanbookPlugin::add_to_linker::<HostState, wasmtime::component::HasSelf<HostState>>(
            &mut linker,
            |s| s,
        )?;
        spawn_epoch_ticker(engine.weak());
        if let Some(dir) = &cache_dir {
            std::fs::create_dir_all(dir)?;
        }
        Ok(Self {
            inner: Arc::new(Inner {
                engine,
                linker,
                cache_dir,
            }),
        })
    }

    pub fn wasmtime(&self) -> &wasmtime::Engine {
        &self.inner.engine
    }

    /// Compiles (or loads from the cache) and links a plugin. Blocking: call off the event path.
    pub fn prepare(&self, bytes: &[u8]) -> Result<PluginPre<HostState>, CompileError> {
        let component = self.compile(bytes).map_err(CompileError::Invalid)?;
        let pre = self
            .inner
            .linker
            .instantiate_pre(&component)
            .map_err(CompileError::WrongWorld)?;
        PluginPre::new(pre).map_err(CompileError::WrongWorld)
    }

    fn compile(&self, bytes: &[u8]) -> wasmtime::Result<Component> {
        let Some(path) = self.cache_path(bytes) else {
            return Component::new(&self.inner.engine, bytes);
        };
        if let Some(component) = self.load_cached(&path) {
            return Ok(component);
        }
        let component = Component::new(&self.inner.engine, bytes)?;
        let cached = match component.serialize() {
            Ok(artifact) => write_atomically(&path, &artifact),
            Err(e) => {
                tracing::warn!(error = %e, "cannot serialize a compiled component for the cache");
                false
            }
        };
        // Served from the cache file's mapping, a cold compile's code costs what a warm
        // start's does: clean pages the kernel may drop, not anonymous memory.
        Ok(cached
            .then(|| self.load_cached(&path))
            .flatten()
            .unwrap_or(component))
    }

    fn cache_path(&self, bytes: &[u8]) -> Option<PathBuf> {
        use std::hash::{Hash, Hasher};
        let dir = self.inner.cache_dir.as_ref()?;
        let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
        self.inner
            .engine
            .precompile_compatibility_hash()
            .hash(&mut engine_hash);
        let content = hex::encode(Sha256::digest(bytes));
        Some(dir.join(format!("{content}-{:016x}.cwasm", engine_hash.finish())))
    }

    #[allow(unsafe_code)]
    fn load_cached(&self, path: &Path) -> Option<Component> {
        if !path.is_file() {
            return None;
        }
        // SAFETY: the file was written by `compile` above from a component this engine compiled;
        // its name carries the engine's compatibility hash, and wasmtime checks the header again.
        // The cache lives under the operator's data dir, which only the daemon writes, and a
        // file there is replaced by a rename, never changed in place, so the mapping stays valid.
        match unsafe { Component::deserialize_file(&self.inner.engine, path) } {
            Ok(component) => Some(component),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "ignoring a bad cache entry");
                None
            }
        }
    }
}

/// Writes a cache entry whole or not at all; `false` (logged) when it could not.
fn write_atomically(path: &Path, bytes: &[u8]) -> bool {
    // Unique per write: two plugins with the same bytes may compile at once.
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("{}.{n}.tmp", std::process::id()));
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = &result {
        tracing::warn!(path = %path.display(), error = %e, "cannot write the compile cache");
    }
    result.is_ok()
}

/// Advances the epoch every tick until the engine is dropped.
fn spawn_epoch_ticker(engine: wasmtime::EngineWeak) {
    let spawned = std::thread::Builder::new()
        .name("wasmbot-epoch".into())
        .spawn(move || loop {
            std::thread::sleep(EPOCH_TICK);
            match engine.upgrade() {
                Some(engine) => engine.increment_epoch(),
                None => return,
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the epoch thread: plugin deadlines will not fire");
    }
}

/// Gives the heap memory freed since (a compile's scratch space, mostly) back to the system.
/// Compiling a plugin allocates tens of MiB that glibc keeps in its arenas after they are
/// freed; without this, a cold start leaves the daemon's resident memory that much higher.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn trim_heap() {
    // SAFETY: malloc_trim only walks the allocator's own free lists; `0` keeps no padding.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn trim_heap() {}
