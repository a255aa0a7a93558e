//! The shared webhook ingress under bad input: malformed JSON, wrong or missing secrets, wrong
//! content types, oversized bodies, a full journal, duplicates and unknown event types; each is
//! answered with the fitting status and `{"error": ...}`, and the other bots keep working.
//! Also: no secret appears in a log line.

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use wasmbot::adapter::{self, StartContext};
use wasmbot::config::{BotConfig, Secret};
use wasmbot::journal::Ingress;
use wasmbot::model::Event;
use wasmbot::store::Bounds;
use wasmbot::store::{MemoryStore, Store};

use crate::common;

const PATH_SECRET: &str = "hook-secret-d41d8cd9";
const MINAPP_SECRET: &str = "minapp-secret-0cc175b9";
const TOKEN: &str = "bot-token-92eb5ffe";

fn bot(name: &str, platform: &str, secret: Option<&str>, options: &[(&str, i64)]) -> BotConfig {
    BotConfig {
        name: name.into(),
        platform: platform.into(),
        token: Some(Secret::new(TOKEN)),
        secret: secret.map(Secret::new),
        base_url: Some("http://127.0.0.1:9".into()),
        options: options
            .iter()
            .map(|(k, v)| (k.to_string(), toml::Value::Integer(*v)))
            .collect(),
        register_commands: false,
        rate_limit: None,
        admins: Vec::new(),
    }
}

/// Serves the webhook routes of `bots` on loopback over a store of `journal` events.
async fn serve(bots: &[BotConfig], journal: usize) -> (String, Arc<dyn Store>) {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new(Bounds {
        journal,
        ..Bounds::default()
    }));
    let ctx = StartContext {
        ingress: Ingress::new(store.clone()).unwrap(),
        stop: Default::default(),
        data_dir: Default::default(),
        inbound: true,
        singleton: None,
    };
    let mut app = axum::Router::new();
    for bot in bots {
        app = app.merge(adapter::start(bot, &ctx).unwrap().routes.unwrap());
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, store)
}

async fn post(
    url: &str,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new().post(url).body(body);
    if let Some(ct) = content_type {
        request = request.header("content-type", ct);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn yunhu_event(id: &str, kind: &str) -> String {
    json!({ "version": "1.0", "header": { "eventId": id, "eventType": kind, "eventTime": 1 },
            "event": { "chatId": "604715283", "chatType": "group", "userId": "7731046" } })
    .to_string()
}

fn events(store: &Arc<dyn Store>) -> Vec<Event> {
    store
        .read(0, 100)
        .unwrap()
        .into_iter()
        .map(|(_, inbound)| inbound.event)
        .collect()
}

fn assert_error(got: (u16, Value), status: u16, mentions: &str) {
    assert_eq!(got.0, status, "{}", got.1);
    let message = got.1["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error field: {}", got.1));
    assert!(
        message.contains(mentions),
        "`{message}` does not mention `{mentions}`"
    );
}

#[tokio::test]
async fn bad_requests_get_the_fitting_4xx_and_good_ones_still_work() {
    logs();
    let yh = bot(
        "yh",
        "yunhu",
        Some(PATH_SECRET),
        &[("webhook_body_limit", 2048)],
    );
    let bl = bot("bl", "biliao", None, &[]);
    let (base, store) = serve(&[yh, bl], 100).await;
    let good = format!("{base}/hooks/yh/{PATH_SECRET}");
    let json = Some("application/json");

    assert_error(
        post(&good, json, "{\"header\": ").await,
        400,
        "not valid JSON",
    );
    assert_error(
        post(
            &format!("{base}/hooks/yh/wrong-secret"),
            json,
            yunhu_event("e1", "group.join"),
        )
        .await,
        403,
        "secret",
    );
    assert_error(
        post(
            &format!("{base}/hooks/yh"),
            json,
            yunhu_event("e1", "group.join"),
        )
        .await,
        403,
        "secret",
    );
    assert_error(
        post(&good, Some("text/plain"), yunhu_event("e1", "group.join")).await,
        415,
        "application/json",
    );
    assert_error(
        post(&good, None, yunhu_event("e1", "group.join")).await,
        415,
        "application/json",
    );
    let big = json!({ "header": { "eventId": "big", "eventType": "group.join" }, "pad": "x".repeat(4096) }).to_string();
    assert_error(post(&good, json, big).await, 413, "2048");
    assert_error(post(&good, json, "[1, 2]").await, 422, "payload");
    assert_error(
        post(&good, json, "{\"header\": {}}").await,
        422,
        "eventType",
    );
    assert_error(
        post(&format!("{base}/hooks/bl/anything"), json, "{}").await,
        404,
        "no secret",
    );
    assert!(events(&store).is_empty(), "nothing refused was accepted");

    // Good requests, after all that: accepted once, the duplicate acknowledged, the unknown kept.
    let (status, body) = post(
        &good,
        Some("application/json; charset=utf-8"),
        yunhu_event("e1", "group.join"),
    )
    .await;
    assert_eq!(
        (status, body["duplicate"].as_bool()),
        (200, Some(false)),
        "{body}"
    );
    let (status, body) = post(&good, json, yunhu_event("e1", "group.join")).await;
    assert_eq!(
        (status, body["duplicate"].as_bool()),
        (200, Some(true)),
        "{body}"
    );
    assert_eq!(
        post(&good, json, yunhu_event("e2", "group.renamed"))
            .await
            .0,
        200
    );
    let biliao = json!({ "event_type": "group_message", "message_id": "m1", "sender_id": "u1", "group_id": "g1", "message_type": "text", "content": "hi", "timestamp": 1 });
    assert_eq!(
        post(&format!("{base}/hooks/bl"), json, biliao.to_string())
            .await
            .0,
        200
    );
    let accepted = events(&store);
    assert_eq!(accepted.len(), 3, "{accepted:?}");
    assert!(matches!(&accepted[0], Event::MemberJoined(m) if m.user.id == "7731046"));
    assert!(matches!(&accepted[1], Event::Other(o) if o.kind == "group.renamed"));
    assert!(matches!(&accepted[2], Event::Message(m) if m.id.id == "m1"));
}

#[tokio::test]
async fn minapp_checks_the_echoed_secret() {
    let mn = bot("mn", "minapp", Some(MINAPP_SECRET), &[]);
    let (base, store) = serve(&[mn], 100).await;
    let url = format!("{base}/hooks/mn");
    let body = |secret: &str| {
        json!({ "secret": secret, "msgtype": "text", "conversation_id": "R:1", "sender": "wxid_1", "text": { "content": "hi" } }).to_string()
    };
    assert_error(
        post(
            &url,
            Some("application/json"),
            body("minapp-secret-0cc175b8"),
        )
        .await,
        403,
        "secret",
    );
    assert_error(
        post(&url, Some("application/json"), body("")).await,
        403,
        "secret",
    );
    assert_eq!(
        post(&url, Some("application/json"), body(MINAPP_SECRET))
            .await
            .0,
        200
    );
    assert_eq!(events(&store).len(), 1);
}

#[tokio::test]
async fn a_full_journal_is_a_503_that_the_platform_retries() {
    let (base, store) = serve(&[bot("yh", "yunhu", None, &[])], 1).await;
    let url = format!("{base}/hooks/yh");
    assert_eq!(
        post(
            &url,
            Some("application/json"),
            yunhu_event("a", "group.join")
        )
        .await
        .0,
        200
    );
    assert_error(
        post(
            &url,
            Some("application/json"),
            yunhu_event("b", "group.join"),
        )
        .await,
        503,
        "journal is full",
    );
    // A redelivery of what was accepted is still acknowledged.
    assert_eq!(
        post(
            &url,
            Some("application/json"),
            yunhu_event("a", "group.join")
        )
        .await
        .0,
        200
    );
    assert_eq!(events(&store).len(), 1);
}

/// Everything logged in this process (a capture shared by the process: `common::logs`).
fn logs() -> Arc<Mutex<Vec<u8>>> {
    common::logs().everything.clone()
}

#[tokio::test]
async fn secrets_stay_out_of_logs_errors_and_debug_output() {
    let logs = logs();
    let yh = bot("yh2", "yunhu", Some(PATH_SECRET), &[]);
    let mn = bot("mn2", "minapp", Some(MINAPP_SECRET), &[]);
    let (base, _) = serve(&[yh.clone(), mn.clone()], 100).await;
    let near_miss = format!("{}x", &PATH_SECRET[..PATH_SECRET.len() - 1]);
    post(
        &format!("{base}/hooks/yh2/{near_miss}"),
        Some("application/json"),
        "{}",
    )
    .await;
    post(
        &format!("{base}/hooks/mn2"),
        Some("application/json"),
        json!({ "secret": "nope" }).to_string(),
    )
    .await;

    let stop = tokio_util::sync::CancellationToken::new();
    let adapters: Vec<Box<dyn std::fmt::Debug>> = vec![
        Box::new(wasmbot::adapter::yunhu::Yunhu::from_config(&yh).unwrap()),
        Box::new(
            wasmbot::adapter::biliao::Biliao::from_config(&bot("bl2", "biliao", None, &[]), stop)
                .unwrap(),
        ),
        Box::new(wasmbot::adapter::minapp::Minapp::from_config(&mn).unwrap()),
        Box::new(yh.clone()),
    ];
    let debug = format!("{adapters:?}");
    let manage = wasmbot::cli::yunhu::manage::ManageClient::new(
        "http://127.0.0.1:9",
        Secret::new(TOKEN),
        std::time::Duration::from_secs(1),
    )
    .unwrap();
    let error = manage.bots().await.unwrap_err().to_string();
    tracing::warn!(error = %error, "a failing management call");

    let logged = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(logged.contains("webhook request refused"), "{logged}");
    for (what, text) in [
        ("logs", &logged),
        ("debug output", &debug),
        ("errors", &error),
    ] {
        for secret in [PATH_SECRET, MINAPP_SECRET, TOKEN] {
            assert!(!text.contains(secret), "{what} show a secret: {text}");
        }
    }
}

/// Under overload a platform retries thousands of 503s a second: they are summed up, one line a
/// second with their count, not one line each.
#[tokio::test]
async fn refusals_of_a_full_journal_are_logged_once_a_second_with_their_count() {
    let logs = logs(); // installs the capture before anything is logged
    let (base, _) = serve(&[bot("yhbusy", "yunhu", None, &[])], 1).await;
    let url = format!("{base}/hooks/yhbusy");
    let status = |id: &'static str| {
        let url = url.clone();
        async move {
            post(
                &url,
                Some("application/json"),
                yunhu_event(id, "group.join"),
            )
            .await
            .0
        }
    };
    assert_eq!(status("first").await, 200);
    // At once, as an overloaded platform's deliveries come (each waits up to a second for
    // room before its 503).
    let refused = futures::future::join_all((0..20).map(|_| status("refused"))).await;
    assert_eq!(refused, vec![503; 20]);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(status("refused").await, 503);
    let busy_lines: Vec<String> = String::from_utf8_lossy(&logs.lock().unwrap())
        .lines()
        .filter(|l| l.contains("webhook requests refused: busy") && l.contains("yhbusy"))
        .map(str::to_string)
        .collect();
    assert_eq!(busy_lines.len(), 2, "{busy_lines:#?}");
    assert!(busy_lines[0].contains("refused=1"), "{}", busy_lines[0]);
    assert!(busy_lines[1].contains("refused=20"), "{}", busy_lines[1]);
}
