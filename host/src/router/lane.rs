//! A lane: one plugin instance handling its share of chats, one event at a time, in order.
//! Effects are committed with the event's completion, by the lane's committer, in order; a hot
//! reload swaps the instance between two events, so queued events wait and none is lost or
//! handled twice.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

use super::committer::Commits;
use super::gate::Refusal;
use super::health::Health;
use crate::metrics::PluginMetrics;
use crate::model::{Action, Content, Envelope, Event, Outgoing, Standing, TimerFired};
use crate::plugin::PluginVersion;
use crate::runtime::{CallError, CallScope, HostServices, PluginInstance};
use crate::store::{Commit, MessageKey, Seq};

/// An event for one plugin.
#[derive(Debug)]
pub struct Job {
    pub seq: Seq,
    /// The bot that received the event.
    pub bot: String,
    pub envelope: Envelope,
    /// Set when the event is this plugin's fired timer.
    pub timer: Option<TimerFired>,
    /// The sender's standing in the event's chat.
    pub standing: Standing,
    /// Set when the event is a command its sender may not use: the plugin is not called.
    pub refusal: Option<Refusal>,
}

/// Replace the lane's instance with one of a new version.
pub struct Swap {
    pub version: Arc<PluginVersion>,
    pub instance: PluginInstance,
    pub done: oneshot::Sender<()>,
}

pub struct Lane {
    pub version: Arc<PluginVersion>,
    pub instance: Option<PluginInstance>,
    pub services: HostServices,
    pub health: Arc<Health>,
    pub commits: Commits,
    /// The plugin's counters: handled, failed, handle time.
    pub metrics: Arc<PluginMetrics>,
    /// The operator's switch: while off the lane takes no job (they wait in its queue and
    /// the journal), but still swaps versions.
    pub enabled: watch::Receiver<bool>,
    /// Cancelled when the plugin is removed (ends a lane parked by the switch).
    pub removed: CancellationToken,
}

impl Lane {
    /// Runs until the job queue closes and is drained (or closes while the plugin is
    /// disabled: its unfinished events stay in the journal for its next start).
    pub async fn run(mut self, mut jobs: mpsc::Receiver<Job>, mut swaps: mpsc::Receiver<Swap>) {
        // The switch's sender lives as long as the router; should it go, the lane runs on.
        let mut switch_gone = false;
        loop {
            let enabled = switch_gone || *self.enabled.borrow_and_update();
            tokio::select! {
                biased;
                Some(swap) = swaps.recv() => self.swap(swap).await,
                changed = self.enabled.changed(), if !switch_gone => switch_gone = changed.is_err(),
                () = self.removed.cancelled(), if !enabled => break,
                job = jobs.recv(), if enabled => match job {
                    Some(job) => self.handle(job).await,
                    None => break,
                },
            }
        }
        tracing::debug!(plugin = %self.version.name, "lane stopped");
    }

    async fn swap(&mut self, swap: Swap) {
        let mut incoming = swap.instance;
        if let Some(mut old) = self.instance.take() {
            match old.save_state().await {
                Ok(Some(state)) => {
                    if let Err(e) = incoming.restore_state(&state).await {
                        tracing::warn!(plugin = %swap.version.name, error = %e, "the new version could not restore the old state");
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(plugin = %self.version.name, error = %e, "the old version could not save its state")
                }
            }
        }
        self.version = swap.version;
        self.instance = Some(incoming);
        self.health.release();
        let _ = swap.done.send(());
    }

    async fn handle(&mut self, mut job: Job) {
        if let Some(refusal) = job.refusal.take() {
            return self.refuse(job, refusal).await;
        }
        let name = self.version.name.clone();
        if self.health.is_quarantined() {
            tracing::debug!(plugin = %name, event = %job.envelope.id, "plugin quarantined; event skipped");
            self.commits.send(job.seq, Commit::default()).await;
            return;
        }
        let instance = match self.instance.take() {
            Some(instance) => Some(instance),
            None => self.fresh_instance().await,
        };
        let Some(mut instance) = instance else {
            self.commits.send(job.seq, Commit::default()).await;
            return;
        };
        let scope = CallScope {
            chat: job.envelope.event.chat().cloned(),
            callback_id: match &job.envelope.event {
                Event::Callback(c) => Some(c.id.clone()),
                _ => None,
            },
            pending: Some(self.commits.pending().clone()),
            ..CallScope::default()
        };
        // Chat-less events name their bot by the journal's record (chats name their own).
        let platform = match job.envelope.event.chat() {
            Some(_) => None,
            None => self.services.platforms.platform_of(&job.bot),
        };
        let bot = platform.as_deref().map(|p| (p, job.bot.as_str()));
        let timer = job.timer.as_ref();
        let started = std::time::Instant::now();
        let handled = instance
            .handle(job.seq, job.envelope, bot, timer, job.standing, scope)
            .await;
        self.metrics.handle_seconds.observe(started.elapsed());
        match handled {
            Ok(mut scope) => {
                self.metrics.handled.inc();
                self.health.succeeded();
                self.instance = Some(instance);
                let sent = scope.sent_handles();
                let timers_added = scope.timers_added;
                let commit = Commit {
                    timers: scope.timer_changes(),
                    actions: scope.actions,
                    kv: scope.kv.into_iter().collect(),
                    sent,
                };
                self.commits
                    .send_counted(job.seq, commit, timers_added)
                    .await;
            }
            Err(e) => {
                self.metrics.failed.inc();
                self.health.note_error(format!("{e} ({})", e.what_to_do()));
                if e.poisons() {
                    tracing::error!(plugin = %name, event = %format_args!("{}:{}", job.bot, job.seq), kind = e.kind(), error = %e, hint = e.what_to_do(), "plugin failed; its instance is dropped and the next event gets a fresh one");
                    self.count_failure();
                } else {
                    self.instance = Some(instance);
                    tracing::warn!(plugin = %name, event = %format_args!("{}:{}", job.bot, job.seq), error = %e, hint = e.what_to_do(), "plugin reported an error; its effects are discarded");
                }
                self.commits.send(job.seq, Commit::default()).await;
            }
        }
    }

    /// Answers a command its sender may not use, in the plugin's name, instead of calling the
    /// plugin: an audit line, and the refusal reply committed like any plugin's effect (so it
    /// is sent exactly once).
    async fn refuse(&mut self, job: Job, refusal: Refusal) {
        let Event::Command(command) = &job.envelope.event else {
            return self.commits.send(job.seq, Commit::default()).await;
        };
        let message = &command.message;
        tracing::info!(
            plugin = %self.version.name,
            event = %format_args!("{}:{}", job.bot, job.seq),
            command = %command.name,
            user = %message.sender.id,
            rank = job.standing.rank.name(),
            audience = refusal.audience.name(),
            "command refused: the sender may not use it"
        );
        let mut commit = Commit::default();
        if let Some(text) = refusal.reply {
            let handle = self.services.mint_handle(&self.version.name);
            let chat = message.id.chat.clone();
            commit.sent.push(MessageKey::of(&chat, &handle));
            commit.actions.push(Action::Send {
                handle,
                chat,
                message: Outgoing {
                    content: Content::Text(text),
                    keyboard: None,
                    mentions: Vec::new(),
                },
                reply_to: Some(message.id.id.clone()),
            });
        }
        self.commits.send(job.seq, commit).await;
    }

    /// A new instance after a failure, started after the backoff delay.
    async fn fresh_instance(&mut self) -> Option<PluginInstance> {
        tokio::time::sleep(self.health.restart_delay()).await;
        match self.version.instantiate(self.services.clone()).await {
            Ok(instance) => Some(instance),
            Err(e) => {
                tracing::error!(plugin = %self.version.name, error = %e, "cannot start a fresh instance; the event is skipped");
                self.count_failure();
                None
            }
        }
    }

    fn count_failure(&self) {
        if self.health.failed() {
            tracing::error!(
                plugin = %self.version.name,
                failures = self.health.failures(),
                "plugin quarantined after consecutive failures; its events are skipped until a reload or `POST /admin/plugins/{}/release`",
                self.version.name
            );
        }
    }
}

impl CallError {
    /// For logs: the error kind in one word.
    pub fn kind(&self) -> &'static str {
        match self {
            CallError::Plugin(_) => "plugin-error",
            CallError::Trap(_) => "trap",
            CallError::Timeout(_) => "timeout",
        }
    }

    /// What the plugin's author or operator can do about it, for the log and the status.
    pub fn what_to_do(&self) -> &'static str {
        match self {
            CallError::Plugin(_) => {
                "the plugin's own error for this event (a raised exception or a thrown error \
                 says where): fix the plugin and drop the rebuilt .wasm in; it reloads in place"
            }
            CallError::Trap(e) if format!("{e:#}").contains("proc_exit") => {
                "the plugin exited in the middle of the call: in JS, a handler whose promise \
                 never settles ends the event loop this way; make every promise resolve or \
                 reject, then drop the rebuilt .wasm in"
            }
            CallError::Trap(_) => {
                "the plugin crashed: fix it and drop the rebuilt .wasm in; it reloads in place"
            }
            CallError::Timeout(_) => {
                "a handler that never finishes (a promise never resolved, an endless loop): \
                 make it return, or raise `runtime.timeout_ms` if it needs longer"
            }
        }
    }
}
