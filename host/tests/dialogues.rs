//! The SDK's dialogues, through the bundled `signup` plugin on the sim: each user's next
//! message goes to their own dialogue's step, `/cancel` ends one, and an unanswered one times
//! out through a durable timer.

use std::time::Duration;

use crate::common::{overrides, TestDaemon};

const WAIT: Duration = Duration::from_secs(20);

async fn signup(timeout: &str) -> TestDaemon {
    let timeout = timeout.to_owned();
    let config = overrides("signup", move |p| {
        p.config.insert("timeout".into(), timeout.into());
    });
    TestDaemon::start_with(&["signup", "echo"], vec![config]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_users_answer_their_own_questions_in_one_chat() {
    let d = signup("5m").await;
    let replies = |n| move |a: &[serde_json::Value]| a.len() >= n;
    d.say("club", "alice", "/signup").await;
    d.say("club", "bob", "/signup").await;
    d.wait_for("club", WAIT, replies(2)).await;
    d.say("club", "alice", "Alice").await;
    // A command in a dialogue gets the question again from signup (echo, which holds no
    // dialogue, answers it as usual).
    d.say("club", "bob", "/echo not now").await;
    d.say("club", "bob", "Bob").await;
    d.say("club", "alice", "Red").await;
    d.say("club", "bob", "Blue").await;
    d.wait_for("club", WAIT, replies(8)).await;
    let texts = d.texts("club", "reply").await;
    for expected in [
        "Thanks, Alice! You're signed up for Red.",
        "Thanks, Bob! You're signed up for Blue.",
    ] {
        assert!(texts.iter().any(|t| t == expected), "{texts:#?}");
    }
    assert_eq!(
        texts.iter().filter(|t| *t == "What's your name?").count(),
        1,
        "bob's /echo got his question again: {texts:#?}"
    );

    // Both dialogues ended: ordinary handling is back.
    d.say("club", "bob", "/echo back").await;
    d.wait_for("club", WAIT, replies(9)).await;
    assert!(d.texts("club", "reply").await.iter().any(|t| t == "back"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_dialogue_times_out_and_cancel_ends_one() {
    let d = signup("1s").await;
    d.say("quiet", "carol", "/signup").await;
    let timed_out = d
        .wait_for("quiet", WAIT, |a| {
            a.iter().any(|x| {
                x["text"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("Signup timed out"))
            })
        })
        .await;
    assert_eq!(
        timed_out.len(),
        2,
        "the question, then the timeout: {timed_out:#?}"
    );
    // After the timeout carol's words are hers again.
    d.say("quiet", "carol", "/echo free").await;
    d.wait_for("quiet", WAIT, |a| a.len() >= 3).await;

    d.say("busy", "dave", "/signup").await;
    d.say("busy", "dave", "/cancel").await;
    d.wait_for("busy", WAIT, |a| a.len() >= 2).await;
    assert_eq!(d.texts("busy", "reply").await[1], "Signup cancelled.");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let after = d.texts("busy", "send").await;
    assert!(
        after.is_empty(),
        "a cancelled dialogue does not time out: {after:?}"
    );
}
