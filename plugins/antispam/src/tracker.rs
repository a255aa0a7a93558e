//! The sliding-window counter: recent message times per (chat, user), and who is muted.
//!
//! Pure bookkeeping (no host calls), so it is unit-tested natively; saved as JSON across hot
//! reloads.

use std::collections::{HashMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::config::Config;

/// Who sent a message where: `ChatRef::key()` and the user id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Sender {
    pub chat: String,
    pub user: String,
}

/// One sender's recent history.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
struct Track {
    /// Times (unix ms) of the messages inside the current window, oldest first.
    recent: VecDeque<u64>,
    /// Until when the plugin itself removes this sender's messages (unix ms); set only when the
    /// platform could not mute them.
    soft_muted_until: u64,
}

/// What to do about a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Within the limit.
    Allow,
    /// Over the limit: mute the sender, delete the message, tell the chat.
    Flood,
    /// The sender is soft-muted (the platform could not mute them): delete the message quietly.
    SoftMuted,
}

/// How many recorded messages between sweeps of idle senders.
const SWEEP_EVERY: u32 = 256;

/// Every sender's recent history.
#[derive(Debug, Default)]
pub struct Tracker {
    senders: HashMap<Sender, Track>,
    since_sweep: u32,
}

impl Tracker {
    /// Records a message sent at `now` (unix ms) and judges it.
    pub fn record(&mut self, sender: Sender, now: u64, limits: &Config) -> Verdict {
        self.since_sweep += 1;
        if self.since_sweep >= SWEEP_EVERY {
            self.since_sweep = 0;
            self.sweep(now, limits.window_ms());
        }
        let track = self.senders.entry(sender).or_default();
        if now < track.soft_muted_until {
            return Verdict::SoftMuted;
        }
        let window_start = now.saturating_sub(limits.window_ms());
        while track.recent.front().is_some_and(|&at| at <= window_start) {
            track.recent.pop_front();
        }
        track.recent.push_back(now);
        if track.recent.len() > limits.max_messages as usize {
            // Acted on: start counting afresh once the mute ends.
            track.recent.clear();
            Verdict::Flood
        } else {
            Verdict::Allow
        }
    }

    /// Remembers that the platform could not mute `sender`, so the plugin deletes their
    /// messages itself until `until` (unix ms).
    pub fn soft_mute(&mut self, sender: Sender, until: u64) {
        self.senders.entry(sender).or_default().soft_muted_until = until;
    }

    /// Forgets senders with nothing in the window and no soft mute, so memory stays bounded by
    /// the active senders.
    fn sweep(&mut self, now: u64, window_ms: u64) {
        let window_start = now.saturating_sub(window_ms);
        self.senders.retain(|_, track| {
            track.soft_muted_until > now || track.recent.back().is_some_and(|&at| at > window_start)
        });
    }

    /// The state as bytes, for `save-state`.
    pub fn save(&self) -> Option<Vec<u8>> {
        let entries: Vec<(&Sender, &Track)> = self.senders.iter().collect();
        serde_json::to_vec(&entries).ok()
    }

    /// Restores what [`save`](Self::save) produced.
    pub fn restore(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        let entries: Vec<(Sender, Track)> = serde_json::from_slice(bytes)?;
        Ok(Tracker {
            senders: entries.into_iter().collect(),
            since_sweep: 0,
        })
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.senders.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ada() -> Sender {
        Sender {
            chat: "sim:main:c1".into(),
            user: "ada".into(),
        }
    }

    fn limits() -> Config {
        Config {
            max_messages: 3,
            window_seconds: 10,
            mute_seconds: 60,
        }
    }

    #[test]
    fn floods_on_the_message_over_the_limit() {
        let mut tracker = Tracker::default();
        let verdicts: Vec<Verdict> = (0..4)
            .map(|i| tracker.record(ada(), 1_000 + i * 100, &limits()))
            .collect();
        assert_eq!(
            verdicts,
            [
                Verdict::Allow,
                Verdict::Allow,
                Verdict::Allow,
                Verdict::Flood
            ]
        );
        // Counting starts afresh after acting.
        assert_eq!(tracker.record(ada(), 1_500, &limits()), Verdict::Allow);
    }

    #[test]
    fn window_slides() {
        let mut tracker = Tracker::default();
        for at in [0, 4_000, 8_000] {
            assert_eq!(tracker.record(ada(), at, &limits()), Verdict::Allow);
        }
        // The message at 0 has left the 10 s window by 10 000.
        assert_eq!(tracker.record(ada(), 10_000, &limits()), Verdict::Allow);
        assert_eq!(tracker.record(ada(), 10_001, &limits()), Verdict::Flood);
    }

    #[test]
    fn senders_are_counted_apart() {
        let mut tracker = Tracker::default();
        let bo = Sender {
            chat: ada().chat,
            user: "bo".into(),
        };
        for at in 0..3 {
            tracker.record(ada(), at, &limits());
            assert_eq!(tracker.record(bo.clone(), at, &limits()), Verdict::Allow);
        }
    }

    #[test]
    fn soft_mute_expires() {
        let mut tracker = Tracker::default();
        tracker.soft_mute(ada(), 5_000);
        assert_eq!(tracker.record(ada(), 4_999, &limits()), Verdict::SoftMuted);
        assert_eq!(tracker.record(ada(), 5_000, &limits()), Verdict::Allow);
    }

    #[test]
    fn sweep_drops_idle_senders() {
        let mut tracker = Tracker::default();
        tracker.record(ada(), 0, &limits());
        let bo = Sender {
            chat: ada().chat,
            user: "bo".into(),
        };
        for i in 0..u64::from(SWEEP_EVERY) {
            tracker.record(bo.clone(), 60_000 + i, &limits());
        }
        assert_eq!(tracker.len(), 1);
    }

    #[test]
    fn save_and_restore_round_trip() -> Result<(), serde_json::Error> {
        let mut tracker = Tracker::default();
        tracker.record(ada(), 1, &limits());
        tracker.record(ada(), 2, &limits());
        let mut restored = Tracker::restore(&tracker.save().unwrap_or_default())?;
        assert_eq!(restored.record(ada(), 3, &limits()), Verdict::Allow);
        assert_eq!(restored.record(ada(), 4, &limits()), Verdict::Flood);
        Ok(())
    }
}
