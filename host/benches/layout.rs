//! Which storage layout writes least for the daemon's hot path: the same per-event writes (an
//! accept, a commit with one action, the delivery's outcome, a release now and then) against
//! redb's B-trees (the store today: a table per kind) and fjall's LSM (a partition per kind, a
//! write-ahead journal). It models the store's access pattern with raw bytes, not the store
//! itself: a measurement to choose a layout by, before building one.
//!
//! `cargo bench -p wasmbot --bench layout` prints bytes written (`/proc/self/io`) and time per
//! event, with every write group durable (fsync), for groups of 1 event (one sender) and 64
//! (many senders at once).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use redb::{Database, Durability, TableDefinition};

const EVENTS: u64 = 20_000;
const RELEASE_EVERY: u64 = 256;
/// fjall's memtable size: a run flushes each busy partition several times.
const MEMTABLE: u32 = 512 * 1024;

fn main() {
    println!("| layout | events per group | bytes written per event | time per event |");
    println!("|---|---|---|---|");
    for group in [1, 64] {
        let events = if group == 1 { EVENTS / 10 } else { EVENTS };
        report("redb, a table per kind", group, events, run_redb);
        report("fjall, a partition per kind", group, events, run_fjall);
    }
}

fn report(name: &str, group: u64, events: u64, run: fn(&std::path::Path, u64, u64)) {
    let dir = tempfile::tempdir().unwrap();
    let (bytes, started) = (written(), Instant::now());
    run(dir.path(), group, events);
    let (bytes, took) = (written() - bytes, started.elapsed());
    let per = |d: Duration| d / events as u32;
    println!(
        "| {name} | {group} | {:.1} KB | {:?} |",
        bytes as f64 / events as f64 / 1000.0,
        per(took)
    );
}

/// Bytes this process caused to be written to storage so far.
fn written() -> u64 {
    let io = std::fs::read_to_string("/proc/self/io").unwrap();
    io.lines()
        .find_map(|l| l.strip_prefix("write_bytes: "))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// A platform id: random-looking, as event and message ids are.
fn id(n: u64, salt: u64) -> String {
    format!("{:016x}", (n ^ salt).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

const EVENT: [u8; 300] = [b'e'; 300];
const ACTION: [u8; 200] = [b'a'; 200];
const INDEXED: [u8; 60] = [b'i'; 60];

const JOURNAL: TableDefinition<u64, &[u8]> = TableDefinition::new("journal");
const DEDUPE: TableDefinition<&str, u64> = TableDefinition::new("dedupe");
const MESSAGES: TableDefinition<&str, &[u8]> = TableDefinition::new("messages");
const ORDER: TableDefinition<u64, &str> = TableDefinition::new("order");
const FINISHED: TableDefinition<u64, ()> = TableDefinition::new("finished");
const OUTBOX: TableDefinition<u64, &[u8]> = TableDefinition::new("outbox");

/// Each phase (accepts, commits, outcomes) of a group is one durable transaction.
fn run_redb(dir: &std::path::Path, group: u64, events: u64) {
    let db = Database::create(dir.join("store.redb")).unwrap();
    let durable = |f: &dyn Fn(&redb::WriteTransaction)| {
        let mut tx = db.begin_write().unwrap();
        tx.set_durability(Durability::Immediate).unwrap();
        f(&tx);
        tx.commit().unwrap();
    };
    for start in (0..events).step_by(group as usize) {
        let range = start..(start + group).min(events);
        durable(&|tx| {
            let (mut journal, mut dedupe) = (
                tx.open_table(JOURNAL).unwrap(),
                tx.open_table(DEDUPE).unwrap(),
            );
            let (mut messages, mut order) = (
                tx.open_table(MESSAGES).unwrap(),
                tx.open_table(ORDER).unwrap(),
            );
            for n in range.clone() {
                journal.insert(n, EVENT.as_slice()).unwrap();
                dedupe.insert(id(n, 1).as_str(), n).unwrap();
                messages
                    .insert(id(n, 2).as_str(), INDEXED.as_slice())
                    .unwrap();
                order.insert(n, id(n, 2).as_str()).unwrap();
            }
        });
        durable(&|tx| {
            let (mut finished, mut outbox) = (
                tx.open_table(FINISHED).unwrap(),
                tx.open_table(OUTBOX).unwrap(),
            );
            for n in range.clone() {
                finished.insert(n, ()).unwrap();
                outbox.insert(n, ACTION.as_slice()).unwrap();
            }
        });
        durable(&|tx| {
            let (mut outbox, mut messages) = (
                tx.open_table(OUTBOX).unwrap(),
                tx.open_table(MESSAGES).unwrap(),
            );
            for n in range.clone() {
                outbox.remove(n).unwrap();
                messages
                    .insert(id(n, 3).as_str(), INDEXED.as_slice())
                    .unwrap();
                messages
                    .insert(id(n, 4).as_str(), INDEXED.as_slice())
                    .unwrap();
            }
            if range.end % RELEASE_EVERY < group {
                let (mut journal, mut finished) = (
                    tx.open_table(JOURNAL).unwrap(),
                    tx.open_table(FINISHED).unwrap(),
                );
                journal
                    .retain(|n, _| n + RELEASE_EVERY >= range.end)
                    .unwrap();
                finished
                    .retain(|n, _| n + RELEASE_EVERY >= range.end)
                    .unwrap();
            }
        });
    }
}

/// The same writes as atomic fjall batches, each persisted with `SyncData`.
fn run_fjall(dir: &std::path::Path, group: u64, events: u64) {
    use fjall::{Config, PartitionCreateOptions, PersistMode};
    let keyspace = Config::new(dir).open().unwrap();
    // Small memtables, so that the run includes flushes and compactions (an LSM's writes
    // that come later) and not only its journal.
    let options = || PartitionCreateOptions::default().max_memtable_size(MEMTABLE);
    let open = |name: &str| keyspace.open_partition(name, options()).unwrap();
    let (journal, dedupe, messages, order) = (
        open("journal"),
        open("dedupe"),
        open("messages"),
        open("order"),
    );
    let (finished, outbox) = (open("finished"), open("outbox"));
    let durable = |batch: fjall::Batch| {
        batch.commit().unwrap();
        keyspace.persist(PersistMode::SyncData).unwrap();
    };
    for start in (0..events).step_by(group as usize) {
        let range = start..(start + group).min(events);
        let mut batch = keyspace.batch();
        for n in range.clone() {
            batch.insert(&journal, n.to_be_bytes(), EVENT);
            batch.insert(&dedupe, id(n, 1), n.to_be_bytes());
            batch.insert(&messages, id(n, 2), INDEXED);
            batch.insert(&order, n.to_be_bytes(), id(n, 2));
        }
        durable(batch);
        let mut batch = keyspace.batch();
        for n in range.clone() {
            batch.insert(&finished, n.to_be_bytes(), []);
            batch.insert(&outbox, n.to_be_bytes(), ACTION);
        }
        durable(batch);
        let mut batch = keyspace.batch();
        for n in range.clone() {
            batch.remove(&outbox, n.to_be_bytes());
            batch.insert(&messages, id(n, 3), INDEXED);
            batch.insert(&messages, id(n, 4), INDEXED);
        }
        if range.end % RELEASE_EVERY < group {
            for n in range.end.saturating_sub(RELEASE_EVERY + group)
                ..range.end.saturating_sub(RELEASE_EVERY)
            {
                batch.remove(&journal, n.to_be_bytes());
                batch.remove(&finished, n.to_be_bytes());
            }
        }
        durable(batch);
    }
}
