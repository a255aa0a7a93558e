//! A plugin whose API answers in 200 ms, across 50 chats: throughput against the number of
//! lanes (`instances`, instances per plugin; a chat always maps to the same lane).
//!
//! The daemon runs in this process on the sim platform with the `fetcher` fixture; each event
//! is `fetch http://127.0.0.1:PORT/slow?ms=200` against a loopback stand-in. All events are
//! posted at once; the clock stops when every one is answered. The plugin's HTTP rate limit is
//! raised out of the way; `max_in_flight` is the default (8) unless a row says otherwise.
//!
//! `cargo bench -p wasmbot --bench slow_api` prints a Markdown table for BENCHMARKS.md.
//! `WASMBOT_SLOW_API_PER_CHAT` (default 2) sets the events per chat. Loopback only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/mod.rs"]
mod common;

// Shared with the tests; the bench reads less of what it records.
#[allow(dead_code)]
#[path = "../tests/api_sim.rs"]
mod api_sim;

use std::time::{Duration, Instant};

use serde_json::json;

use api_sim::Api;
use common::{overrides, TestDaemon};

const CHATS: usize = 50;
const API_MS: u64 = 200;

/// One measured run.
struct Row {
    lanes: usize,
    in_flight: u32,
    events: usize,
    elapsed: Duration,
    ok: usize,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let per_chat = std::env::var("WASMBOT_SLOW_API_PER_CHAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2usize);
    common::plugins();
    let api = Api::start().await;
    let mut rows = Vec::new();
    for (lanes, in_flight) in [(1, 8), (2, 8), (4, 8), (8, 8), (16, 8), (16, 16), (32, 32)] {
        let row = run(&api, lanes, in_flight, per_chat).await;
        eprintln!(
            "lanes {lanes}: {:.1} events/s ({} of {} answered 200)",
            row.events as f64 / row.elapsed.as_secs_f64(),
            row.ok,
            row.events
        );
        rows.push(row);
    }
    println!(
        "| lanes (`instances`) | `max_in_flight` | events | seconds | events/s | answered 200 |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {} | {} | {:.2} | {:.1} | {} |",
            r.lanes,
            r.in_flight,
            r.events,
            r.elapsed.as_secs_f64(),
            r.events as f64 / r.elapsed.as_secs_f64(),
            r.ok
        );
    }
}

async fn run(api: &Api, lanes: usize, in_flight: u32, per_chat: usize) -> Row {
    let config = overrides("fetcher", |c| {
        c.instances = Some(lanes);
        c.grants.http = vec![api.grant()];
        c.http.max_in_flight = Some(in_flight);
        c.http.requests_per_minute = Some(1_000_000);
    });
    let d = TestDaemon::start_with(&["fetcher"], vec![config]).await;
    d.wait_for_plugin("fetcher", None, Duration::from_secs(60))
        .await;
    let text = format!("fetch {}/slow?ms={API_MS}", api.base);
    let events = CHATS * per_chat;
    let start = Instant::now();
    for _ in 0..per_chat {
        for chat in 0..CHATS {
            d.say(&format!("chat{chat}"), "alice", &text).await;
        }
    }
    let (mut since, mut replies, mut ok) = (0u64, 0usize, 0usize);
    while replies < events {
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "only {replies} of {events} answered"
        );
        let (_, body) = d.get(&format!("/sim/actions?since={since}")).await;
        since = body["next"].as_u64().unwrap_or(since);
        for action in body["actions"].as_array().into_iter().flatten() {
            if action["op"] == "reply" {
                replies += 1;
                ok += usize::from(action["text"] == json!("200 slow"));
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let elapsed = start.elapsed();
    Row {
        lanes,
        in_flight,
        events,
        elapsed,
        ok,
    }
}
