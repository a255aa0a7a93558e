//! Behaviour every store must have, run against each store.

use std::collections::{BTreeSet, HashSet};

use super::Bounds;
use super::*;
use crate::model::Action;
use crate::model::{Content, Event, Inbound, OtherEvent, Outgoing};
use crate::test_fixtures::{sim_group as chat, text_send};

/// One outcome at a time, as the tests record them.
trait RecordOne {
    fn outbox_done(&self, id: ActionId, sent: Option<Delivered>) -> Result<(), StoreError>;
    fn outbox_dead(&self, id: ActionId, reason: &str) -> Result<(), StoreError>;
}

impl<S: Store + ?Sized> RecordOne for S {
    fn outbox_done(&self, id: ActionId, sent: Option<Delivered>) -> Result<(), StoreError> {
        self.outbox_record(vec![(id, Ok(sent))])
    }
    fn outbox_dead(&self, id: ActionId, reason: &str) -> Result<(), StoreError> {
        self.outbox_record(vec![(id, Err(reason.to_string()))])
    }
}

fn inbound(key: Option<&str>) -> Inbound {
    Inbound {
        bot: "sim".into(),
        rank: Default::default(),
        dedupe_key: key.map(str::to_string),
        event: Event::Other(OtherEvent {
            chat: Some(chat()),
            kind: "x".into(),
            raw: "{}".into(),
        }),
        timer: None,
    }
}

fn send(text: &str) -> Action {
    text_send(&format!("h-{text}"), text)
}

/// What the outbox would be handed: pending actions once every commit is durable.
fn synced_pending(store: &dyn Store, per_plugin: usize) -> Vec<Pending> {
    store.sync().unwrap();
    store
        .outbox_pending("sim", per_plugin, &HashSet::new(), &HashSet::new())
        .unwrap()
}

fn duplicates_are_dropped_at_the_door(make: &dyn Fn(Bounds) -> Box<dyn Store>) {
    let store = make(Bounds::default());
    assert_eq!(
        store.append(&inbound(Some("e1")), &[]).unwrap(),
        Appended::New(0)
    );
    assert_eq!(
        store.append(&inbound(Some("e1")), &[]).unwrap(),
        Appended::Duplicate(0)
    );
    assert_eq!(store.append(&inbound(None), &[]).unwrap(), Appended::New(1));
    assert_eq!(store.append(&inbound(None), &[]).unwrap(), Appended::New(2));
    assert_eq!(store.read(1, 10).unwrap().len(), 2);
}

fn a_full_journal_refuses_until_released(make: &dyn Fn(Bounds) -> Box<dyn Store>) {
    let store = make(Bounds {
        journal: 2,
        ..Bounds::default()
    });
    store.append(&inbound(None), &[]).unwrap();
    store.append(&inbound(None), &[]).unwrap();
    assert!(matches!(
        store.append(&inbound(None), &[]),
        Err(StoreError::JournalFull(2))
    ));
    store.release_before(1, &BTreeSet::new()).unwrap();
    assert_eq!(store.append(&inbound(None), &[]).unwrap(), Appended::New(2));
}

fn saved_places_replace_the_earlier_ones(make: &dyn Fn(Bounds) -> Box<dyn Store>) {
    let store = make(Bounds::default());
    assert!(store.places().unwrap().is_empty());
    store
        .save_places(&[("a".into(), 3), ("b".into(), 7)])
        .unwrap();
    store.save_places(&[("b".into(), 9)]).unwrap();
    assert_eq!(store.places().unwrap(), [("b".to_string(), 9)]);
}

/// Events a plugin is still handling stay when the journal forgets those around them: they
/// count toward the journal's capacity, and their finished-markers stay, so a restart replays
/// them only to the plugins that did not finish them.
fn a_release_keeps_the_events_still_in_flight(make: &dyn Fn(Bounds) -> Box<dyn Store>) {
    let store = make(Bounds {
        journal: 4,
        ..Bounds::default()
    });
    for _ in 0..4 {
        store.append(&inbound(None), &[]).unwrap();
    }
    for (plugin, seq) in [("a", 0), ("fast", 0), ("fast", 1), ("fast", 3), ("slow", 0)] {
        store.commit(plugin, seq, Commit::default()).unwrap();
    }
    store.release_before(3, &BTreeSet::from([1])).unwrap();
    for plugin in ["a", "slow"] {
        assert!(
            !store.is_finished(plugin, 0).unwrap(),
            "{plugin}'s marker goes too"
        );
    }
    assert!(
        store.is_finished("fast", 3).unwrap(),
        "a marker past the release stays"
    );

    let held: Vec<Seq> = store.read(0, 10).unwrap().iter().map(|(s, _)| *s).collect();
    assert_eq!(held, [1, 3]);
    assert!(
        store.is_finished("fast", 1).unwrap(),
        "a kept event's marker stays"
    );
    assert!(
        !store.is_finished("fast", 0).unwrap(),
        "a released event's marker goes"
    );
    assert_eq!(store.append(&inbound(None), &[]).unwrap(), Appended::New(4));
    assert_eq!(store.append(&inbound(None), &[]).unwrap(), Appended::New(5));
    assert!(matches!(
        store.append(&inbound(None), &[]),
        Err(StoreError::JournalFull(4))
    ));
}

fn a_commit_applies_once(make: &dyn Fn(Bounds) -> Box<dyn Store>) {
    let store = make(Bounds::default());
    let commit = Commit {
        actions: vec![send("a")],
        kv: vec![("k".into(), Some(b"v".to_vec()))],
        sent: vec![],
        timers: Vec::new(),
    };
    store.commit("p", 0, commit.clone()).unwrap();
    store.commit("p", 0, commit).unwrap();
    assert_eq!(synced_pending(&*store, 10).len(), 1);
    assert!(store.is_finished("p", 0).unwrap());
    assert!(!store.is_finished("q", 0).unwrap());
    assert_eq!(store.kv_get("p", "k").unwrap(), Some(b"v".to_vec()));
    assert_eq!(store.kv_get("q", "k").unwrap(), None);
}

fn kv_lists_by_prefix_per_plugin(make: &dyn Fn(Bounds) -> Box<dyn Store>) {
    let store = make(Bounds::default());
    let kv = ["a/1", "a/2", "b/1"].map(|k| (k.to_string(), Some(vec![1])));
    store
        .commit(
            "p",
            0,
            Commit {
                actions: vec![],
                kv: kv.to_vec(),
                sent: vec![],
                timers: Vec::new(),
            },
        )
        .unwrap();
    store
        .commit(
            "q",
            0,
            Commit {
                actions: vec![],
                kv: vec![("a/3".into(), Some(vec![]))],
                sent: vec![],
                timers: Vec::new(),
            },
        )
        .unwrap();
    assert_eq!(store.kv_list("p", "a/").unwrap(), vec!["a/1", "a/2"]);
    store
        .commit(
            "p",
            1,
            Commit {
                actions: vec![],
                kv: vec![("a/1".into(), None)],
                sent: vec![],
                timers: Vec::new(),
            },
        )
        .unwrap();
    assert_eq!(store.kv_list("p", "a/").unwrap(), vec!["a/2"]);
}

fn outbox_keeps_order_and_bound(make: &dyn Fn(Bounds) -> Box<dyn Store>) {
    let store = make(Bounds {
        outbox: 2,
        ..Bounds::default()
    });
    store
        .commit(
            "p",
            0,
            Commit {
                actions: vec![send("a"), send("b")],
                kv: vec![],
                sent: vec![],
                timers: Vec::new(),
            },
        )
        .unwrap();
    assert!(matches!(
        store.commit(
            "p",
            1,
            Commit {
                actions: vec![send("c")],
                kv: vec![],
                sent: vec![],
                timers: Vec::new(),
            }
        ),
        Err(StoreError::OutboxFull(2))
    ));
    assert!(
        !store.is_finished("p", 1).unwrap(),
        "a refused commit must not mark the event finished"
    );
    let pending = synced_pending(&*store, 10);
    assert_eq!(pending.iter().map(|p| p.id).collect::<Vec<_>>(), vec![0, 1]);
    store.outbox_done(0, None).unwrap();
    assert_eq!(synced_pending(&*store, 10)[0].id, 1);
}

fn sends(texts: &[&str]) -> Commit {
    Commit {
        actions: texts.iter().map(|t| send(t)).collect(),
        kv: vec![],
        sent: vec![],
        timers: Vec::new(),
    }
}

fn a_plugin_fills_only_its_share_of_the_outbox(make: &dyn Fn(Bounds) -> Box<dyn Store>) {
    let store = make(Bounds {
        outbox: 10,
        outbox_per_plugin: 3,
        ..Bounds::default()
    });
    store.commit("flood", 0, sends(&["a", "b"])).unwrap();
    let refused = store.commit("flood", 1, sends(&["c", "d"]));
    assert!(
        matches!(refused, Err(StoreError::PluginOutboxFull(2))),
        "{refused:?}"
    );
    store
        .commit("quiet", 1, sends(&["q1", "q2", "q3"]))
        .unwrap();
    store.commit("flood", 1, sends(&["c"])).unwrap();

    // A delivered or buried action gives its plugin's room back; an operator's retry of a dead
    // letter is never refused, and counts.
    store.outbox_done(0, None).unwrap();
    store.outbox_dead(1, "no").unwrap();
    store.commit("flood", 2, sends(&["d", "e"])).unwrap();
    assert!(store.dead_retry(1).unwrap());
    let refused = store.commit("flood", 3, sends(&["f"]));
    assert!(
        matches!(refused, Err(StoreError::PluginOutboxFull(4))),
        "{refused:?}"
    );
    store.commit("other", 3, sends(&["o"])).unwrap();
}

fn message_index_is_bounded(make: &dyn Fn(Bounds) -> Box<dyn Store>) {
    let store = make(Bounds {
        messages: 2,
        ..Bounds::default()
    });
    let key = |id: &str| MessageKey {
        bot: "b".into(),
        chat: "c".into(),
        id: id.into(),
    };
    let pending = Indexed {
        platform_id: None,
        owner: Some("p".into()),
    };
    store.index_message(key("h1"), pending.clone()).unwrap();
    assert_eq!(store.lookup_message(&key("h1")).unwrap(), Some(pending));
    let sent = Delivered {
        handle: key("h1"),
        platform_id: "p1".into(),
        plugin: "p".into(),
    };
    store.outbox_done(99, Some(sent)).unwrap();
    let delivered = Indexed {
        platform_id: Some("p1".into()),
        owner: Some("p".into()),
    };
    assert_eq!(
        store.lookup_message(&key("h1")).unwrap(),
        Some(delivered.clone())
    );
    assert_eq!(
        store.lookup_message(&key("p1")).unwrap(),
        Some(delivered),
        "also found by the platform's id"
    );
    store.index_message(key("h2"), Indexed::default()).unwrap();
    assert_eq!(store.lookup_message(&key("h1")).unwrap(), None);
}

/// Runs each named check against every store.
macro_rules! for_every_store {
    ($($check:ident),* $(,)?) => {
        mod memory_store {
            $( #[test] fn $check() { super::$check(&|limits| Box::new(super::MemoryStore::new(limits))) } )*
        }
        mod redb_store {
            $( #[test] fn $check() { super::$check(&|limits| Box::new(super::open_redb(limits))) } )*
        }
        mod fjall_store {
            $( #[test] fn $check() { super::$check(&|limits| Box::new(super::open_fjall(limits))) } )*
        }
    };
}

/// A redb store in a fresh file that outlives the test (the OS cleans the temp dir).
fn open_redb(limits: Bounds) -> RedbStore {
    let dir = tempfile::tempdir().unwrap().keep();
    RedbStore::open(&dir.join("store.redb"), limits).unwrap()
}

/// A fjall store in a fresh folder that outlives the test.
fn open_fjall(limits: Bounds) -> FjallStore {
    let dir = tempfile::tempdir().unwrap().keep();
    FjallStore::open(&dir.join("store.fjall"), limits).unwrap()
}

for_every_store!(
    duplicates_are_dropped_at_the_door,
    a_full_journal_refuses_until_released,
    a_release_keeps_the_events_still_in_flight,
    saved_places_replace_the_earlier_ones,
    a_commit_applies_once,
    kv_lists_by_prefix_per_plugin,
    outbox_keeps_order_and_bound,
    message_index_is_bounded,
    dead_letters_can_be_retried_or_dropped,
    concurrent_writers_each_get_their_own_outcome,
    dead_letters_beyond_the_bound_drop_the_oldest,
    actions_are_handed_out_only_once_durable,
    commit_all_stops_at_the_first_refused_outcome,
    a_large_commit_is_refused_and_recorded_in_order,
    known_actions_count_toward_the_window_and_ended_ones_do_not,
    a_plugin_fills_only_its_share_of_the_outbox,
);

fn known_actions_count_toward_the_window_and_ended_ones_do_not(
    make: &dyn Fn(Bounds) -> Box<dyn Store>,
) {
    let store = make(Bounds::default());
    let commit = Commit {
        actions: vec![send("a"), send("b"), send("c")],
        kv: vec![],
        sent: vec![],
        timers: Vec::new(),
    };
    store.commit("p", 0, commit).unwrap();
    store.sync().unwrap();
    let ids = |known: &[u64], ended: &[u64]| -> Vec<u64> {
        let known: HashSet<u64> = known.iter().copied().collect();
        let ended: HashSet<u64> = ended.iter().copied().collect();
        let pending = store.outbox_pending("sim", 2, &known, &ended).unwrap();
        pending.into_iter().map(|p| p.id).collect()
    };
    assert_eq!(ids(&[], &[]), vec![0, 1]);
    assert_eq!(ids(&[0], &[]), vec![1], "2 is beyond the window of 2");
    assert_eq!(ids(&[0, 1], &[]), Vec::<u64>::new());
    assert_eq!(
        ids(&[1], &[0]),
        vec![2],
        "an ended action leaves the window"
    );
    store.outbox_done(0, None).unwrap();
    assert_eq!(ids(&[1], &[]), vec![2]);
}

/// Outcomes are committed in order; the first that does not fit and everything after it come
/// back untouched, so the caller can try them again in the same order.
fn commit_all_stops_at_the_first_refused_outcome(make: &dyn Fn(Bounds) -> Box<dyn Store>) {
    let store = make(Bounds {
        outbox: 3,
        ..Bounds::default()
    });
    let outcome = |seq: Seq, texts: &[&str], key: &str| {
        (
            seq,
            Commit {
                actions: texts.iter().map(|t| send(t)).collect(),
                kv: vec![(key.to_string(), Some(key.as_bytes().to_vec()))],
                sent: vec![],
                timers: Vec::new(),
            },
        )
    };
    let refused = store
        .commit_all(
            "p",
            vec![
                outcome(1, &["a", "b"], "k1"),
                outcome(2, &["c", "d"], "k2"), // 4 > 3: refused
                outcome(3, &[], "k3"),         // would fit, but must wait its turn
            ],
        )
        .unwrap_err();
    assert!(matches!(refused.error, StoreError::OutboxFull(2)));
    let rest: Vec<Seq> = refused.rest.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(rest, vec![2, 3]);
    assert!(store.is_finished("p", 1).unwrap());
    assert!(!store.is_finished("p", 2).unwrap());
    assert!(!store.is_finished("p", 3).unwrap());
    assert_eq!(store.kv_get("p", "k3").unwrap(), None);
    store.outbox_done(0, None).unwrap();
    store.outbox_done(1, None).unwrap();
    store.commit_all("p", refused.rest).unwrap();
    let texts: Vec<String> = synced_pending(&*store, 10)
        .into_iter()
        .map(|p| match p.action {
            Action::Send {
                message:
                    Outgoing {
                        content: Content::Text(text),
                        ..
                    },
                ..
            } => text,
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(texts, vec!["c", "d"]);
    assert_eq!(store.kv_get("p", "k3").unwrap(), Some(b"k3".to_vec()));
}

/// Many events at once (a store may write them in parts): a refusal still hands back exactly
/// the refused event and those after it, and many outcomes at once are all recorded.
fn a_large_commit_is_refused_and_recorded_in_order(make: &dyn Fn(Bounds) -> Box<dyn Store>) {
    let store = make(Bounds {
        outbox_per_plugin: 150,
        ..Bounds::default()
    });
    let texts = |seq: Seq| -> Vec<String> { (0..20).map(|i| format!("{seq}-{i}")).collect() };
    let outcomes = (0..10)
        .map(|seq| {
            let actions = texts(seq).iter().map(|t| send(t)).collect();
            (
                seq,
                Commit {
                    actions,
                    ..Commit::default()
                },
            )
        })
        .collect();
    let refused = store.commit_all("p", outcomes).unwrap_err();
    assert!(matches!(refused.error, StoreError::PluginOutboxFull(140)));
    let rest: Vec<Seq> = refused.rest.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(rest, vec![7, 8, 9]);
    assert!(store.is_finished("p", 6).unwrap() && !store.is_finished("p", 7).unwrap());
    let pending = synced_pending(&*store, 1000);
    let delivered = pending.iter().map(|p| (p.id, Ok(None))).collect();
    store.outbox_record(delivered).unwrap();
    assert_eq!(synced_pending(&*store, 1000), vec![], "all 140 recorded");
    store.commit_all("p", refused.rest).unwrap();
    let queued: Vec<Action> = synced_pending(&*store, 1000)
        .into_iter()
        .map(|p| p.action)
        .collect();
    let expected: Vec<Action> = (7..10).flat_map(texts).map(|t| send(&t)).collect();
    assert_eq!(queued, expected);
}

fn actions_are_handed_out_only_once_durable(make: &dyn Fn(Bounds) -> Box<dyn Store>) {
    let store = make(Bounds::default());
    store.append(&inbound(None), &[]).unwrap();
    let commit = Commit {
        actions: vec![send("a")],
        kv: vec![("k".into(), Some(b"v".to_vec()))],
        ..Commit::default()
    };
    store.commit("p", 0, commit).unwrap();
    assert_eq!(
        store.kv_get("p", "k").unwrap().as_deref(),
        Some(&b"v"[..]),
        "a commit is visible at once"
    );
    let before_sync = store
        .outbox_pending("sim", 10, &HashSet::new(), &HashSet::new())
        .unwrap()
        .len();
    store.sync().unwrap();
    let after_sync = store
        .outbox_pending("sim", 10, &HashSet::new(), &HashSet::new())
        .unwrap()
        .len();
    assert_eq!(after_sync, 1);
    // The memory store has no durability to wait for; redb holds the action back until then.
    assert!(before_sync <= after_sync);
}

fn dead_letters_beyond_the_bound_drop_the_oldest(make: &dyn Fn(Bounds) -> Box<dyn Store>) {
    let store = make(Bounds {
        dead_letters: 2,
        ..Bounds::default()
    });
    store.append(&inbound(None), &[]).unwrap();
    let actions = vec![send("a"), send("b"), send("c")];
    let commit = Commit {
        actions,
        ..Commit::default()
    };
    store.commit("p", 0, commit).unwrap();
    for id in 0..3 {
        store.outbox_dead(id, "no").unwrap();
    }
    let kept: Vec<ActionId> = store
        .dead_letters(10)
        .unwrap()
        .iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(kept, vec![1, 2]);
}

/// A commit with actions is durable when it returns (the outbox may deliver them at once); one
/// with only kv writes is not, until the next durable write or a flush.
#[test]
fn redb_makes_commits_with_actions_durable_and_the_rest_later() {
    let store = open_redb(Bounds::default());
    store.append(&inbound(None), &[]).unwrap();
    store.append(&inbound(None), &[]).unwrap();
    let kv_only = Commit {
        kv: vec![("k".into(), Some(b"v".to_vec()))],
        ..Commit::default()
    };
    store.commit("p", 0, kv_only).unwrap();
    assert!(
        store.unflushed(),
        "a kv-only commit waits for the next fsync"
    );
    let with_action = Commit {
        actions: vec![send("a")],
        ..Commit::default()
    };
    store.commit("p", 1, with_action).unwrap();
    assert!(
        !store.unflushed(),
        "its fsync covered the kv-only commit too"
    );
    assert_eq!(
        store
            .outbox_pending("sim", 10, &HashSet::new(), &HashSet::new())
            .unwrap()
            .len(),
        1,
        "no sync needed before delivery"
    );
}

#[test]
fn compaction_gives_back_the_space_of_released_events() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.redb");
    let size = || std::fs::metadata(&path).unwrap().len();
    let bounds = Bounds {
        journal: 100_000,
        ..Bounds::default()
    };
    let store = RedbStore::open(&path, bounds).unwrap();
    let big = Inbound {
        event: Event::Other(OtherEvent {
            chat: Some(chat()),
            kind: "x".into(),
            raw: "x".repeat(16_384),
        }),
        ..inbound(None)
    };
    for _ in 0..400 {
        store.append(&big, &[]).unwrap();
    }
    store.release_before(400, &BTreeSet::new()).unwrap();
    let grown = size();
    drop(store);
    RedbStore::compact_file(&path).unwrap();
    let store = RedbStore::open(&path, Bounds::default()).unwrap();
    let compacted = size();
    assert!(
        compacted * 4 < grown,
        "{grown} bytes before compaction, {compacted} after"
    );
    assert_eq!(store.head().unwrap(), 400, "counters survive compaction");
    assert!(store.read(0, 10).unwrap().is_empty());
}

/// Writers at the same time (which the redb store batches into shared transactions): the same
/// platform event offered by several of them is accepted once, and every commit lands.
fn concurrent_writers_each_get_their_own_outcome(make: &dyn Fn(Bounds) -> Box<dyn Store>) {
    const THREADS: usize = 8;
    const EVENTS: usize = 100;
    let store = make(Bounds::default());
    let store = store.as_ref();
    let outcomes: Vec<Vec<Appended>> = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..THREADS)
            .map(|t| {
                scope.spawn(move || {
                    (0..EVENTS)
                        .map(|i| {
                            let appended = store.append(&inbound(Some(&format!("k{i}"))), &[])?;
                            let commit = Commit {
                                actions: vec![send(&format!("{t}-{i}"))],
                                ..Commit::default()
                            };
                            store.commit(&format!("p{t}"), appended.seq(), commit)?;
                            Ok(appended)
                        })
                        .collect::<Result<Vec<_>, StoreError>>()
                        .unwrap()
                })
            })
            .collect();
        writers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    for i in 0..EVENTS {
        let of_event: Vec<Appended> = outcomes.iter().map(|o| o[i]).collect();
        let new = of_event
            .iter()
            .filter(|a| matches!(a, Appended::New(_)))
            .count();
        assert_eq!(new, 1, "event k{i}: {of_event:?}");
        assert!(
            of_event.iter().all(|a| a.seq() == of_event[0].seq()),
            "{of_event:?}"
        );
    }
    assert_eq!(store.head().unwrap(), EVENTS as Seq);
    assert_eq!(synced_pending(store, 10_000).len(), THREADS * EVENTS);
    for (t, outcome) in outcomes.iter().enumerate() {
        assert!(outcome
            .iter()
            .all(|a| store.is_finished(&format!("p{t}"), a.seq()).unwrap()));
    }
}

fn dead_letters_can_be_retried_or_dropped(make: &dyn Fn(Bounds) -> Box<dyn Store>) {
    let store = make(Bounds::default());
    store
        .commit(
            "p",
            0,
            Commit {
                actions: vec![send("a"), send("b")],
                kv: vec![],
                sent: vec![],
                timers: Vec::new(),
            },
        )
        .unwrap();
    store.outbox_dead(0, "platform said no").unwrap();
    store.outbox_dead(1, "again").unwrap();
    assert!(synced_pending(&*store, 10).is_empty());
    let dead = store.dead_letters(10).unwrap();
    assert_eq!(dead.len(), 2);
    assert_eq!(dead[0].reason, "platform said no");
    assert!(store.dead_retry(0).unwrap());
    assert!(!store.dead_retry(0).unwrap());
    assert!(store.dead_drop(1).unwrap());
    assert!(store.dead_letters(10).unwrap().is_empty());
    let pending = synced_pending(&*store, 10);
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].action, send("a"));
}

/// What the reopening tests write before closing the store.
fn fill(store: &dyn Store) {
    store.append(&inbound(Some("e1")), &[]).unwrap();
    let commit = Commit {
        actions: vec![send("a")],
        kv: vec![("k".into(), Some(b"v".to_vec()))],
        ..Commit::default()
    };
    store.commit("p", 0, commit).unwrap();
    let indexed = Indexed {
        platform_id: Some("p9".into()),
        owner: None,
    };
    store.index_message(reopened_key(), indexed).unwrap();
    store.save_places(&[("p".into(), 1)]).unwrap();
    store.commit("p", 0, Commit::default()).unwrap();
    store
        .commit("q", 0, changes_of(vec![TimerChange::Set(pending_timer())]))
        .unwrap();
}

fn reopened_key() -> MessageKey {
    MessageKey {
        bot: "sim".into(),
        chat: "g".into(),
        id: "h".into(),
    }
}

fn pending_timer() -> Timer {
    Timer {
        key: "t".into(),
        due_at: 7,
        payload: "x".into(),
        chat: None,
        schedule: None,
    }
}

fn changes_of(timers: Vec<TimerChange>) -> Commit {
    Commit {
        timers,
        ..Commit::default()
    }
}

/// The bounds a reopened store is checked with: one waiting action per plugin.
fn one_each() -> Bounds {
    Bounds {
        outbox_per_plugin: 1,
        ..Bounds::default()
    }
}

/// What [`fill`] wrote, read back from a store opened afresh with [`one_each`].
fn check_kept(store: &dyn Store) {
    assert!(
        matches!(
            store.commit("p", 1, sends(&["b"])),
            Err(StoreError::PluginOutboxFull(1))
        ),
        "the plugin's waiting action is counted after reopening"
    );
    assert_eq!(
        store.append(&inbound(Some("e1")), &[]).unwrap(),
        Appended::Duplicate(0)
    );
    assert_eq!(store.head().unwrap(), 1);
    assert!(store.is_finished("p", 0).unwrap());
    assert_eq!(store.kv_get("p", "k").unwrap(), Some(b"v".to_vec()));
    let pending = store
        .outbox_pending("sim", 10, &HashSet::new(), &HashSet::new())
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].action, send("a"));
    let indexed = store.lookup_message(&reopened_key()).unwrap();
    assert_eq!(indexed.and_then(|i| i.platform_id), Some("p9".into()));
    assert_eq!(store.places().unwrap(), [("p".to_string(), 1)]);
    assert_eq!(store.timer_count("q").unwrap(), 1);
    assert_eq!(store.next_due().unwrap(), Some(7));
    assert_eq!(
        store.timers_due(10, 10).unwrap(),
        [("q".into(), pending_timer())]
    );
    store.append(&inbound(None), &[]).unwrap();
    assert_eq!(store.read(0, 10).unwrap().len(), 2, "the journal goes on");
}

#[test]
fn the_redb_store_keeps_everything_across_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.redb");
    fill(&RedbStore::open(&path, Bounds::default()).unwrap());
    check_kept(&RedbStore::open(&path, one_each()).unwrap());
}

#[test]
fn the_fjall_store_keeps_everything_across_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.fjall");
    fill(&FjallStore::open(&path, Bounds::default()).unwrap());
    check_kept(&FjallStore::open(&path, one_each()).unwrap());
}

#[test]
fn a_fjall_store_is_opened_by_one_owner_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.fjall");
    let first = FjallStore::open(&path, Bounds::default()).unwrap();
    let second = FjallStore::open(&path, Bounds::default()).unwrap_err();
    assert!(
        second.to_string().contains("open in another daemon"),
        "{second}"
    );
    drop(first);
    FjallStore::open(&path, Bounds::default()).unwrap();
}

/// A data dir of the redb store moves into fjall on start, once, with everything in it; the
/// redb file is kept beside as `*.migrated`.
#[test]
fn a_redb_store_moves_into_fjall_once_with_everything() {
    let dir = tempfile::tempdir().unwrap();
    let (redb, fjall) = (
        dir.path().join("wasmbot.redb"),
        dir.path().join("wasmbot.fjall"),
    );
    fill(&RedbStore::open(&redb, Bounds::default()).unwrap());
    let moved = migrate_from_redb(&redb, &fjall).unwrap();
    assert!(moved.is_some_and(|rows| rows > 8), "{moved:?}");
    assert!(!redb.exists() && dir.path().join("wasmbot.redb.migrated").exists());
    check_kept(&FjallStore::open(&fjall, one_each()).unwrap());
    assert_eq!(
        migrate_from_redb(&redb, &fjall).unwrap(),
        None,
        "moved twice"
    );
}

/// A copy cut short (the redb file still there) is thrown away and made again.
#[test]
fn a_partial_copy_is_made_again() {
    let dir = tempfile::tempdir().unwrap();
    let (redb, fjall) = (
        dir.path().join("wasmbot.redb"),
        dir.path().join("wasmbot.fjall"),
    );
    fill(&RedbStore::open(&redb, Bounds::default()).unwrap());
    {
        let partial = FjallStore::open(&fjall, Bounds::default()).unwrap();
        partial.append(&inbound(Some("stray")), &[]).unwrap();
    }
    migrate_from_redb(&redb, &fjall).unwrap();
    let store = FjallStore::open(&fjall, one_each()).unwrap();
    assert_eq!(
        store.append(&inbound(Some("stray")), &[]).unwrap(),
        Appended::New(1),
        "the partial copy's event survived"
    );
}

#[test]
fn redb_writes_delivery_outcomes_at_once_and_makes_them_durable_on_flush() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.redb");
    {
        let store = RedbStore::open(&path, Bounds::default()).unwrap();
        store.append(&inbound(None), &[]).unwrap();
        let commit = Commit {
            actions: vec![send("a"), send("b")],
            ..Commit::default()
        };
        store.commit("p", 0, commit).unwrap();
        let pending = synced_pending(&store, 10);
        assert!(!store.unflushed(), "sync left something not durable");
        store.outbox_done(pending[0].id, None).unwrap();
        assert!(store.unflushed(), "a delivery outcome waited for an fsync");
        assert_eq!(
            synced_pending(&store, 10).len(),
            1,
            "the outcome is not visible"
        );
        store.flush().unwrap();
        assert!(!store.unflushed());
    }
    let store = RedbStore::open(&path, Bounds::default()).unwrap();
    let left = store
        .outbox_pending("sim", 10, &HashSet::new(), &HashSet::new())
        .unwrap();
    assert_eq!(left.len(), 1, "the flushed outcome was lost");
}

/// Timers and schedules, against every store.
mod timers;
