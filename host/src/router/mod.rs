//! Routes accepted events to plugins. Each plugin has a feeder that reads the journal from its
//! own cursor and a fixed set of lanes; a chat always maps to the same lane, so a plugin sees a
//! chat's events in order while different plugins (and lanes) run concurrently. Every queue is
//! bounded: a slow plugin fills its own lanes and its feeder waits, and no one else notices.

mod committer;
mod directory;
mod feeder;
mod gate;
mod health;
mod lane;
mod load_failures;
mod reloads;
mod switches;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

pub use gate::{Gate, Refusal};
use health::Health;
pub use lane::Job;
use lane::{Lane, Swap};
pub use load_failures::LoadFailure;
use load_failures::LoadFailures;
pub use reloads::ReloadRecord;
use reloads::Reloads;
use switches::Switches;

use crate::journal::{Places, Progress};
use crate::metrics::{PluginMetrics, PluginSample};
use crate::outbox::OutboxWaker;
use crate::plugin::{Deployment, Filter, PluginVersion};
use crate::runtime::{HostServices, PluginDirectory, PluginInstance, PluginThreads, Tier, World};
use crate::store::{Seq, StoreError};
use crate::timer::Timers;

/// What the router knows about one running plugin.
struct Running {
    version: Arc<PluginVersion>,
    filter: Arc<RwLock<Filter>>,
    swaps: Vec<mpsc::Sender<Swap>>,
    progress: Arc<Progress>,
    health: Arc<Health>,
    cancel: CancellationToken,
}

/// Bounds of the router's queues and its patience with failing plugins.
#[derive(Debug, Clone, Copy)]
pub struct RouterLimits {
    pub lane_capacity: usize,
    /// Consecutive failures before a plugin is quarantined.
    pub quarantine_after: u32,
    /// Events a plugin may fall behind the newest before it sheds its oldest; 0: never.
    pub max_lag: usize,
}

/// A summary of one running plugin, for status pages.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PluginStatus {
    pub name: String,
    pub version: String,
    pub source: String,
    pub lanes: usize,
    pub in_flight: usize,
    /// Accepted events it has not finished yet: in its lanes, or not read from the journal yet.
    pub backlog: u64,
    /// Consecutive failed calls.
    pub failures: u32,
    pub quarantined: bool,
    /// `false` while the operator has it disabled: its events wait for it.
    pub enabled: bool,
    /// The last failed call's error and what to do about it (none: no call failed).
    pub last_error: Option<String>,
    /// Events skipped for it because it fell more than `runtime.max_lag` behind.
    pub shed: u64,
    /// How the running code was compiled (baseline until its optimised build is ready).
    pub tier: Tier,
    /// The `wasmbot:bot` version it targets.
    pub world: World,
}

/// A plugin not running whose place in the journal is kept, for status pages.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WaitingPlace {
    pub name: String,
    /// Events accepted since its place.
    pub behind: u64,
}

#[derive(Clone)]
pub struct Router {
    services: HostServices,
    threads: Arc<PluginThreads>,
    head: watch::Receiver<Seq>,
    outbox: OutboxWaker,
    lane_capacity: usize,
    quarantine_after: u32,
    max_lag: Option<Seq>,
    /// The low watermark of the running plugin furthest ahead; feeders shed against it.
    leader: Arc<watch::Sender<Seq>>,
    /// The places of plugins not running, and what the journal may forget.
    places: Arc<Places>,
    plugins: Arc<RwLock<HashMap<Arc<str>, Running>>>,
    /// Where installed versions' schedules go, and what committers wake when they set timers.
    timers: Timers,
    /// Who may use which command.
    gate: Arc<Gate>,
    /// Plugin files that did not load, and why.
    load_failures: Arc<LoadFailures>,
    /// Each plugin's counters by name, kept across reloads (touched at installs and scrapes).
    metrics: Arc<std::sync::Mutex<HashMap<Arc<str>, Arc<PluginMetrics>>>>,
    /// The operator's enable/disable switch of each plugin name.
    switches: Arc<Switches>,
    /// Each plugin's recent loads and reloads.
    reloads: Arc<Reloads>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("plugins", &self.status().len())
            .finish()
    }
}

impl Router {
    /// `threads`: where the lanes (and so all plugin code) run.
    pub fn new(
        services: HostServices,
        threads: Arc<PluginThreads>,
        head: watch::Receiver<Seq>,
        outbox: OutboxWaker,
        limits: RouterLimits,
        timers: Timers,
        gate: Gate,
    ) -> Self {
        let max_lag = (limits.max_lag > 0).then_some(limits.max_lag as Seq);
        Self {
            services,
            threads,
            head,
            outbox,
            lane_capacity: limits.lane_capacity.max(1),
            quarantine_after: limits.quarantine_after,
            max_lag,
            leader: Arc::new(watch::Sender::new(0)),
            places: Arc::new(Places::new(max_lag)),
            plugins: Arc::default(),
            timers,
            gate: Arc::new(gate),
            load_failures: Arc::default(),
            metrics: Arc::default(),
            switches: Arc::default(),
            reloads: Arc::default(),
        }
    }

    /// Enables or disables the plugin `name` (running or not: the switch belongs to the
    /// name); `true` if that changed it. A disabled plugin's lanes take no event until it is
    /// enabled; its events wait, as for a plugin that is away.
    pub fn set_enabled(&self, name: &str, enabled: bool) -> bool {
        let changed = self.switches.set(name, enabled);
        if changed {
            let state = if enabled { "enabled" } else { "disabled" };
            tracing::info!(plugin = name, "plugin {state}");
        }
        changed
    }

    /// The plugins switched off, sorted.
    pub fn disabled(&self) -> Vec<String> {
        self.switches.disabled()
    }

    /// The plugin's recent loads and reloads, newest first (at most 20).
    pub fn reload_history(&self, name: &str) -> Vec<ReloadRecord> {
        self.reloads.of(name)
    }

    /// The counters of plugin `name`, made at its first start.
    fn metrics_of(&self, name: &Arc<str>) -> Arc<PluginMetrics> {
        match self.metrics.lock() {
            Ok(mut map) => map.entry(name.clone()).or_default().clone(),
            Err(_) => Arc::default(),
        }
    }

    /// Each running plugin's counters with its backlog, for `/metrics`.
    pub fn metric_samples(&self) -> Vec<PluginSample> {
        self.status()
            .into_iter()
            .map(|p| PluginSample {
                metrics: self.metrics_of(&Arc::from(p.name.as_str())),
                name: p.name,
                backlog: p.backlog,
                in_flight: p.in_flight as u64,
                enabled: p.enabled,
            })
            .collect()
    }

    /// Plugin files that could not be loaded (until they load or are removed), with why.
    pub fn load_failures(&self) -> Vec<LoadFailure> {
        self.load_failures.list()
    }

    /// Plugins not running whose place in the journal is kept (removed, or not loaded since
    /// the start), with how many events they are behind the newest: they get those events if
    /// they come back before `max_lag`.
    pub fn waiting_places(&self) -> Vec<WaitingPlace> {
        let head = *self.head.borrow();
        let mut waiting: Vec<WaitingPlace> = self
            .places
            .waiting()
            .into_iter()
            .map(|(name, seq)| WaitingPlace {
                name,
                behind: head.saturating_sub(seq),
            })
            .collect();
        waiting.sort_by(|a, b| a.name.cmp(&b.name));
        waiting
    }

    /// Lifts a plugin's quarantine; `false` if it is not running or not quarantined.
    pub fn release(&self, name: &str) -> bool {
        let released = self
            .plugins
            .read()
            .ok()
            .and_then(|p| p.get(name).map(|r| r.health.release()))
            .unwrap_or(false);
        if released {
            tracing::info!(plugin = name, "quarantine lifted");
        }
        released
    }

    fn start(
        &self,
        version: Arc<PluginVersion>,
        instances: Vec<PluginInstance>,
        filter: Filter,
        from: Seq,
    ) {
        let progress = self
            .places
            .take(&version.name)
            .unwrap_or_else(|| Arc::new(Progress::new(from)));
        let from = progress.cursor();
        let health = Arc::new(Health::new(self.quarantine_after));
        let metrics = self.metrics_of(&version.name);
        let cancel = CancellationToken::new();
        let enabled = self.switches.subscribe(&version.name);
        let mut jobs = Vec::new();
        let mut swaps = Vec::new();
        for instance in instances {
            let (job_tx, job_rx) = mpsc::channel(self.lane_capacity);
            let (swap_tx, swap_rx) = mpsc::channel(1);
            let commits = committer::Commits::spawn(
                version.name.clone(),
                self.services.store.clone(),
                progress.clone(),
                self.outbox.clone(),
                Some(self.timers.clone()),
                metrics.clone(),
            );
            let lane = Lane {
                version: version.clone(),
                instance: Some(instance),
                services: self.services.clone(),
                health: health.clone(),
                commits,
                metrics: metrics.clone(),
                enabled: enabled.clone(),
                removed: cancel.clone(),
            };
            self.threads.spawn(lane.run(job_rx, swap_rx));
            jobs.push(job_tx);
            swaps.push(swap_tx);
        }
        let filter = Arc::new(RwLock::new(filter));
        let feeder = feeder::Feeder {
            plugin: version.name.clone(),
            store: self.services.store.clone(),
            head: self.head.clone(),
            filter: filter.clone(),
            lanes: jobs,
            progress: progress.clone(),
            cancel: cancel.clone(),
            leader: self.leader.subscribe(),
            max_lag: self.max_lag,
            warned: None,
            gate: self.gate.clone(),
        };
        tokio::spawn(feeder.run(from));
        tracing::info!(plugin = %version.name, version = %version.manifest.version, lanes = swaps.len(), "plugin started");
        let running = Running {
            version: version.clone(),
            filter,
            swaps,
            progress,
            health,
            cancel,
        };
        if let Ok(mut plugins) = self.plugins.write() {
            plugins.insert(version.name.clone(), running);
        }
    }

    /// Every running plugin's commands with their descriptions (the plugin's own where a
    /// command has none), sorted by name, once each.
    pub fn commands(&self) -> Vec<(String, String)> {
        let mut commands: Vec<(String, String)> = self
            .directory()
            .plugins_for(None)
            .into_iter()
            .flat_map(|plugin| {
                let about = if plugin.description.is_empty() {
                    plugin.name
                } else {
                    plugin.description
                };
                plugin.commands.into_iter().map(move |c| {
                    let description = if c.description.is_empty() {
                        about.clone()
                    } else {
                        c.description
                    };
                    (c.name, description)
                })
            })
            .collect();
        commands.sort();
        commands.dedup_by(|a, b| a.0 == b.0);
        commands
    }

    /// The running plugins and their commands, for the `help` interface.
    pub fn directory(&self) -> Arc<dyn PluginDirectory> {
        Arc::new(directory::Directory(Arc::downgrade(&self.plugins)))
    }

    pub fn status(&self) -> Vec<PluginStatus> {
        let head = *self.head.borrow();
        let Ok(plugins) = self.plugins.read() else {
            return Vec::new();
        };
        let mut list: Vec<PluginStatus> = plugins
            .values()
            .map(|r| PluginStatus {
                name: r.version.name.to_string(),
                version: r.version.manifest.version.clone(),
                source: r.version.source.display().to_string(),
                lanes: r.swaps.len(),
                in_flight: r.progress.in_flight(),
                backlog: head.saturating_sub(r.progress.low_watermark()),
                failures: r.health.failures(),
                quarantined: r.health.is_quarantined(),
                enabled: self.switches.is_enabled(&r.version.name),
                last_error: r.health.last_error(),
                shed: r.progress.shed_total(),
                tier: r.version.tier,
                world: r.version.world,
            })
            .collect();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        list
    }

    /// The lowest event any running plugin may still need, and so the first one not finished
    /// by all of them (`None`: no plugin runs). Cluster mode acks an event past it.
    pub fn lowest_place(&self) -> Option<Seq> {
        let plugins = self.plugins.read().ok()?;
        plugins.values().map(|r| r.progress.low_watermark()).min()
    }

    /// The names of the running plugins.
    pub fn running(&self) -> Vec<Arc<str>> {
        self.plugins
            .read()
            .map(|plugins| plugins.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Keeps the places saved by the last run (see `Store::places`) for the plugins that have
    /// not loaded yet: one that loads later, a broken file fixed, resumes there. Call before
    /// the first plugins load.
    pub fn park_known(&self, places: Vec<(String, Seq)>) {
        self.places.park_known(places);
    }

    /// Tells the feeders where the plugin furthest ahead stands, then lets the journal forget
    /// what every plugin is past and saves each one's place (see `journal::Places::release`).
    pub fn release_finished(&self) -> Result<(), StoreError> {
        let running: Vec<(Arc<str>, Arc<Progress>)> = match self.plugins.read() {
            Ok(plugins) => plugins
                .iter()
                .map(|(name, r)| (name.clone(), r.progress.clone()))
                .collect(),
            Err(_) => return Ok(()),
        };
        let leader = running
            .iter()
            .map(|(_, progress)| progress.low_watermark())
            .max()
            .unwrap_or(0);
        self.leader
            .send_if_modified(|at| std::mem::replace(at, leader) != leader);
        self.places.release(self.services.store.as_ref(), &running)
    }
}

impl Router {
    /// Makes the version's schedules the plugin's in the store (a schedule it no longer has
    /// stops; an unchanged one keeps its next instant).
    fn install_schedules(&self, version: &PluginVersion) {
        if let Err(e) = self
            .timers
            .install_schedules(&version.name, &version.schedule_plan)
        {
            tracing::error!(plugin = %version.name, error = %e, "cannot store the plugin's schedules; they keep their previous state");
        }
    }
}

#[async_trait::async_trait]
impl Deployment for Router {
    /// The threads plugin code runs on.
    fn threads(&self) -> &Arc<PluginThreads> {
        &self.threads
    }

    /// How many instances a new version of `name` must bring (its running lane count), if running.
    fn lanes_of(&self, name: &str) -> Option<usize> {
        self.plugins.read().ok()?.get(name).map(|r| r.swaps.len())
    }

    fn loaded(&self, name: &str, version: &str, file: &std::path::Path, took: std::time::Duration) {
        self.metrics_of(&Arc::from(name))
            .reload_seconds
            .observe(took);
        let record = ReloadRecord::now(file.display().to_string(), took, Ok(version.to_string()));
        self.reloads.record(name, record);
    }

    fn failed(&self, file: &std::path::Path, reason: &str) {
        self.load_failures.set(file, reason);
    }

    /// Recorded under the plugin running from `file`, or else the file's stem.
    fn reload_failed(&self, file: &std::path::Path, reason: &str, took: std::time::Duration) {
        let running = self.plugins.read().ok().and_then(|plugins| {
            plugins
                .values()
                .find(|r| r.version.source == file)
                .map(|r| r.version.name.clone())
        });
        let name = match running {
            Some(name) => {
                self.metrics_of(&name).reload_failed.inc();
                name.to_string()
            }
            None => file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
        };
        let record = ReloadRecord::now(file.display().to_string(), took, Err(reason.to_string()));
        self.reloads.record(&name, record);
    }

    fn cleared(&self, file: &std::path::Path) {
        self.load_failures.clear(file);
    }

    /// Starts a plugin, or swaps a running one to a new version. `instances` are initialised
    /// already, one per lane. `from`: where a new plugin starts reading the journal (one that
    /// was removed and whose place was kept resumes there instead).
    async fn install(
        &self,
        version: Arc<PluginVersion>,
        instances: Vec<PluginInstance>,
        from: Seq,
    ) {
        let filter = version.filter();
        self.install_schedules(&version);
        let existing = self.plugins.read().ok().and_then(|p| {
            p.get(&version.name)
                .map(|r| (r.swaps.clone(), r.filter.clone()))
        });
        match existing {
            Some((swaps, shared_filter)) => {
                let mut acks = Vec::new();
                for (swap, instance) in swaps.iter().zip(instances) {
                    let (done, ack) = oneshot::channel();
                    if swap
                        .send(Swap {
                            version: version.clone(),
                            instance,
                            done,
                        })
                        .await
                        .is_ok()
                    {
                        acks.push(ack);
                    }
                }
                for ack in acks {
                    let _ = ack.await;
                }
                if let Ok(mut f) = shared_filter.write() {
                    *f = filter;
                }
                if let Ok(mut plugins) = self.plugins.write() {
                    if let Some(running) = plugins.get_mut(&version.name) {
                        running.version = version;
                    }
                }
            }
            None => self.start(version, instances, filter, from),
        }
    }

    /// Stops a plugin: events already in its lanes are still handled, then the lanes end. Its
    /// place in the journal is kept (up to `max_lag` behind) in case it comes back.
    fn remove(&self, name: &str) -> bool {
        let removed = self.plugins.write().ok().and_then(|mut p| p.remove(name));
        match removed {
            Some(running) => {
                running.cancel.cancel();
                self.places
                    .park(running.version.name.clone(), running.progress);
                tracing::info!(plugin = name, "plugin unloaded");
                true
            }
            None => false,
        }
    }
}
