//! The durable store: one redb file. Every method is one transaction (`append` and `commit` may
//! share theirs with concurrent callers, see `batch`), and `commit` writes the finished-marker,
//! the actions and the kv writes of an event in a single one, so a crash leaves either all of
//! them or none.

mod batch;
pub(super) mod export;
mod tables;
mod timers;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::ops::Bound;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use ::redb::{
    Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition,
    WriteTransaction,
};

use self::tables::Tables;
use super::writes::{Write, Writer};
use super::Bounds;
use super::{
    ActionId, Appended, DeadLetter, DeliveryOutcome, Indexed, MessageKey, Outcome, Pending, Seq,
    Store, StoreError, Uncommitted,
};
use crate::model::Action;
use crate::model::Inbound;
use crate::store::{
    CompletionStore, DeadLetterStore, JournalStore, KvStore, MessageIndex, OutboxStore,
};

/// seq → JSON `Inbound`.
const JOURNAL: TableDefinition<u64, &[u8]> = TableDefinition::new("journal");
/// (bot, platform event id) → seq.
const DEDUPE: TableDefinition<(&str, &str), u64> = TableDefinition::new("dedupe");
/// insertion number → (bot, platform event id): which dedupe keys to forget first.
const DEDUPE_ORDER: TableDefinition<u64, (&str, &str)> = TableDefinition::new("dedupe_order");
/// (plugin, seq) → ().
const FINISHED: TableDefinition<(&str, u64), ()> = TableDefinition::new("finished");
/// (plugin, key) → value.
const KV: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("kv");
/// action id → JSON `Stored` action; `OUTBOX_QUEUE` indexes it by bot and plugin.
const OUTBOX: TableDefinition<u64, &[u8]> = TableDefinition::new("outbox");
const OUTBOX_QUEUE: TableDefinition<(&str, &str, u64), ()> = TableDefinition::new("outbox_queue");
/// plugin → how many of its actions wait in the outbox (recounted on open).
const OUTBOX_WAITING: TableDefinition<&str, u64> = TableDefinition::new("outbox_waiting");
/// The index of earlier versions, (bot, action id): moved into `OUTBOX_QUEUE` on open.
const OUTBOX_BOT: TableDefinition<(&str, u64), ()> = TableDefinition::new("outbox_bot");
/// action id → JSON `DeadLetter`.
const DEAD: TableDefinition<u64, &[u8]> = TableDefinition::new("dead");
/// (bot, chat, id) → JSON `Indexed`.
const MESSAGES: TableDefinition<(&str, &str, &str), &[u8]> = TableDefinition::new("messages");
const MESSAGE_ORDER: TableDefinition<u64, (&str, &str, &str)> =
    TableDefinition::new("message_order");
/// plugin → its place in the journal, as last saved.
const PLACES: TableDefinition<&str, u64> = TableDefinition::new("places");
/// Counters.
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// (plugin, slot) → JSON `Timer`: timers by key, schedules by `"\0" + name` (see
/// `store::timer::slot`).
const TIMERS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("timers");
/// (due, plugin, slot) → (): what the firer reads, soonest first.
const TIMER_DUE: TableDefinition<(u64, &str, &str), ()> = TableDefinition::new("timer_due");
/// plugin → how many timers it has pending (schedules not counted), for its quota.
const TIMER_COUNTS: TableDefinition<&str, u64> = TableDefinition::new("timer_counts");

/// An action in the outbox, as stored: JSON `{"plugin", "bot", "action"}`.
/// The fjall store keeps the same rows.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct Stored {
    pub plugin: String,
    /// The action's bot again, for [`Owner`]; rows written before it was stored have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot: Option<String>,
    pub action: Action,
}

/// What taking an action out of the outbox needs of its row, read without decoding the
/// action (which would be a tenth of recording a delivery's outcome).
#[derive(serde::Deserialize)]
struct Owner<'a> {
    #[serde(borrow)]
    plugin: std::borrow::Cow<'a, str>,
    #[serde(borrow, default)]
    bot: Option<std::borrow::Cow<'a, str>>,
}

pub struct RedbStore {
    /// Runs the hot writes, batched (see `batch`); dropped first, so its thread has let go of
    /// the file when the store is gone.
    writer: Writer,
    file: Arc<StoreFile>,
}

/// The database and what the writer thread shares with every reader.
pub(super) struct StoreFile {
    db: Database,
    limits: Bounds,
    /// Actions below this id are on disk: the outbox may deliver them (see `batch`).
    durable_actions: AtomicU64,
    /// The last transaction was written without an fsync (see `batch`).
    unflushed: AtomicBool,
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbStore")
            .field("limits", &self.file.limits)
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

impl RedbStore {
    /// Opens (or creates) the store file; `limits` bound the journal, outbox and indexes.
    pub fn open(path: &Path, limits: Bounds) -> Result<Self, StoreError> {
        let db = create(path)?;
        let file = Arc::new(StoreFile {
            db,
            limits,
            durable_actions: AtomicU64::new(0),
            unflushed: AtomicBool::new(false),
        });
        file.write_tx(|tx| {
            // Create every table, so readers never meet a missing one.
            tx.open_table(JOURNAL).map_err(backend)?;
            tx.open_table(DEDUPE).map_err(backend)?;
            tx.open_table(DEDUPE_ORDER).map_err(backend)?;
            tx.open_table(FINISHED).map_err(backend)?;
            tx.open_table(KV).map_err(backend)?;
            tx.open_table(OUTBOX).map_err(backend)?;
            tx.open_table(OUTBOX_QUEUE).map_err(backend)?;
            tx.open_table(DEAD).map_err(backend)?;
            tx.open_table(MESSAGES).map_err(backend)?;
            tx.open_table(MESSAGE_ORDER).map_err(backend)?;
            tx.open_table(META).map_err(backend)?;
            tx.open_table(PLACES).map_err(backend)?;
            // A file of a version before timers gets their tables here, empty.
            tx.open_table(TIMERS).map_err(backend)?;
            tx.open_table(TIMER_DUE).map_err(backend)?;
            tx.open_table(TIMER_COUNTS).map_err(backend)?;
            migrate_outbox_index(tx)?;
            recount_waiting(tx)
        })?;
        // Everything in the file at start is durable.
        let actions = file.read_tx(|tx| peek(tx, "next_action"))?;
        file.durable_actions.store(actions, Ordering::Release);
        let writer = file.clone();
        let writer = Writer::start("wasmbot-store", move |batch| writer.run_batch(batch))?;
        Ok(Self { writer, file })
    }

    /// Rewrites the file at `path` without its free pages, before a store opens it.
    pub fn compact_file(path: &Path) -> Result<(), StoreError> {
        let mut db = create(path)?;
        while db.compact().map_err(backend)? {}
        Ok(())
    }
}

/// Opens or creates the database file (and its folder).
fn create(path: &Path) -> Result<Database, StoreError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(backend)?;
    }
    Database::create(path).map_err(|e| StoreError::Backend(format!("{}: {e}", path.display())))
}

impl StoreFile {
    /// Runs `f` in a write transaction and commits it if `f` succeeds.
    fn write_tx<T>(
        &self,
        f: impl FnOnce(&WriteTransaction) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let tx = self.db.begin_write().map_err(backend)?;
        let value = f(&tx)?;
        tx.commit().map_err(backend)?;
        Ok(value)
    }

    fn read_tx<T>(
        &self,
        f: impl FnOnce(&::redb::ReadTransaction) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let tx = self.db.begin_read().map_err(backend)?;
        f(&tx)
    }
}

fn peek(tx: &::redb::ReadTransaction, counter: &str) -> Result<u64, StoreError> {
    let meta = tx.open_table(META).map_err(backend)?;
    Ok(meta
        .get(counter)
        .map_err(backend)?
        .map(|v| v.value())
        .unwrap_or(0))
}

/// The first plugin with finished-markers after `after` (in name order), if any.
fn next_plugin(
    finished: &impl ReadableTable<(&'static str, u64), ()>,
    after: Option<&str>,
) -> Result<Option<String>, StoreError> {
    let start = match after {
        None => Bound::Unbounded,
        Some(plugin) => Bound::Excluded((plugin, u64::MAX)),
    };
    let first = finished
        .range::<(&str, u64)>((start, Bound::Unbounded))
        .map_err(backend)?
        .next();
    match first {
        Some(entry) => Ok(Some(entry.map_err(backend)?.0.value().0.to_string())),
        None => Ok(None),
    }
}

/// Counts every plugin's waiting actions afresh from the outbox index (a file of an earlier
/// version has no counts; and a count can never drift for long).
fn recount_waiting(tx: &WriteTransaction) -> Result<(), StoreError> {
    let mut counts: HashMap<String, u64> = HashMap::new();
    for entry in tx
        .open_table(OUTBOX_QUEUE)
        .map_err(backend)?
        .iter()
        .map_err(backend)?
    {
        let (key, _) = entry.map_err(backend)?;
        *counts.entry(key.value().1.to_string()).or_default() += 1;
    }
    tx.delete_table(OUTBOX_WAITING).map_err(backend)?;
    let mut table = tx.open_table(OUTBOX_WAITING).map_err(backend)?;
    for (plugin, waiting) in counts {
        table.insert(plugin.as_str(), waiting).map_err(backend)?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl JournalStore for RedbStore {
    fn append(&self, inbound: &Inbound, messages: &[MessageKey]) -> Result<Appended, StoreError> {
        futures::executor::block_on(self.append_async(inbound, messages))
    }

    async fn append_async(
        &self,
        inbound: &Inbound,
        messages: &[MessageKey],
    ) -> Result<Appended, StoreError> {
        self.writer.append(inbound, messages).await
    }

    fn read(&self, from: Seq, max: usize) -> Result<Vec<(Seq, Inbound)>, StoreError> {
        self.file.read_tx(|tx| {
            let journal = tx.open_table(JOURNAL).map_err(backend)?;
            let mut events = Vec::new();
            for entry in journal.range(from..).map_err(backend)?.take(max) {
                let (seq, bytes) = entry.map_err(backend)?;
                events.push((seq.value(), from_json(bytes.value())?));
            }
            Ok(events)
        })
    }

    fn head(&self) -> Result<Seq, StoreError> {
        self.file.read_tx(|tx| peek(tx, "next_seq"))
    }

    fn release_before(&self, seq: Seq, keep: &BTreeSet<Seq>) -> Result<(), StoreError> {
        self.file.write_tx(|tx| {
            let mut journal = tx.open_table(JOURNAL).map_err(backend)?;
            journal
                .retain_in(..seq, |s, _| keep.contains(&s))
                .map_err(backend)?;
            // Per plugin, only the markers before `seq`: a plugin far ahead has many after it.
            let mut finished = tx.open_table(FINISHED).map_err(backend)?;
            let mut plugin: Option<String> = None;
            while let Some(next) = next_plugin(&finished, plugin.as_deref())? {
                let range = (next.as_str(), 0)..(next.as_str(), seq);
                finished
                    .retain_in(range, |(_, s), _| keep.contains(&s))
                    .map_err(backend)?;
                plugin = Some(next);
            }
            Ok(())
        })
    }

    fn places(&self) -> Result<Vec<(String, Seq)>, StoreError> {
        self.file.read_tx(|tx| {
            let places = tx.open_table(PLACES).map_err(backend)?;
            let mut all = Vec::new();
            for entry in places.iter().map_err(backend)? {
                let (plugin, seq) = entry.map_err(backend)?;
                all.push((plugin.value().to_string(), seq.value()));
            }
            Ok(all)
        })
    }

    fn save_places(&self, places: &[(String, Seq)]) -> Result<(), StoreError> {
        self.file.write_tx(|tx| {
            let mut table = tx.open_table(PLACES).map_err(backend)?;
            table.retain(|_, _| false).map_err(backend)?;
            for (plugin, seq) in places {
                table.insert(plugin.as_str(), seq).map_err(backend)?;
            }
            Ok(())
        })
    }
}

#[async_trait::async_trait]
impl CompletionStore for RedbStore {
    fn is_finished(&self, plugin: &str, seq: Seq) -> Result<bool, StoreError> {
        self.file.read_tx(|tx| {
            Ok(tx
                .open_table(FINISHED)
                .map_err(backend)?
                .get((plugin, seq))
                .map_err(backend)?
                .is_some())
        })
    }

    fn commit_all(&self, plugin: &str, outcomes: Vec<Outcome>) -> Result<(), Uncommitted> {
        futures::executor::block_on(self.writer.commit_in_parts(plugin, outcomes))
    }

    async fn commit_all_async(
        &self,
        plugin: &str,
        outcomes: Vec<Outcome>,
    ) -> Result<(), Uncommitted> {
        self.writer.commit_in_parts(plugin, outcomes).await
    }

    fn sync(&self) -> Result<(), StoreError> {
        futures::executor::block_on(self.sync_async())
    }

    async fn sync_async(&self) -> Result<(), StoreError> {
        let next = self.file.read_tx(|tx| peek(tx, "next_action"))?;
        if next > self.file.durable_actions.load(Ordering::Acquire) {
            self.writer.submit(Write::Sync).await?;
        }
        Ok(())
    }

    fn unflushed(&self) -> bool {
        self.file.unflushed.load(Ordering::Acquire)
    }
}

impl KvStore for RedbStore {
    fn kv_get(&self, plugin: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.file.read_tx(|tx| {
            let kv = tx.open_table(KV).map_err(backend)?;
            Ok(kv
                .get((plugin, key))
                .map_err(backend)?
                .map(|v| v.value().to_vec()))
        })
    }

    fn kv_list(&self, plugin: &str, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.file.read_tx(|tx| {
            let kv = tx.open_table(KV).map_err(backend)?;
            let mut keys = Vec::new();
            for entry in kv.range((plugin, prefix)..).map_err(backend)? {
                let (key, _) = entry.map_err(backend)?;
                let (p, k) = key.value();
                if p != plugin || !k.starts_with(prefix) {
                    break;
                }
                keys.push(k.to_string());
            }
            Ok(keys)
        })
    }

    fn kv_usage(&self, plugin: &str) -> Result<u64, StoreError> {
        self.file.read_tx(|tx| {
            let kv = tx.open_table(KV).map_err(backend)?;
            let mut total = 0u64;
            for entry in kv.range((plugin, "")..).map_err(backend)? {
                let (key, value) = entry.map_err(backend)?;
                let (p, k) = key.value();
                if p != plugin {
                    break;
                }
                total += (k.len() + value.value().len()) as u64;
            }
            Ok(total)
        })
    }
}

#[async_trait::async_trait]
impl OutboxStore for RedbStore {
    fn outbox_pending(
        &self,
        bot: &str,
        per_plugin: usize,
        known: &HashSet<ActionId>,
        ended: &HashSet<ActionId>,
    ) -> Result<Vec<Pending>, StoreError> {
        let durable = self.file.durable_actions.load(Ordering::Acquire);
        self.file.read_tx(|tx| {
            let queue = tx.open_table(OUTBOX_QUEUE).map_err(backend)?;
            let outbox = tx.open_table(OUTBOX).map_err(backend)?;
            let mut pending = Vec::new();
            let mut previous: Option<String> = None;
            loop {
                // Jump to the next plugin with actions for this bot.
                let start = match &previous {
                    None => Bound::Included((bot, "", 0)),
                    Some(plugin) => Bound::Excluded((bot, plugin.as_str(), u64::MAX)),
                };
                let Some(first) = queue
                    .range((start, Bound::Unbounded))
                    .map_err(backend)?
                    .next()
                else {
                    break;
                };
                let (key, _) = first.map_err(backend)?;
                let (b, plugin, _) = key.value();
                if b != bot {
                    break;
                }
                let plugin = plugin.to_string();
                let ids = queue
                    .range((bot, plugin.as_str(), 0)..=(bot, plugin.as_str(), u64::MAX))
                    .map_err(backend)?
                    .map(|entry| entry.map(|(key, _)| key.value().2))
                    .filter(|id| !id.as_ref().is_ok_and(|id| ended.contains(id)))
                    .take(per_plugin);
                for id in ids {
                    let id = id.map_err(backend)?;
                    if id >= durable {
                        break; // not on disk yet: a crash could still take it back
                    }
                    if known.contains(&id) {
                        continue;
                    }
                    if let Some(bytes) = outbox.get(id).map_err(backend)? {
                        let stored: Stored = from_json(bytes.value())?;
                        pending.push(Pending {
                            id,
                            plugin: stored.plugin,
                            action: stored.action,
                        });
                    }
                }
                previous = Some(plugin);
            }
            Ok(pending)
        })
    }

    fn outbox_record(&self, outcomes: Vec<(ActionId, DeliveryOutcome)>) -> Result<(), StoreError> {
        futures::executor::block_on(self.writer.record_in_parts(outcomes))
    }

    async fn outbox_record_async(
        &self,
        outcomes: Vec<(ActionId, DeliveryOutcome)>,
    ) -> Result<(), StoreError> {
        self.writer.record_in_parts(outcomes).await
    }
}

impl DeadLetterStore for RedbStore {
    fn dead_letters(&self, max: usize) -> Result<Vec<DeadLetter>, StoreError> {
        self.file.read_tx(|tx| {
            let dead = tx.open_table(DEAD).map_err(backend)?;
            let mut letters = Vec::new();
            for entry in dead.iter().map_err(backend)?.take(max) {
                letters.push(from_json(entry.map_err(backend)?.1.value())?);
            }
            Ok(letters)
        })
    }

    fn dead_retry(&self, id: ActionId) -> Result<bool, StoreError> {
        self.file.write_tx(|tx| {
            let Some(bytes) = tx
                .open_table(DEAD)
                .map_err(backend)?
                .remove(id)
                .map_err(backend)?
                .map(|v| v.value().to_vec())
            else {
                return Ok(false);
            };
            let letter: DeadLetter = from_json(&bytes)?;
            Tables::open(tx)?.enqueue(&letter.plugin, letter.action)?;
            Ok(true)
        })
    }

    fn dead_drop(&self, id: ActionId) -> Result<bool, StoreError> {
        self.file.write_tx(|tx| {
            Ok(tx
                .open_table(DEAD)
                .map_err(backend)?
                .remove(id)
                .map_err(backend)?
                .is_some())
        })
    }
}

impl MessageIndex for RedbStore {
    fn index_message(&self, key: MessageKey, indexed: Indexed) -> Result<(), StoreError> {
        self.file.write_tx(|tx| {
            Tables::open(tx)?.remember_message(&key, &indexed, self.file.limits.messages)
        })
    }

    fn lookup_message(&self, key: &MessageKey) -> Result<Option<Indexed>, StoreError> {
        self.file.read_tx(|tx| {
            let messages = tx.open_table(MESSAGES).map_err(backend)?;
            match messages
                .get((key.bot.as_str(), key.chat.as_str(), key.id.as_str()))
                .map_err(backend)?
            {
                Some(bytes) => Ok(Some(from_json(bytes.value())?)),
                None => Ok(None),
            }
        })
    }
}

#[async_trait::async_trait]
impl Store for RedbStore {
    fn flush(&self) -> Result<(), StoreError> {
        futures::executor::block_on(self.flush_async())
    }

    async fn flush_async(&self) -> Result<(), StoreError> {
        if self.unflushed() {
            self.writer.submit(Write::Sync).await?;
        }
        Ok(())
    }
}

/// Moves the outbox index of earlier versions, by (bot, id), to the one by (bot, plugin, id).
fn migrate_outbox_index(tx: &WriteTransaction) -> Result<(), StoreError> {
    let old = tx.open_table(OUTBOX_BOT).map_err(backend)?;
    if old.is_empty().map_err(backend)? {
        drop(old);
        return tx.delete_table(OUTBOX_BOT).map(|_| ()).map_err(backend);
    }
    drop(old);
    let outbox = tx.open_table(OUTBOX).map_err(backend)?;
    let mut queue = tx.open_table(OUTBOX_QUEUE).map_err(backend)?;
    for entry in outbox.iter().map_err(backend)? {
        let (id, bytes) = entry.map_err(backend)?;
        let stored: Stored = from_json(bytes.value())?;
        let bot = stored.action.chat().bot.as_str();
        queue
            .insert((bot, stored.plugin.as_str(), id.value()), ())
            .map_err(backend)?;
    }
    drop((outbox, queue));
    tx.delete_table(OUTBOX_BOT).map(|_| ()).map_err(backend)
}
