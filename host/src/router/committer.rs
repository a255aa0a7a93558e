//! A lane's committer: stores the lane's outcomes in order, behind the lane.
//!
//! The lane hands over each event's outcome and goes on to the next event at once; outcomes
//! that queue up meanwhile go to the store together, in one transaction. A lane therefore
//! handles events at the speed of its plugin, not one per fsync. Until an outcome is stored,
//! its kv writes and sent handles stay visible to the lane's next events through
//! [`PendingWrites`]. The queue is bounded: a lane more than [`DEPTH`] outcomes ahead of the
//! store waits.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::journal::Progress;
use crate::metrics::PluginMetrics;
use crate::outbox::OutboxWaker;
use crate::runtime::PendingWrites;
use crate::store::{Commit, CompletionStore, Outcome, Seq, StoreError, Uncommitted};
use crate::timer::Timers;

/// Outcomes a lane may be ahead of the store; also the most one transaction carries.
pub const DEPTH: usize = 64;

/// The lane's end of its committer.
#[derive(Debug, Clone)]
pub struct Commits {
    queue: mpsc::Sender<Outcome>,
    pending: Arc<PendingWrites>,
}

impl Commits {
    /// Starts the committer of one lane of `plugin`.
    pub fn spawn(
        plugin: Arc<str>,
        store: Arc<dyn CompletionStore>,
        progress: Arc<Progress>,
        outbox: OutboxWaker,
        timers: Option<Timers>,
        metrics: Arc<PluginMetrics>,
    ) -> Self {
        let (queue, outcomes) = mpsc::channel(DEPTH);
        let pending = Arc::new(PendingWrites::default());
        let committer = Committer {
            plugin,
            store,
            progress,
            outbox,
            timers,
            pending: pending.clone(),
            warned: None,
            metrics,
        };
        tokio::spawn(committer.run(outcomes));
        Self { queue, pending }
    }

    /// What the lane's uncommitted outcomes write, for the next calls to read.
    pub fn pending(&self) -> &Arc<PendingWrites> {
        &self.pending
    }

    /// Queues an event's outcome; waits while the committer is [`DEPTH`] behind.
    pub async fn send(&self, seq: Seq, commit: Commit) {
        self.send_counted(seq, commit, 0).await;
    }

    /// [`send`](Self::send) for a commit that adds `timers_added` timers to the plugin's
    /// pending count, net (its quota counts them before they are stored).
    pub async fn send_counted(&self, seq: Seq, commit: Commit, timers_added: i64) {
        self.pending.add(seq, &commit, timers_added);
        if self.queue.send((seq, commit)).await.is_err() {
            // Only when the runtime shuts down: the event is handled again after a restart.
            self.pending.settle(seq);
        }
    }
}

struct Committer {
    plugin: Arc<str>,
    store: Arc<dyn CompletionStore>,
    progress: Arc<Progress>,
    outbox: OutboxWaker,
    /// Woken when a commit sets timers (`None`: tests without a firer).
    timers: Option<Timers>,
    pending: Arc<PendingWrites>,
    /// When this lane last said that it waits for room in the outbox.
    warned: Option<Instant>,
    /// Where the time of each store commit goes.
    metrics: Arc<PluginMetrics>,
}

/// A lane waiting for outbox room says so at most this often.
const WARN_EVERY: Duration = Duration::from_secs(60);

impl Committer {
    /// Runs until the lane is gone and every outcome it queued is stored.
    async fn run(mut self, mut outcomes: mpsc::Receiver<Outcome>) {
        let mut batch = Vec::with_capacity(DEPTH);
        while outcomes.recv_many(&mut batch, DEPTH).await > 0 {
            self.store_in_order(std::mem::take(&mut batch)).await;
        }
    }

    /// Stores a batch; while the outbox is full, waits and tries again with what is left
    /// (back-pressure on this plugin only).
    async fn store_in_order(&mut self, mut outcomes: Vec<Outcome>) {
        let seqs: Vec<Seq> = outcomes.iter().map(|(seq, _)| *seq).collect();
        let sets_timers = outcomes.iter().any(|(_, c)| !c.timers.is_empty());
        let bots: BTreeSet<String> = outcomes
            .iter()
            .flat_map(|(_, commit)| commit.actions.iter().map(|a| a.chat().bot.clone()))
            .collect();
        let mut enqueued: BTreeMap<&str, u64> = BTreeMap::new();
        for (_, commit) in &outcomes {
            for action in &commit.actions {
                *enqueued.entry(action.chat().bot.as_str()).or_default() += 1;
            }
        }
        let enqueued: Vec<(String, u64)> = enqueued
            .into_iter()
            .map(|(bot, n)| (bot.to_string(), n))
            .collect();
        let mut failed = false;
        loop {
            let outbox = self.outbox.clone();
            let room = outbox.room();
            tokio::pin!(room);
            room.as_mut().enable();
            match self.commit_all(outcomes).await {
                Ok(()) => break,
                Err(Uncommitted {
                    rest,
                    error: error @ (StoreError::OutboxFull(_) | StoreError::PluginOutboxFull(_)),
                }) => {
                    outcomes = rest;
                    self.warn_waiting(&error);
                    self.wake(&bots);
                    // Written delivery outcomes make room and say so; the timer is a safety net.
                    tokio::select! {
                        _ = room => {}
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
                Err(Uncommitted { error, .. }) => {
                    tracing::error!(plugin = %self.plugin, first = seqs.first(), last = seqs.last(), error = %error, "cannot commit; these events will be handled again after a restart");
                    // Left in flight: the journal keeps them, and the plugin's saved place stays
                    // at or before them. (Any of them that did commit is skipped on replay.)
                    failed = true;
                    break;
                }
            }
        }
        if !failed {
            for (bot, n) in &enqueued {
                self.outbox.enqueued(bot, *n);
            }
        }
        for seq in seqs {
            self.pending.settle(seq);
            if !failed {
                self.progress.finish(seq);
            }
        }
        self.wake(&bots);
        if let Some(timers) = self.timers.as_ref().filter(|_| sets_timers && !failed) {
            timers.wake();
        }
    }

    async fn commit_all(&self, outcomes: Vec<Outcome>) -> Result<(), Uncommitted> {
        let started = Instant::now();
        let committed = self.store.commit_all_async(&self.plugin, outcomes).await;
        self.metrics.commit_seconds.observe(started.elapsed());
        committed
    }

    /// One line a minute at most while the lane's commits wait for room (its events are being
    /// handled more slowly than its messages can go out: a flood, or a strict rate limit).
    fn warn_waiting(&mut self, error: &StoreError) {
        if self.warned.is_some_and(|at| at.elapsed() < WARN_EVERY) {
            return;
        }
        self.warned = Some(Instant::now());
        tracing::warn!(plugin = %self.plugin, %error, "commits wait for room in the outbox; this plugin's events are handled as fast as its actions are delivered");
    }

    fn wake(&self, bots: &BTreeSet<String>) {
        for bot in bots {
            self.outbox.wake(bot);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::*;
    use crate::store::MemoryStore;

    /// An event whose commit failed stays in flight: the journal keeps it and the plugin's
    /// saved place stays at it, so a restart handles it again, as the log line says.
    #[tokio::test]
    async fn an_event_whose_commit_failed_stays_in_flight() {
        let store = Arc::new(MemoryStore::default());
        store.failing_commits.store(1, Ordering::SeqCst);
        let progress = Arc::new(Progress::new(0));
        let commits = Commits::spawn(
            "p".into(),
            store.clone(),
            progress.clone(),
            OutboxWaker::default(),
            None,
            Arc::default(),
        );
        let start = Instant::now();
        let until = |done: &dyn Fn() -> bool| {
            let done = done();
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "the committer is stuck"
            );
            done
        };
        progress.start(0);
        progress.advance(1);
        commits.send(0, Commit::default()).await;
        while !until(&|| store.failing_commits.load(Ordering::SeqCst) == 0) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        progress.start(1);
        progress.advance(2);
        commits.send(1, Commit::default()).await;
        while !until(&|| progress.in_flight() == 1 && store.is_finished("p", 1).unwrap()) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(progress.low_watermark(), 0, "event 0 is still needed");
        assert!(!store.is_finished("p", 0).unwrap());
    }
}
