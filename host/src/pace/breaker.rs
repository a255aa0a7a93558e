//! A circuit breaker per bot: after a run of failed requests its platform is taken to be down,
//! and instead of every delivery hammering it, one probe goes out now and then (backing off)
//! until one gets an answer.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::Notify;

use super::backoff;

/// What a delivery may do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// The platform is up: go.
    Go,
    /// The platform is down and this request is the probe.
    Probe,
}

/// A bot's circuit, for the operator.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Circuit {
    /// `closed` (requests flow) or `open` (the platform is taken to be down; probing).
    pub state: &'static str,
    /// Failures in a row.
    pub failures: u32,
    /// Unix seconds since which the platform is taken to be down; absent while it is up.
    pub down_since: Option<u64>,
}

#[derive(Debug)]
struct State {
    failures: u32,
    open: Option<Open>,
}

#[derive(Debug, Clone, Copy)]
struct Open {
    since: Instant,
    since_unix: u64,
    probes: u32,
    next_probe: Instant,
    probing: bool,
}

#[derive(Debug)]
pub struct Breaker {
    bot: String,
    /// Failures in a row that open the circuit.
    after: u32,
    /// The longest wait between two probes.
    max_wait: Duration,
    state: Mutex<State>,
    closed: Notify,
}

impl Breaker {
    pub fn new(bot: &str, after: u32, max_wait: Duration) -> Self {
        Self {
            bot: bot.to_owned(),
            after: after.max(1),
            max_wait,
            state: Mutex::new(State {
                failures: 0,
                open: None,
            }),
            closed: Notify::new(),
        }
    }

    /// Waits until a request may go: at once while the circuit is closed; while it is open,
    /// until it closes or this request's turn to probe comes.
    pub async fn admit(&self) -> Admission {
        loop {
            let closed = self.closed.notified();
            let wait = {
                let mut state = self.lock();
                let Some(open) = &mut state.open else {
                    return Admission::Go;
                };
                let now = Instant::now();
                if !open.probing && now >= open.next_probe {
                    open.probing = true;
                    return Admission::Probe;
                }
                // Another request is probing: check again after a while.
                open.next_probe
                    .max(now + self.max_wait.min(Duration::from_secs(1)))
                    - now
            };
            tokio::select! {
                () = closed => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// The platform answered (even with a refusal: it is up). Closes an open circuit.
    pub fn answered(&self) {
        let mut state = self.lock();
        state.failures = 0;
        if let Some(open) = state.open.take() {
            tracing::warn!(bot = %self.bot, down_for = ?open.since.elapsed(), probes = open.probes, "platform is back: deliveries resume");
            self.closed.notify_waiters();
        }
    }

    /// A request failed as a down platform fails (a 5xx, a timeout, a refused connection).
    pub fn failed(&self, admission: Admission) {
        let mut state = self.lock();
        state.failures = state.failures.saturating_add(1);
        let failures = state.failures;
        let now = Instant::now();
        match &mut state.open {
            Some(open) if admission == Admission::Probe => {
                open.probes += 1;
                open.probing = false;
                open.next_probe = now + self.probe_wait(open.probes);
            }
            Some(_) => {}
            None if failures >= self.after => {
                tracing::warn!(bot = %self.bot, failures, "platform looks down: deliveries pause, probing it until it answers");
                state.open = Some(Open {
                    since: now,
                    since_unix: unix_now(),
                    probes: 0,
                    next_probe: now + self.probe_wait(0),
                    probing: false,
                });
            }
            None => {}
        }
    }

    pub fn circuit(&self) -> Circuit {
        let state = self.lock();
        Circuit {
            state: if state.open.is_some() {
                "open"
            } else {
                "closed"
            },
            failures: state.failures,
            down_since: state.open.map(|open| open.since_unix),
        }
    }

    /// 200 ms, 400 ms, … up to `max_wait`, ±20 %.
    fn probe_wait(&self, probes: u32) -> Duration {
        let wait = backoff::exponential(probes, Duration::from_millis(200), self.max_wait);
        backoff::jittered(wait, 0.2)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker() -> Breaker {
        Breaker::new("b", 3, Duration::from_millis(400))
    }

    #[tokio::test]
    async fn a_run_of_failures_opens_it_and_an_answer_closes_it() {
        let b = breaker();
        for _ in 0..2 {
            b.failed(Admission::Go);
        }
        assert_eq!(b.circuit().state, "closed");
        b.failed(Admission::Go);
        assert_eq!(b.circuit().state, "open");
        assert!(b.circuit().down_since.is_some());
        // The first request after the probe wait is the probe; the next one waits for it.
        assert_eq!(b.admit().await, Admission::Probe);
        let waiting = tokio::time::timeout(Duration::from_millis(100), b.admit()).await;
        assert!(waiting.is_err(), "a second request waits while one probes");
        b.answered();
        assert_eq!(b.circuit().state, "closed");
        assert_eq!(b.admit().await, Admission::Go);
    }

    #[tokio::test]
    async fn waiters_go_as_soon_as_the_probe_gets_an_answer() {
        let b = std::sync::Arc::new(breaker());
        for _ in 0..3 {
            b.failed(Admission::Go);
        }
        assert_eq!(b.admit().await, Admission::Probe);
        let waiter = tokio::spawn({
            let b = b.clone();
            async move { b.admit().await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        b.answered();
        let admitted = tokio::time::timeout(Duration::from_millis(200), waiter).await;
        assert!(matches!(admitted, Ok(Ok(Admission::Go))), "{admitted:?}");
    }

    #[tokio::test]
    async fn a_failed_probe_backs_off_and_another_probe_follows() {
        let b = breaker();
        for _ in 0..3 {
            b.failed(Admission::Go);
        }
        assert_eq!(b.admit().await, Admission::Probe);
        b.failed(Admission::Probe);
        let started = Instant::now();
        assert_eq!(b.admit().await, Admission::Probe);
        assert!(
            started.elapsed() >= Duration::from_millis(150),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(b.circuit().state, "open");
    }
}
