//! Bad input gets a clear error and nothing panics: the sim API, plugins passing bad
//! arguments, and the CLI's config checks.

use std::time::Duration;

use crate::common::TestDaemon;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);

async fn raw(d: &TestDaemon, path: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
    let response = d
        .http
        .post(format!("{}{path}", d.base))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sim_api_rejects_bad_requests_with_a_message() {
    let d = TestDaemon::start(&[]).await;
    let cases: Vec<(&str, &str, Vec<u8>, u16)> = vec![
        (
            "/sim/messages",
            "application/json",
            b"{not json".to_vec(),
            400,
        ),
        (
            "/sim/messages",
            "text/plain",
            br#"{"chat":"g","user":"a","text":"hi"}"#.to_vec(),
            415,
        ),
        (
            "/sim/messages",
            "application/json",
            br#"{"chat":"g","user":"a"}"#.to_vec(),
            422,
        ),
        (
            "/sim/messages",
            "application/json",
            br#"{"chat":"g","user":"a","text":"hi","extra":1}"#.to_vec(),
            422,
        ),
        (
            "/sim/messages",
            "application/json",
            br#"{"chat":"g","user":"a","text":"   "}"#.to_vec(),
            400,
        ),
        (
            "/sim/messages",
            "application/json",
            br#"{"chat":"no spaces","user":"a","text":"hi"}"#.to_vec(),
            400,
        ),
        (
            "/sim/messages",
            "application/json",
            br#"{"chat":"g","user":"a","text":"hi","reply_to":"m999"}"#.to_vec(),
            404,
        ),
        (
            "/sim/clicks",
            "application/json",
            br#"{"chat":"g","user":"a","message_id":"m1","data":"x"}"#.to_vec(),
            404,
        ),
    ];
    for (path, content_type, body, expected) in cases {
        let shown = String::from_utf8_lossy(&body).to_string();
        let (status, reply) = raw(&d, path, content_type, body).await;
        assert_eq!(status, expected, "{path} {shown}: {reply}");
        assert!(
            reply["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{path} {shown}: no error message in {reply}"
        );
    }
    let huge = json!({ "chat": "g", "user": "a", "text": "x".repeat(100_000) })
        .to_string()
        .into_bytes();
    assert_eq!(
        raw(&d, "/sim/messages", "application/json", huge).await.0,
        413
    );
    let long = json!({ "chat": "g", "user": "a", "text": "x".repeat(5000) })
        .to_string()
        .into_bytes();
    assert_eq!(
        raw(&d, "/sim/messages", "application/json", long).await.0,
        400
    );
    let missing = d
        .http
        .get(format!("{}/sim/timeline", d.base))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 400);
    // After all that the daemon still serves.
    assert_eq!(
        d.post(
            "/sim/messages",
            json!({ "chat": "g", "user": "a", "text": "hi" })
        )
        .await
        .0,
        202
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugins_get_typed_errors_and_kv_works() {
    let d = TestDaemon::start(&["kvtest"]).await;
    d.say("k", "alice", "/badref").await;
    let actions = d.wait_for("k", WAIT, |a| !a.is_empty()).await;
    let text = actions[0]["text"].as_str().unwrap();
    assert!(
        text.contains("invalid") && text.contains("no-such-message"),
        "{text}"
    );

    d.say("k", "alice", "/kvset color blue").await;
    d.say("k", "alice", "/kvset colour green").await;
    d.say("k", "alice", "/kvset size 3").await;
    d.say("k", "alice", "/kvget color").await;
    d.say("k", "alice", "/kvlist col").await;
    d.say("k", "alice", "/kvdel color").await;
    d.say("k", "alice", "/kvget color").await;
    d.say("k", "alice", "/caps").await;
    let actions = d
        .wait_for("k", WAIT, |a| {
            a.iter()
                .any(|x| x["text"].as_str().is_some_and(|t| t.contains("kick")))
        })
        .await;
    let texts: Vec<&str> = actions.iter().filter_map(|x| x["text"].as_str()).collect();
    assert!(texts.contains(&"blue"), "{texts:?}");
    assert!(texts.contains(&"color,colour"), "{texts:?}");
    assert!(texts.contains(&"none"), "{texts:?}");
    let caps = texts.last().unwrap();
    assert!(
        caps.contains("send") && caps.contains("kick") && caps.contains("kv"),
        "{caps}"
    );
}
