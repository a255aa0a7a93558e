//! A plugin that cannot keep up must not stop the others. Here the `flood` plugin's sends wait
//! for a strict rate limit, so its commits wait for room in its share of the outbox and its
//! lanes stop moving. Once it is `max_lag` events behind the plugin furthest ahead, its oldest
//! events are skipped for it (shed): the ingress keeps accepting and the other plugin handles
//! every event. With shedding off, the same traffic fills the journal and the ingress answers
//! 503 for everyone; and a plugin alone is never shed (nobody would gain): it gets the 503s.

use std::time::{Duration, Instant};

use crate::common::TestDaemon;
use serde_json::json;

const JOURNAL: usize = 300;
const MAX_LAG: usize = 100;
/// Three journals' worth of messages after the flood.
const POSTS: usize = 3 * JOURNAL;
/// `flood 100` this often puts 1 300 sends in front of a 1/s limit: more than the plugin's
/// share of the outbox (1 250), so its commits wait.
const FLOODS: usize = 13;
const WAIT: Duration = Duration::from_secs(30);

async fn start(plugins: &[&str], max_lag: usize) -> TestDaemon {
    TestDaemon::start_config(plugins, |c| {
        c.bots[0].rate_limit = Some("1/s".parse().unwrap());
        c.runtime.journal_capacity = JOURNAL;
        c.runtime.max_lag = Some(max_lag);
        c.runtime.lane_capacity = 8;
    })
    .await
}

/// Posts the floods, then `POSTS` plain messages; the statuses of the plain ones.
async fn post_all(d: &TestDaemon) -> Vec<u16> {
    for _ in 0..FLOODS {
        d.say("busy", "alice", "flood 100").await;
    }
    let mut statuses = Vec::with_capacity(POSTS);
    for i in 0..POSTS {
        let message = json!({ "chat": "busy", "user": "bob", "text": format!("m{i}") });
        statuses.push(d.post("/sim/messages", message).await.0);
    }
    statuses
}

fn status_of(d: &TestDaemon, plugin: &str) -> wasmbot::router::PluginStatus {
    d.daemon
        .router
        .status()
        .into_iter()
        .find(|p| p.name == plugin)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_that_falls_behind_sheds_and_the_others_keep_serving() {
    let d = start(&["flood", "recorder"], MAX_LAG).await;
    let statuses = post_all(&d).await;
    let refused = statuses.iter().filter(|s| **s != 202).count();
    assert_eq!(refused, 0, "the ingress refused {refused} of {POSTS}");

    let start = Instant::now();
    while status_of(&d, "recorder").backlog > 0 {
        assert!(
            start.elapsed() < WAIT,
            "the recorder did not finish: {:?}",
            status_of(&d, "recorder")
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let flood = status_of(&d, "flood");
    eprintln!("accepted {POSTS}; flood: {flood:?}");
    // The ingress accepted 3 journals' worth: all but at most one journal was shed for the
    // flood (what it still holds: its lanes, and the newest `MAX_LAG`).
    assert!(
        flood.shed as usize >= POSTS + FLOODS - JOURNAL,
        "the flood shed only {} events: {flood:?}",
        flood.shed
    );
    assert_eq!(status_of(&d, "recorder").shed, 0, "the recorder kept up");
}

/// The journal fills within its capacity of posts, and no event was shed.
async fn assert_pushed_back(d: &TestDaemon) {
    let statuses = post_all(d).await;
    let first_refused = statuses.iter().position(|s| *s == 503);
    assert!(
        first_refused.is_some_and(|at| at <= JOURNAL),
        "expected 503 once the journal is full; first refused: {first_refused:?} of {}",
        statuses.len()
    );
    assert_eq!(status_of(d, "flood").shed, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_shedding_a_plugin_that_falls_behind_fills_the_journal() {
    assert_pushed_back(&start(&["flood", "recorder"], 0).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_alone_is_never_shed() {
    assert_pushed_back(&start(&["flood"], MAX_LAG).await).await;
}
