//! The grant matrix: every operation with and without its grant, plus kv quotas and rates.

use std::time::Duration;

use crate::common::{overrides, TestDaemon};

const WAIT: Duration = Duration::from_secs(20);

/// (driver command, operation, allowed without a grant)
const CASES: &[(&str, &str, bool)] = &[
    ("/reply x", "reply", true),
    ("/send x", "send", true),
    ("/edit x", "edit", true),
    ("/delete", "delete", true),
    ("/react 👍", "react", true),
    ("/member", "get-member", true),
    ("/roles", "list-roles", true),
    ("/pin", "pin", false),
    ("/unpin", "unpin", false),
    ("/role red", "add-role", false),
    ("/unrole red", "remove-role", false),
    ("/mute 5", "mute", false),
    ("/unmute", "unmute", false),
    ("/kick", "kick", false),
];

/// Runs every case in its own chat and returns, per case, the texts the bot sent there.
async fn run_cases(d: &TestDaemon) -> Vec<Vec<String>> {
    for (i, (command, _, _)) in CASES.iter().enumerate() {
        d.post(
            "/sim/joins",
            serde_json::json!({ "chat": format!("c{i}"), "user": "alice" }),
        )
        .await;
        d.say(&format!("c{i}"), "alice", command).await;
    }
    let mut results = Vec::new();
    for (i, (_, op, _)) in CASES.iter().enumerate() {
        let chat = format!("c{i}");
        // Done when the operation shows up, or the driver replied (query results and errors).
        let actions = d
            .wait_for(&chat, WAIT, |a| {
                a.iter().any(|x| x["op"] == *op || x["op"] == "reply")
            })
            .await;
        results.push(
            actions
                .iter()
                .filter_map(|x| x["text"].as_str().map(str::to_string))
                .collect(),
        );
    }
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_with_and_without_its_grant() {
    let none = overrides("driver", |c| c.grants.operations = vec![]);
    let d = TestDaemon::start_with(&["driver"], vec![none]).await;
    let results = run_cases(&d).await;
    for ((command, op, default), texts) in CASES.iter().zip(&results) {
        let denied = texts
            .iter()
            .any(|t| t.starts_with(&format!("error:{op}:denied")));
        assert_eq!(denied, !default, "{command} without grants: {texts:?}");
        if denied {
            let message = texts.iter().find(|t| t.starts_with("error:")).unwrap();
            assert!(
                message.contains(&format!("`{op}`")),
                "the missing grant is named: {message}"
            );
        }
    }

    let granted: Vec<String> = CASES
        .iter()
        .filter(|c| !c.2)
        .map(|c| c.1.to_string())
        .collect();
    let some = overrides("driver", |c| c.grants.operations = granted);
    let d = TestDaemon::start_with(&["driver"], vec![some]).await;
    let results = run_cases(&d).await;
    for ((command, _, _), texts) in CASES.iter().zip(&results) {
        assert!(
            texts.iter().all(|t| !t.starts_with("error:")),
            "{command} with its grant: {texts:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kv_quota_and_action_rate_are_enforced() {
    let quota = overrides("kvtest", |c| c.grants.kv_quota_bytes = Some(64));
    let rate = overrides("flood", |c| {
        c.grants.actions_per_minute = Some(5);
        c.allow_chats = vec!["flood".into()];
    });
    let d = TestDaemon::start_with(&["kvtest", "flood"], vec![quota, rate]).await;
    d.say("k", "alice", "/kvset small tiny").await;
    d.say("k", "alice", &format!("/kvset big {}", "x".repeat(100)))
        .await;
    d.say("k", "alice", "/kvget big").await;
    let actions = d.wait_for("k", WAIT, |a| a.len() >= 3).await;
    let texts: Vec<&str> = actions.iter().filter_map(|x| x["text"].as_str()).collect();
    assert_eq!(texts[0], "ok");
    assert!(
        texts[1].starts_with("denied:") && texts[1].contains("quota"),
        "{texts:?}"
    );
    assert_eq!(texts[2], "none", "a refused write is not stored");

    d.say("flood", "alice", "flood 10").await;
    d.wait_for("flood", WAIT, |a| a.len() >= 5).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(d.actions("flood").await.len(), 5, "5 actions per minute");
}
