//! Places in the journal kept for plugins that are not running: removed ones, and those of the
//! last run that have not loaded since the start. A plugin that comes back under the same name
//! (a file replaced by delete-then-copy, moved out and back, or fixed after failing to load)
//! resumes where it stopped instead of at the head, so no event is lost to it. Bounded: a place is given up once it is more than
//! `max_lag` events behind the head, and at most [`MAX_PARKED`] are kept.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use super::progress::Progress;
use crate::store::Seq;

/// Removed plugins whose place is kept at the same time.
const MAX_PARKED: usize = 64;

#[derive(Debug, Default)]
pub(super) struct Parked {
    places: Mutex<HashMap<Arc<str>, Arc<Progress>>>,
}

impl Parked {
    /// Keeps a plugin's progress while it is away (a removed one's lanes may still be finishing
    /// events).
    pub fn park(&self, name: Arc<str>, progress: Arc<Progress>) {
        let Ok(mut places) = self.places.lock() else {
            return;
        };
        places.insert(name, progress);
        if places.len() > MAX_PARKED {
            let furthest_behind = places
                .iter()
                .min_by_key(|(_, p)| p.cursor())
                .map(|(name, _)| name.clone());
            if let Some(name) = furthest_behind {
                places.remove(&name);
                tracing::info!(plugin = %name, "removed plugin's place in the journal given up: too many removed plugins");
            }
        }
    }

    /// The progress of a plugin coming back, if its place was kept.
    pub fn take(&self, name: &str) -> Option<Arc<Progress>> {
        self.places.lock().ok()?.remove(name)
    }

    /// Each kept place: the plugin and the lowest event it may still need.
    pub fn places(&self) -> Vec<(String, Seq)> {
        let Ok(places) = self.places.lock() else {
            return Vec::new();
        };
        places
            .iter()
            .map(|(name, progress)| (name.to_string(), progress.low_watermark()))
            .collect()
    }

    /// Gives up the places more than `max_lag` behind `head`; of the others, adds the events in
    /// flight to `pins` and returns the lowest cursor (`head` if none).
    pub fn needs(&self, head: Seq, max_lag: Seq, pins: &mut BTreeSet<Seq>) -> Seq {
        let Ok(mut places) = self.places.lock() else {
            return head;
        };
        places.retain(|name, progress| {
            let kept = head.saturating_sub(progress.cursor()) <= max_lag;
            if !kept {
                tracing::info!(plugin = %name, max_lag, "removed plugin's place in the journal given up: it is too far behind");
            }
            kept
        });
        places
            .values()
            .filter_map(|progress| progress.needs(pins))
            .min()
            .unwrap_or(head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(cursor: Seq, in_flight: &[Seq]) -> Arc<Progress> {
        let progress = Progress::new(cursor);
        for seq in in_flight {
            progress.start(*seq);
        }
        Arc::new(progress)
    }

    #[test]
    fn a_place_holds_the_journal_until_it_is_too_far_behind() {
        let parked = Parked::default();
        parked.park("near".into(), progress(90, &[85]));
        parked.park("far".into(), progress(10, &[]));
        let mut pins = BTreeSet::new();
        assert_eq!(parked.needs(100, 50, &mut pins), 90);
        assert_eq!(pins, BTreeSet::from([85]));
        assert!(parked.take("far").is_none(), "90 behind with max_lag 50");
        assert_eq!(parked.take("near").map(|p| p.cursor()), Some(90));
        assert_eq!(parked.needs(100, 50, &mut pins), 100, "nothing parked");
    }

    #[test]
    fn beyond_the_cap_the_place_furthest_behind_is_given_up() {
        let parked = Parked::default();
        for i in 0..=MAX_PARKED as Seq {
            parked.park(format!("p{i}").into(), progress(i + 1, &[]));
        }
        assert!(parked.take("p0").is_none());
        assert!(parked.take("p1").is_some());
        assert!(parked.take(&format!("p{MAX_PARKED}")).is_some());
    }
}
