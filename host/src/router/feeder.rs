//! A plugin's feeder: reads the journal from the plugin's cursor, keeps what the plugin
//! subscribes to, and queues it on the lane of its chat.
//!
//! A plugin that falls more than `max_lag` events behind the plugin furthest ahead (the leader)
//! sheds: the feeder skips its oldest events for it instead of waiting for room in its lanes.
//! The journal then forgets them once the other plugins are done, and one slow plugin cannot
//! fill it for everyone. A plugin alone, or all equally behind, never sheds: then the journal
//! fills and the ingress pushes back, which loses nothing.

use std::hash::{Hash, Hasher};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::gate::Gate;
use super::lane::Job;
use crate::journal::Progress;
use crate::model::{Envelope, Inbound};
use crate::plugin::Filter;
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
    /// Where the plugin furthest ahead stands (its low watermark).
    pub leader: watch::Receiver<Seq>,
    /// Events the plugin may fall behind the leader before it sheds; `None`: it never sheds.
    pub max_lag: Option<Seq>,
    /// When shedding was last reported.
    pub warned: Option<Instant>,
    /// Who may use which command.
    pub gate: Arc<Gate>,
}

/// A plugin that sheds is reported at most this often.
const WARN_EVERY: Duration = Duration::from_secs(60);

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

    /// Queues one event if the plugin wants it, or sheds it if the plugin has fallen too far
    /// behind. `false` when the plugin is being removed.
    async fn dispatch(&mut self, seq: Seq, inbound: Inbound) -> bool {
        match self.store.is_finished(&self.plugin, seq) {
            Ok(true) => return true,
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(plugin = %self.plugin, seq, error = %e, "cannot check whether an event is finished")
            }
        }
        let standing = self.gate.standing(&inbound);
        let routed = match (&inbound.timer, self.filter.read()) {
            // A fired timer goes to the plugin that set it, whatever it subscribes to.
            (Some(timer), _) => {
                (*timer.plugin == *self.plugin).then(|| (inbound.event.clone(), None))
            }
            (None, Ok(filter)) => filter.route(&inbound.event).map(|event| {
                let refusal = self
                    .gate
                    .check(&event, standing, |name| filter.audience(name));
                (event, refusal)
            }),
            (None, Err(_)) => None,
        };
        let Some((event, refusal)) = routed else {
            return true;
        };
        let lane = self.lanes[lane_for(&event, self.lanes.len())].clone();
        // Room in the lane wins: an event is shed only when the plugin cannot take it.
        let permit = tokio::select! {
            biased;
            permit = lane.reserve() => match permit {
                Ok(permit) => permit,
                Err(_) => return false,
            },
            () = fallen_behind(self.leader.clone(), seq, self.max_lag) => {
                self.shed(seq);
                return true;
            }
            () = self.cancel.cancelled() => return false,
        };
        self.progress.start(seq);
        permit.send(Job {
            seq,
            bot: inbound.bot.clone(),
            envelope: Envelope {
                id: format!("{}:{seq}", inbound.bot),
                event,
            },
            timer: inbound.timer,
            standing,
            refusal,
        });
        true
    }

    /// Skips `seq` for this plugin; says so when shedding starts and then once a minute.
    fn shed(&mut self, seq: Seq) {
        let total = self.progress.shed();
        if self.warned.is_some_and(|at| at.elapsed() < WARN_EVERY) {
            return;
        }
        self.warned = Some(Instant::now());
        tracing::warn!(
            plugin = %self.plugin,
            seq,
            leader = *self.leader.borrow(),
            max_lag = self.max_lag,
            shed = total,
            "plugin fell too far behind the others; its oldest events are skipped for it (runtime.max_lag)"
        );
    }
}

/// Resolves once `seq` is more than `max_lag` events behind the leader; never without a
/// `max_lag` or once the leader is gone.
async fn fallen_behind(mut leader: watch::Receiver<Seq>, seq: Seq, max_lag: Option<Seq>) {
    let Some(max_lag) = max_lag else {
        return std::future::pending().await;
    };
    while leader.borrow_and_update().saturating_sub(seq) <= max_lag {
        if leader.changed().await.is_err() {
            return std::future::pending().await;
        }
    }
}

/// The lane of an event: all events of one chat share a lane.
fn lane_for(event: &crate::model::Event, lanes: usize) -> usize {
    if lanes <= 1 {
        return 0;
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    event.chat().map(|c| c.lane_key()).hash(&mut hasher);
    (hasher.finish() % lanes as u64) as usize
}
