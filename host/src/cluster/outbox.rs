//! The outbox in cluster mode. Plugins' actions wait in the outbox stream, one subject per bot
//! and partition. The node holding a bot's lease pulls them, one in flight per partition
//! (per-chat order; at most one send per partition in doubt when that node dies), and hands
//! them to the daemon's ordinary outbox through [`OutboxStore`]: fair turns, the bot's one rate
//! limit, retries and its circuit breaker work as in one process. A delivery's outcome acks
//! the message; an unacked one goes to the next holder.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream::{consumer, AckKind, Context, Message};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::dead::DeadLetters;
use super::{names, setup};
use crate::model::Action;
use crate::outbox::OutboxWaker;
use crate::store::{ActionId, DeadLetter, DeliveryOutcome, MessageIndex, Pending, StoreError};

/// An action as it waits in the outbox stream.
#[derive(Debug, Serialize, Deserialize)]
pub struct Queued {
    pub plugin: String,
    pub action: Action,
}

struct InFlight {
    bot: String,
    pending: Pending,
    outcome: oneshot::Sender<DeliveryOutcome>,
}

/// The actions this node has pulled for the bots it holds, until their outcomes.
pub struct ClusterOutbox {
    in_flight: Mutex<BTreeMap<ActionId, InFlight>>,
    next_id: AtomicU64,
    index: Arc<dyn MessageIndex>,
    dead: Arc<DeadLetters>,
}

impl std::fmt::Debug for ClusterOutbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterOutbox").finish_non_exhaustive()
    }
}

impl ClusterOutbox {
    /// `index`: the local message index, where delivered messages are recorded; `dead`:
    /// where undeliverable actions are kept.
    pub fn new(index: Arc<dyn MessageIndex>, dead: Arc<DeadLetters>) -> Self {
        Self {
            in_flight: Mutex::default(),
            next_id: AtomicU64::new(1),
            index,
            dead,
        }
    }

    /// What the daemon's outbox asks for `bot` (see `OutboxStore::outbox_pending`).
    pub fn pending(
        &self,
        bot: &str,
        per_plugin: usize,
        known: &HashSet<ActionId>,
        ended: &HashSet<ActionId>,
    ) -> Vec<Pending> {
        let Ok(in_flight) = self.in_flight.lock() else {
            return Vec::new();
        };
        let mut counted: HashMap<&str, usize> = HashMap::new();
        let mut out = Vec::new();
        for (id, held) in in_flight.iter().filter(|(_, h)| h.bot == bot) {
            if ended.contains(id) {
                continue;
            }
            let count = counted.entry(held.pending.plugin.as_str()).or_default();
            if *count >= per_plugin {
                continue;
            }
            *count += 1;
            if !known.contains(id) {
                out.push(held.pending.clone());
            }
        }
        out
    }

    /// Delivery outcomes: indexes where delivered messages went, and lets each action's
    /// puller ack it.
    pub fn record(&self, outcomes: Vec<(ActionId, DeliveryOutcome)>) -> Result<(), StoreError> {
        for (id, outcome) in outcomes {
            let held = self.in_flight.lock().ok().and_then(|mut m| m.remove(&id));
            let Some(held) = held else { continue };
            if let Ok(Some(sent)) = &outcome {
                for (key, indexed) in sent.clone().index_entries() {
                    self.index.index_message(key, indexed)?;
                }
            }
            let _ = held.outcome.send(outcome);
        }
        Ok(())
    }

    /// Pulls `bot`'s actions, one in flight per partition, until `lost`.
    pub fn serve(
        self: &Arc<Self>,
        js: Context,
        bot: String,
        partitions: u32,
        waker: OutboxWaker,
        lost: CancellationToken,
    ) {
        for partition in 0..partitions {
            let puller = Puller {
                outbox: self.clone(),
                js: js.clone(),
                bot: bot.clone(),
                partition,
                waker: waker.clone(),
                lost: lost.clone(),
            };
            tokio::spawn(puller.run());
        }
    }

    fn hold(&self, bot: &str, queued: Queued) -> (ActionId, oneshot::Receiver<DeliveryOutcome>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (outcome, receiver) = oneshot::channel();
        let pending = Pending {
            id,
            plugin: queued.plugin,
            action: queued.action,
        };
        if let Ok(mut in_flight) = self.in_flight.lock() {
            let bot = bot.to_string();
            in_flight.insert(
                id,
                InFlight {
                    bot,
                    pending,
                    outcome,
                },
            );
        }
        (id, receiver)
    }

    fn forget(&self, id: ActionId) {
        if let Ok(mut in_flight) = self.in_flight.lock() {
            in_flight.remove(&id);
        }
    }
}

/// One bot's partition of the outbox on the node holding the bot.
struct Puller {
    outbox: Arc<ClusterOutbox>,
    js: Context,
    bot: String,
    partition: u32,
    waker: OutboxWaker,
    lost: CancellationToken,
}

impl Puller {
    async fn run(self) {
        while !self.lost.is_cancelled() {
            if let Err(e) = self.pull_some().await {
                tracing::warn!(bot = %self.bot, partition = self.partition, error = %e, "cannot pull from the outbox; trying again");
                tokio::select! {
                    _ = self.lost.cancelled() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    }

    async fn pull_some(&self) -> anyhow::Result<()> {
        let stream = self.js.get_stream(names::OUTBOX).await?;
        let consumer: consumer::PullConsumer = stream
            .get_or_create_consumer(
                &names::outbox_consumer(&self.bot, self.partition),
                setup::outbox_consumer(&self.bot, self.partition),
            )
            .await?;
        setup::one_at_a_time(&consumer, &self.lost, |message| self.deliver(message)).await
    }

    /// Hands one action to the outbox and acks it once its outcome is known (progress acks
    /// keep it ours meanwhile). Losing the lease leaves it unacked, for the next holder.
    async fn deliver(&self, message: Message) {
        let queued: Queued = match serde_json::from_slice(&message.payload) {
            Ok(queued) => queued,
            Err(e) => {
                tracing::error!(bot = %self.bot, error = %e, "an outbox message is not an action; dropped");
                let _ = message.ack_with(AckKind::Term).await;
                return;
            }
        };
        let letter = (queued.plugin.clone(), queued.action.clone());
        let (id, mut outcome) = self.outbox.hold(&self.bot, queued);
        self.waker.wake(&self.bot);
        let mut progress = tokio::time::interval(setup::ACK_WAIT / 3);
        progress.tick().await;
        let outcome = loop {
            tokio::select! {
                _ = self.lost.cancelled() => {
                    self.outbox.forget(id);
                    return;
                }
                outcome = &mut outcome => break outcome,
                _ = progress.tick() => {
                    let _ = message.ack_with(AckKind::Progress).await;
                }
            }
        };
        if let Ok(Err(reason)) = outcome {
            let (plugin, action) = letter;
            let id = message.info().map_or(id, |i| i.stream_sequence);
            let letter = DeadLetter {
                id,
                plugin,
                action,
                reason,
            };
            if let Err(e) = self.outbox.dead.keep(&letter).await {
                tracing::error!(bot = %self.bot, error = %e, "cannot keep a dead letter; leaving the action for the next try");
                return;
            }
        }
        if let Err(e) = message.double_ack().await {
            tracing::warn!(bot = %self.bot, error = %e, "cannot ack a delivered action; the next holder may send it again");
        }
    }
}
