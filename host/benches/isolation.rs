//! Fault isolation, measured: the reply latency of a healthy plugin while a neighbour traps,
//! spins until its deadline, exhausts memory, recurses without end or floods the outbox.
//!
//! Each fault is compared with two baselines in the same daemon and the same run: the
//! neighbour idle, and the neighbour doing the nearest *healthy* thing with the same traffic
//! (a quick answer for a trap or a stack overflow, 150 ms of computing for an endless loop,
//! 12 MiB allocated and used for a memory bomb, one send per event for a flood). The first
//! ratio is what the operator sees; the second is what the fault itself costs, apart from the
//! events and the work a well-behaved neighbour would bring too.
//!
//! The three are measured in short interleaved blocks, so a change in the machine's load
//! during the run falls on all three alike.
//!
//! `cargo bench -p wasmbot --bench isolation` (`ISOLATION_FAULTS=loop,oom` runs only those;
//! `ISOLATION_BOT_RATE=200/s` sets the sim bot's `rate_limit`, as every real platform has one;
//! `WASMBOT_BENCH_STORE=memory` uses the in-memory store; `ISOLATION_BLOCKS=40` measures
//! 1 000 round trips per phase instead of 200, for tails worth comparing)
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{overrides, TestDaemon};

/// Round trips per block, and blocks per phase by default: 200 round trips per phase in all.
const BLOCK: usize = 25;
const BLOCKS: usize = 8;

/// Blocks per phase: `ISOLATION_BLOCKS`, or [`BLOCKS`].
fn blocks() -> usize {
    std::env::var("ISOLATION_BLOCKS")
        .ok()
        .and_then(|b| b.parse().ok())
        .unwrap_or(BLOCKS)
}

/// A message to the neighbour, and how many messages it makes the neighbour send.
type Say = (&'static str, usize);

/// A kind of trouble: the neighbour's closed loop of messages when faulty and when healthy.
struct Trouble {
    name: &'static str,
    plugin: &'static str,
    chat: &'static str,
    faulty: &'static [Say],
    healthy: &'static [Say],
}

// A good event after each fault keeps the restart backoff at its shortest.
const TROUBLES: [Trouble; 5] = [
    trapper("trap", &[("trap", 0), FINE], &[FINE, FINE]),
    trapper("loop", &[("loop", 0), FINE], &[("busy", 1), FINE]),
    trapper("oom", &[("oom", 0), FINE], &[("alloc", 1), FINE]),
    trapper("recurse", &[("recurse", 0), FINE], &[FINE, FINE]),
    Trouble {
        name: "flood",
        plugin: "flood",
        chat: "floody",
        faulty: &[("flood 100", 100)],
        healthy: &[("flood 1", 1)],
    },
];

const FINE: Say = ("fine", 1);

const fn trapper(name: &'static str, faulty: &'static [Say], healthy: &'static [Say]) -> Trouble {
    Trouble {
        name,
        plugin: "trapper",
        chat: "faults",
        faulty,
        healthy,
    }
}

#[derive(Clone, Copy)]
enum Phase {
    Idle,
    Healthy,
    Faulty,
}

#[tokio::main]
async fn main() {
    let d = Arc::new(
        TestDaemon::start_config(&["recorder", "trapper", "flood"], |c| {
            c.runtime.quarantine_after = 1_000_000; // keep the faulty plugin failing
            if std::env::var("WASMBOT_BENCH_STORE").as_deref() == Ok("memory") {
                c.store = wasmbot::config::StoreKind::Memory;
            }
            if let Ok(rate) = std::env::var("ISOLATION_BOT_RATE") {
                for bot in &mut c.bots {
                    bot.rate_limit = Some(rate.parse().expect("a rate such as 200/s"));
                }
            }
            c.plugins = vec![
                overrides("recorder", |p| p.allow_chats = vec!["quiet".into()]),
                overrides("trapper", |p| {
                    p.allow_chats = vec!["faults".into()];
                    p.timeout_ms = Some(200);
                    p.memory_mib = Some(16);
                }),
                overrides("flood", |p| p.allow_chats = vec!["floody".into()]),
            ];
        })
        .await,
    );
    measure(&d, 20).await; // warm-up
    let only = std::env::var("ISOLATION_FAULTS").unwrap_or_default();
    for trouble in TROUBLES {
        if only.is_empty() || only.split(',').any(|f| f == trouble.name) {
            compare(&d, &trouble).await;
        }
    }
}

/// Measures the three phases of one kind of trouble in interleaved blocks and reports them.
async fn compare(d: &Arc<TestDaemon>, trouble: &Trouble) {
    let phases = [Phase::Idle, Phase::Healthy, Phase::Faulty];
    let mut latencies: [Vec<Duration>; 3] = Default::default();
    let mut events = [0u64; 3];
    for block in 0..blocks() {
        for turn in 0..phases.len() {
            let i = (block + turn) % phases.len(); // rotate the order from block to block
            let (block_latencies, sent) = run_block(d, trouble, phases[i]).await;
            latencies[i].extend(block_latencies);
            events[i] += sent;
        }
    }
    for l in &mut latencies {
        l.sort();
    }
    let [idle, healthy, faulty] = &latencies;
    println!("isolation: {}", trouble.name);
    report("neighbour idle", idle, &[]);
    let healthy_label = format!("healthy ({} events meanwhile)", events[1]);
    report(&healthy_label, healthy, &[("idle", idle)]);
    let faulty_label = format!("faulty ({} events meanwhile)", events[2]);
    report(
        &faulty_label,
        faulty,
        &[("idle", idle), ("healthy", healthy)],
    );
}

/// One block of round trips while the neighbour does what `phase` says. Returns the latencies
/// and how many events the neighbour was sent meanwhile.
async fn run_block(d: &Arc<TestDaemon>, trouble: &Trouble, phase: Phase) -> (Vec<Duration>, u64) {
    let texts = match phase {
        Phase::Idle => return (measure(d, BLOCK).await, 0),
        Phase::Healthy => trouble.healthy,
        Phase::Faulty => trouble.faulty,
    };
    let mut deliveries = Deliveries::from_now(d, trouble.chat).await;
    let stop = Arc::new(AtomicBool::new(false));
    let troublemaker = {
        let (d, stop) = (d.clone(), stop.clone());
        let (plugin, chat) = (trouble.plugin, trouble.chat);
        tokio::spawn(async move {
            // Closed loop: the next round once the last was dealt with, so the neighbour is
            // busy all the time without a backlog that outlives the block.
            let (mut events, mut sends) = (0, 0);
            while !stop.load(Ordering::Relaxed) {
                for (text, replies) in texts {
                    d.say(chat, "mallory", text).await;
                    (events, sends) = (events + 1, sends + replies);
                }
                settle(&d, plugin).await;
            }
            (events, sends)
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let latencies = measure(d, BLOCK).await;
    stop.store(true, Ordering::Relaxed);
    let (events, sends) = troublemaker.await.unwrap();
    // The next block starts once the neighbour's messages are all out, not only handled.
    deliveries.wait_for(d, sends).await;
    (latencies, events)
}

/// Counts the messages sent in one chat from a point on.
struct Deliveries {
    chat: &'static str,
    since: u64,
}

impl Deliveries {
    async fn from_now(d: &TestDaemon, chat: &'static str) -> Self {
        let (_, body) = d.get(&format!("/sim/actions?chat={chat}&since=0")).await;
        let since = body["next"].as_u64().unwrap();
        Self { chat, since }
    }

    /// Waits (up to 60 s) until `n` messages were sent since `from_now`.
    async fn wait_for(&mut self, d: &TestDaemon, n: usize) {
        let start = Instant::now();
        let mut seen = 0;
        while seen < n && start.elapsed() < Duration::from_secs(60) {
            let path = format!("/sim/actions?chat={}&since={}", self.chat, self.since);
            let (_, body) = d.get(&path).await;
            let actions = body["actions"].as_array().cloned().unwrap_or_default();
            let sent = |a: &&serde_json::Value| a["op"] == "send" || a["op"] == "reply";
            seen += actions.iter().filter(sent).count();
            self.since = body["next"].as_u64().unwrap_or(self.since);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(seen >= n, "{} of {n} messages sent in {}", seen, self.chat);
    }
}

/// Waits (up to 10 s) until `plugin` has no event left to handle.
async fn settle(d: &TestDaemon, plugin: &str) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        let status = d.daemon.router.status();
        if !status.iter().any(|s| s.name == plugin && s.in_flight > 0) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The position in the quiet chat's actions up to which every action has been seen.
static SEEN: AtomicU64 = AtomicU64::new(0);

/// Sequential round trips in the quiet chat: post a message, wait for the recorder's reply.
async fn measure(d: &TestDaemon, n: usize) -> Vec<Duration> {
    let mut latencies = Vec::with_capacity(n);
    for _ in 0..n {
        let text = format!("ping {}", rand_suffix());
        let start = Instant::now();
        d.say("quiet", "alice", &text).await;
        let reply = format!("v1:{text}");
        // Asks only for actions newer than the last one seen (in this round trip or an earlier
        // one), so a poll costs the same however many actions have piled up.
        loop {
            let since = SEEN.load(Ordering::Relaxed);
            let path = format!("/sim/actions?chat=quiet&since={since}");
            let (_, body) = d.get(&path).await;
            let actions = body["actions"].as_array().cloned().unwrap_or_default();
            if actions
                .iter()
                .any(|a| a["op"] == "send" && a["text"] == reply)
            {
                break;
            }
            SEEN.store(body["next"].as_u64().unwrap_or(since), Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        latencies.push(start.elapsed());
    }
    latencies
}

fn rand_suffix() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// One line: p50, p90 and p99, each with its ratio to every named baseline.
fn report(label: &str, sorted: &[Duration], baselines: &[(&str, &[Duration])]) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let line: Vec<String> = [0.5, 0.9, 0.99]
        .iter()
        .map(|&p| {
            let value = ms(percentile(sorted, p));
            let ratios: Vec<String> = baselines
                .iter()
                .map(|(name, b)| format!("{:.2}× {name}", value / ms(percentile(b, p))))
                .collect();
            let ratios = if ratios.is_empty() {
                String::new()
            } else {
                format!(" ({})", ratios.join(", "))
            };
            format!("p{:.0} {value:.2} ms{ratios}", p * 100.0)
        })
        .collect();
    println!(
        "  {label}: {} round trips, {}",
        sorted.len(),
        line.join(", ")
    );
}
