//! The sim's log: what keeps its world across restarts, like a real platform keeps its own.
//!
//! One JSON-lines file per sim bot (`data_dir/sim-<bot>.jsonl`); each line is one batch of
//! the world's changes, written with a single `write` on an unbuffered file. A killed process keeps what
//! it wrote (the page cache survives it), so no fsync per line; a line cut short by a kill in the
//! middle of a write is skipped on load with a warning. Each load rewrites the log from the
//! replayed world, and the log is rewritten the same way (compacted) whenever it has grown past
//! its budget, so its size stays bounded by the world's own bounds.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Changes appended after a compaction before the next one, at least.
const MIN_BUDGET: u64 = 10_000;
/// Changes per line in a compacted log: fewer, longer lines load faster.
const SNAPSHOT_LINE: usize = 256;

#[derive(Debug)]
pub struct SimLog {
    path: PathBuf,
    file: File,
    /// Changes appended since the last compaction.
    appended: u64,
    /// How many may be appended before the next compaction: as many as the snapshot holds,
    /// so the log stays under about twice the world's size.
    budget: u64,
}

impl SimLog {
    /// The batches in the log at `path`, in order; none if there is no log yet. A line that
    /// does not parse (one cut short by a kill) is skipped with a warning.
    pub fn read<C: DeserializeOwned>(path: &Path) -> std::io::Result<Vec<Vec<C>>> {
        let file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut reader = BufReader::new(file);
        let mut batches = Vec::new();
        let mut line = Vec::new();
        let mut number = 0u64;
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            number += 1;
            let text = line.strip_suffix(b"\n").unwrap_or(&line);
            if text.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<Vec<C>>(text) {
                Ok(batch) => batches.push(batch),
                Err(e) => tracing::warn!(
                    path = %path.display(),
                    line = number,
                    complete = line.ends_with(b"\n"),
                    error = %e,
                    "skipping an unreadable line of the sim's log (cut short by a crash?)"
                ),
            }
        }
        Ok(batches)
    }

    /// Replaces the log at `path` with `snapshot` and opens it for appending.
    pub fn create<C: Serialize>(path: &Path, snapshot: &[C]) -> std::io::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = write_snapshot(path, snapshot)?;
        Ok(Self {
            path: path.to_path_buf(),
            file,
            appended: 0,
            budget: budget(snapshot),
        })
    }

    /// Appends one batch as one line.
    pub fn append<C: Serialize>(&mut self, batch: &[C]) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(batch)?;
        line.push(b'\n');
        self.file.write_all(&line)?;
        self.appended += batch.len() as u64;
        Ok(())
    }

    /// Whether the log has grown past its budget since the last compaction.
    pub fn wants_compaction(&self) -> bool {
        self.appended > self.budget
    }

    /// Replaces the log with `snapshot`, the world as it is now.
    pub fn compact<C: Serialize>(&mut self, snapshot: &[C]) -> std::io::Result<()> {
        self.file = write_snapshot(&self.path, snapshot)?;
        self.appended = 0;
        self.budget = budget(snapshot);
        tracing::debug!(path = %self.path.display(), changes = snapshot.len(), "sim log compacted");
        Ok(())
    }
}

fn budget<C>(snapshot: &[C]) -> u64 {
    (snapshot.len() as u64).max(MIN_BUDGET)
}

/// Writes `snapshot` to a temporary file, syncs it and renames it over `path`: a crash at any
/// point leaves either the old log or the new one whole. Returns the new log, open for appending.
fn write_snapshot<C: Serialize>(path: &Path, snapshot: &[C]) -> std::io::Result<File> {
    let tmp = path.with_extension("jsonl.tmp");
    {
        let mut out = std::io::BufWriter::new(File::create(&tmp)?);
        for chunk in snapshot.chunks(SNAPSHOT_LINE) {
            serde_json::to_writer(&mut out, chunk)?;
            out.write_all(b"\n")?;
        }
        let file = out
            .into_inner()
            .map_err(std::io::IntoInnerError::into_error)?;
        // Rare (at load and compaction): worth an fsync, so a power cut cannot leave an empty log.
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    OpenOptions::new().append(true).open(path)
}
