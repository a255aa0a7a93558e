//! Fault isolation, measured: the reply latency of a healthy plugin while its neighbours trap,
//! spin until their deadline, exhaust memory, recurse without end and flood the outbox,
//! against the same measurement in the same daemon with the neighbours idle.
//!
//! `cargo bench -p wasmbot --bench isolation`
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{overrides, TestDaemon};

const ROUND_TRIPS: usize = 200;
const FAULTS: [&str; 5] = ["trap", "loop", "oom", "recurse", "flood"];

#[tokio::main]
async fn main() {
    let d = Arc::new(
        TestDaemon::start_config(&["recorder", "trapper", "flood"], |c| {
            c.runtime.quarantine_after = 1_000_000; // keep the faulty plugin failing
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
    let idle = measure(&d, ROUND_TRIPS).await;
    report("neighbours idle", &idle, None);
    for fault in FAULTS {
        let (plugin, chat) = match fault {
            "flood" => ("flood", "floody"),
            _ => ("trapper", "faults"),
        };
        let sent = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let troublemaker = {
            let (d, stop, sent) = (d.clone(), stop.clone(), sent.clone());
            tokio::spawn(async move {
                // Closed loop: the next fault once the last one was dealt with, so the faulty
                // plugin fails all the time without a backlog that outlives the phase. A good
                // event after each fault keeps its restart backoff short.
                while !stop.load(Ordering::Relaxed) {
                    if fault == "flood" {
                        d.say(chat, "mallory", "flood 100").await;
                    } else {
                        d.say(chat, "mallory", fault).await;
                        d.say(chat, "mallory", "fine").await;
                    }
                    sent.fetch_add(1, Ordering::Relaxed);
                    settle(&d, plugin).await;
                }
            })
        };
        tokio::time::sleep(Duration::from_millis(200)).await;
        let faulty = measure(&d, ROUND_TRIPS).await;
        stop.store(true, Ordering::Relaxed);
        troublemaker.await.unwrap();
        let label = format!("{fault} (×{} meanwhile)", sent.load(Ordering::Relaxed));
        report(&label, &faulty, Some(&idle));
        settle(&d, plugin).await;
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

/// Sequential round trips in the quiet chat: post a message, wait for the recorder's reply.
async fn measure(d: &TestDaemon, n: usize) -> Vec<Duration> {
    let mut latencies = Vec::with_capacity(n);
    for _ in 0..n {
        let text = format!("ping {}", rand_suffix());
        let start = Instant::now();
        d.say("quiet", "alice", &text).await;
        let reply = format!("v1:{text}");
        // Asks only for actions newer than the last one seen, so a poll costs the same however
        // many actions the other chats have piled up.
        let mut since = 0;
        loop {
            let path = format!("/sim/actions?chat=quiet&since={since}");
            let (_, body) = d.get(&path).await;
            let actions = body["actions"].as_array().cloned().unwrap_or_default();
            if actions
                .iter()
                .any(|a| a["op"] == "send" && a["text"] == reply)
            {
                break;
            }
            since = body["next"].as_u64().unwrap_or(since);
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        latencies.push(start.elapsed());
    }
    latencies.sort();
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

fn report(label: &str, sorted: &[Duration], baseline: Option<&[Duration]>) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let line: Vec<String> = [0.5, 0.9, 0.99]
        .iter()
        .map(|&p| {
            let value = percentile(sorted, p);
            let ratio = baseline
                .map(|b| format!(" ({:.2}×)", ms(value) / ms(percentile(b, p))))
                .unwrap_or_default();
            format!("p{:.0} {:.2} ms{ratio}", p * 100.0, ms(value))
        })
        .collect();
    println!(
        "isolation: {label}: {} round trips, {}",
        sorted.len(),
        line.join(", ")
    );
}
