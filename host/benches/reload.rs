//! Hot reload under load: from the file write to the new version serving, while events arrive
//! at a steady 10k/s; and whether any event was lost or handled twice.
//!
//! `cargo bench -p wasmbot --bench reload` (the durable redb store, the default);
//! `WASMBOT_BENCH_STORE=memory cargo bench -p wasmbot --bench reload` for the in-memory store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use common::{install, plugin, TestDaemon};
use wasmbot::model::*;

const RATE_PER_SEC: u64 = 10_000;
const RELOADS: usize = 10;
const CHATS: u64 = 50;
const IN_FLIGHT: usize = 256;

fn message(n: u64) -> Inbound {
    let chat = ChatRef {
        platform: "sim".into(),
        bot: "sim".into(),
        kind: ChatKind::Group,
        id: format!("c{}", n % CHATS),
        guild: None,
    };
    let message = Message {
        id: MessageRef {
            chat,
            id: format!("in{n}"),
        },
        sender: UserRef {
            id: "load".into(),
            name: None,
            is_bot: false,
        },
        content: Content::Text(n.to_string()),
        mentions: vec![],
        reply_to: None,
        sent_at: 0,
    };
    Inbound {
        bot: "sim".into(),
        rank: Default::default(),
        dedupe_key: Some(format!("in{n}")),
        event: Event::Message(message),
        timer: None,
    }
}

#[tokio::main]
async fn main() {
    let d = Arc::new(
        TestDaemon::start_config(&["recorder"], |c| {
            c.runtime.journal_capacity = 100_000;
            if std::env::var("WASMBOT_BENCH_STORE").as_deref() == Ok("memory") {
                c.store = wasmbot::config::StoreKind::Memory;
            }
        })
        .await,
    );
    let stop = Arc::new(AtomicBool::new(false));
    let busy = Arc::new(AtomicU64::new(0));
    let producer = {
        let (d, stop, busy) = (d.clone(), stop.clone(), busy.clone());
        tokio::spawn(async move {
            // Up to IN_FLIGHT accepts at once, as from many webhook connections: the durable
            // store commits those that wait together in one transaction.
            let in_flight = Arc::new(Semaphore::new(IN_FLIGHT));
            let start = Instant::now();
            let mut sent = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let due = start.elapsed().as_micros() as u64 * RATE_PER_SEC / 1_000_000;
                while sent < due {
                    let permit = in_flight.clone().acquire_owned().await.unwrap();
                    let (d, busy, n) = (d.clone(), busy.clone(), sent);
                    tokio::spawn(async move {
                        while d.daemon.ingress.accept(message(n)).await.is_err() {
                            busy.fetch_add(1, Ordering::Relaxed);
                            tokio::time::sleep(Duration::from_millis(1)).await;
                        }
                        drop(permit);
                    });
                    sent += 1;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            let _all_done = in_flight.acquire_many(IN_FLIGHT as u32).await.unwrap();
            (sent, start.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut latencies = Vec::new();
    for i in 0..RELOADS {
        let (file, version) = if i % 2 == 0 {
            ("recorder-v2", "2.0.0")
        } else {
            ("recorder", "1.0.0")
        };
        let started = Instant::now();
        install(&plugin(file), &d.plugins_dir.join("recorder.wasm"));
        d.wait_for_plugin("recorder", Some(version), Duration::from_secs(30))
            .await;
        latencies.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let (sent, elapsed) = producer.await.unwrap();
    let caught_up = handled_all(&d).await;
    let (handled, drained) = count_handled(&d, sent).await;
    latencies.sort();
    let median = latencies[latencies.len() / 2];
    println!("reload: {RELOADS} reloads under {:.0} events/s; file write -> new version serving: median {:.1} ms, max {:.1} ms",
        sent as f64 / elapsed.as_secs_f64(), median.as_secs_f64() * 1e3, latencies[latencies.len() - 1].as_secs_f64() * 1e3);
    println!("reload: {sent} events accepted, {handled} handled exactly once, {} lost or duplicated; {} busy answers (back-pressure)",
        sent.abs_diff(handled), busy.load(Ordering::Relaxed));
    println!(
        "reload: the plugin had handled the backlog {:.1} s after the producer stopped, and it was delivered after {:.1} s",
        caught_up.as_secs_f64(),
        drained.as_secs_f64()
    );
}

/// How long until the plugin has finished every accepted event (its status, cheap to poll).
async fn handled_all(d: &TestDaemon) -> Duration {
    let start = Instant::now();
    while d.daemon.router.status().iter().any(|s| s.backlog > 0) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    start.elapsed()
}

/// Waits until every accepted event produced its one recorder message, or until nothing more
/// arrives for 15 s; returns how many arrived exactly once, and how long the backlog took to
/// drain after the producer stopped.
async fn count_handled(d: &TestDaemon, sent: u64) -> (u64, Duration) {
    let start = Instant::now();
    let mut last = (0, Instant::now());
    loop {
        let mut seen = std::collections::HashSet::new();
        let mut duplicates = 0;
        for chat in 0..CHATS {
            for text in d.texts(&format!("c{chat}"), "send").await {
                let n: u64 = text.split_once(':').unwrap().1.parse().unwrap();
                if !seen.insert(n) {
                    duplicates += 1;
                }
            }
        }
        let count = seen.len() as u64;
        if count > last.0 {
            last = (count, Instant::now());
        }
        if count >= sent || last.1.elapsed() > Duration::from_secs(15) {
            return (count - duplicates.min(count), start.elapsed());
        }
        // Each poll reads every action of every chat, in this process: not too often.
        tokio::time::sleep(Duration::from_millis(1000)).await;
    }
}
