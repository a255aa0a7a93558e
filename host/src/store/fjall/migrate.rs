//! Moving a data dir's redb store into fjall, once, on start.
//!
//! The rows are copied in chunks into a fresh fjall folder, made durable, and only then is
//! the redb file renamed to `*.migrated` (kept as a backup). A crash before the rename leaves
//! the redb file in place, and the next start throws the partial copy away and begins again.

use std::collections::HashMap;
use std::path::Path;

use fjall::PersistMode;

use super::keys::{self, Key};
use super::tx::Tx;
use super::{backend, from_json, FjallStore};
use crate::store::redb::export::{export, Row};
use crate::store::redb::{RedbStore, Stored};
use crate::store::timer::is_schedule_slot;
use crate::store::{Bounds, StoreError};

/// Rows per transaction while copying.
const CHUNK: usize = 4096;

/// Copies the redb store at `redb` (if there is one) into a new fjall store at `fjall`, and
/// renames the redb file. Returns how many rows were copied; `None`: nothing to migrate.
pub fn migrate_from_redb(redb: &Path, fjall: &Path) -> Result<Option<usize>, StoreError> {
    if !redb.exists() {
        return Ok(None);
    }
    // Opening it brings a file of an earlier version to the current layout first.
    drop(RedbStore::open(redb, Bounds::default())?);
    if fjall.exists() {
        std::fs::remove_dir_all(fjall).map_err(|e| {
            backend(format!(
                "cannot remove a partial copy {}: {e}",
                fjall.display()
            ))
        })?;
    }
    let store = FjallStore::open(fjall, Bounds::default())?;
    let mut copy = Copy::default();
    let mut rows = Vec::with_capacity(CHUNK);
    export(redb, &mut |row| {
        rows.push(row);
        if rows.len() == CHUNK {
            copy.write(&store, std::mem::take(&mut rows))?;
        }
        Ok(())
    })?;
    copy.write(&store, rows)?;
    copy.finish(&store)?;
    store
        .space
        .keyspace
        .persist(PersistMode::SyncAll)
        .map_err(backend)?;
    drop(store);
    let backup = redb.with_extension("redb.migrated");
    std::fs::rename(redb, &backup).map_err(|e| {
        backend(format!(
            "cannot rename {} after moving it: {e}",
            redb.display()
        ))
    })?;
    Ok(Some(copy.rows))
}

/// What the copy counts on its way, for the counters fjall keeps and redb did not.
#[derive(Default)]
struct Copy {
    rows: usize,
    /// Row counts, and the first number of each order (dedupe keys, messages).
    lens: HashMap<&'static str, u64>,
    waiting: HashMap<String, u64>,
    timers: HashMap<String, u64>,
    counters: HashMap<String, u64>,
}

impl Copy {
    /// Notes the number of an order's row; the rows come in order, so the first one stays.
    fn first(&mut self, counter: &'static str, n: u64) {
        self.lens.entry(counter).or_insert(n);
    }

    fn write(&mut self, store: &FjallStore, rows: Vec<Row>) -> Result<(), StoreError> {
        let mut tx = Tx::new(&store.space, None);
        for row in rows {
            self.rows += 1;
            self.put(&mut tx, row)?;
        }
        tx.commit()
    }

    fn put(&mut self, tx: &mut Tx, row: Row) -> Result<(), StoreError> {
        let parts = tx.parts;
        let mut count = |len: &'static str| *self.lens.entry(len).or_default() += 1;
        match row {
            Row::Journal(seq, event) => {
                count("journal_len");
                tx.insert(&parts.journal, &keys::num(seq), &event);
            }
            Row::Dedupe(n, bot, key, seq) => {
                self.first("dedupe_first", n);
                let row = Key::new().text(&bot).tail(&key).bytes();
                tx.insert(&parts.dedupe, &row, &keys::num(seq));
                tx.insert(&parts.dedupe_order, &keys::num(n), &row);
            }
            Row::Finished(plugin, seq) => {
                tx.insert(&parts.finished, &super::tx::marker(seq, &plugin), &[]);
            }
            Row::Kv(plugin, key, value) => {
                tx.insert(
                    &parts.kv,
                    &Key::new().text(&plugin).tail(&key).bytes(),
                    &value,
                );
            }
            Row::Outbox(id, row) => {
                count("outbox_len");
                let stored: Stored = from_json(&row)?;
                let bot = stored
                    .bot
                    .unwrap_or_else(|| stored.action.chat().bot.clone());
                *self.waiting.entry(stored.plugin.clone()).or_default() += 1;
                let queued = Key::new().text(&bot).text(&stored.plugin).num(id).bytes();
                tx.insert(&parts.outbox_queue, &queued, &[]);
                tx.insert(&parts.outbox, &keys::num(id), &row);
            }
            Row::Dead(id, row) => {
                count("dead_len");
                tx.insert(&parts.dead, &keys::num(id), &row);
            }
            Row::Message(n, bot, chat, id, indexed) => {
                self.first("message_first", n);
                let row = Key::new().text(&bot).text(&chat).tail(&id).bytes();
                tx.insert(&parts.messages, &row, &indexed);
                tx.insert(&parts.message_order, &keys::num(n), &row);
            }
            Row::Place(plugin, seq) => tx.insert(&parts.places, plugin.as_bytes(), &keys::num(seq)),
            Row::Counter(name, value) => {
                tx.insert(&parts.meta, name.as_bytes(), &keys::num(value));
                self.counters.insert(name, value);
            }
            Row::Timer(plugin, slot, row) => {
                let timer: crate::store::Timer = from_json(&row)?;
                if !is_schedule_slot(&slot) {
                    *self.timers.entry(plugin.clone()).or_default() += 1;
                }
                let due = Key::new()
                    .num(timer.due_at)
                    .text(&plugin)
                    .tail(&slot)
                    .bytes();
                tx.insert(&parts.timer_due, &due, &[]);
                tx.insert(
                    &parts.timers,
                    &Key::new().text(&plugin).tail(&slot).bytes(),
                    &row,
                );
            }
        }
        Ok(())
    }

    /// Writes the counts gathered on the way.
    fn finish(&mut self, store: &FjallStore) -> Result<(), StoreError> {
        // An order with no row left starts where its counter is.
        for (first, next) in [
            ("dedupe_first", "dedupe_counter"),
            ("message_first", "message_counter"),
        ] {
            let next = self.counters.get(next).copied().unwrap_or(0);
            self.lens.entry(first).or_insert(next);
        }
        let mut tx = Tx::new(&store.space, Some(PersistMode::SyncData));
        let parts = tx.parts;
        for (len, n) in &self.lens {
            tx.insert(&parts.meta, len.as_bytes(), &keys::num(*n));
        }
        for (plugin, n) in &self.waiting {
            tx.insert(&parts.outbox_waiting, plugin.as_bytes(), &keys::num(*n));
        }
        for (plugin, n) in &self.timers {
            tx.insert(&parts.timer_counts, plugin.as_bytes(), &keys::num(*n));
        }
        tx.commit()
    }
}
