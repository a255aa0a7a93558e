//! `wasmbot:bot/kv`: per-plugin storage. Writes are buffered in the call scope (reads see them)
//! and committed with the event.

use super::{store_failure, HostResult};
use crate::model::wit::wasmbot::bot0_1_0::kv::Host;
use crate::model::Error;
use crate::runtime::state::HostState;

const MAX_KEY_BYTES: usize = 256;
const MAX_VALUE_BYTES: usize = 64 * 1024;

impl Host for HostState {
    fn get(&mut self, key: String) -> HostResult<Option<Vec<u8>>> {
        if let Some(buffered) = self.scope.kv.get(&key) {
            return Ok(Ok(buffered.clone()));
        }
        if let Some(uncommitted) = self.scope.pending.as_ref().and_then(|p| p.kv_get(&key)) {
            return Ok(Ok(uncommitted));
        }
        Ok(self
            .services
            .store
            .kv_get(&self.plugin, &key)
            .map_err(store_failure))
    }

    fn set(&mut self, key: String, value: Vec<u8>) -> HostResult<()> {
        if let Err(e) = check_key(&key) {
            return Ok(Err(e));
        }
        if value.len() > MAX_VALUE_BYTES {
            return Ok(Err(Error::Invalid(format!(
                "a kv value is limited to {MAX_VALUE_BYTES} bytes"
            ))));
        }
        if let Err(e) = self.check_quota(key.len() + value.len()) {
            return Ok(Err(e));
        }
        self.scope.kv.insert(key, Some(value));
        Ok(Ok(()))
    }

    fn delete(&mut self, key: String) -> HostResult<()> {
        if let Err(e) = check_key(&key) {
            return Ok(Err(e));
        }
        self.scope.kv.insert(key, None);
        Ok(Ok(()))
    }

    fn list_keys(&mut self, prefix: String) -> HostResult<Vec<String>> {
        let mut keys: std::collections::BTreeSet<String> =
            match self.services.store.kv_list(&self.plugin, &prefix) {
                Ok(keys) => keys.into_iter().collect(),
                Err(e) => return Ok(Err(store_failure(e))),
            };
        if let Some(pending) = &self.scope.pending {
            pending.merge_keys(&prefix, &mut keys);
        }
        for (key, value) in self.scope.kv.range(prefix.clone()..) {
            if !key.starts_with(&prefix) {
                break;
            }
            match value {
                Some(_) => keys.insert(key.clone()),
                None => keys.remove(key),
            };
        }
        Ok(Ok(keys.into_iter().collect()))
    }
}

impl HostState {
    /// Conservative quota check: stored bytes plus everything buffered in this call or waiting
    /// for its commit plus the new write (an overwrite counts the old value too, until the
    /// commit).
    fn check_quota(&mut self, adding: usize) -> Result<(), Error> {
        let stored = match self.scope.kv_stored {
            Some(stored) => stored,
            None => {
                let stored = self
                    .services
                    .store
                    .kv_usage(&self.plugin)
                    .map_err(store_failure)?;
                self.scope.kv_stored = Some(stored);
                stored
            }
        };
        let buffered: usize = self
            .scope
            .kv
            .iter()
            .map(|(k, v)| v.as_ref().map_or(0, |v| k.len() + v.len()))
            .sum();
        let uncommitted = self.scope.pending.as_ref().map_or(0, |p| p.kv_bytes());
        let total = stored + uncommitted + (buffered + adding) as u64;
        let quota = self.grants.kv_quota();
        if total > quota {
            return Err(Error::Denied(format!(
                "plugin `{}` would use {total} bytes of kv; its quota is {quota} (grant kv_quota_bytes)",
                self.plugin
            )));
        }
        Ok(())
    }
}

fn check_key(key: &str) -> Result<(), Error> {
    if key.is_empty() || key.len() > MAX_KEY_BYTES {
        return Err(Error::Invalid(format!(
            "a kv key must be 1 to {MAX_KEY_BYTES} bytes"
        )));
    }
    Ok(())
}
