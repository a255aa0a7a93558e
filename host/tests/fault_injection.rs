//! Fault injection against the platform simulators: the `driver` plugin sends numbered messages
//! in several Biliao chats at once while the simulator answers a share of `/bot/sendmessage`
//! with 5xx, 429 + `Retry-After`, stalls past the client's timeout, resets and slow answers.
//! Every action must reach the platform, in order per chat, exactly once, and every 429's
//! `Retry-After` must be honoured. Run with `--nocapture` for the figures; set `FAULT_SEED` to
//! replay another fault sequence.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod biliao_sim;
mod common;
mod webhook_sim;

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use wasmbot::config::{BotConfig, Secret};

use common::TestDaemon;
use webhook_sim::faults::{tally, Attempt, Fault, Plan};
use webhook_sim::Sim;

const SEND: &str = "/bot/sendmessage";
/// The adapter's HTTP timeout (`options.timeout_ms`); stalls last twice as long.
const CLIENT_TIMEOUT: Duration = Duration::from_millis(400);
/// Messages per chat.
const PER_CHAT: usize = 12;
/// Group chats, plus one private chat (the golden private message's sender).
const GROUPS: &[&str] = &["group_f1", "group_f2", "group_f3"];
const PRIVATE: &str = "user_8c41d2";
const WAIT: Duration = Duration::from_secs(50);
const DEFAULT_SEED: u64 = 0x5EED_0005;

/// A chat the test drives: its id in webhooks and in `sendmessage` bodies, and whether it is a
/// group.
#[derive(Debug, Clone, Copy)]
struct Chat {
    id: &'static str,
    group: bool,
}

impl Chat {
    fn all() -> Vec<Chat> {
        let groups = GROUPS.iter().map(|id| Chat { id, group: true });
        groups
            .chain([Chat {
                id: PRIVATE,
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

fn seed() -> u64 {
    std::env::var("FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED)
}

/// 5xx 12 %, 429 5 % (Retry-After 1 s), stall 5 %, reset 8 %, slow 10 %: 30 % fail.
fn plan(seed: u64) -> Plan {
    Plan {
        path: SEND.into(),
        shares: vec![
            (Fault::ServerError, 0.12),
            (Fault::RateLimited, 0.05),
            (Fault::Stall, 0.05),
            (Fault::Reset, 0.08),
            (Fault::Slow, 0.10),
        ],
        retry_after: Duration::from_secs(1),
        stall: CLIENT_TIMEOUT * 2,
        slow: CLIENT_TIMEOUT / 3,
        max_run: 3,
        seed,
    }
}

fn bot(sim: &Sim) -> BotConfig {
    let mut options = toml::Table::new();
    options.insert("auto_answer_ms".into(), toml::Value::Integer(0));
    let timeout = i64::try_from(CLIENT_TIMEOUT.as_millis()).unwrap();
    options.insert("timeout_ms".into(), toml::Value::Integer(timeout));
    BotConfig {
        name: "bl".into(),
        platform: "biliao".into(),
        token: Some(Secret::new(biliao_sim::TOKEN)),
        secret: None,
        base_url: Some(sim.base.clone()),
        options,
        register_commands: false,
        rate_limit: None,
    }
}

/// A Biliao message webhook in `chat` carrying `text`.
fn webhook(chat: Chat, n: usize, text: &str) -> Value {
    let name = if chat.group {
        "event_group_message.json"
    } else {
        "event_private_message.json"
    };
    let path = format!("{}/tests/golden/biliao/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut body: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    body["message_id"] = json!(format!("fi_{}_{n}", chat.id));
    body["content"] = json!(text);
    if chat.group {
        body["group_id"] = json!(chat.id);
    }
    body
}

/// Posts `/send {text}` webhooks for one chat, one after the other (so in order).
async fn drive(d: &TestDaemon, chat: Chat) {
    for i in 1..=PER_CHAT {
        let command = format!("/send {}", chat.text(i));
        let (status, body) = d.post("/hooks/bl", webhook(chat, i, &command)).await;
        assert_eq!(status, 200, "{command}: {body}");
    }
}

/// The chat a `sendmessage` body went to.
fn chat_of(body: &Value) -> String {
    body.get("group_id")
        .or_else(|| body.get("target_user_id"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The texts the platform processed, per chat, in the order it processed them.
fn processed(attempts: &[Attempt]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for a in attempts.iter().filter(|a| a.processed()) {
        let body = a.request.json();
        let text = body["content"].as_str().unwrap_or_default().to_string();
        out.entry(chat_of(&body)).or_default().push(text);
    }
    out
}

fn all_processed(attempts: &[Attempt], chats: &[Chat]) -> bool {
    let done = processed(attempts);
    chats.iter().all(|c| {
        let texts: HashSet<&String> = done.get(c.id).into_iter().flatten().collect();
        c.expected().iter().all(|t| texts.contains(t))
    })
}

/// The texts not processed yet, each with what happened to every attempt at it.
fn missing(attempts: &[Attempt], chats: &[Chat]) -> BTreeMap<String, Vec<Option<Fault>>> {
    let done = processed(attempts);
    let expected = chats.iter().flat_map(Chat::expected);
    expected
        .filter(|t| !done.values().flatten().any(|d| d == t))
        .map(|t| {
            let tries = attempts
                .iter()
                .filter(|a| a.request.json()["content"] == t.as_str())
                .map(|a| a.fault)
                .collect();
            (t, tries)
        })
        .collect()
}

/// Polls the simulator until every expected text was processed; panics after `WAIT`.
async fn wait_all(sim: &Sim, chats: &[Chat]) -> Vec<Attempt> {
    let start = Instant::now();
    loop {
        let attempts = sim.attempts();
        if all_processed(&attempts, chats) {
            return attempts;
        }
        assert!(
            start.elapsed() < WAIT,
            "not everything was delivered; missing, with every attempt at them: {:#?}\ntally: {:?}",
            missing(&attempts, chats),
            tally(&attempts)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// For every 429, how long after it the same request came back; fails if any came too early.
fn retry_after_gaps(attempts: &[Attempt], retry_after: Duration) -> Vec<Duration> {
    let mut gaps = Vec::new();
    for (i, a) in attempts.iter().enumerate() {
        if a.fault != Some(Fault::RateLimited) {
            continue;
        }
        let next = attempts[i + 1..]
            .iter()
            .find(|b| b.request.body == a.request.body)
            .expect("a rate-limited request is tried again");
        let gap = next.request.at.duration_since(a.decided);
        assert!(
            gap >= retry_after,
            "a 429 asked for {retry_after:?} but the retry came after {gap:?}: {}",
            a.request.text()
        );
        gaps.push(gap);
    }
    gaps
}

/// Texts processed more than once, over all chats.
fn duplicates(done: &BTreeMap<String, Vec<String>>) -> Vec<String> {
    let mut seen = HashSet::new();
    done.values()
        .flatten()
        .filter(|t| !seen.insert(*t))
        .cloned()
        .collect()
}

/// Waits until no request has come for a while (a few client timeouts); returns the log.
async fn settle(sim: &Sim, mut attempts: Vec<Attempt>) -> Vec<Attempt> {
    loop {
        tokio::time::sleep(CLIENT_TIMEOUT * 3).await;
        let now = sim.attempts();
        if now.len() == attempts.len() {
            return now;
        }
        attempts = now;
    }
}

/// One run: the simulator's log once every expected text was processed, and how long it took.
struct Run {
    seed: u64,
    chats: Vec<Chat>,
    attempts: Vec<Attempt>,
    elapsed: Duration,
}

/// Starts a daemon against a Biliao simulator injecting `plan`, drives every chat at once and
/// waits until everything was processed and nothing more arrives.
async fn run(plan: Plan) -> Run {
    let seed = plan.seed;
    let sim = biliao_sim::start().await;
    sim.inject(plan);
    let config = bot(&sim);
    let d = TestDaemon::start_config(&["driver"], move |c| c.bots.push(config)).await;
    let chats = Chat::all();

    let start = Instant::now();
    futures::future::join_all(chats.iter().map(|&chat| drive(&d, chat))).await;
    let attempts = wait_all(&sim, &chats).await;
    let elapsed = start.elapsed();
    // A retry of something already processed (a duplicate) can still be on its way.
    let attempts = settle(&sim, attempts).await;
    Run {
        seed,
        chats,
        attempts,
        elapsed,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_action_is_delivered_once_and_in_order_under_faults() {
    let plan = plan(seed());
    let retry_after = plan.retry_after;
    let run = run(plan).await;

    let done = processed(&run.attempts);
    let dups = duplicates(&done);
    for chat in &run.chats {
        assert_eq!(
            done.get(chat.id).cloned().unwrap_or_default(),
            chat.expected(),
            "chat {}: delivered out of order, twice or not at all",
            chat.id
        );
    }
    assert!(dups.is_empty(), "duplicates: {dups:?}");
    let gaps = retry_after_gaps(&run.attempts, retry_after);
    report(
        "faults the platform did not process",
        &run,
        &gaps,
        dups.len(),
    );
}

/// A lost answer (processed, then the connection drops) looks like a reset to the client, and
/// Biliao's `sendmessage` has no idempotency key: the retry is a second message. Delivery is
/// at-least-once there: the only duplicates are the lost answers, each right after its original.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_is_sent_again_right_after_itself() {
    let mut plan = plan(seed());
    plan.shares = vec![(Fault::Lost, 0.10), (Fault::ServerError, 0.10)];
    let run = run(plan).await;

    let done = processed(&run.attempts);
    let lost = tally(&run.attempts)
        .get(&Some(Fault::Lost))
        .copied()
        .unwrap_or(0);
    for chat in &run.chats {
        let mut texts = done.get(chat.id).cloned().unwrap_or_default();
        texts.dedup();
        assert_eq!(texts, chat.expected(), "chat {}: order", chat.id);
    }
    let dups = duplicates(&done);
    assert_eq!(dups.len(), lost, "one duplicate per lost answer: {dups:?}");
    report("lost answers (at-least-once)", &run, &[], dups.len());
}

fn report(title: &str, run: &Run, gaps: &[Duration], dups: usize) {
    let actions = run.chats.len() * PER_CHAT;
    let tally = tally(&run.attempts);
    let count = |f: Fault| tally.get(&Some(f)).copied().unwrap_or(0);
    let failed = run
        .attempts
        .iter()
        .filter(|a| a.fault.is_some_and(Fault::fails))
        .count();
    println!("fault injection, {title} (seed {}):", run.seed);
    println!("  chats {}, actions {actions}", run.chats.len());
    println!(
        "  requests {} (answered {}, slow {})",
        run.attempts.len(),
        tally.get(&None).copied().unwrap_or(0),
        count(Fault::Slow)
    );
    println!(
        "  failed requests {failed}: 5xx {}, 429 {}, stall {}, reset {}, lost answer {}",
        count(Fault::ServerError),
        count(Fault::RateLimited),
        count(Fault::Stall),
        count(Fault::Reset),
        count(Fault::Lost)
    );
    println!("  retries {}", run.attempts.len() - actions);
    println!("  duplicates {dups}");
    let min_gap = gaps.iter().min().copied().unwrap_or_default();
    println!("  429 retries {}, shortest wait {min_gap:?}", gaps.len());
    println!("  elapsed {:.2?}", run.elapsed);
}
