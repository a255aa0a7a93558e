//! How far a plugin has got through the journal: events below its low watermark are finished
//! for it, so the journal may forget them once every plugin is past them.

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
}

impl Progress {
    pub fn new(cursor: Seq) -> Self {
        Self {
            inner: Mutex::new(Inner {
                cursor,
                in_flight: BTreeSet::new(),
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

    /// How many events are in the plugin's lanes.
    pub fn in_flight(&self) -> usize {
        self.inner.lock().map(|i| i.in_flight.len()).unwrap_or(0)
    }
}
