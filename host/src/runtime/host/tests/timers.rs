//! `timers`: validation, the quota, and what `list-pending` sees, against the sim adapter and
//! the in-memory store.

use super::{chat, fixture, grants, Fixture};
use crate::config::Grants;
use crate::model::wit::wasmbot::bot0_2_0::timers::{Due, Host, TimerError};
use crate::model::ChatRef;
use crate::store::{Commit, TimerChange};

fn set(f: &mut Fixture, key: &str, due: Due, chat: Option<ChatRef>) -> Result<(), TimerError> {
    Host::set(&mut f.state, key.into(), due, "payload".into(), chat).unwrap()
}

fn invalid(result: Result<(), TimerError>) -> String {
    match result {
        Err(TimerError::Invalid(why)) => why,
        other => panic!("expected invalid, got {other:?}"),
    }
}

#[test]
fn bad_keys_payloads_and_chats_are_refused_with_the_reason() {
    let mut f = fixture("p", Grants::default());
    assert!(invalid(set(&mut f, "", Due::AfterMs(1), None)).contains("1 to 256 bytes"));
    let long = "k".repeat(257);
    assert!(invalid(set(&mut f, &long, Due::AfterMs(1), None)).contains("257"));
    assert!(invalid(set(&mut f, "a\u{0}b", Due::AfterMs(1), None)).contains("control"));
    let big = "x".repeat(64 * 1024 + 1);
    let too_big = Host::set(&mut f.state, "k".into(), Due::AfterMs(1), big, None).unwrap();
    assert!(invalid(too_big).contains("65536"));

    let mut elsewhere = chat("here");
    elsewhere.bot = "nobody".into();
    let why = invalid(set(&mut f, "k", Due::AfterMs(1), Some(elsewhere)));
    assert!(why.contains("nobody"), "{why}");
    let why = invalid(set(&mut f, "k", Due::AfterMs(1), Some(chat("there"))));
    assert!(why.contains("grant chats"), "{why}");
    assert!(
        f.state.scope.timers.is_empty(),
        "nothing refused is buffered"
    );

    let mut f = fixture("p", grants(|g| g.chats = vec!["there".into()]));
    assert_eq!(set(&mut f, "k", Due::AtMs(5), Some(chat("there"))), Ok(()));
    assert_eq!(
        set(&mut f, "here", Due::AtMs(0), Some(chat("here"))),
        Ok(())
    );
}

#[test]
fn the_quota_counts_stored_uncommitted_and_buffered_timers() {
    let mut f = fixture("p", Grants::default());
    f.state.timer_quota = 3;
    // One stored, one waiting for its commit, one set in this call.
    let stored = crate::store::Timer {
        key: "stored".into(),
        due_at: u64::MAX,
        payload: String::new(),
        chat: None,
        schedule: None,
    };
    let commit = Commit {
        timers: vec![TimerChange::Set(stored.clone())],
        ..Commit::default()
    };
    f.state.services.store.commit("p", 0, commit).unwrap();
    let pending = std::sync::Arc::new(crate::runtime::PendingWrites::default());
    let uncommitted = Commit {
        timers: vec![TimerChange::Set(crate::store::Timer {
            key: "uncommitted".into(),
            ..stored
        })],
        ..Commit::default()
    };
    pending.add(1, &uncommitted, 1);
    f.state.scope.pending = Some(pending);
    assert_eq!(set(&mut f, "new", Due::AfterMs(60_000), None), Ok(()));
    assert_eq!(
        set(&mut f, "one-too-many", Due::AfterMs(1), None),
        Err(TimerError::Quota(3))
    );
    // Replacing a pending timer adds none; cancelling one makes room.
    assert_eq!(set(&mut f, "stored", Due::AfterMs(1), None), Ok(()));
    assert_eq!(set(&mut f, "uncommitted", Due::AfterMs(1), None), Ok(()));
    assert!(Host::cancel(&mut f.state, "stored".into()).unwrap());
    assert!(!Host::cancel(&mut f.state, "stored".into()).unwrap());
    assert!(!Host::cancel(&mut f.state, "never-set".into()).unwrap());
    assert_eq!(set(&mut f, "one-more", Due::AfterMs(1), None), Ok(()));
}

#[test]
fn list_pending_sees_this_calls_changes_soonest_first() {
    let mut f = fixture("p", Grants::default());
    let timer = |key: &str, due_at| crate::store::Timer {
        key: key.into(),
        due_at,
        payload: String::new(),
        chat: None,
        schedule: None,
    };
    let commit = Commit {
        timers: vec![
            TimerChange::Set(timer("a", 300)),
            TimerChange::Set(timer("b", 100)),
        ],
        ..Commit::default()
    };
    f.state.services.store.commit("p", 0, commit).unwrap();
    assert_eq!(set(&mut f, "c", Due::AtMs(200), None), Ok(()));
    assert!(Host::cancel(&mut f.state, "b".into()).unwrap());
    let listed = Host::list_pending(&mut f.state, 10).unwrap();
    let keys: Vec<(&str, u64)> = listed.iter().map(|t| (t.key.as_str(), t.due_at)).collect();
    assert_eq!(keys, [("c", 200), ("a", 300)]);
    let first = Host::list_pending(&mut f.state, 1).unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].key, "c");
    // What the call buffered becomes the commit's changes.
    let changes = f.state.scope.timer_changes();
    assert_eq!(changes.len(), 2);
    assert!(changes.contains(&TimerChange::Cancel("b".into())));
}
