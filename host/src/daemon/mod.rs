//! Assembles the daemon: store, adapters, runtime, router, outbox, plugin watcher and the HTTP
//! server, and runs them until shutdown.

mod platforms;
mod validate;

pub use validate::problems;

pub use crate::admin::token::{read as read_token, TOKEN_FILE};

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::routing::get;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::adapter::{self, Adapters};
use crate::cluster::Cluster;
use crate::config::{Config, Mode, StoreKind};
use crate::journal::{Ingress, ReleaseWake};
use crate::outbox::OutboxWorkers;
use crate::plugin::{watch_folder, Loader};
use crate::router::{Router, RouterLimits};
use crate::runtime::{Engine, HostServices, PluginThreads};
use crate::store::Bounds;
use crate::store::{migrate_from_redb, FjallStore, MemoryStore, RedbStore, Store};
use crate::timer::{Clock, SystemClock, Timers};

/// A running daemon. Dropping it does not stop it; call `shutdown`.
pub struct Daemon {
    pub addr: SocketAddr,
    /// The data dir (where the admin token file is, unless the config sets the token).
    pub data_dir: std::path::PathBuf,
    pub router: Router,
    pub ingress: Ingress,
    store: Arc<dyn Store>,
    stop: CancellationToken,
    server: JoinHandle<std::io::Result<()>>,
    outbox_workers: OutboxWorkers,
}

impl std::fmt::Debug for Daemon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Daemon")
            .field("addr", &self.addr)
            .field("ingress", &self.ingress)
            .finish_non_exhaustive()
    }
}

impl Daemon {
    /// Starts everything and returns once the plugins in the folder are loaded (the listener
    /// accepts events before that).
    pub async fn start(config: Config) -> anyhow::Result<Self> {
        Self::start_with_clock(config, Arc::new(SystemClock)).await
    }

    /// [`start`](Self::start) with the clock timers and schedules read (tests move one by
    /// hand).
    pub async fn start_with_clock(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let problems = validate::problems(&config);
        if !problems.is_empty() {
            let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
            anyhow::bail!(
                "the config has problems (`wasmbot check` shows where):\n  {}",
                list.join("\n  ")
            );
        }
        let config = Arc::new(config);
        let stop = CancellationToken::new();
        let local = open_store(&config)?;
        let cluster = join_cluster(&config, local.clone(), &stop).await?;
        let store: Arc<dyn Store> = match &cluster {
            Some(cluster) => cluster.store(),
            None => local,
        };
        let mut ingress = Ingress::new(store.clone())?;
        if let Some(cluster) = &cluster {
            ingress = ingress.publishing_to(cluster.publisher());
        }
        let bot_names = config.bots.iter().map(|b| b.name.as_str());
        ingress.metrics().track_bots(bot_names);

        let adapter_ctx = adapter::StartContext {
            ingress: ingress.clone(),
            stop: stop.clone(),
            data_dir: config.data_dir.clone(),
            inbound: true,
            singleton: cluster.clone().map(|c| c as Arc<dyn adapter::Singleton>),
        };
        let mut by_bot = HashMap::new();
        let mut http = axum::Router::new();
        for bot in &config.bots {
            let mut started = adapter::start(bot, &adapter_ctx)?;
            if let Some(routes) = started.routes.take() {
                http = http.merge(routes);
            }
            by_bot.insert(bot.name.clone(), started);
        }
        let adapters = Adapters::from_started(by_bot);
        let mut services = HostServices::new(store.clone(), Arc::new(adapters.clone()));
        if let Some(stub) = config.runtime.http_stub {
            services = services.with_http_stub(stub);
        }
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let threads = PluginThreads::start(threads).context("cannot start the plugin threads")?;
        let (outbox, outbox_workers) = crate::outbox::spawn(
            store.clone(),
            adapters.clone(),
            &config.bots,
            &config.outbox,
            threads.handle(),
            stop.clone(),
        );
        if let Some(cluster) = &cluster {
            cluster.serve_bots(outbox.clone());
        }
        let limits = RouterLimits {
            lane_capacity: config.runtime.lane_capacity,
            quarantine_after: config.runtime.quarantine_after,
            max_lag: config.runtime.max_lag(),
        };
        let timers = Timers::new(store.clone(), clock);
        let router = Router::new(
            services.clone(),
            Arc::new(threads),
            ingress.subscribe(),
            outbox.clone(),
            limits,
            timers.clone(),
            crate::router::Gate::new(&config),
        );
        services.set_directory(router.directory());

        let admin = crate::admin::Admin {
            store: store.clone(),
            plugins: router.clone(),
            outbox,
            bots: Arc::new(
                config
                    .bots
                    .iter()
                    .map(|b| (b.name.clone(), b.platform.clone()))
                    .collect(),
            ),
            ingress: ingress.metrics(),
            http: services.http_metrics(),
            timers: timers.metrics(),
            config: config.clone(),
            series: Arc::default(),
            cluster: cluster.clone(),
        };
        crate::admin::spawn_sampler(admin.clone(), admin.series.clone(), stop.clone());
        let guard = admin_guard(&config)?;
        let http = http
            .route("/healthz", get(|| async { "ok" }))
            .merge(crate::admin::routes(admin, guard))
            .fallback(crate::admin::not_found)
            .method_not_allowed_fallback(crate::admin::method_not_allowed);
        let engine = Engine::new(Some(config.runtime.compile_cache_in(&config.data_dir)))
            .context("cannot start the Wasm engine")?;
        let loader = Loader {
            engine,
            services,
            config: config.clone(),
        };
        let debounce = Duration::from_millis(config.runtime.reload_debounce_ms);
        let places = store.places().context("cannot read the plugins' places")?;
        router.park_known(places);
        crate::admin::restore_disabled(&router, &config.data_dir);

        // Listen before the plugins load: a platform's webhooks are accepted into the journal
        // meanwhile, and each plugin reads them once it is ready.
        let (addr, server) = serve(config.listen, http, stop.clone()).await?;
        tracing::info!(%addr, "listening; loading plugins");
        let dir = config.plugins_dir.clone();
        let watched = watch_folder(dir.clone(), loader, Arc::new(router.clone()), debounce).await;
        if let Err(e) = watched {
            stop.cancel();
            return Err(e.context(format!("cannot watch the plugins folder {}", dir.display())));
        }

        register_commands(&config, &adapters, &router);
        // Only now may the journal forget anything: every plugin in the folder has claimed
        // its place.
        spawn_releaser(router.clone(), ingress.release_wake(), stop.clone());
        // Timers fire once the plugins have claimed their places and installed their
        // schedules: those missed while the daemon was down fire now, once.
        crate::timer::spawn_firer(timers, ingress.clone(), stop.clone());
        // In a cluster, this node takes events from the shared stream only now that its
        // plugins are loaded: an event acked earlier would skip them.
        if let Some(cluster) = &cluster {
            cluster.start_work(ingress.clone(), router.clone());
        }
        tracing::info!(%addr, plugins = router.status().len(), "wasmbot is serving");
        Ok(Self {
            addr,
            data_dir: config.data_dir.clone(),
            router,
            ingress,
            store,
            stop,
            server,
            outbox_workers,
        })
    }

    /// Waits until the HTTP server and the outbox stop, then makes the plugins' last commits
    /// and the last delivery outcomes durable, so the next start neither handles those events
    /// nor delivers those actions again.
    pub async fn wait(self) -> anyhow::Result<()> {
        let served = self
            .server
            .await
            .context("the HTTP server task failed")?
            .context("the HTTP server failed");
        self.outbox_workers.stopped().await;
        if let Err(e) = self.store.flush_async().await {
            tracing::warn!(error = %e, "cannot sync the store at shutdown; recent events will be handled again at the next start");
        }
        served
    }

    pub fn shutdown(&self) {
        self.stop.cancel();
    }

    /// The daemon's store, for tools that read what plugins left in it (`wasmbot test` reads
    /// a plugin's kv and pending timers).
    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }
}

/// Joins the cluster when the config says `mode = "cluster"`.
async fn join_cluster(
    config: &Config,
    local: Arc<dyn Store>,
    stop: &CancellationToken,
) -> anyhow::Result<Option<Arc<Cluster>>> {
    let (Mode::Cluster, Some(settings)) = (config.mode, &config.cluster) else {
        return Ok(None);
    };
    let bots: Vec<String> = config.bots.iter().map(|b| b.name.clone()).collect();
    let cluster = Cluster::join(settings, &bots, local, stop.clone())
        .await
        .with_context(|| format!("cannot join the cluster at {}", settings.shown_url()))?;
    cluster
        .share_plugins(&config.plugins_dir, &config.data_dir)
        .await
        .context("cannot share the plugin files with the cluster")?;
    Ok(Some(Arc::new(cluster)))
}

/// The admin surface's guard, with the configured token or the data dir's (made now if new).
fn admin_guard(config: &Config) -> anyhow::Result<Arc<crate::admin::Guard>> {
    let token = crate::admin::token::load_or_create(&config.admin, &config.data_dir)?;
    Ok(Arc::new(crate::admin::Guard::new(
        token,
        &config.admin.hosts,
        config.listen,
        config.admin.require_token,
    )))
}

/// Binds the listener and serves `http` until `stop`.
async fn serve(
    listen: SocketAddr,
    http: axum::Router,
    stop: CancellationToken,
) -> anyhow::Result<(SocketAddr, JoinHandle<std::io::Result<()>>)> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let service = http.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, service)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await
    });
    Ok((addr, server))
}

/// Opens the configured store (compacting the file first if the operator wants that).
fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let retention = &config.retention;
    let bounds = Bounds {
        journal: config.runtime.journal_capacity,
        dedupe_keys: retention.dedupe_keys,
        messages: retention.messages,
        dead_letters: retention.dead_letters,
        ..Bounds::default()
    };
    Ok(match config.store {
        StoreKind::Memory => Arc::new(MemoryStore::new(bounds)),
        StoreKind::Fjall => Arc::new(open_fjall(&config.data_dir, bounds)?),
        StoreKind::Redb => {
            let path = config.data_dir.join("wasmbot.redb");
            if retention.compact_on_start {
                compact(&path)?;
            }
            let store = RedbStore::open(&path, bounds)
                .with_context(|| format!("cannot open the store {}", path.display()))?;
            Arc::new(store)
        }
    })
}

/// Opens the fjall store of `data_dir`, moving the redb store of an earlier version into it
/// first if there is one.
fn open_fjall(data_dir: &std::path::Path, bounds: Bounds) -> anyhow::Result<FjallStore> {
    let (redb, path) = (
        data_dir.join("wasmbot.redb"),
        data_dir.join("wasmbot.fjall"),
    );
    let started = std::time::Instant::now();
    let moved = migrate_from_redb(&redb, &path).with_context(|| {
        format!(
            "cannot move the store {} into {}",
            redb.display(),
            path.display()
        )
    })?;
    if let Some(rows) = moved {
        let ms = started.elapsed().as_millis();
        tracing::info!(from = %redb.display(), to = %path.display(), rows, ms, "store moved from redb to fjall; the redb file is kept as wasmbot.redb.migrated");
    }
    FjallStore::open(&path, bounds)
        .with_context(|| format!("cannot open the store {}", path.display()))
}

/// Gives the space freed since the last start back to the file system, and says how much.
fn compact(path: &std::path::Path) -> anyhow::Result<()> {
    let size = || std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let before = size();
    RedbStore::compact_file(path)
        .with_context(|| format!("cannot compact the store {}", path.display()))?;
    tracing::info!(file = %path.display(), before, after = size(), "store compacted");
    Ok(())
}

/// For bots with `register_commands = true`: sets their command menu to the union of the
/// loaded plugins' commands, in the background (a platform that refuses only logs why).
fn register_commands(config: &Config, adapters: &Adapters, router: &Router) {
    let commands = router.commands();
    for bot in config.bots.iter().filter(|b| b.register_commands) {
        let Some(adapter) = adapters.get(&bot.name).cloned() else {
            continue;
        };
        let (name, commands) = (bot.name.clone(), commands.clone());
        tokio::spawn(async move {
            match adapter.register_commands(&commands).await {
                Ok(()) => {
                    tracing::info!(bot = %name, commands = commands.len(), "command menu registered")
                }
                Err(e) => {
                    tracing::warn!(bot = %name, error = %e, "cannot register the command menu")
                }
            }
        });
    }
}

/// Lets the journal forget what every plugin has finished, a few times a second, and at once
/// when an accept finds the journal full.
fn spawn_releaser(router: Router, wake: Arc<ReleaseWake>, stop: CancellationToken) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = wake.wanted() => {}
                () = stop.cancelled() => return,
            }
            if let Err(e) = router.release_finished() {
                tracing::warn!(error = %e, "cannot compact the journal");
            }
            wake.ran();
        }
    });
}
