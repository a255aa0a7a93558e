//! Hot reload: watch the plugins folder and load, swap or unload plugins as files change.
//!
//! File events only trigger a rescan (debounced); the rescan compares each `.wasm` with what is
//! running, so a burst of events or a lost one still ends in the right state.

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use futures::stream::{FuturesUnordered, StreamExt};
use notify::Watcher;
use tokio::sync::mpsc;

use super::{LoadError, Loader, PluginVersion};
use crate::runtime::{PluginInstance, PluginThreads, Tier};
use crate::store::Seq;

/// Where the watcher puts what it loads: the router, which runs plugins. A trait here so that
/// hot reload does not depend on the router.
#[async_trait::async_trait]
pub trait Deployment: Send + Sync {
    /// The threads plugin code (and so loading) runs on.
    fn threads(&self) -> &Arc<PluginThreads>;
    /// How many lanes the running plugin `name` has, if it runs.
    fn lanes_of(&self, name: &str) -> Option<usize>;
    /// Starts `version` (reading the journal from `from`), or swaps the running one to it.
    async fn install(&self, version: Arc<PluginVersion>, instances: Vec<PluginInstance>, from: Seq);
    /// Stops the plugin `name`; `false` if it was not running.
    fn remove(&self, name: &str) -> bool;
    /// The plugin `name` was loaded or reloaded (compiled, started, swapped in) at `version`
    /// from `path` in `took`.
    fn loaded(&self, _name: &str, _version: &str, _path: &Path, _took: Duration) {}
    /// The file `path` could not be loaded, for `reason` (shown until it loads or goes).
    fn failed(&self, _path: &Path, _reason: &str) {}
    /// A load of `path` failed after `took`, for `reason` (for the reload history).
    fn reload_failed(&self, _path: &Path, _reason: &str, _took: Duration) {}
    /// The file `path` loaded, or is gone: forget why it had not.
    fn cleared(&self, _path: &Path) {}
}

/// A plugin compiled and started, or why not.
type Compiled = Result<(Arc<PluginVersion>, Vec<PluginInstance>), LoadError>;

/// What is running from one file.
#[derive(Debug, Clone)]
struct Loaded {
    name: String,
    modified: Option<SystemTime>,
    len: u64,
    /// The plugin name this file declares but another file already serves: it loads once that
    /// other file goes.
    conflict: Option<String>,
}

/// Loads every plugin in `dir`, then keeps watching it until the task is dropped.
/// Returns once the first scan is done; the watcher keeps running in the background.
pub async fn watch_folder(
    dir: PathBuf,
    loader: Loader,
    router: Arc<dyn Deployment>,
    debounce: Duration,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(&dir)?;
    let (optimized_tx, mut optimized) = mpsc::channel(16);
    let mut scanner = Scanner {
        dir: dir.clone(),
        loader,
        router,
        loaded: HashMap::new(),
        optimized: optimized_tx,
    };
    scanner.rescan(true).await;
    let (tx, mut rx) = mpsc::channel::<()>(1);
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if event.is_ok() {
            let _ = tx.try_send(()); // a full channel already means "rescan"
        }
    })?;
    watcher.watch(&dir, notify::RecursiveMode::NonRecursive)?;
    tokio::spawn(async move {
        let _watcher = watcher; // dropped with the task
        loop {
            tokio::select! {
                changed = rx.recv() => {
                    if changed.is_none() {
                        return;
                    }
                    tokio::time::sleep(debounce).await;
                    while rx.try_recv().is_ok() {}
                    scanner.rescan(false).await;
                }
                Some(ready) = optimized.recv() => scanner.upgrade(ready).await,
            }
        }
    });
    Ok(())
}

struct Scanner {
    dir: PathBuf,
    loader: Loader,
    router: Arc<dyn Deployment>,
    loaded: HashMap<PathBuf, Loaded>,
    /// Where the optimised builds of plugins started at the baseline tier arrive.
    optimized: mpsc::Sender<Optimized>,
}

/// A plugin's optimised build, for the file as it was when its baseline build loaded.
struct Optimized {
    path: PathBuf,
    modified: Option<SystemTime>,
    len: u64,
    compiled: Compiled,
}

impl Scanner {
    async fn rescan(&mut self, first: bool) {
        let present = match wasm_files(&self.dir) {
            Ok(files) => files,
            Err(e) => {
                tracing::error!(dir = %self.dir.display(), error = %e, "cannot list the plugins folder");
                return;
            }
        };
        let gone: Vec<PathBuf> = self
            .loaded
            .keys()
            .filter(|p| !present.contains_key(*p))
            .cloned()
            .collect();
        for path in gone {
            self.router.cleared(&path);
            if let Some(old) = self.loaded.remove(&path) {
                if !old.name.is_empty() && !self.loaded.values().any(|l| l.name == old.name) {
                    self.router.remove(&old.name);
                    // A file that declared the same name and was refused loads now.
                    self.loaded
                        .retain(|_, l| l.conflict.as_deref() != Some(old.name.as_str()));
                }
            }
        }
        let changed: Vec<_> = present
            .into_iter()
            .filter(|(path, (modified, len))| {
                !self
                    .loaded
                    .get(path)
                    .is_some_and(|l| l.modified == *modified && l.len == *len)
            })
            .collect();
        if changed.is_empty() {
            return;
        }
        // Compile in parallel, install each as soon as it is ready: the first plugin ready
        // serves without waiting for the largest one.
        let mut compiling: FuturesUnordered<_> = changed
            .into_iter()
            .map(|(path, (modified, len))| {
                let job = self.compile(&path);
                async move { (path, modified, len, job.await) }
            })
            .collect();
        while let Some((path, modified, len, (compiled, started))) = compiling.next().await {
            self.settle(&path, modified, len, compiled, started, first)
                .await;
        }
        crate::runtime::trim_heap();
    }

    /// Loads the plugin in `path` as quickly as it can (see `Tier`); with the time it started.
    fn compile(&self, path: &Path) -> impl Future<Output = (Compiled, Instant)> + 'static {
        let started = Instant::now();
        let lanes = self
            .loaded
            .get(path)
            .and_then(|l| self.router.lanes_of(&l.name));
        let loading = load_on_threads(&self.router, &self.loader, path, lanes, Tier::Baseline);
        async move { (loading.await, started) }
    }

    /// Installs a compiled plugin (replacing what ran from the same file), or logs why it
    /// could not load.
    async fn settle(
        &mut self,
        path: &Path,
        modified: Option<SystemTime>,
        len: u64,
        compiled: Compiled,
        started: Instant,
        first: bool,
    ) {
        let previous = self.loaded.get(path).map(|l| l.name.clone());
        let mut conflict = None;
        let name = match compiled {
            Ok((version, _)) if self.served_elsewhere(path, &version.name).is_some() => {
                let other = self
                    .served_elsewhere(path, &version.name)
                    .unwrap_or_default();
                let reason = format!(
                    "plugin `{}` is also declared by {}, which serves it; remove one of the two files",
                    version.name,
                    other.display()
                );
                tracing::error!(file = %path.display(), other = %other.display(), plugin = %version.name, "two files declare one plugin; this one is not loaded");
                self.router.failed(path, &reason);
                conflict = Some(version.name.to_string());
                previous.unwrap_or_default()
            }
            Ok((version, instances)) => {
                self.router.cleared(path);
                if let Some(old) = previous.filter(|old| **old != *version.name) {
                    self.router.remove(&old);
                }
                let from = if first {
                    0
                } else {
                    self.loader.services.store.head().unwrap_or(0)
                };
                let name = version.name.to_string();
                let replaced = self.router.lanes_of(&name).is_some();
                let tier = version.tier;
                let number = version.manifest.version.clone();
                self.router.install(version, instances, from).await;
                self.router.loaded(&name, &number, path, started.elapsed());
                tracing::info!(plugin = %name, file = %path.display(), replaced, ?tier, elapsed_ms = started.elapsed().as_millis() as u64, "plugin loaded");
                if tier == Tier::Baseline {
                    self.optimize(path, modified, len, &name);
                }
                name
            }
            Err(e) => {
                // Remember the file as seen, so a broken file is not retried until it changes again.
                let full = e.to_string();
                let prefix = format!("{}: ", path.display());
                let reason = full.strip_prefix(&prefix).unwrap_or(&full);
                tracing::error!(file = %path.display(), error = %reason, "plugin not loaded; any running version keeps serving");
                self.router.failed(path, reason);
                self.router.reload_failed(path, reason, started.elapsed());
                previous.unwrap_or_default()
            }
        };
        let loaded = Loaded {
            name,
            modified,
            len,
            conflict,
        };
        self.loaded.insert(path.to_owned(), loaded);
    }

    /// Another file that serves the plugin `name` now, if one does.
    fn served_elsewhere(&self, path: &Path, name: &str) -> Option<PathBuf> {
        self.loaded
            .iter()
            .find(|(p, l)| p.as_path() != path && l.name == name)
            .map(|(p, _)| p.clone())
    }

    /// Compiles the optimised build of a plugin now running at the baseline tier, in the
    /// background on the plugin threads (so at their lower priority); it replaces the
    /// baseline build through [`upgrade`](Self::upgrade).
    fn optimize(&self, path: &Path, modified: Option<SystemTime>, len: u64, name: &str) {
        let lanes = self.router.lanes_of(name);
        let loading = load_on_threads(&self.router, &self.loader, path, lanes, Tier::Optimized);
        let (path, done) = (path.to_owned(), self.optimized.clone());
        tokio::spawn(async move {
            let compiled = loading.await;
            let optimized = Optimized {
                path,
                modified,
                len,
                compiled,
            };
            let _ = done.send(optimized).await; // the watcher is gone: nothing to upgrade
        });
    }

    /// Swaps a plugin's baseline build for its optimised one, as a hot reload does (no event
    /// lost or handled twice), unless the file changed since: then a newer build runs.
    async fn upgrade(&mut self, ready: Optimized) {
        let current = self.loaded.get(&ready.path);
        if !current.is_some_and(|l| l.modified == ready.modified && l.len == ready.len) {
            return;
        }
        match ready.compiled {
            Ok((version, instances)) => {
                let name = version.name.to_string();
                let from = self.loader.services.store.head().unwrap_or(0);
                self.router.install(version, instances, from).await;
                tracing::info!(plugin = %name, file = %ready.path.display(), "plugin optimized: its baseline build is replaced");
            }
            Err(e) => {
                tracing::warn!(file = %ready.path.display(), error = %e, "cannot build the optimized code; the baseline build keeps serving");
            }
        }
        crate::runtime::trim_heap();
    }
}

/// Compiles, instantiates and initialises the plugin in `path` (at least as well as `tier`) on
/// the plugin threads, where the plugin itself runs.
fn load_on_threads(
    router: &Arc<dyn Deployment>,
    loader: &Loader,
    path: &Path,
    lanes: Option<usize>,
    tier: Tier,
) -> impl Future<Output = Compiled> + 'static {
    let (router, loader, file) = (router.clone(), loader.clone(), path.to_owned());
    async move {
        let loaded = router
            .threads()
            .run(async move { loader.load(&file, lanes, tier).await })
            .await;
        loaded.unwrap_or_else(|e| Err(LoadError::Join(e.to_string())))
    }
}

/// `.wasm` files in `dir` with their modification time and length.
fn wasm_files(dir: &Path) -> std::io::Result<HashMap<PathBuf, (Option<SystemTime>, u64)>> {
    let mut files = HashMap::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "wasm") {
            if let Ok(meta) = entry.metadata() {
                if meta.is_file() {
                    files.insert(path, (meta.modified().ok(), meta.len()));
                }
            }
        }
    }
    Ok(files)
}
