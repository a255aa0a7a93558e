//! The firer: one task that sleeps until the next timer is due (or a commit sets one), then
//! fires what is due in batches. Each batch is one store transaction that appends the timers'
//! events to the journal and takes their rows out (a schedule's row moves to its next
//! instant), so a crash leaves a timer either fired or pending, never both or neither. Rows
//! are read through the due-time index; none is held in memory between rounds.

use std::collections::HashMap;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::cron::Cron;
use super::schedules::Timers;
use crate::journal::Ingress;
use crate::model::{Inbound, TimerFired};
use crate::store::{FireOutcome, Firing, Recurrence, StoreError, Timer};

/// Rows fired per transaction.
pub const BATCH: usize = 256;

/// How a round ended.
enum Round {
    /// A full batch fired: there may be more due.
    More,
    /// Nothing is due now.
    Idle,
    /// The journal had no room: wait for a release.
    JournalFull,
}

/// Starts the firer; it runs until `stop`.
pub fn spawn_firer(timers: Timers, ingress: Ingress, stop: CancellationToken) -> JoinHandle<()> {
    let firer = Firer {
        timers,
        ingress,
        crons: HashMap::new(),
    };
    tokio::spawn(firer.run(stop))
}

struct Firer {
    timers: Timers,
    ingress: Ingress,
    /// Schedules' expressions, parsed once.
    crons: HashMap<(String, String), Option<Cron>>,
}

impl Firer {
    async fn run(mut self, stop: CancellationToken) {
        loop {
            let round = self.round().await;
            let wait = match round {
                Ok(Round::More) => continue,
                Ok(Round::Idle) => self.until_due(),
                Ok(Round::JournalFull) => {
                    let deadline = Instant::now() + Duration::from_secs(1);
                    let release = self.ingress.release_wake();
                    Box::pin(async move {
                        release.release_now(deadline).await;
                    })
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot fire timers; trying again in a second");
                    Box::pin(tokio::time::sleep(Duration::from_secs(1)))
                }
            };
            tokio::select! {
                () = wait => {}
                () = self.timers.wake.notified() => {}
                () = stop.cancelled() => return,
            }
        }
    }

    /// Resolves when the next row is due (never, when there is none).
    fn until_due(&self) -> futures::future::BoxFuture<'static, ()> {
        match self.timers.store.next_due() {
            Ok(Some(due)) => self.timers.clock.sleep_until(due),
            Ok(None) => Box::pin(std::future::pending()),
            Err(e) => {
                tracing::error!(error = %e, "cannot read the next timer; looking again in a second");
                Box::pin(tokio::time::sleep(Duration::from_secs(1)))
            }
        }
    }

    /// Fires one batch of what is due now.
    async fn round(&mut self) -> Result<Round, StoreError> {
        let now = self.timers.clock.now_ms();
        let due = self.timers.store.timers_due(now, BATCH)?;
        if due.is_empty() {
            return Ok(Round::Idle);
        }
        let full_batch = due.len() == BATCH;
        let firings: Vec<Firing> = due
            .into_iter()
            .map(|(plugin, timer)| self.firing(plugin, timer, now))
            .collect();
        let FireOutcome {
            appended,
            fired,
            journal_full,
        } = self.timers.store.fire_async(firings).await?;
        if let Some(last) = appended.last() {
            self.ingress.advanced(last + 1);
        }
        self.timers.metrics.fired.add(appended.len() as u64);
        tracing::debug!(fired, appended = appended.len(), "timers fired");
        Ok(if journal_full {
            Round::JournalFull
        } else if full_batch {
            Round::More
        } else {
            Round::Idle
        })
    }

    /// A due row's firing: its event, and a schedule's next instant after `now` (instants
    /// missed while the daemon was down collapse into this one firing).
    fn firing(&mut self, plugin: String, timer: Timer, now: u64) -> Firing {
        let next_due = timer
            .schedule
            .as_ref()
            .and_then(|recurrence| self.cron(&plugin, &timer.key, recurrence))
            .and_then(|cron| cron.next_after(now.max(timer.due_at)));
        let scheduled = timer.schedule.is_some();
        let dedupe_key =
            scheduled.then(|| format!("schedule/{plugin}/{}/{}", timer.key, timer.due_at));
        let fired = TimerFired {
            plugin: plugin.clone(),
            key: timer.key.clone(),
            payload: timer.payload.clone(),
            due_at: timer.due_at,
            fired_at: now,
            scheduled,
        };
        let inbound = Inbound::timer(fired, timer.chat.clone(), dedupe_key);
        Firing {
            plugin,
            timer,
            inbound,
            next_due,
        }
    }

    /// A schedule's parsed expression; `None` (and one error line) when it no longer parses,
    /// and the schedule fires this last time.
    fn cron(&mut self, plugin: &str, name: &str, recurrence: &Recurrence) -> Option<&Cron> {
        let key = (recurrence.cron.clone(), recurrence.timezone.clone());
        self.crons
            .entry(key)
            .or_insert_with(|| match Cron::parse(&recurrence.cron, &recurrence.timezone) {
                Ok(cron) => Some(cron),
                Err(e) => {
                    tracing::error!(plugin, schedule = name, error = %e, "stored schedule does not parse; it fires no more until the plugin is loaded again");
                    None
                }
            })
            .as_ref()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::store::{CompletionStore, JournalStore, MemoryStore, TimerStore};
    use crate::timer::{Clock, ManualClock, Schedule};

    /// 2026-01-05 00:00:00 UTC.
    const T0: u64 = 1_767_571_200_000;
    const MINUTE: u64 = 60_000;

    struct Fixture {
        store: Arc<MemoryStore>,
        clock: Arc<ManualClock>,
        timers: Timers,
        stop: CancellationToken,
    }

    fn fixture(start: u64) -> Fixture {
        let store = Arc::new(MemoryStore::default());
        let clock = Arc::new(ManualClock::new(start));
        let timers = Timers::new(store.clone(), clock.clone());
        let ingress = Ingress::new(store.clone()).unwrap();
        let stop = CancellationToken::new();
        spawn_firer(timers.clone(), ingress, stop.clone());
        Fixture {
            store,
            clock,
            timers,
            stop,
        }
    }

    /// The timer records in the journal, waiting until there are `n`.
    async fn fired(store: &MemoryStore, n: usize) -> Vec<TimerFired> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let all: Vec<TimerFired> = store
                .read(0, 100)
                .unwrap()
                .into_iter()
                .filter_map(|(_, inbound)| inbound.timer)
                .collect();
            if all.len() >= n || Instant::now() > deadline {
                return all;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    #[tokio::test]
    async fn a_schedule_fires_at_its_instants_and_missed_ones_once() {
        let f = fixture(T0 + 10_000);
        let cron = Cron::parse("0 * * * * *", "").unwrap();
        let schedule = Schedule {
            name: "tick".into(),
            cron,
            payload: "p".into(),
        };
        f.timers.install_schedules("clock", &[schedule]).unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(fired(&f.store, 0).await.is_empty(), "nothing is due yet");

        f.clock.set(T0 + MINUTE);
        let first = fired(&f.store, 1).await;
        assert_eq!(first.len(), 1);
        assert_eq!(
            (first[0].due_at, first[0].fired_at),
            (T0 + MINUTE, T0 + MINUTE)
        );
        assert!(first[0].scheduled);
        assert_eq!(
            (first[0].plugin.as_str(), first[0].key.as_str()),
            ("clock", "tick")
        );

        // Three instants pass at once (the daemon was down): one firing, the first of them.
        f.clock.set(T0 + 4 * MINUTE + 30_000);
        let all = fired(&f.store, 2).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let all_after = fired(&f.store, 0).await;
        assert_eq!(all.len(), 2);
        assert_eq!(
            all_after.len(),
            2,
            "missed instants fire once: {all_after:?}"
        );
        assert_eq!(all[1].due_at, T0 + 2 * MINUTE);
        assert_eq!(all[1].fired_at, T0 + 4 * MINUTE + 30_000);
        let next = f.store.schedules_of("clock").unwrap()[0].due_at;
        assert_eq!(next, T0 + 5 * MINUTE, "the next instant is after now");
        f.stop.cancel();
    }

    #[tokio::test]
    async fn a_timer_committed_later_wakes_the_firer() {
        let f = fixture(T0);
        tokio::time::sleep(Duration::from_millis(20)).await;
        let timer = crate::store::Timer {
            key: "k".into(),
            due_at: T0 + 1000,
            payload: String::new(),
            chat: None,
            schedule: None,
        };
        let commit = crate::store::Commit {
            timers: vec![crate::store::TimerChange::Set(timer)],
            ..Default::default()
        };
        f.store.commit("p", 0, commit).unwrap();
        f.timers.wake();
        f.clock.set(T0 + 999);
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert!(fired(&f.store, 0).await.is_empty(), "not due yet");
        f.clock.set(T0 + 1000);
        let fired = fired(&f.store, 1).await;
        assert_eq!(fired.len(), 1);
        assert!(!fired[0].scheduled);
        assert!(f.store.timer("p", "k").unwrap().is_none());
        assert_eq!(f.clock.now_ms(), T0 + 1000);
        f.stop.cancel();
    }
}
