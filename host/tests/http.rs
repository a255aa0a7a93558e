//! Outbound HTTP for plugins (`fetcher` fixture, real loopback servers): grants, special
//! addresses, redirects, limits, the deadline while waiting, the audit line.

use std::time::{Duration, Instant};

use crate::api_sim::Api;
use crate::common::{logs, overrides, TestDaemon};
use wasmbot::config::PluginConfig;

const WAIT: Duration = Duration::from_secs(20);

/// The fetcher granted `grants`, with `edit` applied to its config.
async fn fetcher(grants: Vec<String>, edit: impl FnOnce(&mut PluginConfig)) -> TestDaemon {
    let config = overrides("fetcher", |c| {
        c.grants.http = grants;
        edit(c);
    });
    TestDaemon::start_with(&["fetcher"], vec![config]).await
}

/// Says `text` in `chat` and returns the first reply there (the weather tests use it too).
pub async fn ask(d: &TestDaemon, chat: &str, text: &str) -> String {
    d.say(chat, "alice", text).await;
    let actions = d
        .wait_for(chat, WAIT, |a| a.iter().any(|x| x["op"] == "reply"))
        .await;
    let reply = actions.iter().find(|x| x["op"] == "reply").unwrap();
    reply["text"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_granted_host_is_reached_with_an_idempotency_key() {
    let api = Api::start().await;
    let d = fetcher(vec![api.grant()], |_| {}).await;
    assert_eq!(
        ask(&d, "c1", &format!("fetch {}/ok", api.base)).await,
        "200 hello"
    );
    let seen = api.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/ok");
    let key = seen[0].idempotency_key.clone().unwrap_or_default();
    assert!(
        key.starts_with("wb-fetcher-") && key.ends_with("-0"),
        "{key}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosts_not_granted_are_denied_before_anything_is_sent() {
    let api = Api::start().await;
    // Another port of the same address, a name, and the right port of another address.
    let other = format!("127.0.0.1:{}", api.port.wrapping_add(1).max(1));
    let d = fetcher(
        vec![
            other,
            "example.com".into(),
            format!("127.0.0.2:{}", api.port),
        ],
        |_| {},
    )
    .await;
    assert_eq!(
        ask(&d, "c1", &format!("fetch {}/ok", api.base)).await,
        "err:denied"
    );
    assert!(
        api.seen().is_empty(),
        "nothing may reach a host not granted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_to_a_host_not_granted_is_denied() {
    let granted = Api::start().await;
    let elsewhere = Api::start().await;
    let d = fetcher(vec![granted.grant()], |_| {}).await;
    let away = format!("{}/redirect?to={}/ok", granted.base, elsewhere.base);
    assert_eq!(
        ask(&d, "away", &format!("fetch {away}")).await,
        "err:denied"
    );
    assert!(
        elsewhere.seen().is_empty(),
        "the redirect target was reached"
    );
    let home = format!("{}/redirect?to=/ok", granted.base);
    assert_eq!(ask(&d, "home", &format!("fetch {home}")).await, "200 hello");
    let keys: Vec<String> = granted
        .seen()
        .iter()
        .filter_map(|s| s.idempotency_key.clone())
        .collect();
    assert_eq!(keys.len(), 3, "{keys:?}");
    assert!(
        keys[2].ends_with("-1"),
        "a redirect is the call's next request: {keys:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_needs_the_exact_host_and_port() {
    // `127.0.0.1` without a port grants ports 80 and 443, but only for public addresses: the
    // request is refused after resolution, before any connection (a connection to port 80
    // would have answered `connection`, or reached whatever listens there).
    let d = fetcher(vec!["127.0.0.1".into()], |_| {}).await;
    assert_eq!(
        ask(&d, "c1", "fetch http://127.0.0.1/ok").await,
        "err:denied"
    );
    assert_eq!(
        ask(&d, "c2", "fetch https://127.0.0.1/ok").await,
        "err:denied"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_answer_times_out_with_a_typed_error() {
    let api = Api::start().await;
    let d = fetcher(vec![api.grant()], |c| c.http.timeout_ms = Some(300)).await;
    let start = Instant::now();
    let reply = ask(&d, "c1", &format!("fetch {}/slow?ms=3000", api.base)).await;
    assert_eq!(reply, "err:timeout");
    assert!(
        start.elapsed() < Duration::from_millis(2500),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_is_refused() {
    let api = Api::start().await;
    let d = fetcher(vec![api.grant()], |c| {
        c.http.max_response_bytes = Some(50_000)
    })
    .await;
    let big = ask(&d, "big", &format!("fetch {}/big?bytes=60000", api.base)).await;
    assert_eq!(big, "err:too-large");
    let fits = ask(&d, "fits", &format!("fetch {}/big?bytes=40000", api.base)).await;
    assert_eq!(fits, "200 40960 bytes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_in_flight_are_capped() {
    let api = Api::start().await;
    let d = fetcher(vec![api.grant()], |c| c.http.max_in_flight = Some(2)).await;
    let reply = ask(&d, "c1", &format!("burst 4 {}/slow?ms=300", api.base)).await;
    assert_eq!(reply, "ok=2 limited=2 other=0");
    // The places are given back: the next burst gets two again.
    let reply = ask(&d, "c2", &format!("burst 2 {}/slow?ms=10", api.base)).await;
    assert_eq!(reply, "ok=2 limited=0 other=0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_on_http_does_not_count_against_the_deadline_but_computing_does() {
    let api = Api::start().await;
    let d = fetcher(vec![api.grant()], |c| c.timeout_ms = Some(300)).await;
    // 450 ms of waiting, 1.5 times the plugin's 300 ms deadline.
    let slow = ask(&d, "wait", &format!("fetch {}/slow?ms=450", api.base)).await;
    assert_eq!(slow, "200 slow");
    // The same wait, then a busy loop: stopped, no reply, and the plugin serves the next event.
    d.say(
        "spin",
        "alice",
        &format!("fetch-spin {}/slow?ms=450", api.base),
    )
    .await;
    d.say("spin", "alice", &format!("fetch {}/ok", api.base))
        .await;
    let actions = d
        .wait_for("spin", WAIT, |a| a.iter().any(|x| x["op"] == "reply"))
        .await;
    let texts: Vec<&str> = actions.iter().filter_map(|x| x["text"].as_str()).collect();
    assert_eq!(texts, vec!["200 hello"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_line_has_the_path_but_never_the_query() {
    let logs = logs();
    let api = Api::start().await;
    let d = fetcher(vec![api.grant()], |_| {}).await;
    let path = format!("/audit-{}", rand::random::<u32>());
    let url = format!("{}{path}?token=hunter2", api.base);
    assert!(ask(&d, "c1", &format!("fetch {url}"))
        .await
        .starts_with("404"));
    assert_eq!(api.seen()[0].query.as_deref(), Some("token=hunter2"));
    let text = String::from_utf8_lossy(&logs.wasmbot.lock().unwrap()).into_owned();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains(&path)).collect();
    assert_eq!(lines.len(), 1, "one line per request: {lines:?}");
    let line = lines[0];
    for part in [
        "fetcher",
        "GET",
        "127.0.0.1",
        "status=404",
        "bytes=0",
        "ms=",
    ] {
        assert!(line.contains(part), "{part} missing: {line}");
    }
    assert!(!text.contains("hunter2"), "the query reached the log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_reaches_the_plugin_but_no_log_line_nor_the_status() {
    let logs = logs();
    let api = Api::start().await;
    let secret = format!("tok-{}", rand::random::<u64>());
    let d = fetcher(vec![api.grant()], |c| {
        c.secrets
            .insert("token".into(), wasmbot::config::Secret::new(secret.clone()));
    })
    .await;
    assert_eq!(
        ask(&d, "c1", &format!("fetch {}/ok", api.base)).await,
        "200 hello"
    );
    assert_eq!(
        api.seen()[0].authorization.as_deref(),
        Some(format!("Bearer {secret}").as_str()),
        "the plugin must get the secret"
    );
    let text = String::from_utf8_lossy(&logs.everything.lock().unwrap()).into_owned();
    assert!(
        text.contains(r#"fetcher config: {"token":"***"}"#),
        "the plugin's line is missing"
    );
    assert!(!text.contains(&secret), "a secret reached the log");
    let (_, status) = d.get("/admin/status").await;
    assert!(status.to_string().contains("fetcher"), "{status}");
    assert!(!status.to_string().contains(&secret));
}
