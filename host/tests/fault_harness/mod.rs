//! What the fault-injection tests share: the fault plan, driving the `driver` plugin to send
//! numbered messages in several chats at once, reading the simulator's log of what the
//! platform processed, the assertions and the figures. Each platform is a small [`Platform`]
//! (its simulator, bot, inbound message and send request) in a file of its own.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod biliao;
pub mod fanbook;
pub mod minapp;
pub mod yunhu;

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;
use wasmbot::config::BotConfig;

use crate::common::TestDaemon;
use crate::webhook_sim::faults::{tally, Attempt, Fault, Faults, Plan};
use crate::webhook_sim::Recorded;

/// The adapters' HTTP timeout; stalls last twice as long.
pub const CLIENT_TIMEOUT: Duration = Duration::from_millis(400);
/// The wait every rate-limit answer asks for: longer than the 1 s an adapter assumes when it
/// cannot read `Retry-After`, so a misread shows.
pub const RETRY_AFTER: Duration = Duration::from_secs(2);
/// Messages per chat.
pub const PER_CHAT: usize = 12;
const WAIT: Duration = Duration::from_secs(60);
/// Chosen so that every kind of fault in the plan comes up (at least twice in the first 60
/// requests); [`Run::check`] asserts that it did.
const DEFAULT_SEED: u64 = 775;

/// A chat the test drives: its id as the platform's send requests carry it, and whether it is
/// a group.
#[derive(Debug, Clone, Copy)]
pub struct Chat {
    pub id: &'static str,
    pub group: bool,
}

impl Chat {
    /// Three groups and one private chat.
    pub fn four(groups: [&'static str; 3], private: &'static str) -> Vec<Chat> {
        let groups = groups.into_iter().map(|id| Chat { id, group: true });
        groups
            .chain([Chat {
                id: private,
                group: false,
            }])
            .collect()
    }

    /// The text of the `i`th message the plugin sends here.
    fn text(&self, i: usize) -> String {
        format!("{}#{i:02}", self.id)
    }

    fn expected(&self) -> Vec<String> {
        (1..=PER_CHAT).map(|i| self.text(i)).collect()
    }
}

/// One platform's part: its simulator, its bot, how a message reaches the bot and how a send
/// request reads.
pub trait Platform {
    const NAME: &'static str;
    /// The chats to drive.
    fn chats(&self) -> Vec<Chat>;
    /// The fault layer in front of the simulator.
    fn faults(&self) -> &Faults;
    /// The path of send requests (the one faulted).
    fn send_path(&self) -> String;
    /// The platform's rate-limit reply inside a 200, where it documents one.
    fn throttled(&self) -> Option<Value>;
    /// The bot, pointing at the simulator, with its HTTP timeout at [`CLIENT_TIMEOUT`].
    fn bot(&self) -> BotConfig;
    /// Makes a message `text` reach the bot in `chat`, after the ones before it; `serial` is
    /// unique over the run (for message and event ids).
    async fn arrive(&self, d: &TestDaemon, chat: Chat, serial: usize, text: &str);
    /// The chat and text of a send request.
    fn sent(&self, request: &Recorded) -> (String, String);
}

/// [`CLIENT_TIMEOUT`] as the options' `timeout_ms`-style integer.
pub fn timeout_ms() -> toml::Value {
    toml::Value::Integer(i64::try_from(CLIENT_TIMEOUT.as_millis()).unwrap())
}

/// A golden payload of `platform` (`tests/golden/<platform>/<name>`).
pub fn golden(platform: &str, name: &str) -> Value {
    let path = format!(
        "{}/tests/golden/{platform}/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Posts a webhook to the daemon; asserts it was accepted.
pub async fn hook(d: &TestDaemon, path: &str, body: Value) {
    let (status, answer) = d.post(path, body).await;
    assert_eq!(status, 200, "{path}: {answer}");
}

pub fn seed() -> u64 {
    std::env::var("FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED)
}

/// 5xx 10 %, 429 with delay-seconds 3 %, 429 with an HTTP date 2 %, the platform's own
/// rate-limit reply in a 200 3 % (where it has one), stall 4 %, reset 6 %, malformed 200 5 %,
/// lost answer 3 %, slow 10 %: a third fail. At most 3 failures in a row per request, below
/// the outbox's 6 tries, so nothing should reach the dead letters.
pub fn plan(path: String, throttled: Option<Value>, seed: u64) -> Plan {
    let mut shares = vec![
        (Fault::ServerError, 0.10),
        (Fault::RateLimited, 0.03),
        (Fault::RateLimitedUntil, 0.02),
        (Fault::Stall, 0.04),
        (Fault::Reset, 0.06),
        (Fault::Malformed, 0.05),
        (Fault::Lost, 0.03),
        (Fault::Slow, 0.10),
    ];
    if throttled.is_some() {
        shares.push((Fault::Throttled, 0.03));
    }
    Plan {
        path,
        shares,
        retry_after: RETRY_AFTER,
        throttled,
        stall: CLIENT_TIMEOUT * 2,
        slow: CLIENT_TIMEOUT / 3,
        max_run: 3,
        seed,
    }
}

/// One run: the simulator's log once every expected text was processed and nothing more came.
pub struct Run {
    pub platform: &'static str,
    pub seed: u64,
    pub chats: Vec<Chat>,
    /// The kinds of fault the plan had a share of.
    pub planned: Vec<Fault>,
    pub attempts: Vec<Attempt>,
    /// From the first inbound message to the last expected text processed.
    pub elapsed: Duration,
    /// The chat and text of every attempt, in the order of `attempts`.
    sent: Vec<(String, String)>,
}

/// Starts a daemon with `platform`'s bot and the `driver` plugin, injects `plan`, makes every
/// chat ask for its `/send` messages at once and waits until all were processed and nothing
/// more arrives.
pub async fn run<P: Platform>(platform: &P, plan: Plan) -> Run {
    let seed = plan.seed;
    let planned: Vec<Fault> = plan.shares.iter().map(|(f, _)| *f).collect();
    platform.faults().inject(plan);
    let config = platform.bot();
    let d = TestDaemon::start_config(&["driver"], move |c| c.bots.push(config)).await;
    let chats = platform.chats();

    let start = Instant::now();
    let drive = chats.iter().enumerate().map(|(c, &chat)| {
        let d = &d;
        async move {
            for i in 1..=PER_CHAT {
                let command = format!("/send {}", chat.text(i));
                platform.arrive(d, chat, c * 100 + i, &command).await;
            }
        }
    });
    futures::future::join_all(drive).await;
    let read = |attempts: Vec<Attempt>| Run {
        platform: P::NAME,
        seed,
        chats: chats.clone(),
        planned: planned.clone(),
        sent: attempts.iter().map(|a| platform.sent(&a.request)).collect(),
        attempts,
        elapsed: start.elapsed(),
    };
    let mut run = loop {
        let run = read(platform.faults().attempts());
        if run.missing().is_empty() {
            break run;
        }
        assert!(
            start.elapsed() < WAIT,
            "{}: not everything was delivered; missing, with every attempt at them: {:#?}\ntally: {:?}",
            P::NAME,
            run.missing(),
            tally(&run.attempts)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // A retry of something already processed (a lost answer's) can still be on its way.
    loop {
        tokio::time::sleep(CLIENT_TIMEOUT * 3).await;
        let now = platform.faults().attempts();
        if now.len() == run.attempts.len() {
            return run;
        }
        let elapsed = run.elapsed;
        run = read(now);
        run.elapsed = elapsed;
    }
}

impl Run {
    /// The texts the platform processed, per chat, in the order it processed them.
    pub fn processed(&self) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (a, (chat, text)) in self.attempts.iter().zip(&self.sent) {
            if a.processed() {
                out.entry(chat.clone()).or_default().push(text.clone());
            }
        }
        out
    }

    /// The texts not processed yet, each with what happened to every attempt at it.
    fn missing(&self) -> BTreeMap<String, Vec<Option<Fault>>> {
        let done: HashSet<String> = self.processed().into_values().flatten().collect();
        let expected = self.chats.iter().flat_map(Chat::expected);
        expected
            .filter(|t| !done.contains(t))
            .map(|t| (t.clone(), self.faults_at(&t)))
            .collect()
    }

    /// What was done to every attempt at `text`.
    fn faults_at(&self, text: &str) -> Vec<Option<Fault>> {
        self.attempts
            .iter()
            .zip(&self.sent)
            .filter(|(_, (_, t))| t == text)
            .map(|(a, _)| a.fault)
            .collect()
    }

    /// Asserts what a client must get right under faults: every action delivered, in order per
    /// chat, exactly once except that each lost answer is sent again right after itself (the
    /// client cannot tell it from a reset, and none of these platforms takes an idempotency
    /// key), and every rate-limit answer's `Retry-After` honoured. Returns the figures.
    pub fn check(&self) -> Figures {
        let done = self.processed();
        let mut duplicates = 0;
        for chat in &self.chats {
            let texts = done.get(chat.id).cloned().unwrap_or_default();
            let mut order = texts.clone();
            order.dedup();
            assert_eq!(
                order,
                chat.expected(),
                "{} chat {}: delivered out of order or not at all",
                self.platform,
                chat.id
            );
            for text in chat.expected() {
                let times = texts.iter().filter(|t| **t == text).count();
                let lost = self
                    .faults_at(&text)
                    .iter()
                    .filter(|f| **f == Some(Fault::Lost))
                    .count();
                assert_eq!(
                    times,
                    1 + lost,
                    "{} {text}: processed {times} times with {lost} lost answers: {:?}",
                    self.platform,
                    self.faults_at(&text)
                );
                duplicates += times - 1;
            }
        }
        if self.seed == DEFAULT_SEED {
            let tally = tally(&self.attempts);
            let missing: Vec<&Fault> = self
                .planned
                .iter()
                .filter(|f| !tally.contains_key(&Some(**f)))
                .collect();
            assert!(
                missing.is_empty(),
                "{}: the default seed no longer brings every fault: {missing:?} never came",
                self.platform
            );
        }
        Figures {
            duplicates,
            waits: self.retry_after_waits(),
        }
    }

    /// For every rate-limit answer, how long after it the same request came back; fails if one
    /// came before its `Retry-After` allowed.
    fn retry_after_waits(&self) -> Vec<(Fault, Duration)> {
        let mut waits = Vec::new();
        for (i, a) in self.attempts.iter().enumerate() {
            let (Some(fault), Some((value, not_before))) = (a.fault, &a.retry_after) else {
                continue;
            };
            let next = self.attempts[i + 1..]
                .iter()
                .find(|b| b.request.body == a.request.body)
                .expect("a rate-limited request is tried again");
            assert!(
                next.request.at >= *not_before,
                "{}: {fault:?} with `Retry-After: {value}` asked for {:?}, the retry came after {:?}: {}",
                self.platform,
                *not_before - a.decided,
                next.request.at - a.decided,
                a.request.text()
            );
            waits.push((fault, next.request.at - a.decided));
        }
        waits
    }

    /// Prints the figures, and the row of RELIABILITY.md's table.
    pub fn report(&self, figures: &Figures) {
        let actions = self.chats.len() * PER_CHAT;
        let tally = tally(&self.attempts);
        let count = |f: Fault| tally.get(&Some(f)).copied().unwrap_or(0);
        let shortest = |kinds: &[Fault]| {
            figures
                .waits
                .iter()
                .filter(|(f, _)| kinds.contains(f))
                .map(|(_, w)| *w)
                .min()
                .map_or("–".into(), |w| format!("{:.3} s", w.as_secs_f64()))
        };
        let limited = [Fault::RateLimited, Fault::Throttled];
        println!(
            "fault injection, {} (seed {}): {} chats, {actions} actions, {} requests ({} answered \
             normally, {} slow), retries {}, duplicates {} (lost answers {}), rate-limit answers \
             honoured {}, elapsed {:.2?}",
            self.platform,
            self.seed,
            self.chats.len(),
            self.attempts.len(),
            tally.get(&None).copied().unwrap_or(0),
            count(Fault::Slow),
            self.attempts.len() - actions,
            figures.duplicates,
            count(Fault::Lost),
            figures.waits.len(),
            self.elapsed
        );
        println!(
            "| {} | {} | {actions} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | 0 | {} | {}/{} (shortest: {}; date {}) | {:.1} s |",
            self.platform,
            self.seed,
            self.attempts.len(),
            count(Fault::ServerError),
            count(Fault::RateLimited),
            count(Fault::RateLimitedUntil),
            count(Fault::Throttled),
            count(Fault::Stall),
            count(Fault::Reset),
            count(Fault::Malformed),
            count(Fault::Lost),
            count(Fault::Slow),
            self.attempts.len() - actions,
            figures.duplicates,
            figures.waits.len(),
            figures.waits.len(),
            shortest(&limited),
            shortest(&[Fault::RateLimitedUntil]),
            self.elapsed.as_secs_f64()
        );
    }
}

/// What a checked run measured.
#[derive(Debug)]
pub struct Figures {
    /// Sends processed more than once (each after a lost answer).
    pub duplicates: usize,
    /// Every rate-limit answer, with how long its request took to come back.
    pub waits: Vec<(Fault, Duration)>,
}

/// Runs `platform` under the shared plan and checks it.
pub async fn check_platform<P: Platform>(platform: P) {
    let plan = plan(platform.send_path(), platform.throttled(), seed());
    let run = run(&platform, plan).await;
    let figures = run.check();
    run.report(&figures);
}
