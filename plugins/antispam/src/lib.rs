//! `antispam`: counts messages per (chat, user) in a sliding window; whoever sends more than
//! `max_messages` within `window_seconds` is muted for `mute_seconds`, the offending message is
//! deleted, and the chat is told.
//!
//! Counts live in memory ([`tracker`]) and are handed to the next version on hot reload
//! (`save_state` / `restore_state`). Where the platform cannot mute (or the operator did not grant
//! it), the plugin "soft-mutes" instead: it deletes the member's messages until the mute would
//! have ended.

mod config;
mod tracker;

use wasmbot_sdk::prelude::*;

use crate::config::Config;
use crate::tracker::{Sender, Tracker, Verdict};

#[derive(Debug, Default)]
struct Antispam {
    config: Config,
    tracker: Tracker,
}

impl Antispam {
    /// Mutes the flooder (or soft-mutes them), deletes the message, and tells the chat.
    fn punish(&mut self, message: &Message, sender: Sender, now: u64) -> Result<(), Error> {
        let chat = message.chat();
        let user = &message.sender;
        let limits = &self.config;
        let notice = match moderation::mute(chat, &user.id, limits.mute_seconds) {
            Ok(()) => format!(
                "{} was muted for {} s for sending more than {} messages in {} s.",
                user.display_name(),
                limits.mute_seconds,
                limits.max_messages,
                limits.window_seconds
            ),
            Err(e) if e.is_unsupported() || e.is_denied() => {
                log::warn!(
                    "cannot mute {} ({e}); deleting their messages instead",
                    user.id
                );
                self.tracker.soft_mute(sender, now + limits.mute_ms());
                format!(
                    "{}, slow down: more than {} messages in {} s. Your messages will be removed for {} s.",
                    user.display_name(),
                    limits.max_messages,
                    limits.window_seconds,
                    limits.mute_seconds
                )
            }
            Err(e) => return Err(e),
        };
        delete_quietly(message)?;
        send(chat, notice)?;
        Ok(())
    }
}

impl Plugin for Antispam {
    fn manifest(&self) -> Manifest {
        Manifest::new().kind(EventKind::Message).permissions([
            Operation::Mute,
            Operation::Delete,
            Operation::Send,
        ])
    }

    fn init(&mut self, config: Value) -> Result<(), String> {
        self.config = wasmbot_sdk::config::parse::<Config>(config)?.validated()?;
        Ok(())
    }

    fn on_message(&mut self, message: Message) -> Result<(), Error> {
        // Nobody to protect in a one-to-one chat with the bot; the chat's admins and owners
        // (and the bot's admins) are trusted.
        if message.chat().is_private() || standing().is_admin() {
            return Ok(());
        }
        let sender = Sender {
            chat: message.chat().key(),
            user: message.sender.id.clone(),
        };
        let now = sent_at(&message);
        match self.tracker.record(sender.clone(), now, &self.config) {
            Verdict::Allow => Ok(()),
            Verdict::SoftMuted => delete_quietly(&message),
            Verdict::Flood => self.punish(&message, sender, now),
        }
    }

    fn save_state(&self) -> Option<Vec<u8>> {
        self.tracker.save()
    }

    fn restore_state(&mut self, state: Vec<u8>) {
        match Tracker::restore(&state) {
            Ok(tracker) => self.tracker = tracker,
            Err(e) => log::warn!("ignoring saved state from the previous version: {e}"),
        }
    }
}

/// Deletes a message; where the platform cannot delete, logs and carries on.
fn delete_quietly(message: &Message) -> Result<(), Error> {
    match message.delete() {
        Err(e) if e.is_unsupported() => {
            log::debug!("cannot delete message {}: {e}", message.id.id);
            Ok(())
        }
        other => other,
    }
}

/// When the message was sent (unix ms): the platform's time, which replays and reloads do not
/// change, or the clock when the platform sent none.
fn sent_at(message: &Message) -> u64 {
    if message.sent_at > 0 {
        return message.sent_at;
    }
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}

wasmbot_sdk::export_plugin!(Antispam);
