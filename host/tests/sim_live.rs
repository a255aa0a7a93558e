//! The sim page's live feed, `/sim/events`: each change of a chat is pushed as an `update`
//! server-sent event, and a reader that reconnects with the last id it saw (`Last-Event-ID`)
//! first gets everything it missed, and nothing twice.

use std::time::Duration;

use serde_json::Value;

use crate::common::TestDaemon;

const WAIT: Duration = Duration::from_secs(20);

/// Reads `update` events from the stream until `done` holds for the union of their actions;
/// returns those actions and the id of the last event.
async fn read_until(
    response: &mut reqwest::Response,
    done: impl Fn(&[Value]) -> bool,
) -> (Vec<Value>, String) {
    let mut buffer = String::new();
    let mut actions = Vec::new();
    let mut last_id = String::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            let field = |name: &str| {
                frame
                    .lines()
                    .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
            };
            if field("event:").as_deref() != Some("update") {
                continue;
            }
            last_id = field("id:").unwrap_or_default();
            let data: Value = serde_json::from_str(&field("data:").unwrap_or_default()).unwrap();
            actions.extend(data["actions"].as_array().cloned().unwrap_or_default());
        }
        if done(&actions) {
            return (actions, last_id);
        }
        let chunk = tokio::time::timeout_at(deadline, response.chunk()).await;
        let chunk = chunk
            .unwrap_or_else(|_| panic!("no such update in time; actions so far: {actions:?}"))
            .unwrap()
            .expect("the stream ended");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
}

fn replies<'a>(actions: &'a [Value], text: &str) -> Vec<&'a Value> {
    actions.iter().filter(|a| a["text"] == text).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_are_pushed_and_a_reconnect_catches_up() {
    let d = TestDaemon::start(&["echo"]).await;
    let url = format!("{}/sim/events?chat=live", d.base);
    let mut stream = d.http.get(&url).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    assert!(stream.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));

    d.say("live", "alice", "/echo one").await;
    let (seen, last_id) = read_until(&mut stream, |a| !replies(a, "one").is_empty()).await;
    assert_eq!(replies(&seen, "one").len(), 1, "{seen:?}");
    drop(stream);

    // While no page listens, the bot answers twice more.
    d.say("live", "alice", "/echo two").await;
    d.say("live", "alice", "/echo three").await;
    d.wait_for("live", WAIT, |a| a.iter().any(|x| x["text"] == "three"))
        .await;

    // The browser's reconnect: same URL, the last id seen.
    let mut again = d
        .http
        .get(&url)
        .header("Last-Event-ID", &last_id)
        .send()
        .await
        .unwrap();
    let (missed, _) = read_until(&mut again, |a| !replies(a, "three").is_empty()).await;
    assert!(replies(&missed, "one").is_empty(), "sent again: {missed:?}");
    assert_eq!(replies(&missed, "two").len(), 1, "{missed:?}");
    assert_eq!(replies(&missed, "three").len(), 1, "{missed:?}");

    let (status, body) = d.get("/sim/events?chat=").await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().unwrap().contains("chat"), "{body}");
}
