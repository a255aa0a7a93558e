//! The durable store on fjall, an LSM tree: every write is appended to one log (fjall's
//! journal) and sorted into tables in the background, so an event costs the bytes it carries,
//! not the B-tree pages it touches (see BENCHMARKS.md, "Storage layout"). Each kind of row
//! has its partition, keyed by ordered tuples (`keys`); a transaction spans partitions, so a
//! commit's finished-marker, actions and kv writes are stored together or not at all.
//!
//! The hot writes run in shared transactions on one writer thread (`store::writes`), with
//! the same durability rules as the redb store: accepts, fires and commits with actions are
//! fsynced before their callers hear back; delivery outcomes and commits without actions are
//! made durable by the next fsync (a crash loses a suffix of them, never a middle part).

mod batch;
mod keys;
mod migrate;
mod reads;
mod timers;
mod tx;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use fjall::{PartitionCreateOptions, PersistMode, TxKeyspace, TxPartitionHandle};

use super::writes::Writer;
use super::{Bounds, StoreError};

pub use migrate::migrate_from_redb;

/// The partitions, one per kind of row. Counters (next ids, row counts) live in `meta`.
pub(super) struct Parts {
    /// seq → JSON `Inbound`.
    journal: TxPartitionHandle,
    /// (bot, platform event id) → seq.
    dedupe: TxPartitionHandle,
    /// insertion number → (bot, platform event id): which dedupe keys to forget first.
    dedupe_order: TxPartitionHandle,
    /// (plugin, seq) → empty.
    finished: TxPartitionHandle,
    /// (plugin, key) → value.
    kv: TxPartitionHandle,
    /// action id → JSON `Stored` action.
    outbox: TxPartitionHandle,
    /// (bot, plugin, action id) → empty: the outbox by bot and plugin.
    outbox_queue: TxPartitionHandle,
    /// plugin → how many of its actions wait.
    outbox_waiting: TxPartitionHandle,
    /// action id → JSON `DeadLetter`.
    dead: TxPartitionHandle,
    /// (bot, chat, id) → JSON `Indexed`.
    messages: TxPartitionHandle,
    /// insertion number → the `messages` key: which to forget first.
    message_order: TxPartitionHandle,
    /// plugin → its place in the journal.
    places: TxPartitionHandle,
    /// counter name → u64.
    meta: TxPartitionHandle,
    /// (plugin, slot) → JSON `Timer`.
    timers: TxPartitionHandle,
    /// (due, plugin, slot) → empty.
    timer_due: TxPartitionHandle,
    /// plugin → its pending timers (schedules not counted).
    timer_counts: TxPartitionHandle,
}

/// The fjall store.
pub struct FjallStore {
    writer: Writer,
    space: Arc<Space>,
}

/// The keyspace and what the writer thread shares with every reader.
pub(super) struct Space {
    keyspace: TxKeyspace,
    parts: Parts,
    limits: Bounds,
    /// Actions below this id are on disk: the outbox may deliver them.
    durable_actions: AtomicU64,
    /// The last transaction was written without an fsync.
    unflushed: AtomicBool,
    /// Where scans of rows removed from the front start (see `Floors`).
    floors: std::sync::Mutex<Floors>,
    /// Held while the store is open (dropped last): fjall itself does not keep a second
    /// process, or a second store in this one, out of its folder.
    _lock: std::fs::File,
}

impl std::fmt::Debug for FjallStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FjallStore")
            .field("limits", &self.space.limits)
            .finish()
    }
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(backend)
}

fn from_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(backend)
}

/// Memory the store may hold: the block cache, and the memtables of all partitions together.
/// Small, because the hot rows are short-lived (an event lives until every plugin is past it)
/// and the daemon's memory budget is tens of MiB.
const CACHE: u64 = 4 << 20;
const WRITE_BUFFER: u64 = 16 << 20;
const MEMTABLE: u32 = 4 << 20;
/// fjall's own log is kept until every partition has flushed what it holds: bounded, so a
/// partition written rarely is flushed rather than keeping old log files.
const JOURNALING: u64 = 64 << 20;

impl FjallStore {
    /// Opens (or creates) the store in the folder `path`.
    pub fn open(path: &Path, limits: Bounds) -> Result<Self, StoreError> {
        let lock = lock(path)?;
        let keyspace = fjall::Config::new(path)
            .cache_size(CACHE)
            .max_write_buffer_size(WRITE_BUFFER)
            .max_journaling_size(JOURNALING)
            .flush_workers(1)
            .compaction_workers(1)
            .open_transactional()
            .map_err(|e| StoreError::Backend(format!("{}: {e}", path.display())))?;
        let parts = Parts::open(&keyspace)?;
        let floors = std::sync::Mutex::new(Floors::read(&keyspace, &parts)?);
        let space = Arc::new(Space {
            keyspace,
            parts,
            limits,
            durable_actions: AtomicU64::new(0),
            unflushed: AtomicBool::new(false),
            floors,
            _lock: lock,
        });
        // Everything in the folder at start is durable.
        let actions = space.counter("next_action")?;
        space.durable_actions.store(actions, Ordering::Release);
        let writer = space.clone();
        let writer = Writer::start("wasmbot-store", move |batch| writer.run_batch(batch))?;
        Ok(Self { writer, space })
    }
}

/// Below which nothing is left of the rows that are only ever removed from the front: the
/// journal (with the finished-markers, keyed by seq), and each bot and plugin's outbox queue
/// (action ids only grow). An LSM tree keeps a removed row as a tombstone until compaction, so
/// a scan from the start would step over every row removed before; scans start here instead.
#[derive(Debug, Default)]
pub(super) struct Floors {
    journal: u64,
    /// bot → plugin (in name order, as the outbox hands them out) → lowest action id queued.
    outbox: std::collections::HashMap<String, std::collections::BTreeMap<String, u64>>,
}

impl Floors {
    /// Reads them once at open (the only scans from the start).
    fn read(keyspace: &TxKeyspace, parts: &Parts) -> Result<Self, StoreError> {
        let snapshot = keyspace.read_tx();
        let journal = match snapshot.first_key_value(&parts.journal).map_err(backend)? {
            Some((seq, _)) => keys::decode_num(&seq)?,
            None => 0,
        };
        let mut floors = Floors {
            journal,
            ..Floors::default()
        };
        for entry in snapshot.iter(&parts.outbox_queue) {
            let (key, _) = entry.map_err(backend)?;
            let mut reader = keys::Reader::new(&key);
            let (bot, plugin, id) = (reader.text()?, reader.text()?, reader.num()?);
            let plugins = floors.outbox.entry(bot).or_default();
            plugins.entry(plugin).or_insert(id);
        }
        Ok(floors)
    }
}

/// Takes the lock file of the store folder `path` (creating both).
fn lock(path: &Path) -> Result<std::fs::File, StoreError> {
    let failed = |e: std::io::Error| StoreError::Backend(format!("{}: {e}", path.display()));
    std::fs::create_dir_all(path).map_err(failed)?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path.join("wasmbot.lock"))
        .map_err(failed)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Backend(format!(
            "{}: the store is open in another daemon (or one still stopping)",
            path.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(failed(e)),
    }
}

impl Parts {
    fn open(keyspace: &TxKeyspace) -> Result<Self, StoreError> {
        let open = |name: &str| {
            let options = PartitionCreateOptions::default().max_memtable_size(MEMTABLE);
            keyspace.open_partition(name, options).map_err(backend)
        };
        Ok(Self {
            journal: open("journal")?,
            dedupe: open("dedupe")?,
            dedupe_order: open("dedupe_order")?,
            finished: open("finished")?,
            kv: open("kv")?,
            outbox: open("outbox")?,
            outbox_queue: open("outbox_queue")?,
            outbox_waiting: open("outbox_waiting")?,
            dead: open("dead")?,
            messages: open("messages")?,
            message_order: open("message_order")?,
            places: open("places")?,
            meta: open("meta")?,
            timers: open("timers")?,
            timer_due: open("timer_due")?,
            timer_counts: open("timer_counts")?,
        })
    }
}

impl Space {
    fn floors(&self) -> std::sync::MutexGuard<'_, Floors> {
        // A panic while holding it leaves only numbers that are still safe lower bounds.
        self.floors.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A counter's value as committed.
    fn counter(&self, name: &str) -> Result<u64, StoreError> {
        match self.parts.meta.get(name).map_err(backend)? {
            Some(value) => keys::decode_num(&value),
            None => Ok(0),
        }
    }

    /// Runs `f` in a write transaction outside the writer (rare writes: releases, places,
    /// an operator's retries), durably.
    fn write_tx<T>(
        &self,
        f: impl FnOnce(&mut tx::Tx) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut tx = tx::Tx::new(self, Some(PersistMode::SyncData));
        let value = f(&mut tx)?;
        tx.commit()?;
        Ok(value)
    }
}
