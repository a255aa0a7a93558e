//! The check that every event of a load got its one reply, with the right text in the right
//! chat; and the per-event latencies it yields.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};

use crate::load::{Load, Posted};
use crate::standin::Sent;

/// Listed by name in a failure; the rest only counted.
const SHOWN: usize = 20;

/// The replies of a load that passed the check.
#[derive(Debug)]
pub struct Delivered {
    /// POST sent → reply at the stand-in, per event, sorted.
    pub latencies: Vec<Duration>,
    /// When the last reply reached the stand-in.
    pub last_reply: Instant,
}

/// What went wrong with a load's replies.
#[derive(Debug, Default)]
struct Problems {
    wrong_chat: Vec<String>,
    unexpected: Vec<String>,
}

/// Checks `sent` against `load`: each event's reply exactly once, in its sender's group chat.
pub fn check(load: Load, posted: &Posted, sent: &[Sent]) -> Result<Delivered> {
    let mut first: Vec<Option<Instant>> = vec![None; load.events];
    let mut count = vec![0u32; load.events];
    let mut problems = Problems::default();
    for message in sent {
        let Some(n) = event_of(load, &message.text) else {
            problems
                .unexpected
                .push(format!("{:?} to {}", message.text, message.chat));
            continue;
        };
        let chat = Load::chat(n % load.senders);
        if message.chat != chat || message.chat_type != "group" {
            let to = format!("{} {}", message.chat_type, message.chat);
            let wrong = format!("{:?} to {to} instead of group {chat}", message.text);
            problems.wrong_chat.push(wrong);
        }
        count[n] += 1;
        first[n].get_or_insert(message.at);
    }
    let missing: Vec<String> = (0..load.events)
        .filter(|&n| count[n] == 0)
        .map(|n| load.reply(n))
        .collect();
    let duplicated: Vec<String> = (0..load.events)
        .filter(|&n| count[n] > 1)
        .map(|n| format!("{} ×{}", load.reply(n), count[n]))
        .collect();
    let report = problems.report(&missing, &duplicated);
    if !report.is_empty() {
        bail!("{} events, {} replies:{report}", load.events, sent.len());
    }
    Ok(delivered(posted, &first))
}

/// The event number in a reply text of `load` (`m17` → 17), if it is one.
fn event_of(load: Load, text: &str) -> Option<usize> {
    let n: usize = text.strip_prefix(load.label)?.parse().ok()?;
    (n < load.events).then_some(n)
}

impl Problems {
    /// One line per kind of problem, each listing the first [`SHOWN`]; empty if none.
    fn report(&self, missing: &[String], duplicated: &[String]) -> String {
        let mut out = String::new();
        for (what, list) in [
            ("missing", missing),
            ("duplicated", duplicated),
            ("in the wrong chat", &self.wrong_chat),
            ("not of this load", &self.unexpected),
        ] {
            if !list.is_empty() {
                let shown = list[..list.len().min(SHOWN)].join(", ");
                let _ = write!(out, "\n  {} {what}: {shown}", list.len());
                if list.len() > SHOWN {
                    out.push_str(", …");
                }
            }
        }
        out
    }
}

/// Latencies from each event's POST to its first reply.
fn delivered(posted: &Posted, first: &[Option<Instant>]) -> Delivered {
    let mut latencies = Vec::with_capacity(first.len());
    let mut last_reply = posted.started;
    for (n, at) in first.iter().enumerate() {
        let at = at.unwrap_or(posted.started);
        latencies.push(at.saturating_duration_since(posted.sent_at[n]));
        last_reply = last_reply.max(at);
    }
    latencies.sort_unstable();
    Delivered {
        latencies,
        last_reply,
    }
}

/// The `p`th percentile (0–100) of sorted values, nearest rank.
pub fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted[rank - 1]
}
