//! Work sharing: every node pulls every partition of the event stream through the
//! partition's one durable consumer, which lets one event of it be in flight in the whole
//! cluster (per-chat order, no coordination between nodes). A node takes an event into its
//! own journal, where its plugins handle it as in one process, and acks it once every running
//! plugin is past it. A node that dies leaves its event unacked; after `ACK_WAIT` another
//! node gets it, skips the plugins whose completion record exists (their effects were
//! applied, or are applied again, idempotently) and runs the rest.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{consumer, AckKind, Context, Message};
use tokio_util::sync::CancellationToken;

use super::names;
use super::setup::{self, ACK_WAIT};
use super::store::{ClusterStore, EventPlace};
use crate::journal::Ingress;
use crate::model::Inbound;
use crate::router::Router;
use crate::store::Seq;

/// What a partition's puller works with.
#[derive(Clone)]
pub struct Work {
    pub js: Context,
    pub store: Arc<ClusterStore>,
    pub ingress: Ingress,
    pub router: Router,
    pub stop: CancellationToken,
}

/// Starts one puller per partition.
pub fn start(work: &Work) {
    for partition in 0..work.store.partitions() {
        tokio::spawn(work.clone().run(partition));
    }
}

impl Work {
    async fn run(self, partition: u32) {
        while !self.stop.is_cancelled() {
            if let Err(e) = self.pull(partition).await {
                tracing::warn!(partition, error = %e, "cannot pull events; trying again");
                tokio::select! {
                    _ = self.stop.cancelled() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    }

    async fn pull(&self, partition: u32) -> anyhow::Result<()> {
        let stream = self.js.get_stream(names::EVENTS).await?;
        let consumer: consumer::PullConsumer = stream
            .get_consumer(&names::partition_consumer(partition))
            .await
            .map_err(|e| anyhow::anyhow!("cannot open partition {partition}'s consumer: {e}"))?;
        setup::one_at_a_time(&consumer, &self.stop, |message| {
            self.handle(partition, message)
        })
        .await
    }

    /// Takes one event: into the journal, through the plugins, acked when they are past it.
    async fn handle(&self, partition: u32, message: Message) {
        let (delivered, stream_seq) = match message.info() {
            Ok(info) => (info.delivered, info.stream_sequence),
            Err(_) => (1, 0),
        };
        let mut inbound: Inbound = match serde_json::from_slice(&message.payload) {
            Ok(inbound) => inbound,
            Err(e) => {
                tracing::error!(partition, stream_seq, error = %e, "an event in the stream is unreadable; dropped");
                let _ = message.ack_with(AckKind::Term).await;
                return;
            }
        };
        if inbound.dedupe_key.is_none() {
            inbound.dedupe_key = Some(format!("stream/{stream_seq}"));
        }
        let place = EventPlace::of(&inbound, self.store.partitions());
        match self.take(&place, inbound, delivered > 1).await {
            Ok(seq) => {
                if self.wait_past(seq, &message).await {
                    if let Err(e) = message.double_ack().await {
                        tracing::warn!(partition, error = %e, "cannot ack an event; another node will see it again and skip what is done");
                    }
                }
            }
            Err(e) => {
                tracing::warn!(partition, error = %e, "cannot take an event; it comes back shortly");
                let _ = message
                    .ack_with(AckKind::Nak(Some(Duration::from_secs(1))))
                    .await;
            }
        }
        self.store.forget_event(&place.token);
    }

    /// Journals the event locally, once the mirrors have every earlier write; on a
    /// redelivery, first applies (again) what plugins finished elsewhere and skips them.
    async fn take(&self, place: &EventPlace, inbound: Inbound, again: bool) -> anyhow::Result<Seq> {
        if again {
            for plugin in self.router.running() {
                if let Some(record) = self.store.find_record(&plugin, place).await? {
                    self.store.apply(&plugin, place, &record).await?;
                    self.store.finished_elsewhere(&place.token, &plugin);
                }
            }
        }
        self.store.catch_up().await?;
        Ok(self.ingress.accept_local(inbound).await?.seq())
    }

    /// Waits until every running plugin is past `seq`, keeping the message ours with progress
    /// acks; `false` when the node stops first (the event goes to another node).
    async fn wait_past(&self, seq: Seq, message: &Message) -> bool {
        let mut progress = tokio::time::interval(ACK_WAIT / 3);
        progress.tick().await;
        loop {
            if self.router.lowest_place().is_none_or(|low| low > seq) {
                return true;
            }
            tokio::select! {
                _ = self.stop.cancelled() => return false,
                _ = progress.tick() => {
                    let _ = message.ack_with(AckKind::Progress).await;
                }
                _ = tokio::time::sleep(Duration::from_millis(1)) => {}
            }
        }
    }
}
