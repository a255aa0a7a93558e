//! What the store's hot writes cost: a flood's commit (one event, 100 sends), the 100 delivery
//! outcomes that follow it, and a reply's whole round (accept, commit one send, make it
//! durable, record its outcome), on redb and on fjall. The in-memory store runs the same work
//! in the same process as the baseline.
//!
//! `cargo bench -p wasmbot --bench store` (`-- --save-baseline before` and `-- --baseline
//! before` compare two versions of the code on one machine).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeSet, HashSet};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use wasmbot::model::Action;
use wasmbot::model::{ChatKind, ChatRef, Content, Event, Inbound, OtherEvent, Outgoing};
use wasmbot::store::{
    Bounds, Commit, Delivered, FjallStore, MemoryStore, MessageKey, RedbStore, Store,
};

const FLOOD: usize = 100;

fn chat() -> ChatRef {
    ChatRef {
        platform: "sim".into(),
        bot: "sim".into(),
        kind: ChatKind::Group,
        id: "floody".into(),
        guild: None,
    }
}

fn inbound() -> Inbound {
    Inbound {
        bot: "sim".into(),
        rank: Default::default(),
        dedupe_key: None,
        event: Event::Other(OtherEvent {
            chat: Some(chat()),
            kind: "message".into(),
            raw: "{}".into(),
        }),
        timer: None,
    }
}

/// A plugin's handling of one event: `sends` text messages, each indexed under its handle.
fn commit(round: u64, sends: usize) -> Commit {
    let handles: Vec<String> = (0..sends).map(|i| format!("h-{round}-{i}")).collect();
    Commit {
        actions: handles
            .iter()
            .map(|handle| Action::Send {
                handle: handle.clone(),
                chat: chat(),
                message: Outgoing {
                    content: Content::Text(format!("flood {round} #{handle}")),
                    keyboard: None,
                    mentions: vec![],
                },
                reply_to: None,
            })
            .collect(),
        kv: vec![],
        sent: handles.into_iter().map(key).collect(),
        timers: Vec::new(),
    }
}

fn key(id: String) -> MessageKey {
    MessageKey {
        bot: "sim".into(),
        chat: "floody".into(),
        id,
    }
}

/// One event through the store; the three steps' times come back apart.
struct Round {
    commit: Duration,
    outcomes: Duration,
    whole: Duration,
}

fn round(store: &dyn Store, n: u64, sends: usize) -> Round {
    let start = Instant::now();
    let seq = store.append(&inbound(), &[]).unwrap().seq();
    let before_commit = Instant::now();
    store
        .commit_all("flood", vec![(seq, commit(n, sends))])
        .unwrap();
    let commit = before_commit.elapsed();
    store.sync().unwrap();
    let pending = store
        .outbox_pending("sim", usize::MAX, &HashSet::new(), &HashSet::new())
        .unwrap();
    let outcomes: Vec<_> = pending
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let Action::Send { handle, .. } = p.action else {
                unreachable!("only sends are queued")
            };
            let sent = Delivered {
                handle: key(handle),
                platform_id: format!("p-{n}-{i}"),
                plugin: p.plugin,
            };
            (p.id, Ok(Some(sent)))
        })
        .collect();
    let before_outcomes = Instant::now();
    store.outbox_record(outcomes).unwrap();
    let outcomes = before_outcomes.elapsed();
    store.release_before(seq + 1, &BTreeSet::new()).unwrap();
    Round {
        commit,
        outcomes,
        whole: start.elapsed(),
    }
}

fn stores() -> Vec<(&'static str, Box<dyn Store>, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let redb = RedbStore::open(&dir.path().join("store.redb"), Bounds::default()).unwrap();
    let fjall_dir = tempfile::tempdir().unwrap();
    let fjall = FjallStore::open(&fjall_dir.path().join("store"), Bounds::default()).unwrap();
    vec![
        (
            "memory",
            Box::new(MemoryStore::new(Bounds::default())),
            None,
        ),
        ("redb", Box::new(redb), Some(dir)),
        ("fjall", Box::new(fjall), Some(fjall_dir)),
    ]
}

/// Runs `iters` rounds and adds up the part `pick` times.
fn timed(
    store: &dyn Store,
    n: &mut u64,
    iters: u64,
    sends: usize,
    pick: fn(&Round) -> Duration,
) -> Duration {
    (0..iters)
        .map(|_| {
            *n += 1;
            pick(&round(store, *n, sends))
        })
        .sum()
}

fn hot_writes(c: &mut Criterion) {
    for (name, store, _dir) in stores() {
        let store = store.as_ref();
        let mut n = 0u64;
        let mut group = c.benchmark_group(name);
        group.sample_size(30);
        group.bench_function("flood commit (100 sends)", |b| {
            b.iter_custom(|iters| timed(store, &mut n, iters, FLOOD, |r| r.commit))
        });
        group.bench_function("flood outcomes (100)", |b| {
            b.iter_custom(|iters| timed(store, &mut n, iters, FLOOD, |r| r.outcomes))
        });
        group.bench_function("reply round", |b| {
            b.iter_custom(|iters| timed(store, &mut n, iters, 1, |r| r.whole))
        });
        group.finish();
    }
}

criterion_group!(benches, hot_writes);
criterion_main!(benches);
