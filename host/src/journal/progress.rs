//! How far a plugin has got through the journal: events below its cursor that are not in
//! flight are finished (or shed) for it, so the journal may forget them once every plugin is
//! past them.

use std::collections::BTreeSet;
use std::sync::Mutex;

use crate::store::Seq;

#[derive(Debug, Default)]
pub struct Progress {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Everything below this has been looked at by the feeder.
    cursor: Seq,
    /// Dispatched to a lane, not committed yet.
    in_flight: BTreeSet<Seq>,
    /// Events skipped because the plugin had fallen too far behind.
    shed: u64,
}

impl Progress {
    pub fn new(cursor: Seq) -> Self {
        Self {
            inner: Mutex::new(Inner {
                cursor,
                ..Inner::default()
            }),
        }
    }

    pub fn start(&self, seq: Seq) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.in_flight.insert(seq);
        }
    }

    pub fn finish(&self, seq: Seq) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.in_flight.remove(&seq);
        }
    }

    pub fn advance(&self, cursor: Seq) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.cursor = inner.cursor.max(cursor);
        }
    }

    /// Everything below this has been looked at by the feeder.
    pub fn cursor(&self) -> Seq {
        self.inner.lock().map(|i| i.cursor).unwrap_or(0)
    }

    /// Counts an event skipped for lag; returns how many have been skipped so far.
    pub fn shed(&self) -> u64 {
        match self.inner.lock() {
            Ok(mut inner) => {
                inner.shed += 1;
                inner.shed
            }
            Err(_) => 0,
        }
    }

    pub fn shed_total(&self) -> u64 {
        self.inner.lock().map(|i| i.shed).unwrap_or(0)
    }

    /// The lowest event this plugin may still need.
    pub fn low_watermark(&self) -> Seq {
        match self.inner.lock() {
            Ok(inner) => inner
                .in_flight
                .first()
                .copied()
                .unwrap_or(inner.cursor)
                .min(inner.cursor),
            Err(_) => 0,
        }
    }

    /// What this plugin still needs of the journal: every event from the returned cursor on,
    /// and the events in flight, which it adds to `pins`. (`None` if the lock is poisoned:
    /// then it may need anything.)
    pub fn needs(&self, pins: &mut BTreeSet<Seq>) -> Option<Seq> {
        let inner = self.inner.lock().ok()?;
        pins.extend(inner.in_flight.iter().copied());
        Some(inner.cursor)
    }

    /// How many events are in the plugin's lanes.
    pub fn in_flight(&self) -> usize {
        self.inner.lock().map(|i| i.in_flight.len()).unwrap_or(0)
    }
}
