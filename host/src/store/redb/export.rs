//! Every row of a redb store file, in key order, for moving a data dir to another backend.

use std::path::Path;

use ::redb::{Database, ReadableDatabase, ReadableTable};

use super::{
    backend, DEAD, DEDUPE, DEDUPE_ORDER, FINISHED, JOURNAL, KV, MESSAGES, MESSAGE_ORDER, META,
    OUTBOX, PLACES, TIMERS,
};
use crate::store::StoreError;

/// One stored row, as the backends agree on it (values are the JSON both store).
pub(in crate::store) enum Row {
    Journal(u64, Vec<u8>),
    /// An ordered dedupe key: its number in the forgetting order, bot, platform id, seq.
    Dedupe(u64, String, String, u64),
    Finished(String, u64),
    Kv(String, String, Vec<u8>),
    Outbox(u64, Vec<u8>),
    Dead(u64, Vec<u8>),
    /// An ordered index entry: its number, bot, chat, id, JSON `Indexed`.
    Message(u64, String, String, String, Vec<u8>),
    Place(String, u64),
    Counter(String, u64),
    /// (plugin, slot) → JSON `Timer`.
    Timer(String, String, Vec<u8>),
}

/// Hands every row of the file at `path` to `sink`, table by table.
pub(in crate::store) fn export(
    path: &Path,
    sink: &mut dyn FnMut(Row) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let db = Database::open(path).map_err(|e| backend(format!("{}: {e}", path.display())))?;
    let tx = db.begin_read().map_err(backend)?;
    // `$row` is an `Option<Row>`: an order entry whose row is gone is skipped.
    macro_rules! rows {
        ($table:expr, |$k:ident, $v:ident| $row:expr) => {
            for entry in tx
                .open_table($table)
                .map_err(backend)?
                .iter()
                .map_err(backend)?
            {
                let (key, value) = entry.map_err(backend)?;
                let ($k, $v) = (key.value(), value.value());
                if let Some(row) = $row {
                    sink(row)?;
                }
            }
        };
    }
    rows!(JOURNAL, |seq, event| Some(Row::Journal(
        seq,
        event.to_vec()
    )));
    let dedupe = tx.open_table(DEDUPE).map_err(backend)?;
    rows!(DEDUPE_ORDER, |n, key| {
        let seq = dedupe.get(key).map_err(backend)?.map(|s| s.value());
        seq.map(|seq| Row::Dedupe(n, key.0.into(), key.1.into(), seq))
    });
    rows!(FINISHED, |key, _unit| Some(Row::Finished(
        key.0.into(),
        key.1
    )));
    rows!(KV, |key, value| Some(Row::Kv(
        key.0.into(),
        key.1.into(),
        value.to_vec()
    )));
    rows!(OUTBOX, |id, row| Some(Row::Outbox(id, row.to_vec())));
    rows!(DEAD, |id, row| Some(Row::Dead(id, row.to_vec())));
    let messages = tx.open_table(MESSAGES).map_err(backend)?;
    rows!(MESSAGE_ORDER, |n, key| {
        let row = messages.get(key).map_err(backend)?;
        row.map(|r| {
            Row::Message(
                n,
                key.0.into(),
                key.1.into(),
                key.2.into(),
                r.value().to_vec(),
            )
        })
    });
    rows!(PLACES, |plugin, seq| Some(Row::Place(plugin.into(), seq)));
    rows!(META, |name, value| Some(Row::Counter(name.into(), value)));
    rows!(TIMERS, |key, row| Some(Row::Timer(
        key.0.into(),
        key.1.into(),
        row.to_vec()
    )));
    Ok(())
}
