//! Plugin files that could not be loaded, with the reason, until they load or go: what
//! `status` and the console show beside the running plugins.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One file that did not load.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LoadFailure {
    pub file: String,
    pub reason: String,
}

/// The files that did not load, by path. Touched only when the folder changes.
#[derive(Debug, Default)]
pub struct LoadFailures(Mutex<BTreeMap<PathBuf, String>>);

impl LoadFailures {
    pub fn set(&self, file: &Path, reason: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(file.to_owned(), reason.to_string());
        }
    }

    pub fn clear(&self, file: &Path) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(file);
        }
    }

    pub fn list(&self) -> Vec<LoadFailure> {
        self.0
            .lock()
            .map(|map| {
                map.iter()
                    .map(|(file, reason)| LoadFailure {
                        file: file.display().to_string(),
                        reason: reason.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}
