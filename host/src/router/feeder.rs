//! A plugin's feeder: reads the journal from the plugin's cursor, keeps what the plugin
//! subscribes to, and queues it on the lane of its chat.

use std::hash::{Hash, Hasher};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::filter::Filter;
use super::lane::Job;
use super::progress::Progress;
use crate::event::{Envelope, Inbound};
use crate::store::{Seq, Store};

const BATCH: usize = 256;

pub(super) struct Feeder {
    pub plugin: Arc<str>,
    pub store: Arc<dyn Store>,
    pub head: watch::Receiver<Seq>,
    pub filter: Arc<RwLock<Filter>>,
    pub lanes: Vec<mpsc::Sender<Job>>,
    pub progress: Arc<Progress>,
    pub cancel: CancellationToken,
}

impl Feeder {
    pub async fn run(mut self, mut cursor: Seq) {
        loop {
            self.head.borrow_and_update();
            let batch = match self.store.read(cursor, BATCH) {
                Ok(batch) => batch,
                Err(e) => {
                    tracing::error!(plugin = %self.plugin, error = %e, "cannot read the journal");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if batch.is_empty() {
                tokio::select! {
                    changed = self.head.changed() => if changed.is_err() { return },
                    () = self.cancel.cancelled() => return,
                }
                continue;
            }
            for (seq, inbound) in batch {
                if !self.dispatch(seq, inbound).await {
                    return;
                }
                cursor = seq + 1;
                self.progress.advance(cursor);
            }
        }
    }

    /// Queues one event if the plugin wants it. `false` when the plugin is being removed.
    async fn dispatch(&self, seq: Seq, inbound: Inbound) -> bool {
        match self.store.is_finished(&self.plugin, seq) {
            Ok(true) => return true,
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(plugin = %self.plugin, seq, error = %e, "cannot check whether an event is finished")
            }
        }
        let routed = match self.filter.read() {
            Ok(filter) => filter.route(&inbound.event),
            Err(_) => None,
        };
        let Some(event) = routed else { return true };
        let lane = lane_for(&event, self.lanes.len());
        let job = Job {
            seq,
            envelope: Envelope {
                id: format!("{}:{seq}", inbound.bot),
                event,
            },
        };
        self.progress.start(seq);
        tokio::select! {
            sent = self.lanes[lane].send(job) => sent.is_ok(),
            () = self.cancel.cancelled() => false,
        }
    }
}

/// The lane of an event: all events of one chat share a lane.
fn lane_for(event: &crate::event::Event, lanes: usize) -> usize {
    if lanes <= 1 {
        return 0;
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    event.chat().map(|c| c.lane_key()).hash(&mut hasher);
    (hasher.finish() % lanes as u64) as usize
}
