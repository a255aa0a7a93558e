//! Plugin files shared through the JetStream object store `wasmbot_plugins`: at join every
//! object is written into this node's plugins folder, then the bucket's changes are followed
//! and the folder's own changes are sent to it. The folder watcher (`plugin::watch_folder`)
//! loads and hot-reloads what lands in the folder, as for a file an operator copies there.
//!
//! Digests keep the two in step without echoes: a file this node wrote from the bucket has
//! the bucket's digest, so it is not sent back. Files are streamed both ways (the object
//! store chunks them), never held whole in memory.

mod agreed;
mod files;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::object_store::{DeleteErrorKind, ObjectInfo, ObjectStore, Watch};
use async_nats::jetstream::Context;
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

pub use files::is_plugin_file_name;
use files::{file_digest, plugin_files, stat_of, write_atomically, Stat};

use super::setup;

/// How often the folder is looked at for files changed or removed here.
const POLL: Duration = Duration::from_millis(500);

/// A file the folder and the bucket agree on: its stat then, and the digest both have.
#[derive(Debug, Clone)]
struct Synced {
    stat: Stat,
    digest: String,
}

/// Keeps one node's plugins folder and the cluster's bucket in step.
struct Sharing {
    bucket: ObjectStore,
    dir: PathBuf,
    /// Where `synced`'s digests are kept (see [`agreed::FILE`]).
    agreed_file: PathBuf,
    synced: HashMap<String, Synced>,
    /// Files changed here since the last look, with their stat then: sent once they have held
    /// still for one look, so a file being copied in is not sent half-written.
    settling: HashMap<String, Stat>,
    /// `.wasm` files whose names cannot be shared (said once each).
    unshared: HashSet<String>,
}

/// Writes the bucket's plugin files into `dir` (returns once they are there), then keeps the
/// folder and the bucket in step until `stop`. `data_dir`: where the node keeps what it knows.
pub async fn start(
    js: &Context,
    dir: &Path,
    data_dir: &Path,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let bucket = setup::plugins_bucket(js).await?;
    tokio::fs::create_dir_all(dir)
        .await
        .with_context(|| format!("cannot make the plugins folder {}", dir.display()))?;
    let mut sharing = Sharing {
        bucket,
        dir: dir.to_path_buf(),
        agreed_file: data_dir.join(agreed::FILE),
        synced: HashMap::new(),
        settling: HashMap::new(),
        unshared: HashSet::new(),
    };
    let watch = sharing.catch_up().await?;
    tokio::spawn(sharing.follow(watch, stop));
    Ok(())
}

impl Sharing {
    /// Starts following the bucket, then writes every object it holds into the folder (a
    /// change made meanwhile comes through the watch), but for files changed here only since
    /// the last agreement (the next look sends them); removes the files the bucket lost since,
    /// unless changed here.
    async fn catch_up(&mut self) -> anyhow::Result<Watch> {
        let watch = self
            .bucket
            .watch()
            .await
            .context("cannot follow the cluster's plugin files")?;
        let mut list = self
            .bucket
            .list()
            .await
            .context("cannot list the cluster's plugin files")?;
        let mut objects = Vec::new();
        while let Some(info) = list.next().await {
            objects.push(info.context("cannot list the cluster's plugin files")?);
        }
        let agreed = self.load_agreed();
        for info in &objects {
            if self.changed_here_only(info, &agreed).await {
                tracing::info!(file = %info.name, "plugin file changed here while away; sending it to the cluster");
                self.synced.remove(&info.name);
                continue;
            }
            self.apply(info).await;
        }
        let listed: HashSet<&str> = objects.iter().map(|o| o.name.as_str()).collect();
        for (name, digest) in &agreed {
            if !listed.contains(name.as_str()) {
                self.remove_gone(name, digest).await;
            }
        }
        self.save_agreed();
        Ok(watch)
    }

    /// Whether the file here changed since the last agreement and the bucket's did not.
    async fn changed_here_only(&self, info: &ObjectInfo, agreed: &HashMap<String, String>) -> bool {
        let Some(before) = agreed.get(&info.name) else {
            return false;
        };
        if !is_plugin_file_name(&info.name) {
            return false;
        }
        if info.digest.as_ref() != Some(before) {
            return false;
        }
        let here = file_digest(&self.dir.join(&info.name)).await;
        here.is_ok_and(|here| here != *before)
    }

    /// The bucket lost `name` while this node was not following it: removes the file here,
    /// unless it changed here since (then the next look sends it, as a new file).
    async fn remove_gone(&mut self, name: &str, digest: &str) {
        self.synced.remove(name);
        if !is_plugin_file_name(name) {
            return;
        }
        let path = self.dir.join(name);
        if file_digest(&path).await.ok().as_deref() == Some(digest) {
            match std::fs::remove_file(&path) {
                Ok(()) => {
                    tracing::info!(file = %path.display(), "plugin file removed, as in the cluster")
                }
                Err(e) => {
                    tracing::error!(file = %path.display(), error = %e, "cannot remove the plugin file the cluster removed")
                }
            }
        }
    }

    fn load_agreed(&self) -> HashMap<String, String> {
        agreed::load(&self.agreed_file)
    }

    fn save_agreed(&self) {
        agreed::save(&self.agreed_file, &self.synced);
    }

    /// Follows the bucket's changes and looks at the folder, until `stop`.
    async fn follow(mut self, mut watch: Watch, stop: CancellationToken) {
        let mut look = tokio::time::interval(POLL);
        look.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                change = watch.next() => match change {
                    Some(Ok(info)) => self.apply(&info).await,
                    Some(Err(e)) => {
                        tracing::warn!(error = %e, "cannot read a change of the cluster's plugin files");
                    }
                    None => match self.rewatch(&stop).await {
                        Some(again) => watch = again,
                        None => return,
                    },
                },
                _ = look.tick() => self.look().await,
            }
        }
    }

    /// The watch ended (the connection closed): catches up again once the bucket answers.
    async fn rewatch(&mut self, stop: &CancellationToken) -> Option<Watch> {
        loop {
            match self.catch_up().await {
                Ok(watch) => return Some(watch),
                Err(e) => {
                    tracing::warn!(
                        error = format!("{e:#}"),
                        "cannot follow the cluster's plugin files; trying again"
                    )
                }
            }
            tokio::select! {
                _ = stop.cancelled() => return None,
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    /// Brings the folder in line with one object of the bucket.
    async fn apply(&mut self, info: &ObjectInfo) {
        if !is_plugin_file_name(&info.name) {
            tracing::warn!(object = %info.name, "ignoring an object of the cluster's plugin bucket: its name is not a plugin file name");
            return;
        }
        let path = self.dir.join(&info.name);
        if info.deleted {
            self.remove_here(&info.name, &path);
            return;
        }
        let known = self.synced.get(&info.name).map(|s| &s.digest);
        if info.digest.is_some() && known == info.digest.as_ref() {
            return; // what this node has (or sent itself)
        }
        if let Err(e) = self.receive(info, &path).await {
            tracing::error!(file = %path.display(), error = format!("{e:#}"), "cannot write the cluster's plugin file here");
        }
    }

    /// Writes object `info` into `path` (a temporary file renamed over it, so the watcher
    /// never loads half a file), unless the file here has its digest already.
    async fn receive(&mut self, info: &ObjectInfo, path: &Path) -> anyhow::Result<()> {
        if let (Ok(stat), Some(digest)) = (stat_of(path), &info.digest) {
            if file_digest(path).await.ok().as_ref() == Some(digest) {
                self.synced.insert(
                    info.name.clone(),
                    Synced {
                        stat,
                        digest: digest.clone(),
                    },
                );
                self.save_agreed();
                return Ok(());
            }
        }
        let mut object = self
            .bucket
            .get(&info.name)
            .await
            .context("cannot fetch it")?;
        let digest = object.info().digest.clone().context("it has no digest")?;
        // Unique per process: nodes sharing one folder never write the same temporary file.
        let partial = self
            .dir
            .join(format!(".{}.{}.partial", info.name, std::process::id()));
        let bytes = write_atomically(&mut object, &partial, path).await?;
        let stat = stat_of(path).context("cannot read it back")?;
        self.synced.insert(
            info.name.clone(),
            Synced {
                stat,
                digest: digest.clone(),
            },
        );
        self.settling.remove(&info.name);
        self.save_agreed();
        tracing::info!(file = %path.display(), bytes, %digest, "plugin file received from the cluster");
        Ok(())
    }

    /// The bucket no longer has `name`: removes its file here, unless the file changed here
    /// since (then it is sent again, as a new file).
    fn remove_here(&mut self, name: &str, path: &Path) {
        let Some(synced) = self.synced.remove(name) else {
            return;
        };
        self.settling.remove(name);
        self.save_agreed();
        if stat_of(path).ok() != Some(synced.stat) {
            return;
        }
        match std::fs::remove_file(path) {
            Ok(()) => {
                tracing::info!(file = %path.display(), "plugin file removed, as in the cluster")
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::error!(file = %path.display(), error = %e, "cannot remove the plugin file the cluster removed")
            }
        }
    }

    /// Sends the folder's changes since the last look to the bucket: files new or changed
    /// (once they hold still), and files removed.
    async fn look(&mut self) {
        let present = match plugin_files(&self.dir) {
            Ok(files) => files,
            Err(e) => {
                tracing::warn!(dir = %self.dir.display(), error = %e, "cannot list the plugins folder");
                return;
            }
        };
        for (name, stat) in &present {
            if self.synced.get(name).is_some_and(|s| s.stat == *stat) {
                self.settling.remove(name);
            } else if !is_plugin_file_name(name) {
                if self.unshared.insert(name.clone()) {
                    tracing::warn!(file = %name, "this plugin file is not shared with the cluster: a shared file's name has only letters, digits, `-`, `_` and `.`");
                }
            } else if self.settling.insert(name.clone(), *stat) == Some(*stat) {
                self.send(name, *stat).await;
            }
        }
        self.settling.retain(|name, _| present.contains_key(name));
        let removed: Vec<String> = self
            .synced
            .keys()
            .filter(|name| !present.contains_key(*name))
            .cloned()
            .collect();
        for name in removed {
            self.withdraw(&name).await;
        }
    }

    /// Sends the file `name` to the bucket, unless the bucket has it already (a file this
    /// node wrote from the bucket, or touched without a change).
    async fn send(&mut self, name: &str, stat: Stat) {
        let path = self.dir.join(name);
        match self.put(name, &path).await {
            Ok((digest, sent)) => {
                if sent {
                    tracing::info!(file = %path.display(), bytes = stat.0, %digest, "plugin file sent to the cluster");
                }
                self.synced
                    .insert(name.to_string(), Synced { stat, digest });
                self.save_agreed();
            }
            Err(e) => {
                tracing::warn!(file = %path.display(), error = format!("{e:#}"), "cannot send the plugin file to the cluster; trying again")
            }
        }
    }

    /// Stores the file unless the bucket has the same; its digest, and whether it was stored.
    async fn put(&self, name: &str, path: &Path) -> anyhow::Result<(String, bool)> {
        let digest = file_digest(path).await.context("cannot read it")?;
        let known = self.synced.get(name).map(|s| &s.digest);
        if known == Some(&digest) {
            return Ok((digest, false));
        }
        if let Ok(there) = self.bucket.info(name).await {
            if there.digest.as_ref() == Some(&digest) {
                return Ok((digest, false));
            }
        }
        let mut file = tokio::fs::File::open(path)
            .await
            .context("cannot open it")?;
        let stored = self
            .bucket
            .put(name, &mut file)
            .await
            .context("cannot store it")?;
        Ok((stored.digest.unwrap_or(digest), true))
    }

    /// The file `name` was removed here: removes it from the bucket.
    async fn withdraw(&mut self, name: &str) {
        match self.bucket.delete(name).await {
            Ok(()) => {
                tracing::info!(file = %name, "plugin file removed from the cluster");
                self.synced.remove(name);
                self.save_agreed();
            }
            Err(e) if e.kind() == DeleteErrorKind::NotFound => {
                self.synced.remove(name);
                self.save_agreed();
            }
            Err(e) => {
                tracing::warn!(file = %name, error = %e, "cannot remove the plugin file from the cluster; trying again")
            }
        }
    }
}
