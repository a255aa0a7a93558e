//! One rate-limited outbox shared by all plugins: a plugin that queued a flood of sends delays
//! another plugin's reply by a turn, not by the whole flood; the bot's rate limit covers every
//! plugin's requests, and no plugin takes all of it; each plugin's own actions keep their order.

use std::time::{Duration, Instant};

use crate::common::TestDaemon;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(30);
const FLOOD: usize = 80;
const PER_SECOND: usize = 20;

fn flood_sends(actions: &[Value]) -> Vec<&str> {
    actions
        .iter()
        .filter_map(|a| a["text"].as_str())
        .filter(|t| t.starts_with('f') && t[1..].parse::<usize>().is_ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_waits_its_turn_and_the_bot_rate_holds() {
    let d = TestDaemon::start_config(&["flood", "recorder"], |c| {
        c.bots[0].rate_limit = Some(format!("{PER_SECOND}/s").parse().unwrap());
    })
    .await;
    let start = Instant::now();
    d.say("busy", "alice", &format!("flood {FLOOD}")).await;
    let early = d
        .wait_for("busy", WAIT, |a| flood_sends(a).len() >= 25)
        .await;
    let flooded_before = flood_sends(&early).len();
    d.say("busy", "bob", "hello").await;

    let all = d
        .wait_for("busy", WAIT, |a| {
            flood_sends(a).len() == FLOOD && a.iter().any(|x| x["text"] == "v1:hello")
        })
        .await;
    let elapsed = start.elapsed();

    // The recorder's reply went out within a few turns of being committed, not after the
    // remaining flood.
    let hello_at = all.iter().position(|x| x["text"] == "v1:hello").unwrap();
    let flooded_first = flood_sends(&all[..hello_at]).len();
    assert!(
        flooded_first < flooded_before + 12 && flooded_first < FLOOD - 20,
        "the reply waited behind {flooded_first} flood sends ({flooded_before} were out when it was posted)"
    );

    // The flood itself kept its order.
    let expected: Vec<String> = (0..FLOOD).map(|i| format!("f{i}")).collect();
    assert_eq!(flood_sends(&all), expected);

    // Every request of both plugins counted against one limit: beyond the first second's
    // burst, at most PER_SECOND a second. (A lower bound, which a slow machine cannot break.)
    let requests = all.len();
    assert!(requests >= FLOOD + 2, "{requests} actions");
    let least = Duration::from_secs_f64((requests - PER_SECOND) as f64 / PER_SECOND as f64);
    assert!(
        elapsed >= least * 95 / 100,
        "{requests} requests at {PER_SECOND}/s took only {elapsed:?}"
    );
}

/// Under a rate such as WeCom's "20 a minute", a flood that took the whole window would hold
/// another plugin's reply for up to a minute; each plugin's share leaves it a slot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_leaves_the_other_plugins_part_of_the_rate_window() {
    const PER_MINUTE: usize = 20;
    const SHARE: usize = PER_MINUTE - PER_MINUTE.div_ceil(8);
    let d = TestDaemon::start_config(&["flood", "recorder"], |c| {
        c.bots[0].rate_limit = Some(format!("{PER_MINUTE}/min").parse().unwrap());
    })
    .await;
    d.say("busy", "alice", &format!("flood {PER_MINUTE}")).await;
    d.wait_for("busy", WAIT, |a| flood_sends(a).len() >= SHARE)
        .await;

    // Without the share the reply would wait for the flood's first send to leave the window,
    // a minute from now; `wait_for` gives up long before that.
    d.say("busy", "bob", "hello").await;
    let all = d
        .wait_for("busy", WAIT, |a| a.iter().any(|x| x["text"] == "v1:hello"))
        .await;
    assert_eq!(
        flood_sends(&all).len(),
        SHARE,
        "the flood stays within its share of the window"
    );
}
