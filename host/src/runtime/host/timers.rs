//! `wasmbot:bot/timers@0.2.0`. Setting and cancelling buffer in the call scope, like kv writes,
//! and are committed with the event (`Commit::timers`); reads see this call's changes, then
//! the lane's uncommitted ones, then the store.

use std::collections::BTreeMap;

use crate::model::wit::wasmbot::bot0_2_0::timers::{Due, Host, PendingTimer, TimerError};
use crate::model::{ChatRef, Error};
use crate::runtime::state::HostState;
use crate::store::{StoreError, Timer};

/// Longest timer key, in bytes.
pub const MAX_KEY_BYTES: usize = 256;
/// Largest payload, in bytes.
pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024;

impl Host for HostState {
    fn set(
        &mut self,
        key: String,
        due: Due,
        payload: String,
        chat: Option<ChatRef>,
    ) -> wasmtime::Result<Result<(), TimerError>> {
        Ok(self.set_timer(key, due, payload, chat))
    }

    fn cancel(&mut self, key: String) -> wasmtime::Result<bool> {
        let existed = match self.timer_exists(&key) {
            Ok(existed) => existed,
            Err(e) => {
                tracing::warn!(plugin = %self.plugin, key, error = %e, "cannot read a timer to cancel it");
                return Ok(false);
            }
        };
        if existed {
            self.scope.timers.insert(key, None);
            self.scope.timers_added -= 1;
        }
        Ok(existed)
    }

    fn list_pending(&mut self, max: u32) -> wasmtime::Result<Vec<PendingTimer>> {
        let max = usize::try_from(max).unwrap_or(usize::MAX);
        match self.pending_timers(max) {
            Ok(timers) => Ok(timers.into_iter().map(pending_timer).collect()),
            Err(e) => {
                tracing::warn!(plugin = %self.plugin, error = %e, "cannot list pending timers");
                Ok(Vec::new())
            }
        }
    }
}

impl HostState {
    fn set_timer(
        &mut self,
        key: String,
        due: Due,
        payload: String,
        chat: Option<ChatRef>,
    ) -> Result<(), TimerError> {
        check_key(&key)?;
        if payload.len() > MAX_PAYLOAD_BYTES {
            return Err(TimerError::Invalid(format!(
                "a timer payload is limited to {MAX_PAYLOAD_BYTES} bytes; this one has {}",
                payload.len()
            )));
        }
        if let Some(chat) = &chat {
            self.check_timer_chat(chat).map_err(invalid)?;
        }
        let replaces = self.timer_exists(&key).map_err(store_invalid)?;
        if !replaces {
            self.check_timer_quota()?;
        }
        let due_at = match due {
            Due::AfterMs(after) => now_ms().saturating_add(after),
            Due::AtMs(at) => at,
        };
        let timer = Timer {
            key: key.clone(),
            due_at,
            payload,
            chat,
            schedule: None,
        };
        self.scope.timers.insert(key, Some(timer));
        if !replaces {
            self.scope.timers_added += 1;
        }
        Ok(())
    }

    /// A timer's chat must be one of a configured bot's, and one the plugin may act in: its
    /// event lets the plugin reply there.
    fn check_timer_chat(&self, chat: &ChatRef) -> Result<(), Error> {
        self.services.platforms.check(chat, None)?;
        self.check_scope(chat)
    }

    /// Whether timer `key` is pending once this call's and the lane's uncommitted changes
    /// apply.
    fn timer_exists(&self, key: &str) -> Result<bool, StoreError> {
        if let Some(change) = self.scope.timers.get(key) {
            return Ok(change.is_some());
        }
        if let Some(change) = self.scope.pending.as_ref().and_then(|p| p.timer(key)) {
            return Ok(change.is_some());
        }
        Ok(self.services.store.timer(&self.plugin, key)?.is_some())
    }

    /// One more timer must fit the quota: stored, plus what uncommitted events and this call
    /// add.
    fn check_timer_quota(&mut self) -> Result<(), TimerError> {
        let stored = match self.scope.timers_stored {
            Some(stored) => stored,
            None => {
                let stored = self
                    .services
                    .store
                    .timer_count(&self.plugin)
                    .map_err(store_invalid)?;
                self.scope.timers_stored = Some(stored);
                stored
            }
        };
        let uncommitted = self.scope.pending.as_ref().map_or(0, |p| p.timers_added());
        let pending = i64::try_from(stored)
            .unwrap_or(i64::MAX)
            .saturating_add(uncommitted)
            .saturating_add(self.scope.timers_added);
        if pending >= i64::try_from(self.timer_quota).unwrap_or(i64::MAX) {
            return Err(TimerError::Quota(
                u32::try_from(self.timer_quota).unwrap_or(u32::MAX),
            ));
        }
        Ok(())
    }

    /// Up to `max` pending timers, soonest first: the stored ones with the lane's uncommitted
    /// and this call's changes applied.
    fn pending_timers(&self, max: usize) -> Result<Vec<Timer>, StoreError> {
        let uncommitted = self
            .scope
            .pending
            .as_ref()
            .map(|p| p.timers())
            .unwrap_or_default();
        // Enough stored ones that cancellations cannot leave fewer than `max`.
        let wanted = max
            .min(usize::try_from(self.timer_quota).unwrap_or(usize::MAX))
            .saturating_add(uncommitted.len() + self.scope.timers.len());
        let stored = self.services.store.timers_of(&self.plugin, wanted)?;
        let mut by_key: BTreeMap<String, Timer> =
            stored.into_iter().map(|t| (t.key.clone(), t)).collect();
        let changes = uncommitted.into_iter().chain(
            self.scope
                .timers
                .iter()
                .map(|(k, t)| (k.clone(), t.clone())),
        );
        for (key, change) in changes {
            match change {
                Some(timer) => by_key.insert(key, timer),
                None => by_key.remove(&key),
            };
        }
        let mut timers: Vec<Timer> = by_key.into_values().collect();
        timers.sort_by(|a, b| (a.due_at, &a.key).cmp(&(b.due_at, &b.key)));
        timers.truncate(max);
        Ok(timers)
    }
}

/// Unix milliseconds now (the system's clock; the firer reads the same).
fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn check_key(key: &str) -> Result<(), TimerError> {
    if key.is_empty() || key.len() > MAX_KEY_BYTES {
        return Err(TimerError::Invalid(format!(
            "a timer key must be 1 to {MAX_KEY_BYTES} bytes; this one has {}",
            key.len()
        )));
    }
    if key.chars().any(char::is_control) {
        return Err(TimerError::Invalid(
            "a timer key must not contain control characters".into(),
        ));
    }
    Ok(())
}

/// A refused chat, as the plugin sees it.
fn invalid(error: Error) -> TimerError {
    TimerError::Invalid(match error {
        Error::Unsupported(text)
        | Error::Denied(text)
        | Error::NotFound(text)
        | Error::Invalid(text) => format!("the timer's chat: {text}"),
        Error::RateLimited(ms) => format!("the timer's chat: rate limited for {ms} ms"),
        Error::Platform(e) => format!("the timer's chat: {}: {}", e.code, e.message),
    })
}

/// A storage failure, as the plugin sees it: the timer was not set.
fn store_invalid(error: StoreError) -> TimerError {
    TimerError::Invalid(format!("the timer could not be checked: {error}"))
}

fn pending_timer(timer: Timer) -> PendingTimer {
    PendingTimer {
        key: timer.key,
        due_at: timer.due_at,
        payload: timer.payload,
        chat: timer.chat,
    }
}
