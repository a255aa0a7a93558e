//! What the store keeps of timers and schedules: one row per plugin and key, indexed by due time
//! so the firer reads only what is due. Setting and cancelling arrive with an event's commit
//! (`Commit::timers`); firing takes rows out and appends their events to the journal in the
//! same transaction (see [`TimerStore::fire`]).

use crate::model::{ChatRef, Inbound};
use crate::store::{Appended, Seq, StoreError};

/// A pending timer, or a schedule's next firing, as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Timer {
    /// The timer's key, or the schedule's name.
    pub key: String,
    /// When it is due, Unix milliseconds.
    pub due_at: u64,
    pub payload: String,
    /// The chat its event happens in; none for a schedule or a chat-less timer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<ChatRef>,
    /// Set for a schedule's row: what its next instant is computed from once it fires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Recurrence>,
}

/// A schedule's cron expression and time zone, kept with its row so a changed schedule is
/// recognised (and its next instant recomputed) when the plugin is loaded again.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Recurrence {
    pub cron: String,
    /// IANA name; empty: UTC.
    pub timezone: String,
}

impl Timer {
    /// Where the row lives within its plugin's rows: schedules apart from timers (a schedule
    /// and a timer may share a name), as timer keys never start with a control character.
    pub(crate) fn slot(&self) -> String {
        slot(&self.key, self.schedule.is_some())
    }
}

/// The slot of a timer key (`scheduled`: a schedule's name).
pub(crate) fn slot(key: &str, scheduled: bool) -> String {
    if scheduled {
        format!("\u{0}{key}")
    } else {
        key.to_owned()
    }
}

/// Whether a stored slot is a schedule's.
pub(crate) fn is_schedule_slot(slot: &str) -> bool {
    slot.starts_with('\u{0}')
}

/// A change to a plugin's timers that an event's commit carries.
#[derive(Debug, Clone, PartialEq)]
pub enum TimerChange {
    /// Sets (or replaces) the timer of the same key; its `schedule` is `None`.
    Set(Timer),
    /// Cancels the timer of this key, if any.
    Cancel(String),
}

impl TimerChange {
    pub fn key(&self) -> &str {
        match self {
            TimerChange::Set(timer) => &timer.key,
            TimerChange::Cancel(key) => key,
        }
    }
}

/// One due row to fire: its event goes to the journal and the row leaves (or, for a schedule,
/// moves to its next instant), in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Firing {
    pub plugin: String,
    /// The row as the firer read it: fired only if it is still stored unchanged (a commit
    /// may have replaced or cancelled it meanwhile).
    pub timer: Timer,
    /// The event to append.
    pub inbound: Inbound,
    /// A schedule's next instant; `None`: the row leaves (a timer, or a schedule with no
    /// instant left).
    pub next_due: Option<u64>,
}

/// What [`TimerStore::fire`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FireOutcome {
    /// The journal positions of the events appended, in order.
    pub appended: Vec<Seq>,
    /// Rows consumed: fired, or found already fired (a duplicate instant) and moved on.
    pub fired: usize,
    /// The journal was full: the firings from the first that did not fit on were left as
    /// they were, to fire once a release makes room.
    pub journal_full: bool,
}

/// What a backend does for [`fire`], on its open transaction (or under its lock).
pub(crate) trait FireSteps {
    /// The row in `slot`, if any.
    fn stored(&mut self, plugin: &str, slot: &str) -> Result<Option<Timer>, StoreError>;
    /// Appends an event to the journal (deduplicated, bounded).
    fn append(&mut self, inbound: &Inbound) -> Result<Appended, StoreError>;
    /// Removes the row in `slot`.
    fn take(&mut self, plugin: &str, slot: &str) -> Result<(), StoreError>;
    /// Stores a row in its slot.
    fn put(&mut self, plugin: &str, timer: &Timer) -> Result<(), StoreError>;
}

/// `TimerStore::fire` on any backend: each firing whose row is still stored unchanged appends
/// its event and takes its row out (a schedule's moves to its next instant); a full journal
/// stops it, leaving the rest.
pub(crate) fn fire(
    steps: &mut impl FireSteps,
    firings: Vec<Firing>,
) -> Result<FireOutcome, StoreError> {
    let mut outcome = FireOutcome::default();
    for firing in firings {
        let slot = firing.timer.slot();
        if steps.stored(&firing.plugin, &slot)?.as_ref() != Some(&firing.timer) {
            continue; // replaced or cancelled since it was read
        }
        match steps.append(&firing.inbound) {
            Ok(Appended::New(seq)) => outcome.appended.push(seq),
            Ok(Appended::Duplicate(_)) => {} // this instant fired before: only move on
            Err(StoreError::JournalFull(_)) => {
                outcome.journal_full = true;
                break;
            }
            Err(e) => return Err(e),
        }
        outcome.fired += 1;
        steps.take(&firing.plugin, &slot)?;
        if let Some(next) = firing.next_due {
            let timer = Timer {
                due_at: next,
                ..firing.timer
            };
            steps.put(&firing.plugin, &timer)?;
        }
    }
    Ok(outcome)
}

/// The rows `TimerStore::set_schedules` writes: `schedules`, each keeping the due time of the
/// stored row of its name when the recurrence is unchanged.
pub(crate) fn keep_instants(stored: Vec<Timer>, schedules: Vec<Timer>) -> Vec<Timer> {
    let mut stored: std::collections::HashMap<String, Timer> =
        stored.into_iter().map(|t| (t.key.clone(), t)).collect();
    schedules
        .into_iter()
        .map(|mut schedule| {
            if let Some(kept) = stored.remove(&schedule.key) {
                if kept.schedule == schedule.schedule {
                    schedule.due_at = kept.due_at;
                }
            }
            schedule
        })
        .collect()
}
