//! A plugin that traps, loops, allocates past its cap, recurses without end or floods actions
//! leaves the others serving, and is itself served again afterwards.

use std::time::Duration;

use crate::common::{overrides, TestDaemon};

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_stay_inside_the_faulty_plugin() {
    let limits = overrides("trapper", |c| {
        c.timeout_ms = Some(300);
        c.memory_mib = Some(16);
        c.allow_chats = vec!["faults".into()];
    });
    let d = TestDaemon::start_with(&["trapper", "recorder"], vec![limits]).await;
    for fault in ["trap", "loop", "oom", "recurse"] {
        d.say("faults", "alice", fault).await;
        d.say("other", "bob", &format!("during {fault}")).await;
    }
    d.say("faults", "alice", "after").await;

    let faults = d
        .wait_for("faults", WAIT, |a| {
            a.iter().any(|x| x["text"] == "ok:after")
        })
        .await;
    let trapper: Vec<&str> = faults
        .iter()
        .filter_map(|x| x["text"].as_str())
        .filter(|t| t.starts_with("ok:"))
        .collect();
    assert_eq!(
        trapper,
        vec!["ok:after"],
        "no effect of a failed call may be applied"
    );

    let other = d.wait_for("other", WAIT, |a| a.len() >= 4).await;
    let texts: Vec<&str> = other.iter().filter_map(|x| x["text"].as_str()).collect();
    assert_eq!(
        texts,
        vec![
            "v1:during trap",
            "v1:during loop",
            "v1:during oom",
            "v1:during recurse"
        ]
    );
    // The recorder also saw the fault-inducing messages and answered each once.
    let recorded = faults
        .iter()
        .filter(|x| x["text"].as_str().is_some_and(|t| t.starts_with("v1:")))
        .count();
    assert_eq!(recorded, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_actions_is_capped_per_event() {
    let d = TestDaemon::start(&["flood"]).await;
    d.say("flood", "alice", "flood 500").await;
    d.say("flood", "alice", "flood 3").await;
    // Each event may buffer at most 100 actions; the rest are refused with `rate-limited`.
    let actions = d.wait_for("flood", WAIT, |a| a.len() >= 103).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let actions_after = d.actions("flood").await;
    assert_eq!(actions_after.len(), 103, "{} actions", actions.len());
    let last: Vec<&str> = actions_after[100..]
        .iter()
        .filter_map(|x| x["text"].as_str())
        .collect();
    assert_eq!(last, vec!["f0", "f1", "f2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_chat_order_holds_under_concurrent_load() {
    let lanes = overrides("recorder", |c| c.instances = Some(3));
    let d = std::sync::Arc::new(TestDaemon::start_with(&["recorder"], vec![lanes]).await);
    const CHATS: usize = 6;
    const PER_CHAT: usize = 40;
    let mut posters = Vec::new();
    for chat in 0..CHATS {
        let d = d.clone();
        posters.push(tokio::spawn(async move {
            for i in 0..PER_CHAT {
                d.say(&format!("c{chat}"), "alice", &format!("{i}")).await;
            }
        }));
    }
    for p in posters {
        p.await.unwrap();
    }
    for chat in 0..CHATS {
        let chat = format!("c{chat}");
        let actions = d.wait_for(&chat, WAIT, |a| a.len() >= PER_CHAT).await;
        let texts: Vec<String> = actions
            .iter()
            .map(|x| x["text"].as_str().unwrap().to_string())
            .collect();
        let expected: Vec<String> = (0..PER_CHAT).map(|i| format!("v1:{i}")).collect();
        assert_eq!(texts, expected, "chat {chat} out of order");
    }
}
