//! Timers at scale, on redb: a million pending timers set through commits (as lanes commit
//! them), what they cost on disk and in memory, how fast the real firer turns them into journal
//! events (releasing the journal as the daemon does), and how late a timer reaches the journal
//! while the store is under a flood of accepts and commits.
//!
//! `cargo bench -p wasmbot --bench timers` prints a table; `WASMBOT_BENCH_TIMERS` changes the
//! count (default 1,000,000).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use wasmbot::journal::Ingress;
use wasmbot::model::{Event, Inbound, OtherEvent};
use wasmbot::store::{Bounds, Commit, RedbStore, Seq, Store, Timer, TimerChange};
use wasmbot::timer::{spawn_firer, unix_ms, ManualClock, SystemClock, Timers};

/// Timers per plugin: the default quota.
const PER_PLUGIN: u64 = 10_000;
/// Outcomes per commit call, as a lane's committer batches them.
const OUTCOMES: usize = 64;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}

async fn run() {
    let count: u64 = std::env::var("WASMBOT_BENCH_TIMERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wasmbot.redb");
    let mut store: Arc<dyn Store> = Arc::new(RedbStore::open(&path, Bounds::default()).unwrap());
    println!("| measure | {count} pending timers on redb |");
    println!("|---|---|");

    let rss_before = rss_kib();
    let took = set_all(&store, count).await;
    row(
        "set (commits of 64 events, 1 timer each)",
        rate(count, took),
    );
    row(
        "store file after setting",
        format!("{:.0} MB", file_mb(&path)),
    );
    row(
        "RSS growth while setting (peak RSS), redb's cache included",
        format!(
            "{} MB ({} MB)",
            (rss_kib() - rss_before) / 1024,
            peak_kib() / 1024
        ),
    );
    // What the timers themselves take: the events' finished-markers released (as the daemon
    // releases them), the file compacted (as `compact_on_start` does).
    store.release_before(Seq::MAX, &BTreeSet::new()).unwrap();
    drop(store);
    RedbStore::compact_file(&path).unwrap();
    let mb = file_mb(&path);
    let per = mb * 1e6 / count as f64;
    row(
        "store file, compacted, finished-markers released",
        format!("{mb:.0} MB ({per:.0} bytes per timer)"),
    );
    store = Arc::new(RedbStore::open(&path, Bounds::default()).unwrap());

    let latency = latency_under_load(&store).await;
    row(
        "due → in the journal, under load (p50 / p99 / max of 200)",
        latency,
    );

    let took = fire_all(&store, count).await;
    row(
        "fire (the firer, journal released as it fills)",
        rate(count, took),
    );
    assert_eq!(store.next_due().unwrap(), None, "every timer fired");
}

fn row(what: &str, value: impl std::fmt::Display) {
    println!("| {what} | {value} |");
}

fn rate(n: u64, took: Duration) -> String {
    format!(
        "{:.0} timers/s ({:.1} s)",
        n as f64 / took.as_secs_f64(),
        took.as_secs_f64()
    )
}

fn timer(n: u64, due_at: u64) -> Timer {
    Timer {
        key: format!("reminder-{n}"),
        due_at,
        payload: "stand up and stretch".into(),
        chat: None,
        schedule: None,
    }
}

/// Sets `count` timers due over the hour after `T0` through commits, one timer per event, 64
/// events per commit call, from plugins of 10,000 timers each.
async fn set_all(store: &Arc<dyn Store>, count: u64) -> Duration {
    let started = Instant::now();
    let mut n = 0;
    while n < count {
        let plugin = format!("plugin-{}", n / PER_PLUGIN);
        let outcomes = (n..count.min(n + OUTCOMES as u64))
            .map(|i| {
                let due = T0 + (i * 7919) % 3_600_000; // spread over the hour, not in order
                let commit = Commit {
                    timers: vec![TimerChange::Set(timer(i, due))],
                    ..Commit::default()
                };
                (i, commit)
            })
            .collect::<Vec<_>>();
        n += outcomes.len() as u64;
        store.commit_all_async(&plugin, outcomes).await.unwrap();
    }
    store.flush_async().await.unwrap();
    started.elapsed()
}

/// 2100-01-01 00:00 UTC: every benchmark timer is due within the hour after it, long after the
/// latency run, which fires on the system's clock with all of them pending.
const T0: u64 = 4_102_444_800_000;

/// Runs the real firer on a manual clock set past every timer, with a releaser that lets the
/// journal forget what it fired (as the daemon's does once plugins are done with it).
async fn fire_all(store: &Arc<dyn Store>, count: u64) -> Duration {
    let clock = Arc::new(ManualClock::new(T0 + 3_600_000));
    let ingress = Ingress::new(store.clone()).unwrap();
    let stop = CancellationToken::new();
    spawn_releaser(
        store.clone(),
        &ingress,
        Arc::new(AtomicU64::new(Seq::MAX)),
        stop.clone(),
    );
    let started = Instant::now();
    spawn_firer(
        Timers::new(store.clone(), clock),
        ingress.clone(),
        stop.clone(),
    );
    let mut head = ingress.subscribe();
    let first = store.head().unwrap();
    while store.next_due().unwrap().is_some() {
        let _ = tokio::time::timeout(Duration::from_millis(100), head.changed()).await;
    }
    let took = started.elapsed();
    assert!(store.head().unwrap() - first >= count);
    stop.cancel();
    took
}

/// Releases what is appended up to `read` (what the reader is past), at once when an append
/// finds the journal full.
fn spawn_releaser(
    store: Arc<dyn Store>,
    ingress: &Ingress,
    read: Arc<AtomicU64>,
    stop: CancellationToken,
) {
    let wake = ingress.release_wake();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = wake.wanted() => {}
                () = tokio::time::sleep(Duration::from_millis(20)) => {}
                () = stop.cancelled() => return,
            }
            let head = store.head().unwrap().min(read.load(Ordering::Acquire));
            store.release_before(head, &BTreeSet::new()).unwrap();
            wake.ran();
        }
    });
}

/// 200 timers due 20 ms apart, fired by the firer on the system clock, while other tasks flood
/// the store with accepts and kv commits; how late each reaches the journal.
async fn latency_under_load(store: &Arc<dyn Store>) -> String {
    let ingress = Ingress::new(store.clone()).unwrap();
    let stop = CancellationToken::new();
    let read = Arc::new(AtomicU64::new(store.head().unwrap()));
    spawn_releaser(store.clone(), &ingress, read.clone(), stop.clone());
    let timers = Timers::new(store.clone(), Arc::new(SystemClock));
    spawn_firer(timers.clone(), ingress.clone(), stop.clone());
    let loaded = Arc::new(AtomicBool::new(true));
    let mut load = Vec::new();
    for worker in 0..4 {
        load.push(tokio::spawn(flood(
            store.clone(),
            ingress.clone(),
            worker,
            loaded.clone(),
        )));
    }
    let start = unix_ms() + 500;
    let probes: Vec<Commit> = (0..200u64)
        .map(|i| Commit {
            timers: vec![TimerChange::Set(timer(i, start + i * 20))],
            ..Commit::default()
        })
        .collect();
    // Async: the blocking `commit` must not run on a runtime's thread.
    let outcomes = (0..).map(|i| u64::MAX - i).zip(probes).collect();
    store.commit_all_async("probe", outcomes).await.unwrap();
    timers.wake();
    let late = watch_probes(store, &ingress, &read, 200).await;
    loaded.store(false, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
    stop.cancel();
    let pick = |q: f64| late[((late.len() - 1) as f64 * q) as usize];
    format!(
        "{} ms / {} ms / {} ms",
        pick(0.5),
        pick(0.99),
        late.last().unwrap()
    )
}

/// Accepts events and commits kv writes as fast as the store takes them.
async fn flood(store: Arc<dyn Store>, ingress: Ingress, worker: u64, loaded: Arc<AtomicBool>) {
    let mut n = 0u64;
    while loaded.load(Ordering::Relaxed) {
        let inbound = Inbound {
            bot: "sim".into(),
            rank: Default::default(),
            dedupe_key: None,
            event: Event::Other(OtherEvent {
                chat: None,
                kind: "load".into(),
                raw: "{}".into(),
            }),
            timer: None,
        };
        let seq = match ingress.accept(inbound).await {
            Ok(appended) => appended.seq(),
            Err(_) => continue,
        };
        let commit = Commit {
            kv: vec![(format!("k{worker}-{n}"), Some(vec![0; 64]))],
            ..Commit::default()
        };
        store
            .commit_all_async(&format!("load-{worker}"), vec![(seq, commit)])
            .await
            .unwrap();
        n += 1;
    }
}

/// Reads the journal as it grows until `n` probe timers have arrived; how late each was (the
/// moment it was readable, minus its due time), sorted.
async fn watch_probes(
    store: &Arc<dyn Store>,
    ingress: &Ingress,
    read: &AtomicU64,
    n: usize,
) -> Vec<u64> {
    let mut head = ingress.subscribe();
    let mut cursor = store.head().unwrap();
    let mut late = Vec::with_capacity(n);
    while late.len() < n {
        let _ = tokio::time::timeout(Duration::from_millis(50), head.changed()).await;
        let seen = unix_ms();
        for (seq, inbound) in store.read(cursor, 100_000).unwrap() {
            cursor = seq + 1;
            if let Some(fired) = inbound.timer.filter(|t| t.plugin == "probe") {
                late.push(seen.saturating_sub(fired.due_at));
            }
        }
        read.store(cursor, Ordering::Release);
    }
    late.sort_unstable();
    late
}

fn file_mb(path: &std::path::Path) -> f64 {
    std::fs::metadata(path).map_or(0, |m| m.len()) as f64 / 1e6
}

/// A field of `/proc/self/status`, in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn rss_kib() -> u64 {
    status_kib("VmRSS:")
}

fn peak_kib() -> u64 {
    status_kib("VmHWM:")
}
