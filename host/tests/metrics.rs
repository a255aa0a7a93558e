//! `/metrics` after real traffic through the sim: each counter moved by exactly what was sent.

use std::time::Duration;

use wasmbot::model::{Event, Inbound};

use crate::common::{sim_message, TestDaemon};

const WAIT: Duration = Duration::from_secs(20);

/// The value of the sample `name` (with its labels, as written) in a scrape.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        line.strip_prefix(name)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

async fn scrape(d: &TestDaemon) -> String {
    let response = d
        .http
        .get(format!("{}/metrics", d.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    response.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_move_by_exactly_the_traffic() {
    let d = TestDaemon::start(&["echo"]).await;
    let before = scrape(&d).await;
    assert_eq!(
        sample(&before, "wasmbot_bot_events_accepted_total{bot=\"sim\"}"),
        Some(0.0),
        "{before}"
    );
    assert_eq!(
        sample(&before, "wasmbot_events_accepted_total"),
        Some(0.0),
        "{before}"
    );
    assert_eq!(
        sample(
            &before,
            "wasmbot_plugin_events_handled_total{plugin=\"echo\"}"
        ),
        Some(0.0),
        "{before}"
    );
    assert!(
        sample(
            &before,
            "wasmbot_plugin_reload_seconds_count{plugin=\"echo\"}"
        ) >= Some(1.0),
        "the load is timed: {before}"
    );

    for text in ["/echo one", "/echo two", "/echo three"] {
        d.say("m", "alice", text).await;
    }
    // Not a command: echo reads every message (for its reaction), and sends nothing back.
    d.say("m", "alice", "just talking").await;
    // A platform's redelivery of one event: deduplicated by its key.
    let redelivered = Inbound::received(
        "sim".into(),
        Some("metrics-test-1".into()),
        Event::Message(sim_message("m", "x1", "hello")),
        Default::default(),
    );
    d.daemon.ingress.accept(redelivered.clone()).await.unwrap();
    d.daemon.ingress.accept(redelivered).await.unwrap();
    d.wait_for("m", WAIT, |a| {
        a.iter().filter(|x| x["op"] == "reply").count() == 3
    })
    .await;

    let start = std::time::Instant::now();
    let after = loop {
        let text = scrape(&d).await;
        let delivered = sample(&text, "wasmbot_outbox_delivered_total{bot=\"sim\"}");
        let handled = sample(
            &text,
            "wasmbot_plugin_events_handled_total{plugin=\"echo\"}",
        );
        // The backlog drops once the last outcome is committed, just after it is counted.
        let backlog = sample(&text, "wasmbot_plugin_backlog{plugin=\"echo\"}");
        let settled = delivered == Some(3.0) && handled == Some(5.0) && backlog == Some(0.0);
        if settled || start.elapsed() > WAIT {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let echo = |name: &str| sample(&after, &format!("wasmbot_{name}{{plugin=\"echo\"}}"));
    assert_eq!(
        sample(&after, "wasmbot_events_accepted_total"),
        Some(5.0),
        "{after}"
    );
    assert_eq!(
        sample(&after, "wasmbot_events_deduplicated_total"),
        Some(1.0),
        "{after}"
    );
    // Acceptance comes before routing, so it is counted per bot: all of it came to `sim`.
    let sim = |name: &str| sample(&after, &format!("wasmbot_{name}{{bot=\"sim\"}}"));
    assert_eq!(sim("bot_events_accepted_total"), Some(5.0), "{after}");
    assert_eq!(sim("bot_events_deduplicated_total"), Some(1.0), "{after}");
    // One request per reply: the sim answered each at the first try.
    assert_eq!(sim("outbox_requests_total"), Some(3.0), "{after}");
    assert_eq!(sim("outbox_retries_total"), Some(0.0), "{after}");
    assert_eq!(sim("outbox_rate_limit_waits_total"), Some(0.0), "{after}");
    assert_eq!(echo("plugin_in_flight"), Some(0.0), "{after}");
    assert_eq!(echo("plugin_enabled"), Some(1.0), "{after}");
    assert_eq!(echo("plugin_reload_failed_total"), Some(0.0), "{after}");
    // Three commands, the plain message and the redelivered one, once.
    assert_eq!(echo("plugin_events_handled_total"), Some(5.0), "{after}");
    assert_eq!(echo("plugin_events_failed_total"), Some(0.0), "{after}");
    assert_eq!(echo("plugin_handle_seconds_count"), Some(5.0), "{after}");
    assert!(echo("store_commit_seconds_count") >= Some(1.0), "{after}");
    assert_eq!(echo("plugin_backlog"), Some(0.0), "{after}");
    assert_eq!(
        sample(&after, "wasmbot_outbox_delivered_total{bot=\"sim\"}"),
        Some(3.0),
        "{after}"
    );
    assert_eq!(
        sample(&after, "wasmbot_outbox_depth{bot=\"sim\"}"),
        Some(0.0),
        "{after}"
    );
    assert_eq!(
        sample(&after, "wasmbot_outbox_dead_lettered_total{bot=\"sim\"}"),
        Some(0.0),
        "{after}"
    );
    assert!(
        after.contains("# TYPE wasmbot_plugin_handle_seconds histogram"),
        "{after}"
    );
    assert!(after.trim_end().ends_with("# EOF"), "{after}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_counted_per_plugin() {
    let trapper = crate::common::overrides("trapper", |c| c.timeout_ms = Some(300));
    let d = TestDaemon::start_with(&["trapper"], vec![trapper]).await;
    d.say("f", "alice", "trap").await;
    d.say("f", "alice", "fine").await;
    d.wait_for("f", WAIT, |a| a.iter().any(|x| x["text"] == "ok:fine"))
        .await;
    let text = scrape(&d).await;
    let trapper = |name: &str| sample(&text, &format!("wasmbot_{name}{{plugin=\"trapper\"}}"));
    assert_eq!(trapper("plugin_events_failed_total"), Some(1.0), "{text}");
    assert_eq!(trapper("plugin_events_handled_total"), Some(1.0), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_requests_and_timers_are_counted() {
    let d = TestDaemon::start(&["fetcher", "remind"]).await;
    // The fetcher has no HTTP grant: its request is denied, and counted so.
    d.say("h", "alice", "fetch http://127.0.0.1:9/nothing")
        .await;
    d.wait_for("h", WAIT, |a| a.iter().any(|x| x["text"] == "err:denied"))
        .await;
    d.say("h", "alice", "/remind 1s stretch").await;
    d.wait_for("h", WAIT, |a| a.iter().any(|x| x["text"] == "⏰ stretch"))
        .await;
    let text = scrape(&d).await;
    let http = |outcome: &str| {
        sample(
            &text,
            &format!("wasmbot_http_requests_total{{outcome=\"{outcome}\"}}"),
        )
    };
    assert_eq!(http("denied"), Some(1.0), "{text}");
    assert_eq!(http("answered"), Some(0.0), "{text}");
    assert_eq!(
        sample(&text, "wasmbot_timers_fired_total"),
        Some(1.0),
        "{text}"
    );
}
