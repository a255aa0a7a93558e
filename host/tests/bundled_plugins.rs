//! The bundled plugins, end to end through the sim's HTTP API.

use std::time::Duration;

use crate::common::{overrides, TestDaemon};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_replies_and_reacts() {
    let d = TestDaemon::start(&["echo"]).await;
    let asked = d.say("general", "alice", "/echo hello there").await;
    let actions = d
        .wait_for("general", WAIT, |a| a.iter().any(|x| x["op"] == "reply"))
        .await;
    let reply = actions.iter().find(|x| x["op"] == "reply").unwrap();
    assert_eq!(reply["text"], "hello there");
    let timeline = d.timeline("general").await;
    let bot_message = timeline.iter().find(|m| m["from_bot"] == true).unwrap();
    assert_eq!(
        bot_message["reply_to"],
        asked.as_str(),
        "the reply must quote the command"
    );

    let mentioned = d.say("general", "bob", "I love WasmBot").await;
    d.wait_for("general", WAIT, |a| a.iter().any(|x| x["op"] == "react"))
        .await;
    let timeline = d.timeline("general").await;
    let reacted = timeline
        .iter()
        .find(|m| m["id"] == mentioned.as_str())
        .unwrap();
    assert_eq!(reacted["reactions"]["👀"], json!(["bot"]));

    d.say("general", "bob", "nothing to see").await;
    d.say("general", "bob", "/echo done").await;
    let actions = d
        .wait_for("general", WAIT, |a| {
            a.iter().filter(|x| x["op"] == "reply").count() == 2
        })
        .await;
    assert_eq!(
        actions.iter().filter(|x| x["op"] == "react").count(),
        1,
        "only the message naming wasmbot gets a reaction"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn welcome_greets_and_remembers_a_custom_greeting() {
    let d = TestDaemon::start(&["welcome"]).await;
    let (status, _) = d
        .post("/sim/joins", json!({ "chat": "general", "user": "carol" }))
        .await;
    assert_eq!(status, 202);
    let actions = d.wait_for("general", WAIT, |a| !a.is_empty()).await;
    assert!(
        actions[0]["text"].as_str().unwrap().contains("carol"),
        "{actions:?}"
    );

    // `/setwelcome` is for the chat's admins.
    d.post(
        "/sim/ranks",
        json!({ "chat": "general", "user": "alice", "rank": "admin" }),
    )
    .await;
    d.say("general", "alice", "/setwelcome Hi {name}, read the rules")
        .await;
    d.wait_for("general", WAIT, |a| a.len() >= 2).await;
    d.post("/sim/joins", json!({ "chat": "general", "user": "dave" }))
        .await;
    let actions = d
        .wait_for("general", WAIT, |a| {
            a.iter().any(|x| x["text"] == "Hi dave, read the rules")
        })
        .await;
    assert!(!actions.is_empty());

    // The greeting is per chat.
    d.post("/sim/joins", json!({ "chat": "random", "user": "erin" }))
        .await;
    let actions = d.wait_for("random", WAIT, |a| !a.is_empty()).await;
    assert_ne!(actions[0]["text"], "Hi erin, read the rules");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_menu_toggles_roles_and_answers_the_click() {
    let grants = overrides("role-menu", |c| {
        c.grants.operations = vec!["add-role".into(), "remove-role".into()]
    });
    let d = TestDaemon::start_with(&["role-menu"], vec![grants]).await;
    // Posting the menu is for the chat's admins; clicking it for anyone.
    d.post(
        "/sim/ranks",
        json!({ "chat": "general", "user": "alice", "rank": "owner" }),
    )
    .await;
    d.say("general", "alice", "/roles").await;
    let actions = d
        .wait_for("general", WAIT, |a| {
            a.iter().any(|x| x["op"] == "send" || x["op"] == "reply")
        })
        .await;
    let menu = actions
        .iter()
        .find(|x| x["op"] == "send" || x["op"] == "reply")
        .unwrap();
    let menu_id = menu["message_id"].as_str().unwrap().to_string();
    let timeline = d.timeline("general").await;
    let menu_message = timeline
        .iter()
        .find(|m| m["id"] == menu_id.as_str())
        .unwrap();
    let button = &menu_message["keyboard"][0][0];
    let data = button["callback"]
        .as_str()
        .expect("a callback button")
        .to_string();
    let role = data.trim_start_matches("role:").to_string();

    let click = json!({ "chat": "general", "user": "alice", "message_id": menu_id, "data": data });
    assert_eq!(d.post("/sim/clicks", click.clone()).await.0, 202);
    // The role, the answer and the edited menu are three actions: wait for all of them.
    let actions = d
        .wait_for("general", WAIT, |a| {
            ["add-role", "answer-callback", "edit"]
                .iter()
                .all(|op| a.iter().any(|x| x["op"] == *op))
        })
        .await;
    let added = actions.iter().find(|x| x["op"] == "add-role").unwrap();
    assert_eq!(
        (added["user"].as_str(), added["role"].as_str()),
        (Some("alice"), Some(role.as_str()))
    );
    assert!(actions.iter().any(|x| x["op"] == "answer-callback"));
    assert!(actions
        .iter()
        .any(|x| x["op"] == "edit" && x["message_id"] == menu_id.as_str()));

    assert_eq!(d.post("/sim/clicks", click).await.0, 202);
    d.wait_for("general", WAIT, |a| {
        a.iter().any(|x| x["op"] == "remove-role")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn antispam_mutes_a_flooder_and_leaves_others_alone() {
    let config = overrides("antispam", |c| {
        c.config.insert("max_messages".into(), 3.into());
        c.config.insert("window_seconds".into(), 60.into());
        c.config.insert("mute_seconds".into(), 30.into());
        c.grants.operations = vec!["mute".into(), "delete".into()];
    });
    let d = TestDaemon::start_with(&["antispam"], vec![config]).await;
    d.say("general", "bob", "one").await;
    d.say("general", "alice", "hello").await;
    // "More than 3 in the window": the fourth message trips it.
    for text in ["a", "b", "c", "d"] {
        d.say("general", "mallory", text).await;
    }
    // The mute, then the delete: one chat's actions are delivered one after the other.
    let actions = d
        .wait_for("general", WAIT, |a| {
            a.iter().any(|x| x["op"] == "mute") && a.iter().any(|x| x["op"] == "delete")
        })
        .await;
    let mute = actions.iter().find(|x| x["op"] == "mute").unwrap();
    assert_eq!(mute["user"], "mallory");
    assert_eq!(mute["seconds"], 30);
    assert!(actions.iter().any(|x| x["op"] == "delete"));
    // The sim enforces the mute.
    let (status, body) = d
        .post(
            "/sim/messages",
            json!({ "chat": "general", "user": "mallory", "text": "e" }),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(actions
        .iter()
        .all(|x| x["user"] != "alice" && x["user"] != "bob"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_lists_the_commands_this_chat_has_and_explains_one() {
    let quiet_echo = overrides("echo", |p| p.deny_chats = vec!["quiet".into()]);
    let d = TestDaemon::start_with(&["help", "echo", "antispam", "bare"], vec![quiet_echo]).await;
    let replies =
        |n| move |a: &[serde_json::Value]| a.iter().filter(|x| x["op"] == "reply").count() >= n;

    d.say("general", "alice", "/help").await;
    d.say("general", "alice", "/help /echo").await;
    d.say("general", "alice", "/help nope").await;
    d.say("general", "alice", "/ping").await;
    d.wait_for("general", WAIT, replies(4)).await;
    // help's answers keep their order; bare's runs on its own lanes.
    let (pongs, texts): (Vec<String>, Vec<String>) = d
        .texts("general", "reply")
        .await
        .into_iter()
        .partition(|t| t == "pong");
    assert_eq!(
        pongs.len(),
        1,
        "a plugin without a command guide still runs"
    );
    let overview = &texts[0];
    for line in [
        "/echo TEXT — Repeats your text back to you",
        "/help [COMMAND] — Lists the commands here, or explains one",
        "/ping — bare: A plugin without a command guide",
    ] {
        assert!(
            overview.lines().any(|l| l == line),
            "no `{line}` in:\n{overview}"
        );
    }
    assert!(
        overview.contains("Also at work here: antispam"),
        "{overview}"
    );
    assert_eq!(
        texts[1],
        "/echo TEXT\nRepeats your text back to you\n  TEXT — what to repeat\n(plugin echo)"
    );
    assert_eq!(
        texts[2],
        "There is no /nope here. Send /help to list the commands."
    );

    // The operator keeps echo out of `quiet`: its /help does not offer it.
    d.say("quiet", "alice", "/help").await;
    d.wait_for("quiet", WAIT, replies(1)).await;
    let overview = &d.texts("quiet", "reply").await[0];
    assert!(overview.contains("/help [COMMAND]"), "{overview}");
    assert!(!overview.contains("/echo"), "{overview}");
}
