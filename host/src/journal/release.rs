//! What the journal may forget, and the places it keeps for plugins that are not running.
//!
//! An event may go once every running plugin is past it and so is every kept place (a removed
//! plugin's, or one of the last run not loaded yet, until it falls `max_lag` behind). Each
//! running plugin's place is saved too, so the next start resumes there.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use super::parked::Parked;
use super::progress::Progress;
use crate::store::{JournalStore, Seq, StoreError};

/// The places of the plugins not running, and the last release and save, so that a tick that
/// would change nothing writes nothing.
#[derive(Debug, Default)]
pub struct Places {
    /// Events a plugin may trail the head before its kept place is given up; `None`: places
    /// are neither kept nor saved.
    max_lag: Option<Seq>,
    parked: Parked,
    /// The places last saved in the store.
    saved: Mutex<Vec<(String, Seq)>>,
    /// The last release: where it cut the journal and the events before that it kept.
    released: Mutex<(Seq, BTreeSet<Seq>)>,
}

impl Places {
    pub fn new(max_lag: Option<Seq>) -> Self {
        Self {
            max_lag,
            ..Self::default()
        }
    }

    /// Keeps a stopped plugin's place (its lanes may still be finishing events), if places are
    /// kept at all.
    pub fn park(&self, name: Arc<str>, progress: Arc<Progress>) {
        if self.max_lag.is_some() {
            self.parked.park(name, progress);
        }
    }

    /// Keeps the places the last run saved, for plugins that have not loaded yet.
    pub fn park_known(&self, places: Vec<(String, Seq)>) {
        for (name, seq) in places {
            self.park(name.into(), Arc::new(Progress::new(seq)));
        }
    }

    /// The kept place of a plugin coming back, if any.
    pub fn take(&self, name: &str) -> Option<Arc<Progress>> {
        self.parked.take(name)
    }

    /// Each kept place: the plugin and the lowest event it may still need.
    pub fn waiting(&self) -> Vec<(String, Seq)> {
        self.parked.places()
    }

    /// Lets the journal forget what `running` plugins and the kept places are all past, then
    /// saves every place. A plugin's events still in its lanes stay even when its cursor has
    /// moved far beyond them (it sheds while they wait for outbox room), so they cannot hold
    /// every later event in the journal.
    pub fn release(
        &self,
        store: &dyn JournalStore,
        running: &[(Arc<str>, Arc<Progress>)],
    ) -> Result<(), StoreError> {
        let head = store.head()?;
        let mut pins = BTreeSet::new();
        let mut low = head;
        let mut places = Vec::new();
        for (name, progress) in running {
            low = low.min(progress.needs(&mut pins).unwrap_or(0));
            places.push((name.to_string(), progress.low_watermark()));
        }
        if let Some(max_lag) = self.max_lag {
            low = low.min(self.parked.needs(head, max_lag, &mut pins));
            places.extend(self.parked.places());
        }
        // Events from `low` on stay anyway.
        pins.split_off(&low);
        unless_unchanged(&self.released, (low, pins), |(low, pins)| {
            store.release_before(*low, pins)
        })?;
        if self.max_lag.is_some() {
            places.sort();
            unless_unchanged(&self.saved, places, |places| store.save_places(places))?;
        }
        Ok(())
    }
}

/// Runs `write` for `value` unless it equals the last value written (kept in `last`): the
/// releaser runs every 200 ms, and a store write that changes nothing still costs an fsync.
fn unless_unchanged<T: PartialEq>(
    last: &Mutex<T>,
    value: T,
    write: impl FnOnce(&T) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let Ok(mut last) = last.lock() else {
        return Ok(());
    };
    if *last != value {
        write(&value)?;
        *last = value;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_that_would_change_nothing_is_skipped_and_a_failed_one_is_tried_again() {
        let last = Mutex::new((0, BTreeSet::new()));
        let mut writes = Vec::new();
        let mut release = |value: (Seq, BTreeSet<Seq>), fail: bool| {
            unless_unchanged(&last, value, |v| {
                writes.push(v.clone());
                if fail {
                    Err(StoreError::Backend("disk".into()))
                } else {
                    Ok(())
                }
            })
        };
        release((0, BTreeSet::new()), false).unwrap(); // as at start: nothing to do
        release((5, BTreeSet::from([2])), false).unwrap();
        release((5, BTreeSet::from([2])), false).unwrap(); // idle tick
        assert!(release((9, BTreeSet::new()), true).is_err());
        release((9, BTreeSet::new()), false).unwrap(); // the failed one again
        assert_eq!(
            writes,
            vec![
                (5, BTreeSet::from([2])),
                (9, BTreeSet::new()),
                (9, BTreeSet::new())
            ]
        );
    }
}
