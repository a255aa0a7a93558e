//! Which plugins the operator has disabled. A disabled plugin keeps its place: its feeder and
//! lanes stay, its lanes just take no job until it is enabled again, so its events wait in
//! the journal (as they wait for a plugin that is away) and none is lost or handled twice.
//! A switch outlives reloads and removals of its plugin: it belongs to the name.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

/// One switch per plugin name, made on first use (enabled).
#[derive(Debug, Default)]
pub struct Switches(Mutex<HashMap<Arc<str>, watch::Sender<bool>>>);

impl Switches {
    /// A receiver of the plugin's switch (`true`: enabled), for its lanes.
    pub fn subscribe(&self, name: &Arc<str>) -> watch::Receiver<bool> {
        match self.0.lock() {
            Ok(mut map) => map
                .entry(name.clone())
                .or_insert_with(|| watch::Sender::new(true))
                .subscribe(),
            Err(_) => watch::Sender::new(true).subscribe(),
        }
    }

    /// Turns the plugin on or off; `true` if that changed it.
    pub fn set(&self, name: &str, enabled: bool) -> bool {
        let Ok(mut map) = self.0.lock() else {
            return false;
        };
        let switch = map
            .entry(Arc::from(name))
            .or_insert_with(|| watch::Sender::new(true));
        switch.send_if_modified(|on| std::mem::replace(on, enabled) != enabled)
    }

    pub fn is_enabled(&self, name: &str) -> bool {
        self.0
            .lock()
            .ok()
            .and_then(|map| map.get(name).map(|s| *s.borrow()))
            .unwrap_or(true)
    }

    /// The names switched off, sorted.
    pub fn disabled(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .0
            .lock()
            .map(|map| {
                map.iter()
                    .filter(|(_, s)| !*s.borrow())
                    .map(|(n, _)| n.to_string())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_switch_starts_on_and_tells_its_lanes() {
        let switches = Switches::default();
        let name: Arc<str> = Arc::from("echo");
        let lane = switches.subscribe(&name);
        assert!(*lane.borrow());
        assert!(switches.set("echo", false));
        assert!(!switches.set("echo", false), "no change the second time");
        assert!(!*lane.borrow());
        assert_eq!(switches.disabled(), vec!["echo".to_string()]);
        assert!(switches.set("echo", true));
        assert!(switches.is_enabled("echo"));
    }
}
