//! A platform down for a while: the outbox keeps every reply, stops hammering the platform
//! (the bot's circuit opens and one probe goes out now and then), says so in `/admin/status`,
//! and once the platform answers again delivers everything, in order per chat, with no dead
//! letter. Past `[outbox] retry_for_s`, an action becomes a dead letter instead of being lost.
//! The outage is compressed: seconds instead of minutes, backoffs capped at 1 s.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::common::TestDaemon;
use crate::fault_harness::yunhu::Yunhu;
use crate::fault_harness::{Chat, Platform, CLIENT_TIMEOUT};
use crate::webhook_sim::faults::{Fault, Plan};

const PER_CHAT: usize = 5;
const OUTAGE: Duration = Duration::from_secs(4);
const WAIT: Duration = Duration::from_secs(30);

/// Every send request answered 503 (`shares` empty: every one answered normally).
fn plan(platform: &Yunhu, shares: Vec<(Fault, f64)>) -> Plan {
    Plan {
        path: platform.send_path(),
        shares,
        retry_after: Duration::from_secs(1),
        throttled: None,
        stall: CLIENT_TIMEOUT * 2,
        slow: CLIENT_TIMEOUT / 3,
        max_run: usize::MAX,
        seed: 1,
    }
}

async fn start(platform: &Yunhu, retry_for_s: u64) -> TestDaemon {
    let bot = platform.bot();
    TestDaemon::start_config(&["driver"], move |c| {
        c.bots.push(bot);
        c.outbox.breaker_after = 3;
        c.outbox.max_backoff_ms = 1000;
        c.outbox.retry_for_s = retry_for_s;
    })
    .await
}

/// Has the driver send `PER_CHAT` numbered messages in each chat.
async fn drive(platform: &Yunhu, d: &TestDaemon) {
    for (c, chat) in platform.chats().into_iter().enumerate() {
        for i in 1..=PER_CHAT {
            let text = format!("/send {}#{i:02}", chat.id);
            platform.arrive(d, chat, c * 100 + i, &text).await;
        }
    }
}

/// The texts the platform carried out, per chat, in order.
fn delivered(platform: &Yunhu) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for attempt in platform.faults().attempts() {
        if attempt.processed() {
            let (chat, text) = platform.sent(&attempt.request);
            out.entry(chat).or_default().push(text);
        }
    }
    out
}

async fn circuit(d: &TestDaemon) -> Value {
    let (_, status) = d.get("/admin/status").await;
    status["circuits"]["yh"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_delays_replies_without_losing_or_reordering_them() {
    let platform = Yunhu::start().await;
    platform
        .faults()
        .inject(plan(&platform, vec![(Fault::ServerError, 1.0)]));
    let d = start(&platform, 3600).await;
    drive(&platform, &d).await;

    tokio::time::sleep(OUTAGE).await;
    let during = platform.faults().attempts().len();
    let open = circuit(&d).await;
    assert_eq!(open["state"], "open", "{open}");
    assert!(open["down_since"].as_u64().is_some(), "{open}");
    // Four chats retrying on their own would try about 7 times each in 4 s (backoff 0.1, 0.2,
    // 0.4, 0.8, 1, 1 s); with the circuit open only a probe at a time goes out.
    assert!(
        (3..=14).contains(&during),
        "{during} requests during the outage"
    );

    platform.faults().inject(plan(&platform, Vec::new()));
    let recovered = Instant::now();
    let chats = platform.chats();
    let expected = |chat: &Chat| -> Vec<String> {
        (1..=PER_CHAT)
            .map(|i| format!("{}#{i:02}", chat.id))
            .collect()
    };
    loop {
        let done = delivered(&platform);
        if chats
            .iter()
            .all(|c| done.get(c.id).map(Vec::len) == Some(PER_CHAT))
        {
            for chat in &chats {
                assert_eq!(done[chat.id], expected(chat), "in order, once each");
            }
            break;
        }
        assert!(
            recovered.elapsed() < WAIT,
            "not all delivered after recovery: {done:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        recovered.elapsed() < Duration::from_secs(5),
        "delivered {:?} after the platform came back",
        recovered.elapsed()
    );
    assert_eq!(circuit(&d).await["state"], "closed");
    let (_, status) = d.get("/admin/status").await;
    assert_eq!(status["dead_letters"], 0, "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_retry_horizon_an_action_becomes_a_dead_letter() {
    let platform = Yunhu::start().await;
    platform
        .faults()
        .inject(plan(&platform, vec![(Fault::ServerError, 1.0)]));
    let d = start(&platform, 1).await;
    let chat = platform.chats()[0];
    platform.arrive(&d, chat, 1, "/send gone#01").await;
    let start = Instant::now();
    loop {
        let (_, status) = d.get("/admin/status").await;
        if status["dead_letters"] == 1 {
            break;
        }
        assert!(start.elapsed() < WAIT, "no dead letter: {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "given up after {:?}, before the horizon",
        start.elapsed()
    );
}
