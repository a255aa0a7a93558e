//! Timers: a [`Timer`](crate::Timer) event for this plugin later, delivered to
//! [`Plugin::on_timer`](crate::Plugin::on_timer).
//!
//! Setting and cancelling are effects, like a message: they take effect only if the handler
//! returns `Ok`, together with its other effects. Timers belong to the plugin's name, so they
//! outlive hot reloads and restarts; one missed while the daemon was down fires once when it
//! is back, with its original `due_at`.
//!
//! ```no_run
//! # fn demo(command: wasmbot_sdk::Command) -> Result<(), wasmbot_sdk::Error> {
//! use std::time::Duration;
//! use wasmbot_sdk::timers::{self, Due};
//! // In ten minutes, a `timer` event keyed "stretch" in the command's chat.
//! timers::set("stretch", Due::After(Duration::from_secs(600)), "stand up", Some(command.chat()))?;
//! # Ok(()) }
//! ```

use std::time::Duration;

use crate::bindings::wasmbot::bot0_2_0::timers as wit;
use crate::model::ChatRef;
use crate::Error;

/// When a timer is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// This long from now (to the millisecond).
    After(Duration),
    /// At this Unix time in milliseconds; a time past fires at once.
    At(u64),
}

/// A pending timer, as [`pending`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The key it was set under.
    pub key: String,
    /// When it is due, Unix milliseconds.
    pub due_at: u64,
    /// What is stored with it.
    pub payload: String,
    /// The chat it was set for.
    pub chat: Option<ChatRef>,
}

/// Reads a duration as people write it: `30s`, `10m`, `2h`, `1d`, or several together (`1h30m`).
/// `None` for anything else, zero included.
///
/// ```
/// use std::time::Duration;
/// use wasmbot_sdk::timers::parse_duration;
/// assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
/// assert_eq!(parse_duration("soon"), None);
/// ```
pub fn parse_duration(text: &str) -> Option<Duration> {
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            _ => return None,
        };
        let amount: u64 = std::mem::take(&mut digits).parse().ok()?;
        total = total.checked_add(amount.checked_mul(unit)?)?;
    }
    (digits.is_empty() && total > 0).then(|| Duration::from_secs(total))
}

/// Sets timer `key`, replacing one of the same key: at `due` the plugin gets a timer event with
/// `payload`, in `chat` when given (replies go there, in order with that chat's events).
///
/// Fails with [`Error::Denied`] when the plugin's timer quota is used up, and with
/// [`Error::Invalid`] for a key, payload or chat the host refuses.
pub fn set(key: &str, due: Due, payload: &str, chat: Option<&ChatRef>) -> Result<(), Error> {
    let due = match due {
        Due::After(after) => {
            wit::Due::AfterMs(u64::try_from(after.as_millis()).unwrap_or(u64::MAX))
        }
        Due::At(at) => wit::Due::AtMs(at),
    };
    wit::set(key, due, payload, chat).map_err(|e| match e {
        wit::TimerError::Quota(quota) => {
            Error::Denied(format!("the plugin has {quota} timers pending, its quota"))
        }
        wit::TimerError::Invalid(why) => Error::Invalid(why),
    })
}

/// Cancels timer `key`; `false` when there was none.
pub fn cancel(key: &str) -> bool {
    wit::cancel(key)
}

/// The plugin's pending timers, soonest first, at most `max`, this handler's changes included.
pub fn pending(max: u32) -> Vec<Pending> {
    wit::list_pending(max)
        .into_iter()
        .map(|t| Pending {
            key: t.key,
            due_at: t.due_at,
            payload: t.payload,
            chat: t.chat,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_written() {
        let secs = |s| Some(Duration::from_secs(s));
        assert_eq!(parse_duration("30s"), secs(30));
        assert_eq!(parse_duration("10m"), secs(600));
        assert_eq!(parse_duration(" 2h "), secs(7_200));
        assert_eq!(parse_duration("1d2h"), secs(93_600));
        for bad in [
            "",
            "10",
            "m",
            "0s",
            "5x",
            "1.5h",
            "-3m",
            "99999999999999999999d",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }
}
