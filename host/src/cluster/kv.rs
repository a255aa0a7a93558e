//! The plugins' kv data (and their timers) in cluster mode: the shared bucket is the truth;
//! every node keeps a mirror in memory, fed by a watch of the bucket, so a plugin's `kv.get`
//! stays a local read.
//! A node takes an event only once its mirror has caught up with every write made before
//! (see [`KvMirror::catch_up`]), so a chat's next event sees its previous one's writes on any
//! node.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use async_nats::jetstream::{kv, stream::Stream, Context};
use futures::StreamExt;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::names;
use super::publish::unavailable;
use crate::store::StoreError;

/// A value and the bucket revision it came with (an older revision never overwrites it).
type Versioned = (Option<Vec<u8>>, u64);

/// Every plugin's kv data as of `revision`.
#[derive(Debug)]
pub struct KvMirror {
    data: RwLock<HashMap<String, BTreeMap<String, Versioned>>>,
    /// The highest bucket revision applied.
    revision: watch::Sender<u64>,
    bucket: kv::Store,
    stream: Stream,
}

impl KvMirror {
    /// Opens `bucket` (rows `<plugin>.<hex of key>`) and follows it (until `stop`).
    pub async fn start(
        js: &Context,
        bucket: &str,
        stop: CancellationToken,
    ) -> anyhow::Result<Arc<Self>> {
        let stream = js.get_stream(format!("KV_{bucket}")).await?;
        let bucket = js.get_key_value(bucket).await?;
        let mirror = Arc::new(Self {
            data: RwLock::default(),
            revision: watch::channel(0).0,
            bucket,
            stream,
        });
        tokio::spawn(mirror.clone().follow(stop));
        mirror.catch_up().await.map_err(anyhow::Error::from)?;
        Ok(mirror)
    }

    /// Applies the bucket's changes as they come; a watch that fails (the server restarted,
    /// a heartbeat missed) is made again from the first revision not applied yet.
    async fn follow(self: Arc<Self>, stop: CancellationToken) {
        while !stop.is_cancelled() {
            let from = *self.revision.borrow() + 1;
            match self.bucket.watch_all_from_revision(from).await {
                Ok(mut updates) => loop {
                    let entry = tokio::select! {
                        _ = stop.cancelled() => return,
                        entry = updates.next() => entry,
                    };
                    match entry {
                        Some(Ok(entry)) => self.apply_entry(&entry),
                        Some(Err(e)) => {
                            tracing::warn!(error = %e, "the kv mirror's watch failed; watching again");
                            break;
                        }
                        None => break,
                    }
                },
                Err(e) => tracing::warn!(error = %e, "cannot watch a kv bucket; trying again"),
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(std::time::Duration::from_millis(250)) => {}
            }
        }
    }

    fn apply_entry(&self, entry: &kv::Entry) {
        let Some((plugin, key)) = names::parse_kv_key(&entry.key) else {
            self.reached(entry.revision);
            return;
        };
        let value = match entry.operation {
            kv::Operation::Put => Some(entry.value.to_vec()),
            kv::Operation::Delete | kv::Operation::Purge => None,
        };
        self.apply(&plugin, &key, value, entry.revision);
    }

    /// Takes a write at `revision` unless the mirror holds a later one of the same key.
    fn apply(&self, plugin: &str, key: &str, value: Option<Vec<u8>>, revision: u64) {
        if let Ok(mut data) = self.data.write() {
            let keys = data.entry(plugin.to_string()).or_default();
            let newer = keys.get(key).is_some_and(|(_, at)| *at >= revision);
            if !newer {
                keys.insert(key.to_string(), (value, revision));
            }
        }
        self.reached(revision);
    }

    /// Removes a key at once, keeping its revision: the watch's delete marker, later, still
    /// applies.
    fn remove(&self, plugin: &str, key: &str) {
        if let Ok(mut data) = self.data.write() {
            if let Some(slot) = data.get_mut(plugin).and_then(|keys| keys.get_mut(key)) {
                slot.0 = None;
            }
        }
    }

    fn reached(&self, revision: u64) {
        self.revision.send_if_modified(|at| {
            let moved = revision > *at;
            *at = (*at).max(revision);
            moved
        });
    }

    /// Waits until every write the bucket held when called is in the mirror.
    pub async fn catch_up(&self) -> Result<(), StoreError> {
        let last = self
            .stream
            .get_info()
            .await
            .map_err(|e| unavailable("cannot read the kv bucket's state", e))?
            .state
            .last_sequence;
        let mut revision = self.revision.subscribe();
        let waited = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            revision.wait_for(|at| *at >= last),
        )
        .await;
        match waited {
            Ok(Ok(_)) => Ok(()),
            _ => Err(StoreError::Backend(format!(
                "the kv mirror did not reach revision {last} within 10 s"
            ))),
        }
    }

    /// Writes `plugin`'s kv changes to the bucket, then to the mirror.
    pub async fn write(
        &self,
        plugin: &str,
        writes: &[(String, Option<Vec<u8>>)],
    ) -> Result<(), StoreError> {
        for (key, value) in writes {
            let stored = names::kv_key(plugin, key);
            match value {
                Some(v) => {
                    let revision = self
                        .bucket
                        .put(&stored, v.clone().into())
                        .await
                        .map_err(|e| unavailable("cannot write plugin kv", e))?;
                    self.apply(plugin, key, Some(v.clone()), revision);
                }
                None => {
                    self.bucket
                        .delete(&stored)
                        .await
                        .map_err(|e| unavailable("cannot delete plugin kv", e))?;
                    self.remove(plugin, key);
                }
            }
        }
        Ok(())
    }

    pub fn get(&self, plugin: &str, key: &str) -> Option<Vec<u8>> {
        let data = self.data.read().ok()?;
        data.get(plugin)?.get(key)?.0.clone()
    }

    pub fn list(&self, plugin: &str, prefix: &str) -> Vec<String> {
        let Ok(data) = self.data.read() else {
            return Vec::new();
        };
        data.get(plugin)
            .map(|keys| {
                keys.range(prefix.to_string()..)
                    .take_while(|(k, _)| k.starts_with(prefix))
                    .filter(|(_, (v, _))| v.is_some())
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every plugin's rows, for scans across plugins (due timers).
    pub fn each(&self, mut visit: impl FnMut(&str, &str, &[u8])) {
        let Ok(data) = self.data.read() else { return };
        for (plugin, keys) in data.iter() {
            for (key, (value, _)) in keys {
                if let Some(value) = value {
                    visit(plugin, key, value);
                }
            }
        }
    }

    /// Each key `plugin` has a value under.
    pub fn each_key(&self, plugin: &str, mut visit: impl FnMut(&str)) {
        let Ok(data) = self.data.read() else { return };
        let keys = data.get(plugin).into_iter().flatten();
        for (key, _) in keys.filter(|(_, (value, _))| value.is_some()) {
            visit(key);
        }
    }

    /// `plugin`'s rows whose key starts with `prefix`, with their values.
    pub fn rows(&self, plugin: &str, prefix: &str) -> Vec<(String, Vec<u8>)> {
        let Ok(data) = self.data.read() else {
            return Vec::new();
        };
        data.get(plugin)
            .map(|keys| {
                keys.range(prefix.to_string()..)
                    .take_while(|(k, _)| k.starts_with(prefix))
                    .filter_map(|(k, (v, _))| Some((k.clone(), v.clone()?)))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn usage(&self, plugin: &str) -> u64 {
        let Ok(data) = self.data.read() else {
            return 0;
        };
        data.get(plugin).map_or(0, |keys| {
            keys.iter()
                .filter_map(|(k, (v, _))| v.as_ref().map(|v| (k.len() + v.len()) as u64))
                .sum()
        })
    }
}
