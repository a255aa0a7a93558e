//! What a node's plugins folder and the cluster's bucket last agreed on, kept in the data dir:
//! at join it tells a file changed or removed in the cluster from one changed here while the
//! node was away.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::Synced;

/// The file in the data dir: each shared file's name and digest, as JSON.
pub const FILE: &str = "cluster-plugins.json";

/// The digests last agreed on (none when the file is missing or unreadable: every file in the
/// folder then counts as new).
pub fn load(file: &Path) -> HashMap<String, String> {
    let read = std::fs::read(file)
        .and_then(|bytes| serde_json::from_slice(&bytes).map_err(std::io::Error::other));
    match read {
        Ok(agreed) => agreed,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => HashMap::new(),
        Err(e) => {
            tracing::warn!(file = %file.display(), error = %e, "cannot read what the plugins folder and the cluster last agreed on; the files there count as new");
            HashMap::new()
        }
    }
}

/// Keeps `synced`'s digests in `file` (a temporary file renamed over it).
pub fn save(file: &Path, synced: &HashMap<String, Synced>) {
    let digests: BTreeMap<&String, &String> =
        synced.iter().map(|(name, s)| (name, &s.digest)).collect();
    let partial = file.with_extension("json.partial");
    let saved = serde_json::to_vec_pretty(&digests)
        .map_err(std::io::Error::other)
        .and_then(|bytes| std::fs::write(&partial, bytes))
        .and_then(|()| std::fs::rename(&partial, file));
    if let Err(e) = saved {
        tracing::warn!(file = %file.display(), error = %e, "cannot keep what the plugins folder and the cluster agreed on");
    }
}
