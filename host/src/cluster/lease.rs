//! Leases on singletons, in a kv bucket whose entries live `LEASE_TTL` unless refreshed: a
//! lease is taken with `create` (only if nobody holds it) and kept with compare-and-set
//! `update`s. A holder that cannot refresh stops using the lease well before its entry can
//! expire, so two nodes never act on one lease at once.

use std::time::Duration;

use async_nats::jetstream::kv;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::setup::LEASE_TTL;

/// How often a holder refreshes, and a waiting node tries to take a lease.
const REFRESH_EVERY: Duration = Duration::from_millis(800);

/// The leases of one node.
#[derive(Clone, Debug)]
pub struct Leases {
    bucket: kv::Store,
    node: String,
}

/// A lease this node holds: `lost` is cancelled the moment it may no longer act on it.
#[derive(Debug)]
pub struct Held {
    pub lost: CancellationToken,
}

impl Leases {
    pub fn new(bucket: kv::Store, node: String) -> Self {
        Self { bucket, node }
    }

    /// Waits until this node holds `key` (or `stop`), and keeps it refreshed until `stop` or
    /// until a refresh fails for too long.
    pub async fn acquire(&self, key: &str, stop: &CancellationToken) -> Option<Held> {
        loop {
            match self.bucket.create(key, self.node.clone().into()).await {
                Ok(revision) => {
                    let lost = stop.child_token();
                    tokio::spawn(self.clone().keep(key.to_string(), revision, lost.clone()));
                    tracing::info!(lease = %key, node = %self.node, "lease taken");
                    return Some(Held { lost });
                }
                Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => {}
                Err(e) => tracing::warn!(lease = %key, error = %e, "cannot try the lease"),
            }
            tokio::select! {
                _ = stop.cancelled() => return None,
                _ = tokio::time::sleep(REFRESH_EVERY) => {}
            }
        }
    }

    /// Refreshes the lease; gives it up (cancels `lost`) when a refresh is refused, or when
    /// none succeeded for two thirds of its life; deletes it on a clean stop.
    async fn keep(self, key: String, mut revision: u64, lost: CancellationToken) {
        let mut refreshed = Instant::now();
        let give_up_after = LEASE_TTL * 2 / 3;
        loop {
            let deadline = refreshed + give_up_after;
            tokio::select! {
                _ = lost.cancelled() => break,
                _ = tokio::time::sleep_until(deadline) => {
                    tracing::warn!(lease = %key, "lease not refreshed in time; giving it up");
                    lost.cancel();
                    return;
                }
                _ = tokio::time::sleep(REFRESH_EVERY) => {}
            }
            let update = self.bucket.update(&key, self.node.clone().into(), revision);
            match tokio::time::timeout_at(deadline, update).await {
                Ok(Ok(next)) => {
                    revision = next;
                    refreshed = Instant::now();
                }
                Ok(Err(e)) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => {
                    tracing::warn!(lease = %key, "lease taken by another node; giving it up");
                    lost.cancel();
                    return;
                }
                Ok(Err(e)) => tracing::warn!(lease = %key, error = %e, "cannot refresh the lease"),
                Err(_) => {}
            }
        }
        // A clean stop: let another node take it at once.
        let _ = self
            .bucket
            .delete_expect_revision(&key, Some(revision))
            .await;
        tracing::info!(lease = %key, node = %self.node, "lease released");
    }

    /// Every lease and its holder, node presence entries included.
    pub async fn holders(&self) -> Vec<(String, String)> {
        use futures::StreamExt;
        let Ok(keys) = self.bucket.keys().await else {
            return Vec::new();
        };
        let keys: Vec<String> = keys.filter_map(|k| async { k.ok() }).collect().await;
        let mut out = Vec::new();
        for key in keys {
            if let Ok(Some(value)) = self.bucket.get(&key).await {
                out.push((key, String::from_utf8_lossy(&value).into_owned()));
            }
        }
        out.sort();
        out
    }

    /// Keeps this node's presence entry alive until `stop`.
    pub async fn announce(self, key: String, stop: CancellationToken) {
        loop {
            if let Err(e) = self.bucket.put(&key, self.node.clone().into()).await {
                tracing::warn!(error = %e, "cannot announce this node");
            }
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(REFRESH_EVERY) => {}
            }
        }
        let _ = self.bucket.delete(&key).await;
    }
}
