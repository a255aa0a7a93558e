//! The wasmtime engine: component model, epoch interruption, and an on-disk cache of
//! precompiled components keyed by content hash and engine version.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};

use super::exports::PluginPre;
use super::state::HostState;

/// How often the epoch advances: the granularity of per-call deadlines.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    #[error("not a valid Wasm component: {0:#}")]
    Invalid(wasmtime::Error),
    #[error(
        "the component is not a wasmbot plugin of a world this daemon serves \
         (wasmbot:bot@0.2.0 or @0.1.0): rebuild it with this release's SDK (`wasmbot build`): {0:#}"
    )]
    WrongWorld(wasmtime::Error),
}

/// How a plugin's code was compiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// Winch, a single-pass compiler: a fifth of Cranelift's compile time, slower code. What a
    /// plugin first runs on when its optimised code is not cached yet.
    Baseline,
    /// Cranelift, the optimising compiler; cached on disk, so a restart starts here.
    Optimized,
}

/// The wasmtime engines (one per tier) and their linkers. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    optimized: Compiler,
    baseline: Compiler,
    cache_dir: Option<PathBuf>,
}

/// One tier: its engine, the host functions linked into it, and its configuration (for the
/// throwaway engines that compile, see [`Compiler::compile`]).
struct Compiler {
    engine: wasmtime::Engine,
    linker: Linker<HostState>,
    config: wasmtime::Config,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("cache_dir", &self.inner.cache_dir)
            .finish()
    }
}

impl Compiler {
    fn new(strategy: wasmtime::Strategy) -> anyhow::Result<Self> {
        let mut config = wasmtime::Config::new();
        config.strategy(strategy);
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        config.max_wasm_stack(512 * 1024);
        let engine = wasmtime::Engine::new(&config)?;
        let mut linker = Linker::new(&engine);
        super::link::link(&mut linker)?;
        Ok(Self {
            engine,
            linker,
            config,
        })
    }

    /// Compiles a component to its serialized form in a throwaway engine of this one's
    /// configuration: an engine keeps its compiler's scratch buffers for the next compile
    /// (about 20 MiB after a few plugins), and this way they go with it.
    fn compile(&self, bytes: &[u8]) -> wasmtime::Result<Vec<u8>> {
        wasmtime::Engine::new(&self.config)?.precompile_component(bytes)
    }

    /// Loads what [`compile`](Self::compile) produced.
    #[allow(unsafe_code)]
    fn load(&self, artifact: &[u8]) -> wasmtime::Result<Component> {
        // SAFETY: `artifact` was just serialized by an engine with this engine's configuration
        // (and wasmtime checks that it is compatible).
        unsafe { Component::deserialize(&self.engine, artifact) }
    }

    fn link(&self, component: &Component) -> Result<PluginPre<HostState>, CompileError> {
        let pre = self
            .linker
            .instantiate_pre(component)
            .map_err(CompileError::WrongWorld)?;
        PluginPre::new(pre).map_err(CompileError::WrongWorld)
    }
}

impl Engine {
    /// Builds the engines. `cache_dir`: where optimised components are kept (`None`: no cache).
    pub fn new(cache_dir: Option<PathBuf>) -> anyhow::Result<Self> {
        if let Some(dir) = &cache_dir {
            std::fs::create_dir_all(dir)?;
        }
        let optimized = Compiler::new(wasmtime::Strategy::Cranelift)?;
        let baseline = Compiler::new(wasmtime::Strategy::Winch)?;
        spawn_epoch_ticker([optimized.engine.weak(), baseline.engine.weak()]);
        Ok(Self {
            inner: Arc::new(Inner {
                optimized,
                baseline,
                cache_dir,
            }),
        })
    }

    /// Optimised code (from the cache, or compiled and cached), linked. Blocking: call off the
    /// event path.
    pub fn prepare(&self, bytes: &[u8]) -> Result<PluginPre<HostState>, CompileError> {
        let component = self.compile(bytes).map_err(CompileError::Invalid)?;
        self.inner.optimized.link(&component)
    }

    /// The quickest code to start with: optimised if it is cached, else baseline code (the
    /// caller upgrades it later with [`prepare`](Self::prepare)). Blocking.
    pub fn prepare_quickly(
        &self,
        bytes: &[u8],
    ) -> Result<(PluginPre<HostState>, Tier), CompileError> {
        if let Some(component) = self.cache_path(bytes).and_then(|p| self.load_cached(&p)) {
            return Ok((self.inner.optimized.link(&component)?, Tier::Optimized));
        }
        let baseline = &self.inner.baseline;
        let component = baseline
            .compile(bytes)
            .and_then(|artifact| baseline.load(&artifact))
            .map_err(CompileError::Invalid)?;
        Ok((baseline.link(&component)?, Tier::Baseline))
    }

    fn compile(&self, bytes: &[u8]) -> wasmtime::Result<Component> {
        let optimized = &self.inner.optimized;
        let path = self.cache_path(bytes);
        if let Some(component) = path.as_deref().and_then(|p| self.load_cached(p)) {
            return Ok(component);
        }
        let artifact = optimized.compile(bytes)?;
        // Served from the cache file's mapping, a cold compile's code costs what a warm
        // start's does: clean pages the kernel may drop, not anonymous memory.
        let cached = path.filter(|p| write_atomically(p, &artifact));
        match cached.and_then(|p| self.load_cached(&p)) {
            Some(component) => Ok(component),
            None => optimized.load(&artifact),
        }
    }

    fn cache_path(&self, bytes: &[u8]) -> Option<PathBuf> {
        use std::hash::{Hash, Hasher};
        let dir = self.inner.cache_dir.as_ref()?;
        let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
        self.inner
            .optimized
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
        match unsafe { Component::deserialize_file(&self.inner.optimized.engine, path) } {
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

/// Advances the epoch of both engines every tick until they are dropped.
fn spawn_epoch_ticker(engines: [wasmtime::EngineWeak; 2]) {
    let spawned = std::thread::Builder::new()
        .name("wasmbot-epoch".into())
        .spawn(move || loop {
            std::thread::sleep(EPOCH_TICK);
            for engine in &engines {
                match engine.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => return,
                }
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
