//! `remind`: `/remind 10m stretch` posts "⏰ stretch" in this chat ten minutes later;
//! `/reminders` lists this chat's pending reminders, numbered; `/forget N` cancels the Nth.
//!
//! Each reminder is a host timer (see `wasmbot_sdk::timers`) keyed by the chat and the command
//! message, with the text as its payload: it outlives reloads and restarts, and one that came
//! due while the daemon was down is posted once when it is back.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use wasmbot_sdk::prelude::*;
use wasmbot_sdk::timers::{self, Due, Pending};

const USAGE: &str =
    "Usage: /remind DURATION TEXT, e.g. /remind 10m stretch (s, m, h or d; 1h30m works too)";
/// The longest reminder: a year.
const MAX_DELAY: Duration = Duration::from_secs(365 * 24 * 3600);
/// Most reminders `/reminders` and `/forget` look through.
const MAX_LISTED: u32 = 10_000;

#[derive(Debug, Default)]
struct Remind;

impl Plugin for Remind {
    fn manifest(&self) -> Manifest {
        Manifest::new()
            .command(
                CommandHelp::new("remind", "Posts a reminder in this chat later")
                    .arg("DURATION", "how long from now: 30s, 10m, 2h, 1d or 1h30m")
                    .arg("TEXT", "what to remind of"),
            )
            .command(CommandHelp::new(
                "reminders",
                "Lists this chat's reminders, numbered",
            ))
            .command(
                CommandHelp::new("forget", "Cancels one of this chat's reminders")
                    .arg("N", "its number in /reminders"),
            )
            .permissions([Operation::Send, Operation::Reply])
    }

    fn on_command(&mut self, command: Command) -> Result<(), Error> {
        let answer = match command.name.as_str() {
            "remind" => remind(&command),
            "reminders" => list(command.chat()),
            "forget" => forget(command.chat(), command.args.trim()),
            _ => return Ok(()),
        };
        command.reply(answer)?;
        Ok(())
    }

    fn on_timer(&mut self, timer: Timer) -> Result<(), Error> {
        if let Some(chat) = &timer.chat {
            send(chat, format!("⏰ {}", timer.payload))?;
        }
        Ok(())
    }
}

/// Sets the reminder `/remind DURATION TEXT` asks for; the answer says when, or how to ask.
fn remind(command: &Command) -> String {
    let args = command.args.trim();
    let (duration, text) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
    let (Some(delay), text) = (parse_duration(duration), text.trim()) else {
        return USAGE.into();
    };
    if text.is_empty() {
        return USAGE.into();
    }
    let key = format!("{}#{}", prefix(command.chat()), command.message.id.id);
    match timers::set(&key, Due::After(delay), text, Some(command.chat())) {
        Ok(()) => format!("OK, in {}: {text}", describe(delay)),
        Err(Error::Denied(why)) => {
            format!("Too many reminders pending ({why}); /forget some first")
        }
        Err(e) => format!("Cannot set that reminder: {e}"),
    }
}

/// This chat's reminders, soonest first.
fn of_chat(chat: &ChatRef) -> Vec<Pending> {
    let prefix = prefix(chat);
    timers::pending(MAX_LISTED)
        .into_iter()
        .filter(|t| t.key.starts_with(&prefix))
        .collect()
}

fn list(chat: &ChatRef) -> String {
    let reminders = of_chat(chat);
    if reminders.is_empty() {
        return "No reminders in this chat. Set one with /remind 10m stretch".into();
    }
    let now = now_ms();
    let lines: Vec<String> = reminders
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let left = Duration::from_millis(t.due_at.saturating_sub(now));
            format!("{}. in {}: {}", i + 1, describe(left), t.payload)
        })
        .collect();
    format!("Reminders in this chat:\n{}", lines.join("\n"))
}

fn forget(chat: &ChatRef, which: &str) -> String {
    let reminders = of_chat(chat);
    let chosen = which
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| reminders.get(i));
    match chosen {
        Some(t) if timers::cancel(&t.key) => format!("Forgot reminder {which}: {}", t.payload),
        Some(_) => format!("Reminder {which} has just gone off"),
        None => format!(
            "Usage: /forget N, with N from /reminders (this chat has {})",
            reminders.len()
        ),
    }
}

/// What the keys of a chat's reminders start with.
fn prefix(chat: &ChatRef) -> String {
    format!("{}#", chat.key())
}

/// `30s`, `10m`, `2h`, `1d`, or several (`1h30m`) as the SDK reads them; `None` for anything
/// else, zero, or more than [`MAX_DELAY`].
fn parse_duration(text: &str) -> Option<Duration> {
    timers::parse_duration(text).filter(|delay| *delay <= MAX_DELAY)
}

/// `1h 30m`, `45s`: the largest two units.
fn describe(delay: Duration) -> String {
    let secs = delay.as_secs();
    let parts = [
        (secs / 86_400, "d"),
        (secs / 3600 % 24, "h"),
        (secs / 60 % 60, "m"),
        (secs % 60, "s"),
    ];
    let shown: Vec<String> = parts
        .iter()
        .skip_while(|(n, _)| *n == 0)
        .take(2)
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect();
    if shown.is_empty() {
        "0s".into()
    } else {
        shown.join(" ")
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

wasmbot_sdk::export_plugin!(Remind);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_bad_ones_do_not() {
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("10m"), Some(Duration::from_secs(600)));
        assert_eq!(parse_duration("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        for bad in [
            "",
            "10",
            "m",
            "0s",
            "10x",
            "-5m",
            "400d",
            "99999999999999999999s",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn delays_read_in_two_units() {
        assert_eq!(describe(Duration::from_secs(5400)), "1h 30m");
        assert_eq!(describe(Duration::from_secs(45)), "45s");
        assert_eq!(describe(Duration::from_secs(86_400 + 5)), "1d");
        assert_eq!(describe(Duration::ZERO), "0s");
    }
}
