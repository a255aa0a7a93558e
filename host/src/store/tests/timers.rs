//! Timers and schedules, against every store.

use super::{chat, inbound, open_fjall, open_redb};
use crate::model::{Inbound, TimerFired};
use crate::store::*;

fn timer(key: &str, due_at: u64) -> Timer {
    Timer {
        key: key.into(),
        due_at,
        payload: format!("payload of {key}"),
        chat: Some(chat()),
        schedule: None,
    }
}

fn schedule(name: &str, due_at: u64, cron: &str) -> Timer {
    Timer {
        key: name.into(),
        due_at,
        payload: String::new(),
        chat: None,
        schedule: Some(Recurrence {
            cron: cron.into(),
            timezone: String::new(),
        }),
    }
}

fn changes(changes: Vec<TimerChange>) -> Commit {
    Commit {
        timers: changes,
        ..Commit::default()
    }
}

fn set(key: &str, due_at: u64) -> TimerChange {
    TimerChange::Set(timer(key, due_at))
}

/// The firing the firer would make of a due row.
fn firing(plugin: &str, timer: Timer, next_due: Option<u64>) -> Firing {
    let fired = TimerFired {
        plugin: plugin.into(),
        key: timer.key.clone(),
        payload: timer.payload.clone(),
        due_at: timer.due_at,
        fired_at: timer.due_at + 1,
        scheduled: timer.schedule.is_some(),
    };
    let dedupe = timer
        .schedule
        .as_ref()
        .map(|_| format!("schedule/{plugin}/{}/{}", timer.key, timer.due_at));
    Firing {
        plugin: plugin.into(),
        inbound: Inbound::timer(fired, timer.chat.clone(), dedupe),
        timer,
        next_due,
    }
}

/// Firings of everything due at `now`.
fn due_firings(store: &dyn Store, now: u64) -> Vec<Firing> {
    let due = store.timers_due(now, 100).unwrap();
    due.into_iter()
        .map(|(plugin, t)| firing(&plugin, t, None))
        .collect()
}

fn keys(timers: &[Timer]) -> Vec<&str> {
    timers.iter().map(|t| t.key.as_str()).collect()
}

fn timers_are_set_replaced_and_cancelled_by_commits(make: &dyn Fn(Bounds) -> Box<dyn Store>) {
    let store = make(Bounds::default());
    store
        .commit("p", 0, changes(vec![set("a", 30), set("b", 10)]))
        .unwrap();
    store.commit("q", 0, changes(vec![set("a", 20)])).unwrap();
    assert_eq!(keys(&store.timers_of("p", 10).unwrap()), ["b", "a"]);
    assert_eq!(keys(&store.timers_of("p", 1).unwrap()), ["b"]);
    assert_eq!(store.timer_count("p").unwrap(), 2);
    assert_eq!(store.timer("p", "a").unwrap(), Some(timer("a", 30)));
    assert_eq!(store.next_due().unwrap(), Some(10));

    // Replacing moves it in the due index and counts it once.
    store.commit("p", 1, changes(vec![set("a", 5)])).unwrap();
    assert_eq!(store.timer_count("p").unwrap(), 2);
    let due: Vec<(String, u64)> = store
        .timers_due(20, 10)
        .unwrap()
        .into_iter()
        .map(|(p, t)| (p, t.due_at))
        .collect();
    assert_eq!(due, [("p".into(), 5), ("p".into(), 10), ("q".into(), 20)]);

    let cancel = TimerChange::Cancel("b".into());
    store.commit("p", 2, changes(vec![cancel])).unwrap();
    assert_eq!(keys(&store.timers_of("p", 10).unwrap()), ["a"]);
    assert_eq!(store.timer_count("p").unwrap(), 1);
    // A commit replayed after a crash changes nothing.
    store.commit("p", 0, changes(vec![set("z", 1)])).unwrap();
    assert_eq!(store.timer("p", "z").unwrap(), None);
    assert_eq!(store.timer_count("q").unwrap(), 1, "q's timers are its own");
}

fn a_fired_timer_is_appended_once_and_leaves(make: &dyn Fn(Bounds) -> Box<dyn Store>) {
    let store = make(Bounds::default());
    store.append(&inbound(None), &[]).unwrap();
    store
        .commit(
            "p",
            0,
            changes(vec![set("a", 10), set("b", 11), set("late", 99)]),
        )
        .unwrap();
    let firings = due_firings(store.as_ref(), 11);
    assert_eq!(firings.len(), 2);
    // `b` is replaced after the firer read it: its stale firing does nothing.
    store.commit("p", 1, changes(vec![set("b", 50)])).unwrap();
    let outcome = store.fire(firings.clone()).unwrap();
    assert_eq!(outcome.appended, [1]);
    assert_eq!(outcome.fired, 1);
    assert!(!outcome.journal_full);
    let (_, event) = &store.read(1, 10).unwrap()[0];
    let fired = event.timer.as_ref().expect("the journal records the timer");
    assert_eq!((fired.plugin.as_str(), fired.key.as_str()), ("p", "a"));
    assert_eq!(event.event.chat(), Some(&chat()));
    assert_eq!(keys(&store.timers_of("p", 10).unwrap()), ["b", "late"]);
    assert_eq!(store.timer_count("p").unwrap(), 2);
    // Firing the same rows again appends nothing: the row is gone.
    assert_eq!(store.fire(firings).unwrap(), FireOutcome::default());
    assert_eq!(store.head().unwrap(), 2);
}

fn a_full_journal_leaves_due_timers_for_later(make: &dyn Fn(Bounds) -> Box<dyn Store>) {
    let store = make(Bounds {
        journal: 2,
        ..Bounds::default()
    });
    store.append(&inbound(None), &[]).unwrap();
    store
        .commit("p", 0, changes(vec![set("a", 1), set("b", 2)]))
        .unwrap();
    let outcome = store.fire(due_firings(store.as_ref(), 5)).unwrap();
    assert_eq!(outcome.appended, [1]);
    assert!(outcome.journal_full);
    assert_eq!(keys(&store.timers_of("p", 10).unwrap()), ["b"], "b waits");
}

fn schedules_keep_their_instant_and_fire_each_once(make: &dyn Fn(Bounds) -> Box<dyn Store>) {
    let store = make(Bounds::default());
    let every_minute = "0 * * * * *";
    store
        .set_schedules("p", vec![schedule("tick", 60_000, every_minute)])
        .unwrap();
    // A timer may share a schedule's name; neither touches the other.
    store.commit("p", 0, changes(vec![set("tick", 5)])).unwrap();
    assert_eq!(
        store.timer_count("p").unwrap(),
        1,
        "schedules are not counted"
    );
    assert_eq!(keys(&store.schedules_of("p").unwrap()), ["tick"]);
    assert_eq!(keys(&store.timers_of("p", 10).unwrap()), ["tick"]);

    let row = store.schedules_of("p").unwrap().remove(0);
    let outcome = store.fire(vec![firing("p", row, Some(120_000))]).unwrap();
    assert_eq!(outcome.appended, [0]);
    assert_eq!(store.schedules_of("p").unwrap()[0].due_at, 120_000);
    assert_eq!(store.timer("p", "tick").unwrap().unwrap().due_at, 5);

    // Loaded again unchanged: the next instant stays; changed: it is recomputed.
    store
        .set_schedules("p", vec![schedule("tick", 180_000, every_minute)])
        .unwrap();
    assert_eq!(store.schedules_of("p").unwrap()[0].due_at, 120_000);
    store
        .set_schedules("p", vec![schedule("tick", 300_000, "0 */5 * * * *")])
        .unwrap();
    assert_eq!(store.schedules_of("p").unwrap()[0].due_at, 300_000);

    // An instant fired before (its dedupe key is known) moves on without a second event.
    store
        .set_schedules("p", vec![schedule("tick", 60_000, every_minute)])
        .unwrap();
    let row = store.schedules_of("p").unwrap().remove(0);
    assert_eq!(row.due_at, 60_000);
    let outcome = store.fire(vec![firing("p", row, Some(120_000))]).unwrap();
    assert_eq!((outcome.fired, outcome.appended.len()), (1, 0));
    assert_eq!(store.schedules_of("p").unwrap()[0].due_at, 120_000);

    store.set_schedules("p", Vec::new()).unwrap();
    assert!(store.schedules_of("p").unwrap().is_empty());
    assert_eq!(store.next_due().unwrap(), Some(5), "the timer stays");
}

for_every_store!(
    timers_are_set_replaced_and_cancelled_by_commits,
    a_fired_timer_is_appended_once_and_leaves,
    a_full_journal_leaves_due_timers_for_later,
    schedules_keep_their_instant_and_fire_each_once,
);

/// A data dir of a version before timers has none of their tables: it opens, takes timers, and
/// keeps them across reopening.
#[test]
fn a_redb_file_from_before_timers_opens_and_keeps_timers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.redb");
    {
        // What an earlier version left: its tables, none of the timers'.
        let db = ::redb::Database::create(&path).unwrap();
        let tx = db.begin_write().unwrap();
        {
            let journal: ::redb::TableDefinition<u64, &[u8]> =
                ::redb::TableDefinition::new("journal");
            let mut table = tx.open_table(journal).unwrap();
            let event = serde_json::to_vec(&inbound(None)).unwrap();
            table.insert(0, event.as_slice()).unwrap();
            let meta: ::redb::TableDefinition<&str, u64> = ::redb::TableDefinition::new("meta");
            tx.open_table(meta).unwrap().insert("next_seq", 1).unwrap();
        }
        tx.commit().unwrap();
    }
    {
        let store = RedbStore::open(&path, Bounds::default()).unwrap();
        assert_eq!(store.read(0, 10).unwrap().len(), 1, "the old event reads");
        assert!(store.timers_of("p", 10).unwrap().is_empty());
        assert_eq!(store.next_due().unwrap(), None);
        store.commit("p", 0, changes(vec![set("k", 7)])).unwrap();
    }
    let store = RedbStore::open(&path, Bounds::default()).unwrap();
    assert_eq!(store.timer_count("p").unwrap(), 1);
    assert_eq!(store.next_due().unwrap(), Some(7));
}
