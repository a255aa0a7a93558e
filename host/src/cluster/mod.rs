//! Cluster mode: several daemons share the bots' work through NATS JetStream (see
//! ARCHITECTURE.md, "Cluster mode"). Events go into a stream partitioned by chat, every node
//! pulls every partition (one event of a partition in flight at a time), completions are
//! recorded once, kv and the outbox live in JetStream, and each bot's deliveries are done by
//! the node holding its lease.

mod artifacts;
mod dead;
mod facets;
mod kv;
mod lease;
mod names;
mod outbox;
mod partitions;
mod publish;
mod push;
mod setup;
mod store;
mod timers;

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context as _;
use async_nats::jetstream::Context;
use serde::Serialize;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

pub use push::{push, Pushed};
pub use store::ClusterStore;

use crate::config::ClusterConfig;
use crate::journal::{Ingress, Publisher};
use crate::outbox::OutboxWaker;
use crate::router::Router;
use crate::store::Store;

/// This node's part in the cluster.
pub struct Cluster {
    js: Context,
    node: String,
    partitions: u32,
    leases: lease::Leases,
    outbox: Arc<outbox::ClusterOutbox>,
    store: Arc<ClusterStore>,
    /// The event stream's door (ingress and the timer firer publish through it).
    events: Arc<dyn Publisher>,
    /// Per bot: the lease token while this node holds the bot (`None` while it does not).
    owners: Arc<HashMap<String, watch::Sender<Option<CancellationToken>>>>,
    stop: CancellationToken,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("node", &self.node)
            .field("partitions", &self.partitions)
            .finish_non_exhaustive()
    }
}

/// What `wasmbot status` and the console show of the cluster.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterStatus {
    pub node: String,
    pub partitions: u32,
    /// The nodes that announced themselves within the lease time.
    pub nodes: Vec<String>,
    /// Each lease (`bot.NAME`) and the node holding it.
    pub leases: Vec<(String, String)>,
    /// Events accepted and not yet handled, all partitions together.
    pub lag: u64,
    /// The partitions with events waiting: partition, events waiting, events in flight.
    pub lagging: Vec<(u32, u64, usize)>,
}

impl Cluster {
    /// Connects (retrying until the server answers), checks the shared streams against
    /// `config`, and loads the kv mirror. `local`: this node's own store.
    pub async fn join(
        config: &ClusterConfig,
        bots: &[String],
        local: Arc<dyn Store>,
        stop: CancellationToken,
    ) -> anyhow::Result<Self> {
        let client = setup::connect(config, &stop).await?;
        let js = setup::context(client);
        setup::ensure(&js, config.partitions).await?;
        let kv = kv::KvMirror::start(&js, names::KV_BUCKET, stop.clone())
            .await
            .context("cannot load the plugins' kv from the cluster")?;
        let bucket = js.get_key_value(names::LEASE_BUCKET).await?;
        let leases = lease::Leases::new(bucket, config.node.clone());
        let dead_rows = kv::KvMirror::start(&js, names::DEAD_BUCKET, stop.clone())
            .await
            .context("cannot load the dead letters from the cluster")?;
        let dead = Arc::new(dead::DeadLetters::new(
            dead_rows,
            js.clone(),
            config.partitions,
        ));
        let outbox = Arc::new(outbox::ClusterOutbox::new(local.clone(), dead.clone()));
        let timer_rows = kv::KvMirror::start(&js, names::TIMER_BUCKET, stop.clone())
            .await
            .context("cannot load the timers from the cluster")?;
        let events: Arc<dyn Publisher> =
            Arc::new(publish::StreamPublisher::new(js.clone(), config.partitions));
        let timers = Arc::new(timers::ClusterTimers::new(timer_rows, events.clone()));
        let store = Arc::new(ClusterStore::new(
            local,
            js.clone(),
            config.partitions,
            kv,
            outbox.clone(),
            timers.clone(),
            dead,
        ));
        tokio::spawn(fire_while_holding(leases.clone(), timers, stop.clone()));
        tokio::spawn(
            leases
                .clone()
                .announce(names::node_key(&config.node), stop.clone()),
        );
        tracing::info!(node = %config.node, nats_url = %config.shown_url(), partitions = config.partitions, "joined the cluster");
        Ok(Self {
            js,
            node: config.node.clone(),
            partitions: config.partitions,
            leases,
            outbox,
            store,
            events,
            owners: Arc::new(
                bots.iter()
                    .map(|b| (b.clone(), watch::channel(None).0))
                    .collect(),
            ),
            stop,
        })
    }

    /// Writes the cluster's plugin files into `dir` now, then shares the folder's changes both
    /// ways (see `artifacts`). Call before the folder is first loaded.
    pub async fn share_plugins(
        &self,
        dir: &std::path::Path,
        data_dir: &std::path::Path,
    ) -> anyhow::Result<()> {
        artifacts::start(&self.js, dir, data_dir, self.stop.clone()).await
    }

    /// The store every part of the daemon uses in cluster mode.
    pub fn store(&self) -> Arc<ClusterStore> {
        self.store.clone()
    }

    /// Where accepted events go.
    pub fn publisher(&self) -> Arc<dyn Publisher> {
        self.events.clone()
    }

    /// For each bot, waits for its lease and, while holding it, delivers its actions and runs
    /// its one-owner connection (see [`Singleton`](crate::adapter::Singleton)).
    pub fn serve_bots(&self, waker: OutboxWaker) {
        for (bot, owner) in self.owners.iter() {
            let (bot, owner) = (bot.clone(), owner.clone());
            let leases = self.leases.clone();
            let outbox = self.outbox.clone();
            let js = self.js.clone();
            let waker = waker.clone();
            let stop = self.stop.clone();
            let partitions = self.partitions;
            tokio::spawn(async move {
                let key = names::bot_lease(&bot);
                while let Some(held) = leases.acquire(&key, &stop).await {
                    outbox.serve(
                        js.clone(),
                        bot.clone(),
                        partitions,
                        waker.clone(),
                        held.lost.clone(),
                    );
                    owner.send_replace(Some(held.lost.clone()));
                    held.lost.cancelled().await;
                    owner.send_replace(None);
                }
            });
        }
    }

    /// Starts pulling events (call once the plugins in the folder are loaded).
    pub fn start_work(&self, ingress: Ingress, router: Router) {
        partitions::start(&partitions::Work {
            js: self.js.clone(),
            store: self.store.clone(),
            ingress,
            router,
            stop: self.stop.clone(),
        });
    }

    /// The nodes, the leases and the backlog, as JetStream has them now.
    pub async fn status(&self) -> ClusterStatus {
        let mut nodes = Vec::new();
        let mut leases = Vec::new();
        for (key, holder) in self.leases.holders().await {
            match key.strip_prefix("node.") {
                Some(node) => nodes.push(node.to_string()),
                None => leases.push((key, holder)),
            }
        }
        let mut lagging = Vec::new();
        if let Ok(stream) = self.js.get_stream(names::EVENTS).await {
            for p in 0..self.partitions {
                if let Ok(info) = stream.consumer_info(names::partition_consumer(p)).await {
                    if info.num_pending > 0 || info.num_ack_pending > 0 {
                        lagging.push((p, info.num_pending, info.num_ack_pending));
                    }
                }
            }
        }
        let lag = lagging.iter().map(|(_, waiting, _)| waiting).sum();
        ClusterStatus {
            node: self.node.clone(),
            partitions: self.partitions,
            nodes,
            leases,
            lag,
            lagging,
        }
    }
}

/// Holds the `timers` lease whenever it can; this node fires the cluster's timers meanwhile.
async fn fire_while_holding(
    leases: lease::Leases,
    timers: Arc<timers::ClusterTimers>,
    stop: CancellationToken,
) {
    while let Some(held) = leases.acquire(names::TIMERS_LEASE, &stop).await {
        timers.set_firing(true);
        held.lost.cancelled().await;
        timers.set_firing(false);
    }
}

#[async_trait::async_trait]
impl crate::adapter::Singleton for Cluster {
    async fn hold(&self, bot: &str) -> Option<CancellationToken> {
        let mut owner = self.owners.get(bot)?.subscribe();
        loop {
            let current = owner.borrow_and_update().clone();
            if let Some(token) = current.filter(|t| !t.is_cancelled()) {
                return Some(token);
            }
            tokio::select! {
                _ = self.stop.cancelled() => return None,
                changed = owner.changed() => changed.ok()?,
            }
        }
    }
}
