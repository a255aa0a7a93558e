//! Dialogues: a conversation with one user in one chat, step by step, without blocking.
//!
//! [`start`] puts a user in a dialogue at a step. That user's next message in that chat goes to
//! [`Plugin::on_dialogue`](crate::Plugin::on_dialogue) before any ordinary handling (commands
//! included, so `/cancel` can end it), together with the [`Dialogue`]: its step and the data
//! gathered so far. The step answers, then moves on ([`Dialogue::next`]) or ends
//! ([`Dialogue::end`]). A dialogue nobody answers ends by itself after its timeout and the plugin
//! hears of it in [`Plugin::on_dialogue_timeout`](crate::Plugin::on_dialogue_timeout).
//!
//! The state lives in [`kv`](crate::kv) and the timeout is a [`timers`](crate::timers) timer, so
//! both are committed with the event that changed them and survive reloads and restarts. A
//! plugin turns dialogues on with [`Plugin::DIALOGUES`](crate::Plugin::DIALOGUES) (one kv read
//! per message, so it is off by default).
//!
//! ```no_run
//! use std::time::Duration;
//! use wasmbot_sdk::dialogue::{self, Dialogue};
//! use wasmbot_sdk::prelude::*;
//!
//! #[derive(Default)]
//! struct Ask;
//!
//! impl Plugin for Ask {
//!     const DIALOGUES: bool = true;
//!
//!     fn on_command(&mut self, command: Command) -> Result<(), Error> {
//!         let user = &command.message.sender.id;
//!         dialogue::start(command.chat(), user, "name", &(), Duration::from_secs(120))?;
//!         command.reply("What's your name?")?;
//!         Ok(())
//!     }
//!
//!     fn on_dialogue(&mut self, dialogue: Dialogue, message: Message) -> Result<(), Error> {
//!         let name = message.text().unwrap_or_default().to_owned();
//!         dialogue.end()?;
//!         message.reply(format!("Thanks, {name}!"))?;
//!         Ok(())
//!     }
//! }
//! # fn main() {}
//! ```

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{ChatRef, Message, Timer};
use crate::timers::{self, Due};
use crate::{kv, Error};

/// The prefix of every dialogue's kv key and timer key.
const PREFIX: &str = "dialogue:";

/// A running dialogue: who, where, at which step, with what gathered so far.
#[derive(Debug, Clone, PartialEq)]
pub struct Dialogue {
    chat: ChatRef,
    user: String,
    saved: Saved,
}

/// What is kept in kv under the dialogue's key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Saved {
    step: String,
    data: Value,
    timeout_ms: u64,
}

/// Starts a dialogue with `user` in `chat` at `step`, with `data` (anything serde can encode),
/// replacing one already running there. It ends by itself if `user` says nothing there for
/// `timeout`; each [`Dialogue::next`] starts the wait again.
pub fn start<T: Serialize + ?Sized>(
    chat: &ChatRef,
    user: &str,
    step: &str,
    data: &T,
    timeout: Duration,
) -> Result<(), Error> {
    let saved = Saved {
        step: step.to_owned(),
        data: serde_json::to_value(data)?,
        timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
    };
    Dialogue {
        chat: chat.clone(),
        user: user.to_owned(),
        saved,
    }
    .save()
}

impl Dialogue {
    /// The chat the dialogue is held in.
    pub fn chat(&self) -> &ChatRef {
        &self.chat
    }

    /// The id of the user the dialogue is with.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The step the user's message answers.
    pub fn step(&self) -> &str {
        &self.saved.step
    }

    /// The data gathered so far, decoded as `T`.
    pub fn data<T: DeserializeOwned>(&self) -> Result<T, Error> {
        Ok(serde_json::from_value(self.saved.data.clone())?)
    }

    /// Moves on to `step` with `data`; the timeout starts again.
    pub fn next<T: Serialize + ?Sized>(mut self, step: &str, data: &T) -> Result<(), Error> {
        self.saved.step = step.to_owned();
        self.saved.data = serde_json::to_value(data)?;
        self.save()
    }

    /// Ends the dialogue: the user's next message is handled as usual again.
    pub fn end(self) -> Result<(), Error> {
        let key = key(&self.chat, &self.user);
        kv::delete(&key)?;
        timers::cancel(&key);
        Ok(())
    }

    fn save(&self) -> Result<(), Error> {
        let key = key(&self.chat, &self.user);
        kv::set(&key, &self.saved)?;
        let timeout = Due::After(Duration::from_millis(self.saved.timeout_ms));
        timers::set(&key, timeout, &self.user, Some(&self.chat))
    }
}

/// The dialogue `message`'s sender is in, in its chat.
pub(crate) fn find(message: &Message) -> Result<Option<Dialogue>, Error> {
    load(message.chat(), &message.sender.id)
}

/// The dialogue a timer timed out, ended; `None` for any other timer (or one already ended).
pub(crate) fn timed_out(timer: &Timer) -> Result<Option<Dialogue>, Error> {
    let (Some(chat), true) = (&timer.chat, timer.key.starts_with(PREFIX)) else {
        return Ok(None);
    };
    let Some(dialogue) = load(chat, &timer.payload)? else {
        return Ok(None);
    };
    kv::delete(&key(chat, &timer.payload))?;
    Ok(Some(dialogue))
}

/// Whether a timer is a dialogue's (its timeout), not one the plugin set itself.
pub(crate) fn is_dialogue_timer(timer: &Timer) -> bool {
    timer.key.starts_with(PREFIX)
}

fn load(chat: &ChatRef, user: &str) -> Result<Option<Dialogue>, Error> {
    let saved: Option<Saved> = kv::get(&key(chat, user))?;
    Ok(saved.map(|saved| Dialogue {
        chat: chat.clone(),
        user: user.to_owned(),
        saved,
    }))
}

/// One key per user per chat, for the kv state and the timeout timer alike.
fn key(chat: &ChatRef, user: &str) -> String {
    format!("{PREFIX}{}:{user}", chat.key())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::chat;

    #[test]
    fn one_key_per_user_per_chat() {
        let mut other = chat();
        other.id = "c2".into();
        assert_eq!(key(&chat(), "u1"), "dialogue:sim:main:c1:u1");
        assert_ne!(key(&chat(), "u1"), key(&other, "u1"));
        assert_ne!(key(&chat(), "u1"), key(&chat(), "u2"));
    }

    #[test]
    fn only_dialogue_timers_are_taken() {
        let timer = |key: &str| Timer {
            key: key.into(),
            payload: "u1".into(),
            due_at: 0,
            fired_at: 0,
            chat: Some(chat()),
            scheduled: false,
        };
        assert!(is_dialogue_timer(&timer("dialogue:sim:main:c1:u1")));
        assert!(!is_dialogue_timer(&timer("remind:1")));
    }
}
